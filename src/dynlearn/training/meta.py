"""Meta-learning over tasks: first-order MAML and Reptile, and multi-task pretraining to compare with.

A *task* is a small learning problem drawn from a family (here: one type of
physical system with sampled parameters), given as a :class:`Task` with a
``support`` batch to adapt on and a ``query`` batch to judge the adaptation by.
Everything works on any ``torch.nn.Module`` and a loss callable
``loss_fn(module, batch) -> scalar tensor``; the batches are whatever the loss
understands, so no model is imported here.

Adaptation (the inner loop) is ``k`` steps of plain gradient descent from the
initial weights θ: φ ← φ − α ∇_φ L_support(φ), φ₀ = θ. The meta-learners
choose θ so that this adaptation works well on a new task:

* first-order MAML (Finn, Abbeel & Levine 2017, "Model-agnostic meta-learning
  for fast adaptation of deep networks", ICML, §5.2): the meta-gradient
  ∇_θ L_query(φ(θ)) is approximated by ∇_φ L_query(φ) (the Jacobian dφ/dθ
  taken as the identity), averaged over a batch of tasks and applied to θ by Adam;
* Reptile (Nichol, Achiam & Schulman 2018, "On first-order meta-learning
  algorithms", arXiv:1803.02999): θ ← θ + ε (mean over tasks of φ − θ), with φ
  adapted on the task's support and query data together.

:func:`multitask_train` is the baseline they are compared with: one set of
weights trained by Adam on the pooled loss of many tasks, without an inner loop.

>>> history = meta_train(net, sample_task, loss_fn, algorithm="reptile", meta_steps=500, seed=0)
>>> adapted = adapt(net, loss_fn, new_task.support, steps=5, lr=0.01)
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from dynlearn.errors import TrainingError, ValidationError

LossFn = Callable[[nn.Module, Any], torch.Tensor]
ALGORITHMS = ("fomaml", "reptile")


@dataclasses.dataclass
class Task:
    """One task: ``support`` (adapt on it), ``query`` (judge the adapted weights on it), a ``name``."""

    support: Any
    query: Any
    name: str = ""


@dataclasses.dataclass
class MetaHistory:
    """Per meta-step: the mean query loss after adaptation (``query``; for Reptile, on the query
    batch after adapting on the support only, measured every ``eval_every`` steps) and the task names."""

    query: list[float] = dataclasses.field(default_factory=list)
    tasks: list[str] = dataclasses.field(default_factory=list)


def _check_loss(loss: torch.Tensor, where: str) -> torch.Tensor:
    if not torch.isfinite(loss):
        raise TrainingError(f"the loss became {float(loss)} during {where}; lower the learning rates")
    return loss


def _sgd_steps(module: nn.Module, loss_fn: LossFn, batches: list[Any], steps: int, lr: float, grad_clip: float):
    params = [p for p in module.parameters() if p.requires_grad]
    for i in range(steps):
        with torch.enable_grad():  # adaptation is training, also when called under no_grad
            loss = _check_loss(loss_fn(module, batches[i % len(batches)]), "adaptation")
            grads = torch.autograd.grad(loss, params, allow_unused=True)
        if grad_clip:
            norm = torch.sqrt(sum((g * g).sum() for g in grads if g is not None))
            scale = min(1.0, grad_clip / (float(norm) + 1e-12))
        else:
            scale = 1.0
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                if g is not None:
                    p -= lr * scale * g
    return module


def adapt(
    module: nn.Module, loss_fn: LossFn, support: Any, *, steps: int, lr: float, grad_clip: float = 0.0
) -> nn.Module:
    """A copy of ``module`` after ``steps`` gradient-descent steps of size ``lr`` on ``support``
    (``module`` itself is left as it was). ``grad_clip > 0`` caps the gradient norm of each step."""
    if steps < 0 or not lr > 0:
        raise ValidationError(f"adapt needs steps >= 0 and lr > 0; got steps={steps}, lr={lr}")
    clone = copy.deepcopy(module)
    clone.train()
    return _sgd_steps(clone, loss_fn, [support], steps, lr, grad_clip)


def _check(algorithm: str, meta_steps: int, tasks_per_step: int, inner_steps: int) -> None:
    if algorithm not in ALGORITHMS:
        raise ValidationError(f"algorithm must be one of {', '.join(ALGORITHMS)}; got {algorithm!r}")
    for name, v in (("meta_steps", meta_steps), ("tasks_per_step", tasks_per_step), ("inner_steps", inner_steps)):
        if v < 1:
            raise ValidationError(f"{name} must be >= 1, got {v}")


def meta_train(
    module: nn.Module,
    sample_task: Callable[[np.random.Generator], Task],
    loss_fn: LossFn,
    *,
    algorithm: str = "reptile",
    meta_steps: int = 1000,
    tasks_per_step: int = 4,
    inner_steps: int = 5,
    inner_lr: float = 0.01,
    outer_lr: float = 1e-3,
    reptile_step: float = 0.5,
    grad_clip: float = 1.0,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> MetaHistory:
    """Meta-train ``module`` in place; ``sample_task(rng)`` draws a :class:`Task` (seeded by ``seed``).

    ``algorithm``: ``"fomaml"`` (outer Adam with ``outer_lr`` on the first-order meta-gradient)
    or ``"reptile"`` (interpolation with ``reptile_step``, annealed linearly to zero);
    ``inner_steps``, ``inner_lr``, ``grad_clip``: the adaptation, as in :func:`adapt`.
    ``progress(step, query_loss)`` is called every meta-step."""
    _check(algorithm, meta_steps, tasks_per_step, inner_steps)
    rng = np.random.default_rng(seed)
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=outer_lr) if algorithm == "fomaml" else None
    history = MetaHistory()
    for step in range(meta_steps):
        acc = [torch.zeros_like(p) for p in params]
        losses = []
        for _ in range(tasks_per_step):
            task = sample_task(rng)
            history.tasks.append(task.name)
            fast = copy.deepcopy(module)
            fast.train()
            fparams = [p for p in fast.parameters() if p.requires_grad]
            if algorithm == "fomaml":
                _sgd_steps(fast, loss_fn, [task.support], inner_steps, inner_lr, grad_clip)
                q = _check_loss(loss_fn(fast, task.query), "meta-training")
                grads = torch.autograd.grad(q, fparams, allow_unused=True)
                for a, g in zip(acc, grads, strict=True):
                    if g is not None:
                        a += g / tasks_per_step
            else:
                _sgd_steps(fast, loss_fn, [task.support, task.query], inner_steps, inner_lr, grad_clip)
                with torch.no_grad():
                    q = loss_fn(fast, task.query)
                    for a, p, f in zip(acc, params, fparams, strict=True):
                        a += (f - p) / tasks_per_step
            losses.append(float(q.detach()))
        if opt is not None:
            opt.zero_grad()
            for p, a in zip(params, acc, strict=True):
                p.grad = a
            if grad_clip:
                nn.utils.clip_grad_norm_(params, grad_clip)
            opt.step()
        else:
            eps = reptile_step * (1.0 - step / meta_steps)
            with torch.no_grad():
                for p, a in zip(params, acc, strict=True):
                    p += eps * a
        history.query.append(float(np.mean(losses)))
        if progress is not None:
            progress(step, history.query[-1])
    return history


def multitask_train(
    module: nn.Module,
    sample_task: Callable[[np.random.Generator], Task],
    loss_fn: LossFn,
    *,
    steps: int = 1000,
    tasks_per_step: int = 4,
    lr: float = 1e-3,
    grad_clip: float = 1.0,
    seed: int = 0,
) -> list[float]:
    """Multi-task pretraining (the baseline of meta-learning): Adam on the mean loss of
    ``tasks_per_step`` fresh tasks (support and query pooled) per step; returns the loss per step."""
    _check("reptile", steps, tasks_per_step, 1)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    module.train()
    out = []
    for _ in range(steps):
        tasks = [sample_task(rng) for _ in range(tasks_per_step)]
        loss = sum(loss_fn(module, t.support) + loss_fn(module, t.query) for t in tasks) / (2 * tasks_per_step)
        _check_loss(loss, "multi-task pretraining")
        opt.zero_grad()
        loss.backward()
        if grad_clip:
            nn.utils.clip_grad_norm_(module.parameters(), grad_clip)
        opt.step()
        out.append(float(loss.detach()))
    return out


__all__ = ["ALGORITHMS", "MetaHistory", "Task", "adapt", "meta_train", "multitask_train"]
