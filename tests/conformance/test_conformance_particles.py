"""Conformance of track C's particle models: every name in ``dynlearn.particles.models.PARTICLE_MODELS``.

Checks, one test each: output shapes (one step and a rollout, with and without parameters, in 2-D
and 3-D), determinism with a seed, save/load through JSON + safetensors (never pickle) giving the
same outputs, one optimiser step lowering the one-step loss (models with trainable parameters; the
constant-velocity baseline has none), and bad input (wrong shapes, unknown kinds, missing
parameters, zero rollout steps) refused with a ValidationError before any work.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from dynlearn.errors import ValidationError  # noqa: E402
from dynlearn.particles.models import (  # noqa: E402
    PARTICLE_MODELS,
    ParticleSpec,
    build_particle_model,
    load_particle_model,
)

NAMES = PARTICLE_MODELS.names()
SPECS = {
    "2d": ParticleSpec(dim=2, domain=((0.0, 0.0), (1.0, 1.0)), history=2, n_kinds=2, n_params=1),
    "2d-noparams": ParticleSpec(dim=2, domain=((0.0, 0.0), (1.0, 2.0)), history=1, n_kinds=1, n_params=0),
    "3d": ParticleSpec(dim=3, domain=((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)), history=2, n_kinds=1, n_params=2),
}


def _model(name, spec_key="2d", seed=0):
    cls = PARTICLE_MODELS.get(name)
    return build_particle_model(name, SPECS[spec_key], seed=seed, **cls.conformance_config())


def _batch(spec, b=2, p=48, seed=1):
    """A window of particles drifting inside the box, kinds and parameters."""
    g = torch.Generator().manual_seed(seed)
    x0 = 0.15 + 0.7 * torch.rand(b, 1, p, spec.dim, generator=g)
    v = 0.01 * torch.randn(b, 1, p, spec.dim, generator=g)
    t = torch.arange(spec.window, dtype=torch.float32).view(1, -1, 1, 1)
    window = x0 + v * t + 0.002 * t**2
    kind = torch.randint(0, spec.n_kinds, (b, p), generator=g)
    params = torch.rand(b, spec.n_params, generator=g) if spec.n_params else None
    return window, kind, params


@pytest.mark.parametrize("spec_key", list(SPECS))
@pytest.mark.parametrize("name", NAMES)
def test_shapes(name, spec_key):
    model = _model(name, spec_key)
    spec = model.spec
    window, kind, params = _batch(spec)
    out = model(window, kind, params)
    assert out.shape == (2, 48, spec.dim) and torch.isfinite(out).all()
    roll = model.rollout(window, kind, params, steps=3)
    assert roll.shape == (2, 3, 48, spec.dim) and torch.isfinite(roll).all()
    lo, hi = (torch.tensor(b) for b in spec.domain)
    assert (roll >= lo).all() and (roll <= hi).all(), "predictions stay inside the domain"


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_numbers(name):
    a, b = _model(name, seed=3), _model(name, seed=3)
    window, kind, params = _batch(a.spec)
    assert torch.equal(a(window, kind, params), b(window, kind, params))


@pytest.mark.parametrize("name", NAMES)
def test_save_load_same_outputs(name, tmp_path):
    model = _model(name)
    model.set_normalization([0.001, -0.002], [0.01, 0.02], [0.0, -0.001], [0.002, 0.003], [0.5], [0.2])
    window, kind, params = _batch(model.spec)
    model.eval()
    path = model.save(tmp_path / name)
    assert not list(path.glob("*.pkl")) and not list(path.glob("*.pt"))
    loaded = load_particle_model(path)
    assert type(loaded) is type(model) and loaded.spec == model.spec
    assert torch.allclose(loaded(window, kind, params), model(window, kind, params), atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_one_step_lowers_the_loss(name):
    model = _model(name)
    trainable = [q for q in model.parameters() if q.requires_grad]
    if not trainable:
        assert name == "constant_velocity", f"{name} has no trainable parameters"
        pytest.skip(f"{name} has no trainable parameters")
    window, kind, params = _batch(model.spec, seed=4)
    target = torch.randn(window.shape[0], window.shape[2], window.shape[3], generator=torch.Generator().manual_seed(5))
    opt = torch.optim.Adam(trainable, lr=1e-3)
    losses = []
    for _ in range(2):
        opt.zero_grad()
        loss = torch.mean((model.acceleration(window, kind, params) - target) ** 2)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        final = float(torch.mean((model.acceleration(window, kind, params) - target) ** 2))
    assert final < losses[0]


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_refused(name):
    model = _model(name)
    spec = model.spec
    window, kind, params = _batch(spec)
    with pytest.raises(ValidationError, match="window must have shape"):
        model(window[:, 1:], kind, params)
    with pytest.raises(ValidationError, match="window must have shape"):
        model(window[..., :1], kind, params)
    with pytest.raises(ValidationError, match="kind must have shape"):
        model(window, kind[:, 1:], params)
    with pytest.raises(ValidationError, match="particle kinds"):
        model(window, torch.full_like(kind, spec.n_kinds), params)
    with pytest.raises(ValidationError, match="parameters"):
        model(window, kind, None)
    with pytest.raises(ValidationError, match="steps"):
        model.rollout(window, kind, params, steps=0)


@pytest.mark.parametrize("name", NAMES)
def test_rollout_starts_with_one_step(name):
    """A rollout's first frame is the model's step from the window (later frames may use state a
    model keeps through its rollout, e.g. GIOROM's sparse nodes)."""
    model = _model(name).eval()
    window, kind, params = _batch(model.spec)
    with torch.no_grad():
        roll = model.rollout(window, kind, params, steps=2)
        first = model(window, kind, params)
    assert torch.allclose(roll[:, 0], first, atol=1e-6)
