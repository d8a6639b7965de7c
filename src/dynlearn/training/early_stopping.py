"""Training until a held-out loss stops improving (early stopping with patience).

A model that trains for a fixed number of epochs is either stopped while its loss
still falls or trained long past the point where it generalises. The rule here
(Prechelt 1998, "Early stopping — but when?", in *Neural Networks: Tricks of the
Trade*) holds out the **tail** of every training trajectory (a contiguous block, so
overlapping training windows cannot leak into it), scores the held-out loss after
every epoch, and stops once it has not improved on its best value by a relative
``min_delta`` for ``patience`` epochs; the weights of the best epoch are restored.
``epochs`` stays the upper bound. While the loss stalls the learning rate is halved
every ``patience // 2`` epochs without improvement (a plateau schedule), so a run that
stops has also been given smaller steps first.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence

import torch

from dynlearn.data import Trajectory
from dynlearn.errors import ValidationError


def holdout_tail(
    trajectories: Sequence[Trajectory], fraction: float, min_length: int
) -> tuple[list[Trajectory], list[Trajectory]]:
    """Split every trajectory into its first ``1 - fraction`` and its last ``fraction`` of samples.

    A trajectory whose tail would be shorter than ``min_length`` samples (or whose head
    would) stays whole in the training part; at least one tail must exist.
    """
    if not 0 < fraction < 1:
        raise ValidationError(f"val_fraction must be in (0, 1), got {fraction}")
    train, val = [], []
    for tr in trajectories:
        n_val = int(round(fraction * len(tr)))
        if n_val >= min_length and len(tr) - n_val >= min_length:
            train.append(tr[: len(tr) - n_val])
            val.append(tr[len(tr) - n_val :])
        else:
            train.append(tr)
    if not val:
        longest = max(len(t) for t in trajectories)
        raise ValidationError(
            f"val_fraction={fraction} leaves no validation part of at least {min_length} samples "
            f"(longest trajectory: {longest}); use longer trajectories, a larger val_fraction, or val_fraction=0"
        )
    return train, val


@dataclasses.dataclass
class EarlyStopping:
    """Track a validation loss per epoch; ``update`` returns True when training should stop.

    ``patience``: epochs without a relative improvement of ``min_delta`` before stopping;
    if an optimizer is passed to ``update``, its learning rate is halved after every
    ``max(1, patience // 2)`` epochs without improvement. The best module state is kept
    (a deep copy of its ``state_dict``) and put back by ``restore``.
    """

    patience: int = 10
    min_delta: float = 1e-3
    best: float = float("inf")
    best_epoch: int = 0
    history: list[float] = dataclasses.field(default_factory=list)
    _state: dict | None = None
    _since: int = 0

    def update(self, loss: float, module: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None) -> bool:
        self.history.append(float(loss))
        epoch = len(self.history)
        if loss < self.best * (1 - self.min_delta) or self._state is None:
            if loss < self.best:
                self.best, self.best_epoch = float(loss), epoch
                self._state = copy.deepcopy(module.state_dict())
            self._since = 0
        else:
            if loss < self.best:  # a small gain: keep the better weights, but it does not reset patience
                self.best, self.best_epoch = float(loss), epoch
                self._state = copy.deepcopy(module.state_dict())
            self._since += 1
            if optimizer is not None and self._since % max(1, self.patience // 2) == 0:
                for group in optimizer.param_groups:
                    group["lr"] *= 0.5
        return self._since >= self.patience

    def restore(self, module: torch.nn.Module) -> None:
        if self._state is not None:
            module.load_state_dict(self._state)


__all__ = ["EarlyStopping", "holdout_tail"]
