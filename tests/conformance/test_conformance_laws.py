"""Conformance of the constitutive laws: every name in ``dynlearn.particles.materials.LAWS``.

Checks, one test each: batched shapes ``(..., 2, 2)`` of ``stress`` and ``project``; finite values on a
spread of deformation gradients (``det F > 0``, stretches 0.7..1.4 at any rotation); frame indifference
``P(Q F) = Q P(F)`` and ``project(Q F) = Q project(F)`` for random rotations ``Q`` (``mlp_stress``, the
non-invariant baseline, is exempt: see ``NOT_FRAME_INDIFFERENT``); determinism; ``config()`` rebuilds the
law. Neural laws (those with trainable parameters): save/load round trip with identical outputs and one
optimiser step on a stress-regression loss lowering it. Analytic laws' physics: zero stress at ``F = I``
and, for laws with Young's modulus ``E`` and Poisson's ratio ``nu``, the small-strain limit is linear
elasticity ``P = 2 mu eps + lambda tr(eps) I``.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

import dynlearn.particles.nclaw  # noqa: E402, F401  (registers the neural laws)
from dynlearn.errors import ValidationError  # noqa: E402
from dynlearn.particles.materials import LAWS, lame  # noqa: E402
from dynlearn.particles.nclaw import load_law, save_law  # noqa: E402

NAMES = LAWS.names()
#: laws that are deliberately not frame-indifferent: the plain-MLP baseline the invariant NCLaw is measured against
NOT_FRAME_INDIFFERENT = {"mlp_stress"}
#: laws whose stress at rest is not zero by construction (the baseline's biases are free parameters)
NOT_ZERO_AT_REST = {"mlp_stress"}


def _law(name, seed=0):
    cls = LAWS.get(name)
    config = cls.conformance_config() if hasattr(cls, "conformance_config") else {}
    if "seed" in _init_args(cls):
        config = {**config, "seed": seed}
    return cls(**config)


def _init_args(cls):
    import inspect

    return inspect.signature(cls.__init__).parameters


def _trainable(law) -> bool:
    return any(p.requires_grad for p in law.parameters())


def _rotation(theta):
    c, s = math.cos(theta), math.sin(theta)
    return torch.tensor([[c, -s], [s, c]])


def _spread(n=64, seed=0, lo=0.7, hi=1.4):
    """``F = R(a) diag(s1, s2) R(b)``: random rotations, stretches in [lo, hi] (so det F > 0)."""
    g = torch.Generator().manual_seed(seed)
    a, b = torch.rand(n, generator=g) * 2 * math.pi, torch.rand(n, generator=g) * 2 * math.pi
    s = lo + (hi - lo) * torch.rand(n, 2, generator=g)
    ra = torch.stack([_rotation(float(t)) for t in a])
    rb = torch.stack([_rotation(float(t)) for t in b])
    return ra @ torch.diag_embed(s) @ rb


def _close(a, b, rel=1e-4):
    scale = max(float(b.abs().max()), 1e-12)
    return float((a - b).abs().max()) <= rel * scale


@pytest.mark.parametrize("name", NAMES)
def test_shapes_batched(name):
    law = _law(name)
    F = _spread(12).reshape(3, 4, 2, 2)
    P = law.stress(F)
    assert P.shape == (3, 4, 2, 2)
    assert law.project(F).shape == (3, 4, 2, 2)
    assert law.stress(F[0, 0]).shape == (2, 2)


@pytest.mark.parametrize("name", NAMES)
def test_finite_on_a_spread_of_F(name):
    law = _law(name)
    F = _spread(256, seed=3)
    assert torch.isfinite(law.stress(F)).all()
    Fp = law.project(F)
    assert torch.isfinite(Fp).all()
    det = Fp[..., 0, 0] * Fp[..., 1, 1] - Fp[..., 0, 1] * Fp[..., 1, 0]
    assert (det > 0).all(), "the return mapping must keep det F > 0"


@pytest.mark.parametrize("name", NAMES)
def test_frame_indifference(name):
    if name in NOT_FRAME_INDIFFERENT:
        pytest.skip(f"{name} is the non-invariant baseline: exempt by design")
    law = _law(name)
    F = _spread(64, seed=5)
    g = torch.Generator().manual_seed(7)
    for theta in (torch.rand(3, generator=g) * 2 * math.pi).tolist():
        Q = _rotation(theta)
        with torch.no_grad():
            assert _close(law.stress(Q @ F), Q @ law.stress(F)), f"P(QF) != Q P(F) at theta={theta:.3f}"
            assert _close(law.project(Q @ F), Q @ law.project(F)), f"project(QF) != Q project(F) at {theta:.3f}"


def test_the_baseline_is_not_frame_indifferent():
    """The exemption is real: the plain MLP does not rotate with the body (else the comparison is void)."""
    law = _law("mlp_stress")
    with torch.no_grad():
        for p in law.parameters():  # any generic weights; its zero-initialised biases are not the point
            p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
        F, Q = _spread(32, seed=9), _rotation(1.0)
        assert not _close(law.stress(Q @ F), Q @ law.stress(F), rel=1e-2)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic(name):
    F = _spread(32, seed=11)
    a, b = _law(name, seed=0), _law(name, seed=0)
    with torch.no_grad():
        assert torch.equal(a.stress(F), b.stress(F)) and torch.equal(a.stress(F), a.stress(F))
        assert torch.equal(a.project(F), b.project(F))


@pytest.mark.parametrize("name", NAMES)
def test_config_rebuilds(name):
    law = _law(name)
    again = type(law)(**law.config())
    F = _spread(16, seed=13)
    with torch.no_grad():
        assert torch.equal(law.stress(F), again.stress(F))


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name, tmp_path):
    law = _law(name, seed=4)
    with torch.no_grad():  # not the initial weights: a trained law must survive the trip
        for p in law.parameters():
            p.add_(0.01)
    save_law(law, tmp_path / "law")
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob("*.pt"))
    back = load_law(tmp_path / "law")
    assert type(back) is type(law)
    F = _spread(16, seed=17)
    with torch.no_grad():
        assert torch.equal(back.stress(F), law.stress(F)) and torch.equal(back.project(F), law.project(F))


@pytest.mark.parametrize("name", NAMES)
def test_one_step_lowers_stress_regression(name):
    law = _law(name, seed=2)
    if not _trainable(law):
        pytest.skip(f"{name} has no trainable parameters")
    F = _spread(128, seed=19, lo=0.85, hi=1.2)
    mu, lam = lame(2e3, 0.3)  # a target material with the scale the conformance config expects (stress ~1e2..1e3)
    from dynlearn.particles.nclaw import fixed_corotated_stress

    target = fixed_corotated_stress(F, mu, lam)

    def loss():
        return ((law.stress(F) - target) ** 2).mean() / (target**2).mean()

    opt = torch.optim.Adam(law.parameters(), lr=1e-3)
    before = loss()
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        assert float(loss()) < float(before)


@pytest.mark.parametrize("name", NAMES)
def test_zero_stress_at_rest(name):
    if name in NOT_ZERO_AT_REST:
        pytest.skip(f"{name}: its biases are free, no stress-free rest state is built in")
    law = _law(name)
    with torch.no_grad():
        P = law.stress(torch.eye(2).expand(3, 2, 2))
    assert float(P.abs().max()) < 1e-6 * max(1.0, *[abs(float(v)) for v in law.config().values() if _num(v)])


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@pytest.mark.parametrize("name", NAMES)
def test_small_strain_limit_is_linear_elasticity(name):
    law = _law(name)
    cfg = law.config()
    if _trainable(law) or not {"E", "nu"} <= set(cfg):
        pytest.skip(f"{name} has no (E, nu) to compare with")
    mu, lam = lame(float(cfg["E"]), float(cfg["nu"]))
    g = torch.Generator().manual_seed(23)
    eps = 1e-4
    H = torch.randn(8, 2, 2, generator=g, dtype=torch.float64)
    H = eps * 0.5 * (H + H.transpose(-1, -2))  # a small symmetric strain (no rotation)
    F = torch.eye(2, dtype=torch.float64) + H
    with torch.no_grad():
        P = law.stress(F).to(torch.float64)
    tr = H[..., 0, 0] + H[..., 1, 1]
    linear = 2 * mu * H + lam * tr[..., None, None] * torch.eye(2, dtype=torch.float64)
    err = float((P - linear).abs().max() / linear.abs().max())
    assert err < 1e-2, f"{name}: relative deviation {err:.2e} from linear elasticity at strain {eps}"


def test_bad_input_refused():
    for name in ("nclaw", "mlp_stress"):
        law = _law(name)
        with pytest.raises(ValidationError, match=r"\(\.\.\., 2, 2\)"):
            law.stress(torch.ones(4, 3, 3))
    with pytest.raises(ValidationError, match="no field .widht.; did you mean .width."):
        LAWS.get("nclaw")(widht=3)
    with pytest.raises(ValidationError, match="prior"):
        LAWS.get("nclaw")(prior="neo")
