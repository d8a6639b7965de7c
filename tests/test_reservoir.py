"""NG-RC and ESN: the NG-RC paper's Lorenz-63 numbers, reservoirpy cross-check, search, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import metrics, models, systems
from dynlearn.data import Standardizer, Trajectory
from dynlearn.errors import ValidationError
from dynlearn.models._reservoir_utils import scale_to_spectral_radius, spectral_radius


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # small dense linear algebra is far slower with several BLAS threads on a busy machine
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1):
        yield


def _paper_lorenz(warmup: float, maxtime: float) -> np.ndarray:
    """Lorenz-63 exactly as in Gauthier et al.'s published code: solve_ivp RK23 (default
    tolerances) from their initial condition, sampled every 0.025."""
    from scipy.integrate import solve_ivp

    def lorenz(t, y):
        return [10 * (y[1] - y[0]), y[0] * (28 - y[2]) - y[1], y[0] * y[1] - 8 / 3 * y[2]]

    n = round(maxtime / 0.025)
    ic = [17.67715816276679, 12.931379185960404, 43.91404334248268]
    return solve_ivp(lorenz, (0, maxtime), ic, t_eval=np.linspace(0, maxtime, n + 1), method="RK23").y.T


def test_ngrc_reproduces_the_paper_lorenz_nrmse():
    # 10 trials: warm-up 5, 15, ..., 95 time units, 400 training points (10 time units), test over one
    # Lyapunov time (1.104, 44 points incl. the start), NRMSE normalised by the pooled variance
    errs = []
    for i in range(10):
        warm = 5.0 + 10 * i
        s = _paper_lorenz(warm, warm + 10 + 1.104)
        w = round(warm / 0.025)
        m = models.create("ngrc", delays=2, alpha=2.5e-6).fit(s[w - 1 : w + 400], dt=0.025)
        pred = m.predict(s[w + 398 : w + 400], 43)
        e2 = np.concatenate([np.zeros((1, 3)), (pred - s[w + 400 : w + 443]) ** 2])
        errs.append(np.sqrt(np.mean(e2) / np.var(s)))
    assert 2e-4 < np.median(errs) < 5e-3, errs


def test_ngrc_features_and_search():
    (tr,) = systems.simulate("Lorenz", n_points=1500, dt=0.025, seed=2)
    tr = Standardizer().fit_transform(tr)
    m = models.create("ngrc", delays=3, skip=2).fit(tr[:1000])
    assert m.min_context == 5 and m.W_.shape == (1 + 9 + 45, 3)
    s = models.create("ngrc", search=True, alpha=1.0).fit(tr[:1000])
    assert s.alpha_ in (1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1e-1, 1.0) and s.degree_ in (2, 3, 4)
    assert np.all(np.isfinite(s.predict(tr.states[990:1000], 10)))


def test_ngrc_search_is_stable_on_rossler_at_the_quick_suite_sampling(tmp_path):
    """Rössler at 30 points per period (step 0.2): z spikes within a few samples, and the
    quadratic NG-RC of the paper diverges from most starting points. The search tries degrees
    2-4 and refuses any candidate whose free run leaves the data's range from any window."""
    from scipy.integrate import solve_ivp

    def rossler(t, v, a=0.2, b=0.2, c=5.7):
        return [-v[1] - v[2], v[0] + a * v[1], b + v[2] * (v[0] - c)]

    dt = 0.1956  # the catalog's period / 30
    t = np.arange(3300) * dt
    s = solve_ivp(rossler, (0, t[-1]), [1.0, 1.0, 0.0], t_eval=t, method="DOP853", rtol=1e-10, atol=1e-10).y.T
    tr = Standardizer().fit_transform(Trajectory(t[300:] - t[300], s[300:]))
    train, test = tr[:2400], tr.states[2400:]
    quad = models.create("ngrc").fit(train)
    starts = np.arange(32, 500, 24)
    ctx = np.stack([test[s - 32 : s] for s in starts])
    truth = np.stack([test[s : s + 20] for s in starts])
    assert not np.all(np.isfinite(quad.predict(ctx, 200)))  # the failure this search fixes
    m = models.create("ngrc", search=True).fit(train)
    assert m.degree_ > 2
    assert np.all(np.isfinite(m.predict(ctx, 200)))
    free = m.predict(test[:32], 2000)
    assert np.all(np.abs(free) < 2 * np.abs(tr.states).max())
    assert np.sqrt(np.mean((m.predict(ctx, 20) - truth) ** 2)) < 0.2  # 20 steps: about one Lyapunov time / 4
    m.save(tmp_path / "m")
    np.testing.assert_array_equal(models.load(tmp_path / "m").predict(ctx, 50), m.predict(ctx, 50))


