"""The epoch loop shared by the neural models: Adam, mini-batches, and either a fixed number of
epochs (cosine decay of the learning rate to a tenth) or early stopping on a held-out loss
(:mod:`dynlearn.training.early_stopping`: plateau halving of the learning rate, the best
epoch's weights restored).

The model's config provides ``epochs`` (the upper bound), ``batch_size``, ``lr``,
``weight_decay``, ``grad_clip``, ``seed`` and, for early stopping, ``patience``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from dynlearn.models.torch_model import torch_generator
from dynlearn.models.window_model import check_loss, make_optimizer, optimizer_step
from dynlearn.progress import Epochs


class _Constant:
    """No schedule: the learning rate is changed only by the plateau rule."""

    def step(self) -> None:
        pass


def shuffled_batches(n: int, batch_size: int, gen: torch.Generator) -> list[torch.Tensor]:
    perm = torch.randperm(n, generator=gen)
    return [perm[i : i + batch_size] for i in range(0, n, batch_size)]


def bucketed_batches(cost: torch.Tensor, batch_size: int, gen: torch.Generator) -> list[torch.Tensor]:
    """Mini-batches of samples of similar ``cost`` (e.g. solver steps), in random order.

    A batch integrates as many solver steps as its costliest member needs, so mixing a long
    gap into every batch multiplies the work; grouping by ``cost`` rounded to a power of two
    (members of a group drawn at random, groups split into batches, batches shuffled) keeps
    the batches random within a cost class and the work near the sum of the members' needs.
    """
    n = len(cost)
    perm = torch.randperm(n, generator=gen)
    key = torch.ceil(torch.log2(cost[perm].clamp(min=1.0)))
    perm = perm[torch.argsort(key, stable=True)]
    key = key[torch.argsort(key, stable=True)]
    batches = []
    for k in torch.unique(key):
        members = perm[key == k]
        batches += [members[i : i + batch_size] for i in range(0, len(members), batch_size)]
    order = torch.randperm(len(batches), generator=gen)
    return [batches[int(i)] for i in order]


def train_epochs(
    model,
    module: torch.nn.Module,
    n: int,
    batch_loss: Callable[[torch.Tensor], torch.Tensor],
    *,
    val_loss: Callable[[], float] | None = None,
    batches: Callable[[torch.Generator], list[torch.Tensor]] | None = None,
) -> None:
    """Train ``module`` on ``n`` samples; ``batch_loss(idx)`` is the loss of a batch of indices.

    With ``val_loss`` (the held-out loss, called under ``no_grad`` after every epoch), stop
    early as in :class:`~dynlearn.training.early_stopping.EarlyStopping`. Sets on ``model``:
    ``history_`` (training loss per epoch), ``val_history_`` (held-out loss per epoch, empty
    without ``val_loss``), ``best_epoch_`` (the epoch whose weights are kept) and ``train_loss_``.
    """
    from dynlearn.training.early_stopping import EarlyStopping

    cfg = model.config
    per_epoch = math.ceil(n / cfg.batch_size)
    stopper = EarlyStopping(patience=cfg.patience) if val_loss is not None else None
    if stopper is None:
        opt, sched = make_optimizer(module, cfg, cfg.epochs * per_epoch)
    else:
        opt = torch.optim.Adam(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        sched = _Constant()
    gen = torch_generator(cfg.seed + 1)
    model.history_ = []
    model.val_history_ = []
    bar = Epochs(model.name, cfg.epochs)
    for epoch in bar:
        module.train()
        total = 0.0
        for idx in batches(gen) if batches is not None else shuffled_batches(n, cfg.batch_size, gen):
            loss = batch_loss(idx)
            check_loss(loss, epoch, model.name, cfg.lr)
            optimizer_step(module, opt, sched, loss, cfg.grad_clip)
            total += loss.item() * len(idx)
        model.history_.append(total / n)
        bar.loss = model.history_[-1]
        if stopper is not None:
            module.eval()
            with torch.no_grad():
                v = float(val_loss())
            model.val_history_.append(v)
            if not math.isfinite(v):
                break
            if stopper.update(v, module, opt):
                break
    if stopper is not None:
        stopper.restore(module)
        model.best_epoch_ = stopper.best_epoch
    else:
        model.best_epoch_ = len(model.history_)
    module.eval()
    model.train_loss_ = model.history_[model.best_epoch_ - 1] if model.best_epoch_ else model.history_[-1]
