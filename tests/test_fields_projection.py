"""The projection-method Navier-Stokes solver (dynlearn.fields.projection) against published and exact
solutions, its discrete invariants, its datasets and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.fields import Fields, simulate
from dynlearn.fields import projection as P
from dynlearn.fields.generate import cache_path, resolve

# Ghia, U., Ghia, K. N. & Shin, C. T. (1982). High-Re solutions for incompressible flow using the
# Navier-Stokes equations and a multigrid method. J. Comput. Phys. 48, 387-411.
# Table I: u along the vertical centre line x = 0.5; Table II: v along the horizontal centre line y = 0.5.
GHIA_Y = [1.0, 0.9766, 0.9688, 0.9609, 0.9531, 0.8516, 0.7344, 0.6172, 0.5, 0.4531, 0.2813, 0.1719, 0.1016,
          0.0703, 0.0625, 0.0547, 0.0]  # fmt: skip
GHIA_U = {
    100: [1.0, 0.84123, 0.78871, 0.73722, 0.68717, 0.23151, 0.00332, -0.13641, -0.20581, -0.21090, -0.15662,
          -0.10150, -0.06434, -0.04775, -0.04192, -0.03717, 0.0],
    1000: [1.0, 0.65928, 0.57492, 0.51117, 0.46604, 0.33304, 0.18719, 0.05702, -0.06080, -0.10648, -0.27805,
           -0.38289, -0.29730, -0.22220, -0.20196, -0.18109, 0.0],
}  # fmt: skip
GHIA_X = [1.0, 0.9688, 0.9609, 0.9531, 0.9453, 0.9063, 0.8594, 0.8047, 0.5, 0.2344, 0.2266, 0.1563, 0.0938,
          0.0781, 0.0703, 0.0625, 0.0]  # fmt: skip
GHIA_V = {
    100: [0.0, -0.05906, -0.07391, -0.08864, -0.10313, -0.16914, -0.22445, -0.24533, 0.05454, 0.17527, 0.17507,
          0.16077, 0.12317, 0.10890, 0.10091, 0.09233, 0.0],
    1000: [0.0, -0.21388, -0.27669, -0.33714, -0.39188, -0.51550, -0.42665, -0.31966, 0.02526, 0.32235, 0.33075,
           0.37095, 0.32627, 0.30353, 0.29012, 0.27485, 0.0],
}  # fmt: skip


def ghia_errors(n: int, re: int, t_end: float, advection: str = "central") -> tuple[float, float]:
    """Max abs error of the centre-line u(y) and v(x) against Ghia et al. after ``t_end`` from rest."""
    s = P.ProjectionSolver(n, n, nu=1.0 / re, lid_velocity=1.0, advection=advection)
    state = s.initial_state()
    dt = 0.9 * s.max_stable_dt(*state)
    steps = int(np.ceil(t_end / dt))
    _, _, (u, v) = s.run(dt, steps, steps, state=state)
    y = np.concatenate([[0.0], (np.arange(n) + 0.5) / n, [1.0]])
    u_line = np.concatenate([[0.0], u[0, n // 2], [1.0]])  # the u faces at x = 0.5 (n even), walls added
    v_line = np.concatenate([[0.0], v[0, :, n // 2], [0.0]])
    eu = np.abs(np.interp(GHIA_Y, y, u_line) - GHIA_U[re]).max()
    ev = np.abs(np.interp(GHIA_X, y, v_line) - GHIA_V[re]).max()
    return float(eu), float(ev)


@pytest.mark.slow
@pytest.mark.parametrize(
    "n, re, t_end, tol",
    [
        (32, 100, 10.0, 0.015),  # measured 0.0032 (u), 0.0074 (v)
        (64, 100, 15.0, 0.01),  # measured 0.0037, 0.0085 (at t = 10: 0.0030, 0.0076)
        (64, 1000, 60.0, 0.03),  # measured 0.018, 0.020
        (128, 1000, 60.0, 0.02),  # measured 0.0030, 0.012 (55 CPU s)
    ],
)
def test_cavity_centre_lines_match_ghia(n, re, t_end, tol):
    eu, ev = ghia_errors(n, re, t_end)
    assert eu <= tol and ev <= tol, (eu, ev)


@pytest.mark.parametrize("advection", ["central", "quick"])
def test_a_coarse_cavity_is_close_to_ghia_with_either_advection(advection):
    # 16 x 16 cells, t = 8: measured 0.020 / 0.017 (central) and 0.020 / 0.016 (QUICK, the obstacle's default)
    eu, ev = ghia_errors(16, 100, 8.0, advection=advection)
    assert eu <= 0.03 and ev <= 0.03, (eu, ev)


def test_the_velocity_is_third_order_in_time():
    # the cavity from rest to t = 0.5 on 16 x 16: errors against dt = 0.0025 of 7.8e-6 and 9.1e-7 at
    # dt = 0.02 and 0.01 (order 3.1); at 32 x 32 to t = 1: orders 3.06 and 3.05
    def run(dt):
        s = P.ProjectionSolver(16, 16, nu=0.01, lid_velocity=1.0)
        n = round(0.5 / dt)
        return s.run(dt, n, n)[2]

    ref = run(0.0025)
    errs = [max(np.abs(a - b).max() for a, b in zip(run(dt), ref)) for dt in (0.02, 0.01)]
    assert np.log2(errs[0] / errs[1]) > 2.7, errs


def test_single_precision_follows_double_precision():
    runs = {}
    for dtype in ("float64", "float32"):
        s = P.ProjectionSolver(24, 24, nu=0.01, lid_velocity=1.0, dtype=dtype)
        _, frames, (u, v) = s.run(0.01, 100, 50)
        assert u.dtype == v.dtype == frames.dtype == np.dtype(dtype)
        runs[dtype] = (frames, np.abs(s.divergence(u, v)).max())
    assert np.abs(runs["float32"][0] - runs["float64"][0])[:, :, :2].max() < 1e-4
    assert runs["float32"][1] < 1e-4 and runs["float64"][1] < 1e-12


def test_projection_leaves_the_divergence_at_round_off():
    solid = P.obstacle_mask(48, 16, 3.0, 1.0, shape="circle", centre=(0.8, 0.5), size=0.35)
    for s in (
        P.ProjectionSolver(24, 16, [1.0, 2.0], [1.0, 0.5], nu=0.01, batch=2, lid_velocity=[1.0, -2.0]),
        P.ProjectionSolver(48, 16, 3.0, 1.0, nu=0.02, inflow_velocity=1.0, solid=solid),
        P.ProjectionSolver(48, 16, 3.0, 1.0, nu=0.02, inflow_velocity=1.0, outflow="convective", profile="uniform"),
    ):
        rng = np.random.default_rng(0)
        u = rng.standard_normal((s.B, s.nx + 1, s.ny))
        v = rng.standard_normal((s.B, s.nx, s.ny + 1))
        s.project(u, v)
        assert np.abs(s.divergence(u, v)).max() < 1e-10
        u, v = s.initial_state()
        for _ in range(5):
            u, v = s.step(u, v, 0.5 * s.max_stable_dt(u, v))
        assert np.abs(s.divergence(u, v)).max() < 1e-10


def test_the_cosine_transform_and_the_sparse_factorisation_solve_the_same_poisson_problem():
    nx, ny, hx, hy = 12, 9, 0.1, 0.2
    rhs = np.random.default_rng(1).standard_normal((3, nx, ny))
    rhs -= rhs.mean(axis=(1, 2), keepdims=True)  # compatible with the Neumann problem
    a = P._DCTPoisson(nx, ny, np.full((3, 1, 1), hx), np.full((3, 1, 1), hy)).solve(rhs)
    b = P._SparsePoisson(nx, ny, hx, hy, np.zeros((nx, ny), bool)).solve(rhs)
    # both are solutions up to the free constant
    a -= a.mean(axis=(1, 2), keepdims=True)
    b -= b.mean(axis=(1, 2), keepdims=True)
    assert np.abs(a - b).max() < 1e-10


def test_members_with_different_boxes_and_parameters_match_their_single_runs():
    kw = {"lx": [1.0, 2.0], "ly": [1.0, 0.5], "nu": [0.01, 0.02], "lid_velocity": [1.0, 0.5]}
    batch = P.ProjectionSolver(16, 16, batch=2, **kw).run(0.01, 20, 10)[1]
    for i in range(2):
        one = P.ProjectionSolver(16, 16, **{k: w[i] for k, w in kw.items()}).run(0.01, 20, 10)[1]
        assert np.abs(batch[i] - one[0]).max() < 1e-12


def test_channel_flow_develops_the_poiseuille_profile():
    # uniform inflow at Re = U H / nu = 20; after t = 10 (2.5 flow-through times) the profile at x = 3.5 H
    # is the parabola 6 U y (H - y) / H^2 to the grid's accuracy
    s = P.ProjectionSolver(48, 12, 4.0, 1.0, nu=0.05, inflow_velocity=1.0, profile="uniform")
    state = s.initial_state()
    dt = 0.9 * s.max_stable_dt(*state)
    _, _, (u, v) = s.run(dt, int(10 / dt), 1000, state=state)
    y = (np.arange(12) + 0.5) / 12
    exact = 6 * y * (1 - y)
    err = np.abs(u[0, 42] - exact).max() / 1.5
    assert err < 0.02, err
    # the flux through every vertical line is the inflow's
    assert np.allclose(u[0].mean(axis=1), 1.0, atol=1e-12)


def test_a_parabolic_inflow_stays_parabolic():
    s = P.ProjectionSolver(32, 16, 2.0, 1.0, nu=0.1, inflow_velocity=2.0, profile="parabolic", outflow="convective")
    u0, v0 = s.initial_state()
    dt = 0.9 * s.max_stable_dt(u0, v0)
    _, _, (u, v) = s.run(dt, int(1 / dt), 1000, state=(u0, v0))
    # the wall's ghost rule is second order, so the discrete steady profile differs from the parabola's
    # cell averages by O(h^2): measured 0.43% of the peak at h = 1/16
    assert np.abs(u - u0).max() < 0.01 * 3 and np.abs(v).max() < 0.01 * 3


def test_the_obstacle_dataset_keeps_fluid_out_of_the_solid(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    kw = {"nx": 47, "ny": 15, "length": 3.0, "save_nx": 48, "save_ny": 16, "steps": 30, "save_every": 10,
          "dt": 0.01, "size": 0.4, "shape": "square", "obstacle_y": 0.5, "inflow_velocity": [1.0, 0.5]}  # fmt: skip
    f = simulate("obstacle", **kw)
    assert f.values.shape == (2, 4, 3, 48, 16) and f.mask is not None and f.mask.sum() > 4
    assert np.abs(f.values[:, :, :, f.mask]).max() == 0.0
    assert np.allclose(f.params["re"], np.array([1.0, 0.5]) * 0.4 / 0.0025)
    # no-slip walls: the velocity on the channel's walls is zero
    assert np.abs(f.values[:, 1:, :2, :, [0, -1]]).max() < 1e-6


def test_cavity_dataset_is_batched_over_the_three_split_axes_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    kw = {"n": 15, "save_n": 16, "steps": 20, "save_every": 10, "dt": 0.005,
          "lid_velocity": [1.0, 2.0, 1.0], "nu": [0.01, 0.01, 0.02], "width": [1.0, 1.0, 2.0]}  # fmt: skip
    f = simulate("cavity", **kw)
    assert f.values.shape == (3, 3, 3, 16, 16) and f.channels == ("u", "v", "vorticity")
    assert f.grid.lengths == (1.0, 1.0) and "scaled to the unit square" in f.bc  # boxes differ
    assert np.allclose(f.params["re"], [100, 200, 100]) and np.allclose(f.params["height"], 1.0)
    # the lid: u on the top row of nodes is the lid velocity (corners excluded), 0 on the other walls
    assert np.allclose(f.values[:, -1, 0, 1:-1, -1], np.array([1.0, 2.0, 1.0])[:, None])
    assert np.abs(f.values[:, -1, :2, 1:-1, 0]).max() < 1e-6
    assert cache_path("cavity", resolve("cavity", **kw)).is_file()
    assert np.array_equal(simulate("cavity", **kw).values, f.values)
    quick = simulate("cavity", **kw, advection="quick", cache=False)
    assert 0 < np.abs(quick.values - f.values)[:, :, :2].max() < 0.05  # the setting reaches the solver
    one = simulate("cavity", n=15, save_n=16, steps=20, save_every=10, dt=0.005)
    assert one.grid.lengths == (1.0, 1.0) and len(one) == 1 and "scaled" not in one.bc


def test_cavity_settings_from_text_take_lists():
    c = resolve("cavity", lid_velocity="1,2", width="1,1.5", n="31")
    assert c["lid_velocity"] == [1.0, 2.0] and c["width"] == [1.0, 1.5] and c["n"] == 31


def test_bad_input_is_refused_with_the_fix():
    with pytest.raises(ValidationError, match=r"largest stable step is 0\.0\d+"):
        simulate("cavity", n=31, dt=0.1, steps=2, cache=False)
    with pytest.raises(ValidationError, match="too small"):
        P.ProjectionSolver(4, 16, nu=0.01)
    with pytest.raises(ValidationError, match="nu must be > 0"):
        P.ProjectionSolver(16, 16, nu=0.0)
    with pytest.raises(ValidationError, match="lid_velocity has 2 values for 3 trajectories"):
        simulate("cavity", batch=3, lid_velocity=[1.0, 2.0], cache=False)
    with pytest.raises(ValidationError, match="two cells inside"):
        P.obstacle_mask(32, 16, 2.0, 1.0, centre=(0.1, 0.5), size=0.25)
    with pytest.raises(ValidationError, match="circle' or 'square"):
        P.obstacle_mask(32, 16, 2.0, 1.0, shape="triangle")
    s = P.ProjectionSolver(16, 16, nu=0.01)
    with pytest.raises(ValidationError, match="NaN"):
        s.initial_state(np.full((17, 16), np.nan))
    ring = np.zeros((16, 16), bool)
    ring[4:12, 4:12] = True
    ring[6:10, 6:10] = False
    with pytest.raises(ValidationError, match="2 separate regions"):
        P.ProjectionSolver(16, 16, nu=0.01, solid=ring)
    with pytest.raises(ValidationError, match="share one box"):
        P.ProjectionSolver(16, 16, [1.0, 2.0], 1.0, nu=0.01, batch=2, solid=np.pad(np.ones((2, 2), bool), 7))


def test_a_run_that_leaves_the_finite_numbers_names_the_step_and_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    real_step = P.ProjectionSolver.step

    def poisoned(self, u, v, dt):
        u, v = real_step(self, u, v, dt)
        if self._calls == 6:
            u[-1, 3, 3] = np.nan
        self._calls += 1
        return u, v

    monkeypatch.setattr(P.ProjectionSolver, "_calls", 0, raising=False)
    monkeypatch.setattr(P.ProjectionSolver, "step", poisoned)
    kw = {"n": 15, "save_n": 16, "steps": 20, "save_every": 5, "lid_velocity": [1.0, 2.0]}
    with pytest.raises(DivergenceError, match=r"batch member\(s\) \[1\] left the finite numbers by step 10"):
        simulate("cavity", **kw)
    assert not cache_path("cavity", resolve("cavity", **kw)).exists()


def test_a_run_that_outgrows_its_step_is_stopped(monkeypatch):
    real_step = P.ProjectionSolver.step

    def accelerating(self, u, v, dt):  # stands in for a flow that speeds up beyond the bound checked at the start
        u, v = real_step(self, u, v, dt)
        return 1.5 * u, 1.5 * v

    monkeypatch.setattr(P.ProjectionSolver, "step", accelerating)
    s = P.ProjectionSolver(16, 16, nu=0.001, lid_velocity=1.0)
    u, v = s.initial_state()
    with pytest.raises(DivergenceError, match=r"accelerated beyond the stable step by step \d+ .* rerun with dt <="):
        s.run(0.9 * s.max_stable_dt(u, v), 20, 1)


def test_fields_file_round_trip_keeps_the_mask(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    f = simulate("obstacle", nx=31, ny=11, length=2.0, save_nx=32, save_ny=12, steps=4, save_every=2, dt=0.01,
                 size=0.4, obstacle_x=0.7, obstacle_y=0.5)  # fmt: skip
    g = Fields.load(f.save(tmp_path / "o.npz"))
    assert np.array_equal(g.mask, f.mask) and np.array_equal(g.values, f.values)


@pytest.mark.slow  # matplotlib's import and a streamline plot: about 5-10 s on a loaded machine
def test_cli_simulates_and_plots_a_masked_flow_with_streamlines(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from dynlearn.cli.main import main

    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    sets = ["nx=31", "ny=11", "length=2.0", "save_nx=32", "save_ny=12", "steps=6", "save_every=3", "dt=0.01",
            "size=0.4", "obstacle_x=0.7", "obstacle_y=0.5", "inflow_velocity=1,0.5"]  # fmt: skip
    with pytest.raises(SystemExit) as e:
        main(["fields", "simulate", "obstacle", *[x for kv in sets for x in ("--set", kv)], "-o", "o.npz"])
    assert e.value.code in (0, None)
    f = Fields.load(tmp_path / "o.npz")
    assert len(f) == 2 and f.mask is not None and np.allclose(f.params["inflow_velocity"], [1.0, 0.5])
    with pytest.raises(SystemExit) as e:
        main(["fields", "plot", "o.npz", "-o", "o.png", "--streamlines", "--trajectory", "1"])
    assert e.value.code in (0, None) and (tmp_path / "o.png").stat().st_size > 1000