def test_ngrc_too_little_data_for_the_delays():
    with pytest.raises(ValidationError, match="at least 8 steps"):
        models.create("ngrc", delays=4, skip=2).fit(np.random.default_rng(0).standard_normal((6, 3)))
    with pytest.raises(ValidationError, match="search needs a validation split"):
        models.create("ngrc", search=True, val_horizon=50).fit(np.random.default_rng(0).standard_normal((100, 3)))


def test_reservoir_utils_refuse_unscalable_matrices():
    with pytest.raises(ValidationError, match="spectral radius 0"):
        scale_to_spectral_radius(np.zeros((5, 5)), 0.9)
    with pytest.raises(ValidationError, match="spectral radius 0"):
        scale_to_spectral_radius(np.triu(np.ones((4, 4)), 1), 0.9)  # nilpotent
    with pytest.raises(ValidationError, match="empty"):
        spectral_radius(np.zeros((0, 0)))
    with pytest.raises(ValidationError, match="square"):
        spectral_radius(np.zeros((2, 3)))
    W = scale_to_spectral_radius(np.random.default_rng(0).standard_normal((30, 30)), 0.7)
    assert spectral_radius(W) == pytest.approx(0.7)


def test_spectral_radius_of_sparse_random_reservoirs_is_the_largest_eigenvalue():
    # seeds on which ARPACK asked for one eigenvalue stopped up to 2% inside the edge of the spectrum
    for seed in (1, 6):
        rng = np.random.default_rng(seed)
        W = np.where(rng.random((500, 500)) < 0.1, rng.standard_normal((500, 500)), 0.0)
        assert spectral_radius(W) == pytest.approx(np.abs(np.linalg.eigvals(W)).max(), rel=1e-4)
    with pytest.raises(ValidationError, match="raise density"):
        models.create("esn", n_reservoir=3, density=0.01).fit(np.random.default_rng(0).standard_normal((100, 2)))
    with pytest.raises(ValidationError, match="n_reservoir"):
        models.create("esn", n_reservoir=0)


@pytest.fixture(scope="module")
def lorenz_std():
    (tr,) = systems.simulate("Lorenz", n_points=3000, dt=0.025, seed=1)
    return Standardizer().fit_transform(tr).states


def _vpts(predict, s, starts, ctx=50, horizon=300):
    pred = predict(np.stack([s[a - ctx : a] for a in starts]), horizon)
    return [
        metrics.valid_prediction_time(s[a : a + horizon], pred[i], dt=0.025, lyapunov_time=1 / 0.906, scale=np.ones(3))
        for i, a in enumerate(starts)
    ]


ESN_HP = dict(n_reservoir=200, spectral_radius=0.9, leak_rate=0.5, input_scaling=0.5, density=0.1, alpha=1e-6)


def test_esn_forecasts_lorenz_and_round_trips(lorenz_std, tmp_path):
    m = models.create("esn", washout=50, **ESN_HP).fit(lorenz_std[:2000], dt=0.025)
    vpt = np.median(_vpts(m.predict, lorenz_std, range(2100, 2700, 100)))
    assert vpt > 1.5
    m.save(tmp_path / "e")
    ctx = lorenz_std[1950:2000]
    np.testing.assert_array_equal(models.load(tmp_path / "e").predict(ctx, 20), m.predict(ctx, 20))


