"""The rollout trainer for field models: each strategy does what it says, resume is exact, evaluation
helpers agree with the metrics. A tiny local conv model (not registered) on a translating wave."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from dynlearn.errors import ValidationError
from dynlearn.fields import Fields, Grid
from dynlearn.fields.evaluate import error_curve, evaluate, one_step_error, plot_curves, plot_rollout, rollout
from dynlearn.fields.models import FieldModel, FieldSpec, LastFrame
from dynlearn.fields.training import (
    RolloutTrainer,
    TeacherForcing,
    TrainConfig,
    split_trajectories,
    validation_error,
)


class TinyConv(FieldModel):
    name = "tiny_conv_test"

    def __init__(self, spec, config=None, *, seed=0, **kw):
        super().__init__(spec, config, seed=seed, **kw)
        self.a = torch.nn.Conv2d(spec.in_channels, 6, 3, padding=1, padding_mode="circular")
        self.b = torch.nn.Conv2d(6, spec.channels, 3, padding=1, padding_mode="circular")
        self.p = torch.nn.Linear(max(spec.n_params, 1), 6)

    def step(self, x, p):
        h = self.a(x)
        if p is not None:
            h = h + self.p(p)[:, :, None, None]
        return self.b(torch.tanh(h))


class Recorder(FieldModel):
    """Adds ``shift`` standard deviations per step (residual); records what each call saw."""

    name = "recorder_test"

    def __init__(self, spec, config=None, *, seed=0, shift=1.0, **kw):
        super().__init__(spec, config, seed=seed, **kw)
        self.w = torch.nn.Parameter(torch.zeros(()))
        self.shift = shift
        self.calls: list[dict] = []

    def forward(self, history, params=None, mask=None):
        self.calls.append(
            {"grad": torch.is_grad_enabled(), "input": history.detach().clone(), "requires_grad": history.requires_grad}
        )
        return super().forward(history, params, mask)

    def step(self, x, p):
        return torch.full((x.shape[0], self.spec.channels, *self.spec.space), self.shift) + self.w


def wave_data(n=6, t=12, size=12, seed=0) -> Fields:
    """u(x, y, t) = sum of two modes moving one cell per frame in x: the next frame is a shift."""
    rng = np.random.default_rng(seed)
    x = np.arange(size)
    out = np.zeros((n, t, 1, size, size))
    for i in range(n):
        a, b, ph = rng.normal(size=3)
        for k in range(t):
            xx = 2 * np.pi * (x[:, None] - k) / size
            yy = 2 * np.pi * x[None, :] / size
            out[i, k, 0] = a * np.sin(xx + ph) + b * np.cos(2 * xx + yy)
    return Fields(
        values=out.astype(np.float32),
        times=np.arange(t) * 0.1,
        channels=("u",),
        grid=Grid((size, size), (1.0, 1.0), (True, True)),
        params={"c": rng.uniform(0.5, 1.5, n)},
    )


@pytest.fixture(scope="module")
def data():
    return wave_data()


def _batch(data, th, k, start=0):
    v = torch.as_tensor(data.values[:2, start : start + th + k])
    return v[:, :th], v[:, th:]


# -- teacher forcing schedule ---------------------------------------------------------------------
def test_teacher_forcing_schedule_values():
    assert TeacherForcing().value(3, 10) == 1.0
    lin = TeacherForcing("linear", 1.0, 0.0)
    assert [lin.value(e, 5) for e in range(5)] == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0])
    ex = TeacherForcing("exponential", 1.0, 0.01)
    assert [ex.value(e, 3) for e in range(3)] == pytest.approx([1.0, 0.1, 0.01])
    sig = TeacherForcing("inverse_sigmoid", 0.9, 0.1)
    vals = [sig.value(e, 11) for e in range(11)]
    assert all(a > b for a, b in zip(vals, vals[1:]))
    assert vals[5] == pytest.approx(0.5)
    assert vals[0] == pytest.approx(0.1 + 0.8 / (1 + math.exp(-5)))
    with pytest.raises(ValidationError, match="teacher forcing kind"):
        TeacherForcing("cosine")
    with pytest.raises(ValidationError, match="exponential"):
        TeacherForcing("exponential", 1.0, 0.0)


# -- noise ----------------------------------------------------------------------------------------
def test_noise_changes_inputs_not_targets(data):
    spec = FieldSpec.from_fields(data, history=2)
    model = Recorder(spec, shift=0.0).set_normalization([0.0], [2.0], [1.0], [1.0])
    hist, targets = _batch(data, 2, 1)
    trainer = RolloutTrainer(noise=0.05)
    loss = trainer.loss(model, hist, targets, torch.ones(2, 1), None, epoch=0, generator=torch.Generator().manual_seed(1))
    seen = model.calls[-1]["input"]
    noise = seen - hist
    assert float(noise.abs().min()) > 0  # every input value perturbed
    assert float(noise.std()) == pytest.approx(0.05 * 2.0, rel=0.1)  # in units of the channel std
    # the model copies its (noisy) last frame; the loss is against the untouched true target
    expected = (((seen[:, -1] - targets[:, 0]) / 2.0) ** 2).mean()
    assert float(loss.detach()) == pytest.approx(float(expected), rel=1e-5)
    # no noise: the model sees the true history
    RolloutTrainer().loss(model, hist, targets, torch.ones(2, 1), None, epoch=0, generator=torch.Generator())
    assert torch.equal(model.calls[-1]["input"], hist)


# -- pushforward ----------------------------------------------------------------------------------
def test_pushforward_has_no_gradient_through_first_steps(data):
    spec = FieldSpec.from_fields(data, history=1)
    model = Recorder(spec, shift=1.0).set_normalization([0.0], [1.0], [1.0], [1.0])
    hist, targets = _batch(data, 1, 3)
    trainer = RolloutTrainer(pushforward=2)
    loss = trainer.loss(model, hist, targets, torch.ones(2, 1), None, epoch=0, generator=torch.Generator())
    assert [c["grad"] for c in model.calls] == [False, False, True]
    # the gradient step sees the model's own state two steps on (each step adds one std), not the truth
    assert torch.allclose(model.calls[-1]["input"], hist + 2.0)
    assert not model.calls[-1]["requires_grad"]
    # and the loss is taken against the third target
    assert float(loss.detach()) == pytest.approx(float(((hist[:, -1] + 3.0 - targets[:, 2]) ** 2).mean()), rel=1e-5)
    loss.backward()
    assert model.w.grad is not None


def test_pushforward_uniform_draws_lengths(data):
    spec = FieldSpec.from_fields(data, history=1)
    model = Recorder(spec)
    hist, targets = _batch(data, 1, 4)
    trainer = RolloutTrainer(pushforward=3, pushforward_sampling="uniform")
    gen = torch.Generator().manual_seed(0)
    lengths = set()
    for _ in range(40):
        model.calls.clear()
        trainer.loss(model, hist, targets, torch.ones(2, 1), None, epoch=0, generator=gen)
        lengths.add(sum(not c["grad"] for c in model.calls))
    assert lengths == {0, 1, 2, 3}


# -- unrolled loss and teacher forcing ---------------------------------------------------------------
def test_unroll_teacher_forcing_feeds_truth_or_prediction(data):
    spec = FieldSpec.from_fields(data, history=2)
    hist, targets = _batch(data, 2, 3)
    for p_tf, feeds_truth in ((1.0, True), (0.0, False)):
        model = Recorder(spec, shift=0.5).set_normalization([0.0], [1.0], [1.0], [1.0])
        trainer = RolloutTrainer(unroll=3, teacher_forcing=TeacherForcing("constant", p_tf))
        trainer.loss(model, hist, targets, torch.ones(2, 1), None, epoch=0, generator=torch.Generator())
        assert [c["grad"] for c in model.calls] == [True, True, True]
        third = model.calls[2]
        if feeds_truth:
            assert torch.equal(third["input"], targets[:, :2])
            assert not third["requires_grad"]
        else:  # BPTT: the fed-back frames are predictions and carry the graph
            assert torch.allclose(third["input"][:, 0], hist[:, -1] + 0.5)
            assert torch.allclose(third["input"][:, 1], hist[:, -1] + 1.0)
            assert third["requires_grad"]
    # a mixed schedule mixes per window
    model = Recorder(spec, shift=0.5).set_normalization([0.0], [1.0], [1.0], [1.0])
    trainer = RolloutTrainer(unroll=2, teacher_forcing=TeacherForcing("constant", 0.5))
    hist8, targets8 = (torch.as_tensor(data.values[:, 0:2]), torch.as_tensor(data.values[:, 2:4]))
    trainer.loss(model, hist8, targets8, torch.ones(6, 1), None, epoch=0, generator=torch.Generator().manual_seed(0))
    fed = model.calls[1]["input"][:, -1]
    truth = torch.tensor([torch.equal(fed[i], targets8[i, 0]) for i in range(6)])
    assert 0 < int(truth.sum()) < 6


# -- the fit ----------------------------------------------------------------------------------------
def test_fit_learns_sets_normalization_and_restores_best(data):
    spec = FieldSpec.from_fields(data, history=1)
    model = TinyConv(spec, seed=0)
    cfg = TrainConfig(epochs=6, batch_size=8, lr=3e-3, val_fraction=0.34, val_steps=4, patience=None, seed=0)
    result = RolloutTrainer(cfg).fit(model, data)
    assert len(result.history) == 6 and result.val_index and not set(result.val_index) & set(result.train_index)
    train = data.subset(result.train_index)
    assert model.field_mean.item() == pytest.approx(float(train.values.mean()), abs=1e-5)
    assert model.param_mean.item() == pytest.approx(float(train.params["c"].mean()), abs=1e-6)
    losses = [r["train_loss"] for r in result.history]
    assert losses[-1] < 0.5 * losses[0]
    from dynlearn.fields import _windows

    val = _windows.Tensors(data.subset(result.val_index), spec, ("c",))
    assert validation_error(model, val, 1, 4) == pytest.approx(result.best_val, rel=1e-5)
    assert result.best_val == min(r["val_error"] for r in result.history)


class Frozen(Recorder):
    """Its one parameter has no effect: the validation error never improves after epoch 0."""

    def step(self, x, p):
        return torch.zeros(x.shape[0], self.spec.channels, *self.spec.space) * self.w


def test_early_stopping_stops_after_patience(data):
    spec = FieldSpec.from_fields(data, history=1)
    cfg = TrainConfig(epochs=40, batch_size=8, val_fraction=0.34, patience=2, seed=0, samples_per_epoch=8)
    result = RolloutTrainer(cfg).fit(Frozen(spec), data)
    assert result.stopped_early and len(result.history) == 3 and result.best_epoch == 0
    with pytest.raises(ValidationError, match="no trainable parameters"):
        RolloutTrainer(cfg).fit(LastFrame(spec), data)


def test_resume_after_interruption_gives_identical_weights(data, tmp_path):
    spec = FieldSpec.from_fields(data, history=2)
    cfg = dict(
        epochs=4, batch_size=4, lr=2e-3, noise=0.01, pushforward=1, pushforward_sampling="uniform", unroll=2,
        teacher_forcing=TeacherForcing("linear", 1.0, 0.0), val_fraction=0.34, val_steps=3, patience=None, seed=5,
        lr_schedule="cosine", samples_per_epoch=12,
    )  # fmt: skip
    straight = TinyConv(spec, seed=1)
    full = RolloutTrainer(cfg).fit(straight, data, checkpoint=tmp_path / "a")

    class Stop(Exception):
        pass

    def interrupt(record):
        if record["epoch"] == 1:
            raise Stop

    first = TinyConv(spec, seed=1)
    with pytest.raises(Stop):
        RolloutTrainer(cfg).fit(first, data, checkpoint=tmp_path / "b", callback=interrupt)
    seen = []
    resumed = TinyConv(spec, seed=1)
    result = RolloutTrainer(cfg).fit(resumed, data, checkpoint=tmp_path / "b", callback=seen.append)
    assert result.resumed_from == 2 and [r["epoch"] for r in seen] == [2, 3]  # no epoch repeated
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), k
    assert [r["val_error"] for r in result.history] == [r["val_error"] for r in full.history]
    saved = json.loads((tmp_path / "b" / "result.json").read_text())
    assert saved["best_epoch"] == full.best_epoch
    # a finished fit, run again, trains nothing more
    again = TinyConv(spec, seed=1)
    RolloutTrainer(cfg).fit(again, data, checkpoint=tmp_path / "b", callback=seen.append)
    assert len(seen) == 2 and torch.equal(again.b.weight, straight.b.weight)
    # other settings are refused, not mixed in
    with pytest.raises(ValidationError, match="other settings"):
        RolloutTrainer({**cfg, "lr": 1e-3}).fit(TinyConv(spec, seed=1), data, checkpoint=tmp_path / "b")


def test_bad_input_is_refused(data):
    spec = FieldSpec.from_fields(data, history=4)
    with pytest.raises(ValidationError, match="need history 4 \\+ pushforward 5 \\+ unroll 4 = 13 frames"):
        RolloutTrainer(pushforward=5, unroll=4).fit(TinyConv(spec), data)
    with pytest.raises(ValidationError, match="unroll must be >= 1"):
        TrainConfig(unroll=0)
    with pytest.raises(ValidationError, match="unknown training setting 'epoch'"):
        RolloutTrainer({"epoch": 3})
    other = FieldSpec(channels=2, space=(12, 12))
    with pytest.raises(ValidationError, match="FieldSpec.from_fields"):
        RolloutTrainer().fit(LastFrame(other), data)
    with pytest.raises(ValidationError, match="set val_fraction=0"):
        split_trajectories(1, 0.2, 0)


def test_split_is_seeded_and_disjoint():
    a, b = split_trajectories(10, 0.3, seed=4)
    assert len(b) == 3 and not set(a) & set(b) and set(a) | set(b) == set(range(10))
    assert [list(x) for x in split_trajectories(10, 0.3, seed=4)] == [list(a), list(b)]


# -- evaluation -----------------------------------------------------------------------------------
def test_evaluation_of_the_last_frame_baseline(data, tmp_path):
    from dynlearn.fields import metrics

    spec = FieldSpec.from_fields(data, history=1)
    model = LastFrame(spec)
    v = data.values.astype(float)
    # one step: frame t-1 predicts frame t, over every t >= 1
    want = metrics.relative_l2(v[:, :-1], v[:, 1:])
    assert one_step_error(model, data) == pytest.approx(want, rel=1e-6)
    pred, true = rollout(model, data, steps=5, start=2)
    assert np.allclose(pred, np.repeat(v[:, 2:3], 5, axis=1)) and np.array_equal(true, v[:, 3:8])
    curve = error_curve(model, data, steps=5, start=2)
    assert curve.shape == (5,) and np.allclose(curve, metrics.rollout_error(pred, true))
    out = evaluate(model, data, steps=(1, 4), metrics_=("relative_l2", "nmse"))
    assert out["nmse_4"] == pytest.approx(float(np.mean(out["curve_nmse"][:4])))
    with pytest.raises(ValidationError, match="needs 14 frames"):
        rollout(model, data, steps=13)
    png = plot_rollout(true, pred, tmp_path / "r.png", frames=3, title="last frame", dt=0.1)
    assert png.stat().st_size > 1000
    assert plot_curves({"last": np.stack([curve, curve])}, tmp_path / "c.png").stat().st_size > 1000


def test_masks_and_parameters_reach_the_model(data):
    import dataclasses

    masks = np.zeros((len(data), 12, 12), bool)
    masks[:, :2, :2] = True
    masks[0, 5, 5] = True  # one obstacle per trajectory
    values = np.where(masks[:, None, None], 0.0, data.values).astype(np.float32)
    masked = dataclasses.replace(data, values=values, mask=masks)
    spec = FieldSpec.from_fields(masked, history=1)
    assert spec.mask and spec.in_channels == 2
    model = TinyConv(spec, seed=0)
    RolloutTrainer(epochs=1, batch_size=4, val_fraction=0.34, val_steps=2).fit(model, masked)
    pred, _ = rollout(model, masked, steps=2)
    assert np.all(pred[0, :, :, 5, 5] == 0) and np.all(pred[:, :, :, :2, :2] == 0)  # solid cells stay solid
    with pytest.raises(ValidationError, match="has no parameter 'Re'"):
        RolloutTrainer(epochs=1).fit(TinyConv(spec), masked, params=("Re",))
