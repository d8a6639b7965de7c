"""The window-trained deep forecasters: mlp, gru (and lstm), transformer, nbeats."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dynlearn import models
from dynlearn.data import Trajectory
from dynlearn.errors import FileFormatError, TrainingError, ValidationError

torch.set_num_threads(1)  # 2 shared cores: threads only contend

TINY = {
    "mlp": {"hidden": 16, "layers": 1, "context": 4},
    "gru": {"hidden": 16, "context": 4},
    "transformer": {"hidden": 16, "heads": 2, "ff": 16, "layers": 1, "context": 4},
    "nbeats": {"hidden": 32, "blocks": 2, "layers": 1, "context": 4, "output_steps": 2},
}


@pytest.fixture(scope="module")
def circle():
    """x = (sin t, cos t): a limit cycle every model should forecast almost exactly."""
    t = np.arange(400) * 0.1
    return Trajectory.from_states(np.stack([np.sin(t), np.cos(t)], axis=1), dt=0.1)


@pytest.mark.parametrize("name", sorted(TINY))
def test_learns_a_periodic_orbit(name, circle):
    m = models.create(name, epochs=40, lr=3e-3, seed=0, **TINY[name]).fit(circle[:300])
    ctx = circle.states[300 - m.min_context : 300]
    forecast = m.predict(ctx, 40)
    rmse = np.sqrt(np.mean((forecast - circle.states[300:340]) ** 2))
    assert rmse < 0.1, f"{name}: rmse {rmse:.3f}"
    # much better than persistence, whose error over 40 steps is about 0.9
    assert m.train_loss_ < 1e-2


def test_exploding_loss_names_the_epoch_and_suggests_a_smaller_lr(circle):
    with pytest.raises(TrainingError, match=r"epoch 1.*lower the learning rate"):
        models.create("mlp", lr=1e30, grad_clip=0.0, epochs=3, **TINY["mlp"]).fit(circle[:200])


@pytest.mark.parametrize("name", sorted(TINY))
def test_series_shorter_than_the_training_window_is_rejected(name, circle):
    m = models.create(name, **TINY[name])
    with pytest.raises(ValidationError, match="at least"):
        m.fit(circle[: m.min_train_length - 1])


def test_min_train_length_covers_context_and_rollout():
    assert models.create("mlp", context=5, rollout=3).min_train_length == 8
    # nbeats scores whole output chunks: rollout 3 with chunks of 2 -> 4 states
    assert models.create("nbeats", context=5, output_steps=2, rollout=3).min_train_length == 9


def test_nan_in_training_data_is_rejected(circle):
    x = circle.states.copy()
    x[17, 1] = np.nan
    with pytest.raises(ValidationError, match="non-finite"):
        models.create("gru", **TINY["gru"]).fit(x)


def test_loading_with_a_mismatched_architecture_is_a_file_format_error(circle, tmp_path):
    m = models.create("mlp", epochs=1, **TINY["mlp"]).fit(circle[:100])
    d = m.save(tmp_path / "m")
    header = json.loads((d / "model.json").read_text())
    header["config"]["hidden"] = 32
    (d / "model.json").write_text(json.dumps(header))
    with pytest.raises(FileFormatError, match="architecture"):
        models.load(d)


def test_nbeats_forecasts_in_chunks_consistently(circle):
    m = models.create("nbeats", epochs=2, **TINY["nbeats"]).fit(circle[:100])
    ctx = circle.states[96:100]
    np.testing.assert_allclose(m.predict(ctx, 7)[:3], m.predict(ctx, 3), rtol=1e-6, atol=1e-7)


def test_lstm_cell_and_config_checks(circle):
    m = models.create("gru", cell="lstm", epochs=1, **TINY["gru"]).fit(circle[:100])
    assert m._get_state()["core.rnn.weight_hh_l0"].shape == (4 * 16, 16)  # four LSTM gates
    with pytest.raises(ValidationError, match="cell"):
        models.create("gru", cell="rnn")
    with pytest.raises(ValidationError, match="heads must divide"):
        models.create("transformer", hidden=10, heads=4)
    with pytest.raises(ValidationError, match="context"):
        models.create("mlp", context=0)


def test_multi_step_rollout_training_runs(circle):
    m = models.create("mlp", rollout=4, epochs=5, **TINY["mlp"]).fit(circle[:100])
    loss = np.asarray(m.history_)
    assert len(loss) == 5
    assert np.all(np.diff(loss) < 0) and loss[-1] < 0.8 * loss[0]  # measured: 0.55 -> 0.38