def test_esn_compiled_loops_match_numpy(lorenz_std):
    pytest.importorskip("numba")
    kw = dict(n_reservoir=120, washout=20, seed=3)
    ctx = np.stack([lorenz_std[600:650], lorenz_std[700:750]])
    a = models.create("esn", backend="numpy", dtype="float64", **kw).fit(lorenz_std[:600])
    b = models.create("esn", backend="numba", dtype="float64", **kw).fit(lorenz_std[:600])
    # the same arithmetic up to summation order
    np.testing.assert_allclose(b.Wout_, a.Wout_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b.predict(ctx, 40), a.predict(ctx, 40), atol=1e-8)
    # float32 (the default): numpy's tanh against the compiled one, both rounded to float32
    a32 = models.create("esn", backend="numpy", **kw).fit(lorenz_std[:600])
    b32 = models.create("esn", backend="numba", **kw).fit(lorenz_std[:600])
    np.testing.assert_allclose(b32.predict(ctx, 40), a32.predict(ctx, 40), atol=1e-4)
    np.testing.assert_allclose(b32.predict(ctx, 40), b.predict(ctx, 40), atol=1e-3)


def test_esn_same_seed_same_numbers_and_batched_windows(lorenz_std):
    pytest.importorskip("numba")
    kw = dict(n_reservoir=200, washout=20, seed=5)
    a = models.create("esn", **kw).fit(lorenz_std[:800])
    b = models.create("esn", **kw).fit(lorenz_std[:800])
    ctx = np.stack([lorenz_std[s : s + 50] for s in range(800, 1600, 40)])  # 20 windows
    pa = a.predict(ctx, 60)
    np.testing.assert_array_equal(pa, b.predict(ctx, 60))
    np.testing.assert_array_equal(a.Wout_, b.Wout_)
    # 20 windows run one matrix-matrix product per step, fewer one matrix-vector product each: the
    # same numbers up to float32 rounding, which the closed loop amplifies (compared over 30 steps)
    for i in (0, 7, 19):
        np.testing.assert_allclose(a.predict(ctx[i], 30), pa[i, :30], atol=1e-4)
    np.testing.assert_allclose(a.predict(ctx[:3], 30), pa[:3, :30], atol=1e-4)


def test_esn_dense_and_sparse_float32_layouts_agree(lorenz_std, monkeypatch):
    pytest.importorskip("numba")
    from dynlearn.models import _reservoir_compiled

    m = models.create("esn", n_reservoir=150, washout=20, seed=1).fit(lorenz_std[:600])
    ctx = np.stack([lorenz_std[600:650], lorenz_std[700:750]])
    dense = m.predict(ctx, 30)
    assert m._compiled(m.W_).dense
    monkeypatch.setattr(_reservoir_compiled, "DENSE_MAX_BYTES", 0)
    m._compiled_cache = None
    assert not m._compiled(m.W_).dense
    np.testing.assert_allclose(m.predict(ctx, 30), dense, atol=1e-4)


def test_compiled_float32_tanh_is_accurate():
    pytest.importorskip("numba")
    from dynlearn.models import _reservoir_compiled

    _reservoir_compiled._kernel("drive")
    x = np.linspace(-40, 40, 40001).astype(np.float32)
    got = np.array([_reservoir_compiled._TANH32(v) for v in x[::7]], dtype=np.float64)
    assert np.max(np.abs(got - np.tanh(x[::7].astype(np.float64)))) < 2e-7
    assert np.isnan(_reservoir_compiled._TANH32(np.float32(np.nan)))  # a diverging run stays visible


