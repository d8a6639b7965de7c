"""Early stopping on a held-out tail, the shared epoch loop, and the neural ODE's RK4 and span mask."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynlearn import models
from dynlearn.data import Trajectory
from dynlearn.errors import ValidationError
from dynlearn.models._epochs import bucketed_batches
from dynlearn.models.neural_ode import NeuralODEConfig, VectorField, _shooting_data, advance
from dynlearn.training.early_stopping import EarlyStopping, holdout_tail

torch.set_num_threads(1)


def test_holdout_tail_keeps_contiguous_tails():
    a = Trajectory.from_states(np.arange(100.0)[:, None], dt=0.1)
    b = Trajectory.from_states(np.arange(10.0)[:, None], dt=0.1)  # too short to split: stays whole
    train, val = holdout_tail([a, b], 0.2, min_length=8)
    assert [len(t) for t in train] == [80, 10] and [len(t) for t in val] == [20]
    assert val[0].states[0, 0] == 80.0 and train[0].states[-1, 0] == 79.0
    with pytest.raises(ValidationError, match="val_fraction"):
        holdout_tail([b], 0.2, min_length=8)


def test_early_stopping_patience_plateau_halving_and_restore():
    net = torch.nn.Linear(1, 1)
    opt = torch.optim.Adam(net.parameters(), lr=1.0)
    stop = EarlyStopping(patience=4)
    losses = [5.0, 3.0, 2.0, 2.5, 2.4, 2.2, 2.1]
    stops = []
    for i, v in enumerate(losses):
        with torch.no_grad():
            net.weight.fill_(float(i))
        stops.append(stop.update(v, net, opt))
    assert stops == [False] * 6 + [True]
    assert stop.best_epoch == 3 and stop.best == 2.0
    assert opt.param_groups[0]["lr"] == 0.25  # halved after 2 and after 4 epochs without gain
    stop.restore(net)
    assert float(net.weight.detach()) == 2.0


def test_bucketed_batches_cover_every_index_once_and_group_costs():
    cost = torch.tensor([1.0] * 50 + [40.0] * 10)
    batches = bucketed_batches(cost, 16, torch.Generator().manual_seed(0))
    flat = torch.cat(batches).sort().values
    assert torch.equal(flat, torch.arange(60))
    for b in batches:  # no batch mixes a cheap segment with an expensive one
        assert len(set(cost[b].tolist())) == 1


def test_own_rk4_matches_torchdiffeq():
    torchdiffeq = pytest.importorskip("torchdiffeq")
    torch.manual_seed(0)
    field = VectorField(3, 16, 2, "tanh")
    z = torch.randn(5, 3)
    gap = torch.tensor([0.3, 1.0, 2.5, 0.0, 1.7])
    ours = advance(field, z, gap, NeuralODEConfig(substeps=2))
    n = 2 * 3
    grid = torch.linspace(0.0, 1.0, n + 1)
    ref = torchdiffeq.odeint(lambda u, x: gap[:, None] * field.net(x), z, grid, method="rk4")[-1]
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)


def test_max_span_masks_observations_late_in_a_segment():
    times = np.array([0.0, 0.1, 0.2, 1.5, 1.6, 1.7, 1.8, 5.0])
    tr = Trajectory(times, np.random.default_rng(0).normal(size=(8, 2)))
    cfg = NeuralODEConfig(window=4, max_span=0.25)
    z, gaps, mask, cost = _shooting_data([tr], cfg, np.zeros(2), np.ones(2), 0.1)
    # segment starts 0, 1, 3, 4 kept (first gap within 0.25); start 2 (gap 1.3) dropped
    assert len(z) == 4
    np.testing.assert_array_equal(mask.numpy()[0], [1, 1, 0])
    assert float(gaps[0, 2]) == 0.0 and float(cost[0]) == 2.0  # substeps 2 x ceil(1 gap unit)
    with pytest.raises(ValidationError, match="max_span"):
        _shooting_data([tr], NeuralODEConfig(window=4, max_span=0.01), np.zeros(2), np.ones(2), 0.1)


@pytest.mark.parametrize("name", ["neural_ode", "neural_cde", "mlp"])
def test_validation_stops_early_and_keeps_the_best_epoch(name):
    t = np.linspace(0, 30, 400)
    tr = Trajectory(t, np.stack([np.sin(t), np.cos(t)], axis=1))
    small = {"neural_ode": {"hidden": 16, "layers": 1, "window": 4, "stride": 2},
             "neural_cde": {"hidden_state": 8, "hidden": 16, "layers": 1, "window": 6, "rollout": 2, "context": 3,
                            "stride": 2},
             "mlp": {"hidden": 16, "layers": 1, "context": 4}}[name]  # fmt: skip
    m = models.create(name, seed=0, epochs=40, patience=2, val_fraction=0.25, lr=3e-2, **small).fit(tr)
    assert len(m.val_history_) == len(m.history_) <= 40
    assert m.best_epoch_ == int(np.argmin(m.val_history_)) + 1
    if len(m.history_) < 40:  # stopped: the last `patience` epochs did not improve on the best by 0.1%
        assert min(m.val_history_[-2:]) >= min(m.val_history_[:-2]) * (1 - 1e-3) ** 2
    again = models.create(name, seed=0, epochs=40, patience=2, val_fraction=0.25, lr=3e-2, **small).fit(tr)
    assert again.val_history_ == m.val_history_  # same seed, same numbers
