"""Shared plumbing for PyTorch models: seeding, weights in safetensors, CPU threads.

A torch model subclasses :class:`TorchModel`, builds its network in
``_build()`` (from ``self.config`` and ``self.dim_``) and stores it in
``self.module_``; saving and loading the weights is handled here.
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