def test_esn_search_picks_from_its_grid(lorenz_std):
    m = models.create("esn", search=True, n_reservoir=60, washout=20).fit(lorenz_std[:1200], dt=0.025)
    assert m.spectral_radius_ in (0.45, 0.9, 0.9 * 1.4) and m.leak_rate_ in (0.25, 0.5, 1.0)
    assert np.all(np.isfinite(m.predict(lorenz_std[1150:1200], 30)))


def test_esn_at_least_as_good_as_reservoirpy(lorenz_std):
    rpy_nodes = pytest.importorskip("reservoirpy.nodes")
    starts = range(2100, 2700, 150)
    ours, peer = [], []
    for seed in range(3):
        m = models.create("esn", washout=50, input_density=0.1, seed=seed, **ESN_HP).fit(lorenz_std[:2000], dt=0.025)
        ours += _vpts(m.predict, lorenz_std, starts)
        res = rpy_nodes.Reservoir(200, sr=0.9, lr=0.5, input_scaling=0.5, rc_connectivity=0.1, seed=seed)
        esn = res >> rpy_nodes.Ridge(ridge=1e-6)
        esn.fit(lorenz_std[:1999], lorenz_std[1:2000], warmup=50)

        def rollout(ctx, horizon, esn=esn, res=res):
            out = np.empty((len(ctx), horizon, 3))
            for b, c in enumerate(ctx):
                res.reset()
                u = np.asarray(esn.run(c))[-1]
                for h in range(horizon):
                    out[b, h] = u
                    u = np.asarray(esn.step(u)).reshape(-1)
            return out

        peer += _vpts(rollout, lorenz_std, starts)
    assert np.median(ours) >= np.median(peer), (ours, peer)


def test_non_uniform_sampling_is_refused():
    times = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 300))
    for name in ("ngrc", "esn"):
        with pytest.raises(ValidationError, match="uniformly sampled"):
            models.create(name).fit(Trajectory(times, np.random.default_rng(1).standard_normal((300, 3))))


def _quick_cells(systems_, seeds, config, tmp_path):
    from dynlearn.bench.cell import run_cell
    from dynlearn.bench.suite import MethodSpec, load_suite

    suite = load_suite("quick")
    method = MethodSpec(name="esn", model="esn", config=config)
    return [run_cell(s, method, seed, suite.protocol, ("vpt_lyap",), str(tmp_path)) for s in systems_ for seed in seeds]


def test_esn_default_is_stable_on_rossler_at_the_quick_suite_sampling(tmp_path):
    """Rössler at 30 points per period: a readout fitted on noise-free teacher-forced states
    fits one step to 1e-3 but its closed loop diverges within half a period, whatever the
    ridge penalty; noise on the training inputs (the default) keeps the loop on the attractor."""
    clean, default = (
        _quick_cells(["Rossler"], [0], cfg, tmp_path)[0]
        for cfg in ({"n_reservoir": 300, "noise": 0.0, "bias_scaling": 0.0}, {"n_reservoir": 300})
    )
    assert clean.status == "diverged"
    assert default.status == "ok", default.reason
    assert default.metrics["vpt_lyap"] > 1.5


@pytest.mark.slow
def test_esn_default_never_diverges_on_the_quick_suite(tmp_path):
    cells = _quick_cells(["Rossler", "Chen"], [0, 1, 2], {"n_reservoir": 300, "washout": 50}, tmp_path)
    assert all(c.status == "ok" for c in cells), [(c.system, c.seed, c.reason) for c in cells if c.status != "ok"]
    assert np.median([c.metrics["vpt_lyap"] for c in cells]) > 2.0


