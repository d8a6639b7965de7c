"""Cross-checks against an independent implementation: the dysts package.

For every catalog system that dysts also has (same name, or
``extra["dysts_name"]``), the right-hand sides agree at random states near
the attractor to 1e-9 relative, with dysts given our parameter values
(``extra["dysts_params"]`` maps our names to dysts's where they differ).

Declaring a system so that this test understands it:

* ``extra["dysts_skip"] = "reason"`` — no comparison (the test is skipped with the reason);
* ``extra["dysts_time_phase"] = "w"`` — our system reads ``t`` explicitly, while
  dysts appends one phase variable ``z = w t`` to the state (``w`` a parameter);
  or a function ``phase(params, t) -> z`` for other phase laws;
* ``extra["dysts_params"] = {"a": None}`` — our parameter ``a`` does not exist in
  dysts (e.g. a published constant we expose): it is not passed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dynlearn import systems
from dynlearn.systems.metadata import load_invariants

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    dysts_flows = pytest.importorskip("dysts.flows")
    dysts_maps = pytest.importorskip("dysts.maps")


def _pairs():
    out = []
    for name, s in systems.SYSTEMS.items():
        dname = s.extra.get("dysts_name", name)
        module = dysts_maps if s.kind == "map" else dysts_flows
        if hasattr(module, dname):
            out.append(pytest.param(name, id=name))
    return out


PAIRS = _pairs()


def _dysts_system(s):
    module = dysts_maps if s.kind == "map" else dysts_flows
    cls = getattr(module, s.extra.get("dysts_name", s.name))
    names = dict(s.extra.get("dysts_params", {}))
    params = {names.get(k, k): v for k, v in s.params.items() if names.get(k, k) is not None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(parameters=params) if params else cls()


def _states(s, n=16, seed=0):
    rng = np.random.default_rng(seed)
    base = np.asarray(s.x0, dtype=float)
    return base + 0.1 * np.maximum(np.abs(base), 1.0) * rng.standard_normal((n, s.dim))


def test_there_is_something_to_compare():
    assert len(PAIRS) >= 4


@pytest.mark.parametrize("name", PAIRS)
def test_rhs_agrees_with_dysts(name):
    s = systems.get(name)
    if "dysts_skip" in s.extra:
        pytest.skip(s.extra["dysts_skip"])
    d = _dysts_system(s)
    X = _states(s)
    t = 0.37
    if s.kind == "delay":
        Xd = _states(s, seed=1)
        ours = s(X, t, x_delayed=Xd)
        theirs = np.stack([np.atleast_1d(d._rhs(*X[i], *Xd[i], t, *d.param_list)) for i in range(len(X))])
    elif s.kind == "map":
        ours = s(X, t)
        theirs = np.stack([np.asarray(d._rhs(*X[i], *d.param_list), dtype=float).reshape(-1) for i in range(len(X))])
    else:
        phase = s.extra.get("dysts_time_phase")
        z = phase(s.params, t) if callable(phase) else (s.params[phase] * t if phase else None)
        Xin = np.column_stack([X, np.full(len(X), z)]) if phase else X
        theirs = np.stack([np.hstack(d.rhs(Xin[i], t)).astype(float) for i in range(len(X))])
        if phase:
            theirs = theirs[:, : s.dim]
        ours = s(X, t)
    scale = np.maximum(np.abs(ours), np.abs(theirs)).max(axis=1, keepdims=True) + 1e-12
    np.testing.assert_array_less(np.abs(ours - theirs) / scale, 1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("name", PAIRS)
def test_trajectories_stay_together_for_one_lyapunov_time(name):
    """Our batched Dormand-Prince integration and scipy's DOP853 applied to
    dysts's right-hand side, both at tight tolerances from the same initial
    condition, agree for one Lyapunov time (to 1% of the attractor's scale; most agree to
    1e-8, but finite-time expansion on some attractors amplifies 1e-12 local errors far
    beyond the average rate). The Lyapunov time is that of the record's fastest trajectory."""
    from scipy.integrate import solve_ivp

    s = systems.get(name)
    if "dysts_skip" in s.extra or s.kind != "flow" or s.extra.get("dysts_time_phase"):
        pytest.skip("compared for autonomous flows only")
    if "dysts_trajectory_skip" in s.extra:
        pytest.skip(s.extra["dysts_trajectory_skip"])
    d = _dysts_system(s)
    # one Lyapunov time of the fastest of the record's trajectories: where attractors coexist (LiuChen:
    # per-trajectory exponents 0.0007 to 0.105 around a mean of 0.034) the mean would stretch the
    # horizon three-fold on the fast one; non-chaotic systems: one period
    record = load_invariants().get(name, {})
    lam = max([s.max_lyapunov or 0.0, *record.get("settings", {}).get("lyapunov_max_per_trajectory", [])])
    horizon = min(1 / lam if (s.lyapunov_time and lam > 0) else s.period, 20 * s.period)
    (traj,) = systems.simulate(s, n_points=200, dt=s.period / 100, seed=0)  # a point on the attractor
    x0 = traj.states[-1]
    n = 51
    dt = horizon / (n - 1)
    ours = systems.integrate(s, x0, n_points=n, dt=dt, method="dopri5", rtol=1e-11, atol=1e-12)[0]

    def f(t, x):
        return np.hstack(d.rhs(x, t)).astype(float)

    ref = solve_ivp(f, (0, horizon), x0, method="DOP853", rtol=1e-12, atol=1e-12, t_eval=np.linspace(0, horizon, n))
    assert ref.success, ref.message
    scale = np.maximum(traj.states.std(axis=0), 1e-3)
    err = np.abs(ours - ref.y.T) / scale
    assert err.max() < 1e-2, f"max scaled deviation {err.max():.2e} within one Lyapunov time ({horizon:.3g})"
