"""Conformance of track C's field models: every name in ``dynlearn.fields.models.FIELD_MODELS``.

Checks, one test each: output shapes (one step and a rollout, 1-D and 2-D where supported, with
parameters and masks), determinism with a seed, save/load through JSON + safetensors (never pickle)
giving the same outputs, one optimiser step on a batch lowering the loss (models with trainable
parameters), and bad input refused before any work.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from dynlearn.errors import ValidationError  # noqa: E402
from dynlearn.fields.models import FIELD_MODELS, FieldSpec, build_field_model, load_field_model  # noqa: E402

NAMES = FIELD_MODELS.names()
SPECS = {
    "2d": FieldSpec(channels=2, space=(16, 16), history=2, n_params=1, periodic=(True, True)),
    "2d-mask": FieldSpec(channels=2, space=(16, 16), history=1, n_params=2, periodic=(False, False), mask=True),
    "1d": FieldSpec(channels=1, space=(32,), history=2, n_params=0),
}


def _model(name, spec_key, seed=0):
    cls = FIELD_MODELS.get(name)
    spec = SPECS[spec_key]
    if len(spec.space) not in cls.dims:
        pytest.skip(f"{name} does not support {len(spec.space)}-D fields")
    return build_field_model(name, spec, seed=seed, **cls.conformance_config())


def _batch(spec, b=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(b, spec.history, spec.channels, *spec.space, generator=g)
    p = torch.rand(b, spec.n_params, generator=g) if spec.n_params else None
    m = None
    if spec.mask:
        m = torch.zeros(b, *spec.space, dtype=torch.bool)
        m[:, 5:8, 5:8] = True
    return h, p, m


@pytest.mark.parametrize("spec_key", list(SPECS))
@pytest.mark.parametrize("name", NAMES)
def test_shapes(name, spec_key):
    model = _model(name, spec_key)
    spec = model.spec
    h, p, m = _batch(spec)
    out = model(h, p, m)
    assert out.shape == (3, spec.channels, *spec.space) and torch.isfinite(out).all()
    roll = model.rollout(h, p, m, steps=3)
    assert roll.shape == (3, 3, spec.channels, *spec.space)
    if m is not None:
        assert (out[:, :, 5:8, 5:8] == 0).all(), "solid cells must be zero"


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_numbers(name):
    a, b = _model(name, "2d", seed=3), _model(name, "2d", seed=3)
    h, p, m = _batch(a.spec)
    assert torch.equal(a(h, p, m), b(h, p, m))


@pytest.mark.parametrize("name", NAMES)
def test_save_load_same_outputs(name, tmp_path):
    model = _model(name, "2d-mask")
    model.set_normalization([0.5, -1.0], [2.0, 3.0], [0.1, 0.2], [1.5, 0.5])
    h, p, m = _batch(model.spec)
    model.eval()
    path = model.save(tmp_path / name)
    assert not list(path.glob("*.pkl")) and not list(path.glob("*.pt"))
    loaded = load_field_model(path)
    assert type(loaded) is type(model) and loaded.spec == model.spec
    assert torch.allclose(loaded(h, p, m), model(h, p, m), atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_one_step_lowers_the_loss(name):
    model = _model(name, "2d")
    params = [q for q in model.parameters() if q.requires_grad]
    if not params:
        pytest.skip(f"{name} has no trainable parameters")
    h, p, m = _batch(model.spec, b=4)
    target = h[:, -1] * 0.5 + 0.1
    opt = torch.optim.Adam(params, lr=1e-3)
    losses = []
    for _ in range(2):
        opt.zero_grad()
        loss = torch.mean((model(h, p, m) - target) ** 2)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        final = float(torch.mean((model(h, p, m) - target) ** 2))
    assert final < losses[0]


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_refused(name):
    model = _model(name, "2d")
    spec = model.spec
    h, p, m = _batch(spec)
    with pytest.raises(ValidationError, match="history must have shape"):
        model(h[:, :1], p)
    with pytest.raises(ValidationError, match="parameters"):
        model(h, None)
    with pytest.raises(ValidationError, match="steps"):
        model.rollout(h, p, steps=0)