def test_ngrc_standardize_round_trips_and_matches_prestandardised_data(tmp_path):
    (tr,) = systems.simulate("Lorenz", n_points=1200, dt=0.025, seed=4)
    z = Standardizer().fit(tr[:1000])
    a = models.create("ngrc", standardize=True, alpha=1e-4).fit(tr[:1000])
    b = models.create("ngrc", alpha=1e-4).fit(z.transform(tr[:1000]))
    ctx = tr.states[990:1000]
    np.testing.assert_allclose(a.predict(ctx, 30), z.inverse_transform(b.predict(z.transform(ctx), 30)), atol=1e-8)
    a.save(tmp_path / "n")
    np.testing.assert_array_equal(models.load(tmp_path / "n").predict(ctx, 30), a.predict(ctx, 30))


@pytest.mark.slow
def test_recommended_configs_on_the_dysts_protocol():
    """Gilpin's protocol: 100 points per period, 1,000 raw (unstandardised) training points,
    one 200-point forecast from the end of training, sMAPE on the 0-200 scale.
    benchmarks/accuracy_dysts_protocol.py measured sMAPE 0.0 (NG-RC) and 2.2 (ESN) on Halvorsen."""
    for name in ("Halvorsen", "Lorenz"):
        (tr,) = systems.simulate(name, n_points=1200, points_per_period=100, seed=0)
        train, truth = tr[:1000], tr.states[1000:]
        ngrc = models.create("ngrc", standardize=True, search=True).fit(train)
        assert metrics.smape(truth, ngrc.predict(train.states[-100:], 200)) < 1.0, name
        if name == "Halvorsen":
            esn = models.create("esn").fit(train)
            assert metrics.smape(truth, esn.predict(train.states[-100:], 200)) < 10.0


@pytest.mark.slow
def test_ngrc_search_keeps_a_short_horizon_forecaster_when_no_candidate_is_stable_for_long():
    """YuWang on the dysts protocol: every searched NG-RC leaves the data's range in 1,000-step
    free runs; the search used to fall back to degree 2 with its largest α, which diverged
    within the 200-step forecast (measured sMAPE 27 with the fallback to the best short one)."""
    (tr,) = systems.simulate("YuWang", n_points=1200, points_per_period=100, seed=0)
    train, truth = tr[:1000], tr.states[1000:]
    m = models.create("ngrc", standardize=True, search=True).fit(train)
    pred = m.predict(train.states[-100:], 200)
    assert np.all(np.isfinite(pred)) and metrics.smape(truth, pred) < 50


def test_esn_saved_before_the_dtype_option_loads_as_float64(lorenz_std, tmp_path):
    import json

    m = models.create("esn", n_reservoir=60, washout=20, dtype="float64").fit(lorenz_std[:400])
    m.save(tmp_path / "e")
    header = json.loads((tmp_path / "e" / "model.json").read_text())
    header["config"].pop("dtype")
    header["fitted"].pop("dtype")
    (tmp_path / "e" / "model.json").write_text(json.dumps(header))
    old = models.load(tmp_path / "e")
    assert old.config.dtype == "float64"
    np.testing.assert_array_equal(old.predict(lorenz_std[400:450], 20), m.predict(lorenz_std[400:450], 20))
    m32 = models.create("esn", n_reservoir=60, washout=20).fit(lorenz_std[:400])
    m32.save(tmp_path / "f")
    assert models.load(tmp_path / "f").config.dtype == "float32"


def test_ngrc_search_skips_underdetermined_degrees():
    """A degree with more features than training rows is not tried (10-D flows: minutes for nothing)."""
    from dynlearn.models.reservoir import _n_features, _search_degrees

    assert _n_features(6, 2) == 28  # 1 + 6 + 21
    assert _search_degrees(2, 6, 800) == [2, 3, 4]  # a 3-D flow, two delays: 210 features at degree 4
    assert _search_degrees(2, 20, 800) == [2]  # a 10-D flow, two delays: 1,771 features at degree 3
    assert _search_degrees(4, 20, 800) == [2, 4]  # the configured degree is always tried
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.standard_normal((400, 10)), axis=0) * 0.01
    m = models.create("ngrc", search=True).fit(x)
    assert m.degree_ == 2
