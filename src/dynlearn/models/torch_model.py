"""``TorchModel``: the public base of models whose parameters live in a ``torch.nn.Module``.

A torch model subclasses :class:`TorchModel`, builds its network in
``_build()`` (from ``self.config`` and ``self.dim_``), creates it in ``_fit``
with ``_init_module(dim)`` (seeded by ``config.seed``, global RNG untouched),
which stores it in ``self.module_``; saving and loading the weights
(``state_dict`` as safetensors) is handled here. Draw every other random number
from ``torch_generator(seed)``. See ``docs/models.md``, "How to add a neural model".
"""

from __future__ import annotations

import numpy as np
import torch

from dynlearn.models.base import Model


def torch_generator(seed: int) -> torch.Generator:
    """A private generator (no global state): use it for every random draw of a model."""
    g = torch.Generator()
    g.manual_seed(int(seed))
    return g


class TorchModel(Model):
    """Base class for models whose parameters live in a ``torch.nn.Module`` (``self.module_``)."""

    state_format = "safetensors"

    def _build(self) -> torch.nn.Module:
        """The network for ``self.dim_`` and ``self.config``, freshly initialised."""
        raise NotImplementedError

    def _init_module(self, dim: int) -> torch.nn.Module:
        """Build the network under the config's seed, so the same seed gives the same weights."""
        self.dim_ = dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.config.seed))
            self.module_ = self._build()
        return self.module_

    def _get_state(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in self.module_.state_dict().items()}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._init_module(self.dim_)
        own = self.module_.state_dict()
        missing, extra = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or extra:
            raise ValueError(f"weights missing {missing} / unexpected {extra}")
        for k, v in state.items():
            if tuple(own[k].shape) != tuple(v.shape):
                raise ValueError(f"weight {k!r} has shape {tuple(v.shape)}, the config implies {tuple(own[k].shape)}")
        self.module_.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
        self.module_.eval()
