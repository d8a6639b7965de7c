"""Meta-learning regimes (dynlearn.training.meta) on a toy regression family."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.training.meta import Task, adapt, meta_train, multitask_train


def _sine_task(rng: np.random.Generator, n: int = 20) -> Task:
    """y = a sin(x + b), a in [1, 2], b in [0, 1]: the family shares its shape, tasks differ in a and b."""
    a, b = rng.uniform(1.0, 2.0), rng.uniform(0.0, 1.0)

    def batch():
        x = rng.uniform(-3, 3, (n, 1))
        return torch.tensor(x, dtype=torch.float32), torch.tensor(a * np.sin(x + b), dtype=torch.float32)

    return Task(batch(), batch(), name=f"a={a:.2f}")


def _loss(module, batch):
    x, y = batch
    return ((module(x) - y) ** 2).mean()


def _net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))


def _after_k(net, k, lr, seed=99, n_tasks=20):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_tasks):
        t = _sine_task(rng)
        with torch.no_grad():
            out.append(float(_loss(adapt(net, _loss, t.support, steps=k, lr=lr), t.query)))
    return float(np.mean(out))


@pytest.mark.parametrize("algorithm", ["fomaml", "reptile"])
def test_meta_learning_beats_scratch_after_k_steps(algorithm):
    net = _net(0)
    hist = meta_train(
        net, _sine_task, _loss, algorithm=algorithm, meta_steps=40, tasks_per_step=4, inner_steps=5,
        inner_lr=0.02, outer_lr=3e-3, reptile_step=0.5, seed=1,
    )  # fmt: skip
    assert len(hist.query) == 40 and len(hist.tasks) == 160
    meta, scratch = _after_k(net, 5, 0.02, n_tasks=10), _after_k(_net(1), 5, 0.02, n_tasks=10)
    assert meta < 0.5 * scratch, f"{algorithm}: {meta:.3f} after 5 steps against {scratch:.3f} from scratch"


def test_same_seed_same_weights_and_adapt_leaves_the_original():
    a, b = _net(0), _net(0)
    for net in (a, b):
        meta_train(net, _sine_task, _loss, algorithm="fomaml", meta_steps=3, seed=4)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    before = [p.clone() for p in a.parameters()]
    t = _sine_task(np.random.default_rng(0))
    adapted = adapt(a, _loss, t.support, steps=3, lr=0.1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), before, strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(adapted.parameters(), before, strict=True))


def test_multitask_pretraining_lowers_the_pooled_loss():
    net = _net(0)
    losses = multitask_train(net, _sine_task, _loss, steps=60, lr=3e-3, seed=0)
    assert np.mean(losses[-10:]) < np.mean(losses[:10])


def test_bad_arguments():
    with pytest.raises(ValidationError, match="algorithm"):
        meta_train(_net(0), _sine_task, _loss, algorithm="maml2")
    with pytest.raises(ValidationError, match="inner_steps"):
        meta_train(_net(0), _sine_task, _loss, inner_steps=0)
    with pytest.raises(ValidationError, match="lr > 0"):
        adapt(_net(0), _loss, None, steps=1, lr=0.0)
