"""Reservoir computing: next-generation reservoir computing (NG-RC / NVAR) and echo state networks.

* ``ngrc`` (Gauthier, Bollt, Griffith & Barbosa 2021, Nat. Commun. 12:5564):
  the feature vector at time t is
  ``O_t = [1, L_t, unique monomials of L_t of degree 2..p]`` with
  ``L_t = (x_t, x_{t-s}, ..., x_{t-(k-1)s})`` (k delays, skip s); a ridge
  readout predicts the increment ``x_{t+1} - x_t = W O_t``, minimising
  ``||ΔX - W O||² + α ||W||²`` (α unscaled, the constant included, as in the
  paper; α = 2.5e-6, k = 2, s = 1 for Lorenz-63 at dt = 0.025).
* ``esn`` (Jaeger 2001, GMD report 148; Lukoševičius 2012, Neural Networks:
  Tricks of the Trade, 659-686): a leaky tanh reservoir
  ``r_t = (1 - a) r_{t-1} + a tanh(W r_{t-1} + W_in x_t + b)`` with a sparse
  random ``W`` (N(0, 1) entries with probability ``density``) scaled to a
  spectral radius, ``W_in`` of ±``input_scaling`` entries with probability
  ``input_density``, and a ridge readout ``x_{t+1} ≈ W_out φ(r_t, x_t) + c``
  (intercept unpenalised, α unscaled, as reservoirpy's ``Ridge``). The
  default readout ``φ = [r̃, x]`` squares every second reservoir unit
  (Pathak, Lu, Hunt, Girvan & Ott 2017, Chaos 27:121102), which breaks the
  odd symmetry of a bias-free tanh reservoir; ``readout="linear"`` is the
  plain ``φ = r``. Forecasts reset the reservoir, drive it with the whole
  context (teacher forcing) and then run it in closed loop, feeding each
  prediction back as the next input. The model z-scores its inputs with the
  training statistics (``standardize``), and drives the reservoir during
  training with ``x_t + σ ε_t`` (ε standard normal, ``noise`` σ = 1e-3 in
  those units) while the targets stay clean (Jaeger 2001, §6; Wikner et al.
  2024, Neural Networks 170:94-110). Without that noise a readout fitted on
  the attractor alone fits one step to 1e-3 yet its closed loop can be
  unstable off the attractor: on Rössler at 30 points per period it diverged
  within half a period for every ridge penalty tried (1e-6 to 1e-2); with it
  the same reservoir forecasts 2.6-2.7 Lyapunov times.

Both models can tune themselves (``search=true``) on a validation split: the
last ``val_fraction`` of the training data is held out, each candidate is fitted
on the rest and scored by the mean closed-loop NRMSE over ``val_horizon``
steps from several starting points, and refused if a long free run from any of
them leaves the data's range; the best candidate is refitted on all data (NG-RC: if none is
stable, the one with the smallest short-horizon error).
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import scipy.sparse

from dynlearn._validation import as_rng
from dynlearn.config import ModelConfig, build_config
from dynlearn.data import Trajectory
from dynlearn.errors import ValidationError
from dynlearn.models import _reservoir_compiled
from dynlearn.models._reservoir_compiled import CompiledReservoir
from dynlearn.models._reservoir_utils import monomial_index, monomial_plan, random_reservoir, ridge_solutions
from dynlearn.models.base import Model
from dynlearn.models.registry import register

ALPHA_GRID = (1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
#: NG-RC's search also tries these penalties and monomial degrees: a coarsely sampled flow with
#: a spiking coordinate (Rössler at 30 points per period) needs degree 4 and a strong penalty
NGRC_ALPHA_GRID = (*ALPHA_GRID, 1e-1, 1.0)
NGRC_DEGREES = (2, 3, 4)


def _n_features(n_lin: int, degree: int) -> int:
    """NG-RC feature count: a constant, ``n_lin`` linear terms and every monomial of degree 2..``degree``."""
    return int(math.comb(n_lin + degree, degree))


def _search_degrees(configured: int, n_lin: int, n_rows: int) -> list[int]:
    """The monomial degrees NG-RC's search tries: :data:`NGRC_DEGREES` and the configured one, except
    degrees (above the configured one and 2) with more features than training rows, whose ridge
    problem is underdetermined: on a 10-dimensional flow, degree 4 with two delays has 10,626 features
    for 1,000 rows, and costs minutes to fit for nothing the penalty does not erase."""
    keep = {configured, min(NGRC_DEGREES)}
    return sorted(d for d in {*NGRC_DEGREES, configured} if d in keep or _n_features(n_lin, d) <= n_rows)


def _split_validation(trajectories: list[Trajectory], fraction: float, need: int):
    """Hold out the tail of the longest trajectory: (train list, validation states)."""
    j = int(np.argmax([len(t) for t in trajectories]))
    tr = trajectories[j]
    n_val = int(round(fraction * len(tr)))
    if n_val < need or len(tr) - n_val < need:
        raise ValidationError(
            f"search needs a validation split of at least {need} steps and as many for training; "
            f"the longest trajectory has {len(tr)} steps (val_fraction={fraction}): use more data, "
            "a larger val_fraction, a shorter val_horizon, or search=false"
        )
    train = [t for i, t in enumerate(trajectories) if i != j] + [tr[: len(tr) - n_val]]
    return train, tr.states[len(tr) - n_val :]


#: a candidate whose long free run leaves the training data's range by more than this many spans is unstable
STABILITY_MARGIN = 1.0
#: length of that free run, in validation horizons
STABILITY_HORIZONS = 20


def _validation_score(
    predict, states: np.ndarray, context: int, horizon: int, scale: np.ndarray, bounds: np.ndarray | None = None
) -> float:
    err, stable = _validation_check(predict, states, context, horizon, scale, bounds)
    return err if stable else float("inf")


def _validation_check(
    predict, states: np.ndarray, context: int, horizon: int, scale: np.ndarray, bounds: np.ndarray | None = None
) -> tuple[float, bool]:
    """(error, stable): the mean closed-loop NRMSE over up to 5 windows of the validation
    states (inf if a forecast is not finite), and whether the model is stable. ``_validation_score``
    is that error, or inf if any forecast diverges or if a free run ``STABILITY_HORIZONS`` times longer from any of the
    windows leaves the data's range (``bounds``, all the states the model may see, else the
    validation states; widened by ``STABILITY_MARGIN`` spans on each side).

    The second test matters: the short-horizon error alone prefers the smallest
    ridge penalty, whose closed loop is often unstable a little further out. The range
    is the whole training data's: a validation split of a few periods (the dysts protocol's
    200 points at 100 per period) covers only part of the attractor, and a correct free run
    leaves it."""
    starts = np.unique(np.linspace(context, len(states) - horizon, 5).astype(int))
    ctx = np.stack([states[s - context : s] for s in starts])
    truth = np.stack([states[s : s + horizon] for s in starts])
    ref = states if bounds is None else bounds
    lo, hi = ref.min(0), ref.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        pred = predict(ctx, horizon)
        err = np.sqrt(np.mean(((pred - truth) / scale) ** 2))
        free = predict(ctx, STABILITY_HORIZONS * horizon)
        stable = bool(np.all(np.isfinite(free)))
        stable = stable and bool(np.all((free > lo - STABILITY_MARGIN * span) & (free < hi + STABILITY_MARGIN * span)))
    err = float(err) if np.isfinite(err) else float("inf")
    return err, stable and np.isfinite(err)


def _scaling_state(state, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Saved input mean and std; models saved before ``standardize`` existed had none (identity)."""
    if "mean" not in state and "std" not in state:
        return np.zeros(dim), np.ones(dim)
    mean, std = (np.asarray(state[k], dtype=np.float64) for k in ("mean", "std"))
    if mean.shape != (dim,) or std.shape != (dim,):
        raise ValueError(f"mean/std have shapes {mean.shape}/{std.shape}, expected {(dim,)}")
    return mean, std


# ---------------------------------------------------------------------------------------- NG-RC
@dataclasses.dataclass
class NGRCConfig(ModelConfig):
    """``delays`` k, ``skip`` s, monomial ``degree`` p (2-4), ridge ``alpha``,
    ``increment`` (predict x_{t+1} - x_t, else x_{t+1}), ``standardize`` (z-score
    the states with the training mean and standard deviation before building the
    features, so that α and the monomials have the same meaning on any data;
    off by default, as in the paper); ``search`` tunes α and
    the degree (``NGRC_ALPHA_GRID`` x ``NGRC_DEGREES``, plus the configured
    values) on a validation split (``val_fraction``, ``val_horizon``)."""

    delays: int = 2
    skip: int = 1
    degree: int = 2
    alpha: float = 2.5e-6
    increment: bool = True
    standardize: bool = False
    search: bool = False
    val_fraction: float = 0.2
    val_horizon: int = 50

    def validate(self):
        for ok, msg in [
            (self.delays >= 1, f"delays must be >= 1, got {self.delays}"),
            (self.skip >= 1, f"skip must be >= 1, got {self.skip}"),
            (2 <= self.degree <= 4, f"degree must be 2, 3 or 4, got {self.degree}"),
            (self.alpha >= 0, f"alpha must be >= 0, got {self.alpha}"),
            (0 < self.val_fraction < 1, f"val_fraction must be in (0, 1), got {self.val_fraction}"),
            (self.val_horizon >= 1, f"val_horizon must be >= 1, got {self.val_horizon}"),
        ]:
            if not ok:
                raise ValidationError(f"ngrc: {msg}")


@register("ngrc")
class NGRC(Model):
    """Next-generation reservoir computing: ridge regression on polynomial features of delayed states.

    Gauthier, Bollt, Griffith & Barbosa (2021), Nat. Commun. 12:5564.
    """

    Config = NGRCConfig

    @property
    def span(self) -> int:
        return (self.config.delays - 1) * self.config.skip + 1

    @property
    def min_context(self) -> int:
        return self.span

    @property
    def min_train_length(self) -> int:
        return self.span + 1

    def _features(self, window: np.ndarray) -> np.ndarray:
        """window ``(..., span, dim)`` (most recent last) -> O ``(..., n_features)``."""
        c = self.config
        lin = window[..., ::-1, :][..., :: c.skip, :][..., : c.delays, :].reshape(*window.shape[:-2], -1)
        parts = [np.ones((*lin.shape[:-1], 1)), lin]
        prev = lin
        for parent, var in monomial_plan(lin.shape[-1], self.degree_):
            prev = prev[..., parent] * lin[..., var]
            parts.append(prev)
        return np.concatenate(parts, axis=-1)

    def _design(self, trajectories):
        F, Y = [], []
        n = self.span
        for tr in trajectories:
            s = tr.states
            if len(s) <= n:
                continue
            idx = np.arange(n - 1, len(s) - 1)
            F.append(self._features(s[idx[:, None] - n + 1 + np.arange(n)]))
            Y.append(s[idx + 1] - s[idx] if self.config.increment else s[idx + 1])
        return np.concatenate(F), np.concatenate(Y)

    def _solve(self, trajectories, alphas):
        F, Y = self._design(trajectories)
        return [W for W, _ in ridge_solutions(F, Y, alphas, center=False)]

    def _fit(self, trajectories):
        c = self.config
        self.alpha_, self.degree_ = c.alpha, c.degree
        allx = np.concatenate([t.states for t in trajectories])
        sd = allx.std(0)
        if c.standardize:
            self.mean_, self.std_ = allx.mean(0), np.where(sd > 0, sd, 1.0)
            trajectories = [t.replace(states=(t.states - self.mean_) / self.std_) for t in trajectories]
        else:
            self.mean_, self.std_ = np.zeros(allx.shape[1]), np.ones(allx.shape[1])
        if not c.search:
            (self.W_,) = self._solve(trajectories, [self.alpha_])
            return
        train, val = _split_validation(trajectories, c.val_fraction, self.span + c.val_horizon + 1)
        scale = np.concatenate([t.states for t in train]).std(0)
        scale = np.where(scale > 0, scale, 1.0)
        grid = sorted({*NGRC_ALPHA_GRID, c.alpha})
        allx = np.concatenate([t.states for t in trajectories])
        scored, short = [], []  # (score, degree, alpha), (short-horizon error, degree, alpha)
        for degree in _search_degrees(c.degree, c.delays * allx.shape[1], sum(len(t) - self.span for t in train)):
            self.degree_ = degree
            for a, W in zip(grid, self._solve(train, grid)):
                self.W_ = W
                err, stable = _validation_check(self._rollout, val, self.span, c.val_horizon, scale, allx)
                scored.append((err if stable else float("inf"), degree, a))
                short.append((err, degree, a))
        best = min(sc for sc, _, _ in scored)
        if not np.isfinite(best) and np.isfinite(min(short)[0]):
            # no candidate stays in range over long free runs: keep the best short-horizon
            # forecaster rather than the largest penalty, which is as unstable and less accurate
            _, self.degree_, self.alpha_ = min(short)
            (self.W_,) = self._solve(trajectories, [self.alpha_])
            return
        # among candidates within 10% of the best score, the lowest degree, then the largest
        # penalty: tiny penalties fit the validation windows marginally better but make the
        # closed loop fragile
        ok = [(d, -a) for sc, d, a in scored if np.isfinite(sc) and sc <= 1.1 * best]
        if ok:
            degree, neg_a = min(ok)
            self.degree_, self.alpha_ = degree, float(-neg_a)
        else:
            _, self.degree_, self.alpha_ = min(scored)
        # refitting on all data changes the model: keep raising the penalty until its
        # own long free runs from the data stay in range
        longest = max(trajectories, key=len).states
        for a in [g for g in grid if g >= self.alpha_]:
            (self.W_,) = self._solve(trajectories, [a])
            self.alpha_ = float(a)
            if np.isfinite(_validation_score(self._rollout, longest, self.span, c.val_horizon, scale, allx)):
                return

    def _rollout(self, context, horizon):
        window = context[:, -self.span :, :].copy()
        out = np.empty((context.shape[0], horizon, context.shape[2]))
        for h in range(horizon):
            step = self._features(window) @ self.W_
            nxt = window[:, -1] + step if self.config.increment else step
            out[:, h] = nxt
            window = np.concatenate([window[:, 1:], nxt[:, None]], axis=1)
        return out

    def _predict(self, context, horizon):
        return self._rollout((context - self.mean_) / self.std_, horizon) * self.std_ + self.mean_

    def _get_state(self):
        return {"W": self.W_, "mean": self.mean_, "std": self.std_}

    def _get_meta(self):
        return {"alpha": self.alpha_, "degree": self.degree_}

    def _set_meta(self, meta):
        self.alpha_ = float(meta["alpha"])
        self.degree_ = int(meta.get("degree", self.config.degree))

    def _set_state(self, state):
        W = np.asarray(state["W"], dtype=np.float64)
        n_lin = self.config.delays * self.dim_
        n_feat = 1 + n_lin + sum(len(i) for i in monomial_index(n_lin, self.degree_))
        if W.shape != (n_feat, self.dim_):
            raise ValueError(f"W has shape {W.shape}, expected {(n_feat, self.dim_)}")
        self.W_ = W
        self.mean_, self.std_ = _scaling_state(state, self.dim_)


# ------------------------------------------------------------------------------------------ ESN
@dataclasses.dataclass
class ESNConfig(ModelConfig):
    """``n_reservoir`` units, ``spectral_radius`` of W, ``density`` of W,
    ``leak_rate`` a, ``input_scaling`` and ``input_density`` of W_in,
    ``bias_scaling`` (b uniform in ±bias_scaling), ridge ``alpha``,
    ``noise`` (standard deviation of the Gaussian noise added to the training
    inputs, not the targets, in units of each coordinate's standard deviation),
    ``standardize`` (the model z-scores its inputs with the training mean and
    standard deviation and forecasts in those units, so that ``input_scaling``
    means the same on any data),
    ``washout`` states dropped at the start of each training trajectory,
    ``readout`` ``"pathak"`` (every second unit squared) or ``"linear"``,
    ``readout_input`` (the input x_t joins the readout features); ``search``
    tunes spectral radius, leak rate and α on a validation split; ``dtype``
    (``"float32"`` or ``"float64"``) is the precision of the reservoir states and
    of ``W`` in the recurrence (the readout is fitted and applied in float64
    either way; see docs/performance.md for the forecast accuracy of each);
    ``backend`` ``"numba"`` runs the reservoir loops compiled (a float32 ``W`` of
    up to 1,024 units dense through BLAS, otherwise sparse), ``"numpy"`` in numpy,
    ``"auto"`` compiled when numba is installed."""

    n_reservoir: int = 300
    spectral_radius: float = 0.9
    density: float = 0.1
    leak_rate: float = 0.5
    input_scaling: float = 0.2
    input_density: float = 1.0
    bias_scaling: float = 1.0
    alpha: float = 1e-6
    noise: float = 1e-3
    standardize: bool = True
    washout: int = 50
    readout: str = "pathak"
    readout_input: bool = True
    search: bool = False
    val_fraction: float = 0.2
    val_horizon: int = 50
    dtype: str = "float32"
    backend: str = "auto"

    def validate(self):
        for ok, msg in [
            (self.dtype in ("float32", "float64"), f"dtype must be 'float32' or 'float64', got {self.dtype!r}"),
            (self.backend in ("auto", "numpy", "numba"), f"backend must be auto/numpy/numba, got {self.backend!r}"),
            (self.n_reservoir >= 1, f"n_reservoir must be >= 1, got {self.n_reservoir}"),
            (self.spectral_radius >= 0, f"spectral_radius must be >= 0, got {self.spectral_radius}"),
            (0 < self.density <= 1, f"density must be in (0, 1], got {self.density}"),
            (0 < self.leak_rate <= 1, f"leak_rate must be in (0, 1], got {self.leak_rate}"),
            (self.input_scaling >= 0, f"input_scaling must be >= 0, got {self.input_scaling}"),
            (0 < self.input_density <= 1, f"input_density must be in (0, 1], got {self.input_density}"),
            (self.bias_scaling >= 0, f"bias_scaling must be >= 0, got {self.bias_scaling}"),
            (self.alpha >= 0, f"alpha must be >= 0, got {self.alpha}"),
            (self.noise >= 0, f"noise must be >= 0, got {self.noise}"),
            (self.washout >= 0, f"washout must be >= 0, got {self.washout}"),
            (self.readout in ("pathak", "linear"), f"readout must be 'pathak' or 'linear', got {self.readout!r}"),
            (0 < self.val_fraction < 1, f"val_fraction must be in (0, 1), got {self.val_fraction}"),
            (self.val_horizon >= 1, f"val_horizon must be >= 1, got {self.val_horizon}"),
        ]:
            if not ok:
                raise ValidationError(f"esn: {msg}")


@register("esn")
class ESN(Model):
    """Echo state network: a leaky tanh reservoir with a ridge readout, run in closed loop.

    Jaeger (2001); Lukoševičius (2012); squared readout units after Pathak et al. (2017).
    """

    Config = ESNConfig

    @classmethod
    def conformance_config(cls):
        return {"n_reservoir": 60, "washout": 20}

    @property
    def min_train_length(self) -> int:
        return self.config.washout + 2

    # reservoir -------------------------------------------------------------------------
    def _init_weights(self, dim: int, spectral_radius: float):
        c = self.config
        rng = as_rng(c.seed)
        W = random_reservoir(c.n_reservoir, c.density, 1.0, rng)
        mask = rng.random((c.n_reservoir, dim)) < c.input_density
        Win = np.where(mask, rng.choice([-1.0, 1.0], size=(c.n_reservoir, dim)), 0.0) * c.input_scaling
        b = rng.uniform(-1.0, 1.0, c.n_reservoir) * c.bias_scaling
        return W * spectral_radius, Win, b

    def _compiled(self, W) -> CompiledReservoir | None:
        """The compiled loops for reservoir ``W`` (None on the numpy backend), cached per matrix."""
        if self.config.backend == "numpy" or not _reservoir_compiled.available():
            return None
        cache = getattr(self, "_compiled_cache", None)
        if cache is None or cache[0] is not W or cache[1].dtype != self.config.dtype:
            cache = (W, CompiledReservoir(W, self.config.dtype))
            self._compiled_cache = cache
        return cache[1]

    def _run(self, U: np.ndarray, r: np.ndarray, W, Win, b, leak: float) -> np.ndarray:
        """Drive states ``r`` ``(B, n)`` with inputs ``U`` ``(B, T, dim)``; returns ``(B, T, n)``."""
        compiled = self._compiled(W)
        if compiled is not None:
            return compiled.drive(U, Win, b, r, leak)
        drive = U @ Win.T + b
        dtype = np.dtype(self.config.dtype)
        drive, r, W = drive.astype(dtype), r.astype(dtype), W.astype(dtype)
        out = np.empty((U.shape[0], U.shape[1], len(b)), dtype)
        if U.shape[0] == 1 and self.config.density <= 0.25:
            # one sequence through a sparse reservoir: a CSR mat-vec is several times cheaper than dense
            Ws = scipy.sparse.csr_matrix(W)
            v = r[0]
            for t in range(U.shape[1]):
                v = (1.0 - leak) * v + leak * np.tanh(Ws @ v + drive[0, t])
                out[0, t] = v
            return out
        WT = W.T
        for t in range(U.shape[1]):
            r = (1.0 - leak) * r + leak * np.tanh(r @ WT + drive[:, t])
            out[:, t] = r
        return out

    def _phi(self, R: np.ndarray, U: np.ndarray) -> np.ndarray:
        """Readout features ``φ(r, u)``, a new float64 array (squared in float64 from float32
        states, as in the compiled loop)."""
        n = R.shape[-1]
        F = np.empty((*R.shape[:-1], n + (U.shape[-1] if self.config.readout_input else 0)))
        F[..., :n] = R
        if self.config.readout == "pathak":
            np.square(F[..., 1:n:2], out=F[..., 1:n:2])
        if self.config.readout_input:
            F[..., n:] = U
        return F

    def _design(self, trajectories, W, Win, b, leak):
        """Readout features and targets; the reservoir is driven by the (scaled) states plus
        ``noise``, the targets are the clean next states. The noise is drawn from its own
        stream of the seed, so every candidate of a search sees the same noise."""
        c = self.config
        F, Y = [], []
        w = c.washout
        rng = np.random.default_rng([c.seed, 1])
        for tr in trajectories:
            s = self._scale_in(tr.states)
            u = s[:-1]
            if c.noise > 0:
                u = u + c.noise * self._noise_unit * rng.standard_normal(u.shape)
            R = self._run(u[None], np.zeros((1, len(b))), W, Win, b, leak)[0]
            F.append(self._phi(R[w:], u[w:]))
            Y.append(s[w + 1 :])
        # one trajectory: its features as they are (the ridge centres them in place)
        return (F[0] if len(F) == 1 else np.concatenate(F)), np.concatenate(Y)

    def _scale_in(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean_) / self.std_

    def _set_scaling(self, trajectories) -> None:
        """Training mean and standard deviation; with ``standardize`` off the model works in data
        units (mean 0, std 1) and the noise is still relative to each coordinate's spread."""
        allx = np.concatenate([t.states for t in trajectories])
        sd = allx.std(0)
        sd = np.where(sd > 0, sd, 1.0)
        if self.config.standardize:
            self.mean_, self.std_ = allx.mean(0), sd
            self._noise_unit = np.ones_like(sd)
        else:
            self.mean_, self.std_ = np.zeros_like(sd), np.ones_like(sd)
            self._noise_unit = sd

    def _fit(self, trajectories):
        c = self.config
        dim = trajectories[0].dim
        self.spectral_radius_, self.leak_rate_, self.alpha_ = c.spectral_radius, c.leak_rate, c.alpha
        self._set_scaling(trajectories)
        if c.search:
            train, val = _split_validation(trajectories, c.val_fraction, c.washout + c.val_horizon + 2)
            val = self._scale_in(val)
            allz = self._scale_in(np.concatenate([t.states for t in trajectories]))
            scale = self._scale_in(np.concatenate([t.states for t in train])).std(0)
            scale = np.where(scale > 0, scale, 1.0)
            best = (np.inf, None)
            alphas = sorted({*ALPHA_GRID, c.alpha})
            for sr, leak in itertools.product(
                (0.5 * c.spectral_radius, c.spectral_radius, 1.4 * c.spectral_radius),
                (0.5 * c.leak_rate, c.leak_rate, min(1.0, 2 * c.leak_rate)),
            ):
                W, Win, b = self._init_weights(dim, sr)
                F, Y = self._design(train, W, Win, b, leak)
                for a, (Wout, bias) in zip(alphas, ridge_solutions(F, Y, alphas, center=True, owned=True)):
                    self.W_, self.Win_, self.b_, self.Wout_, self.bout_, self.leak_rate_ = W, Win, b, Wout, bias, leak
                    score = _validation_score(self._rollout, val, max(c.washout, 1), c.val_horizon, scale, allz)
                    if score < best[0]:
                        best = (score, (sr, leak, a))
            if best[1] is not None:
                self.spectral_radius_, self.leak_rate_, self.alpha_ = (float(v) for v in best[1])
        self.W_, self.Win_, self.b_ = self._init_weights(dim, self.spectral_radius_)
        F, Y = self._design(trajectories, self.W_, self.Win_, self.b_, self.leak_rate_)
        ((self.Wout_, self.bout_),) = ridge_solutions(F, Y, [self.alpha_], center=True, owned=True)

    def _rollout(self, context, horizon):
        B = context.shape[0]
        R = self._run(context, np.zeros((B, len(self.b_))), self.W_, self.Win_, self.b_, self.leak_rate_)
        r, u = R[:, -1], context[:, -1]
        compiled = self._compiled(self.W_)
        if compiled is not None:
            c = self.config
            with np.errstate(over="ignore", invalid="ignore"):
                return compiled.closed_loop(
                    self.Win_,
                    self.b_,
                    self.Wout_,
                    self.bout_,
                    r,
                    u,
                    self.leak_rate_,
                    horizon,
                    c.readout == "pathak",
                    c.readout_input,
                )
        out = np.empty((B, horizon, context.shape[2]))
        dtype = np.dtype(self.config.dtype)
        WT, WinT, a = self.W_.T.astype(dtype), self.Win_.T, dtype.type(self.leak_rate_)
        for h in range(horizon):
            u = self._phi(r, u) @ self.Wout_ + self.bout_
            out[:, h] = u
            r = (1 - a) * r + a * np.tanh(r @ WT + (u @ WinT + self.b_).astype(dtype))
        return out

    def _predict(self, context, horizon):
        return self._rollout(self._scale_in(context), horizon) * self.std_ + self.mean_

    # persistence -----------------------------------------------------------------------
    def _get_state(self):
        return {
            "W": self.W_,
            "Win": self.Win_,
            "b": self.b_,
            "Wout": self.Wout_,
            "bout": self.bout_,
            "mean": self.mean_,
            "std": self.std_,
        }

    def _get_meta(self):
        return {
            "spectral_radius": self.spectral_radius_,
            "leak_rate": self.leak_rate_,
            "alpha": self.alpha_,
            "dtype": self.config.dtype,
        }

    def _set_meta(self, meta):
        self.spectral_radius_ = float(meta["spectral_radius"])
        self.leak_rate_ = float(meta["leak_rate"])
        self.alpha_ = float(meta["alpha"])
        # a model saved before the dtype option ran (and was fitted with) a float64 reservoir
        self.config = build_config(self.Config, self.config, {"dtype": meta.get("dtype", "float64")})

    def _set_state(self, state):
        n, d = self.config.n_reservoir, self.dim_
        n_feat = n + (d if self.config.readout_input else 0)
        want = {"W": (n, n), "Win": (n, d), "b": (n,), "Wout": (n_feat, d), "bout": (d,)}
        arrays = {}
        for key, shape in want.items():
            a = np.asarray(state[key], dtype=np.float64)
            if a.shape != shape:
                raise ValueError(f"{key} has shape {a.shape}, expected {shape}")
            arrays[key] = a
        self.W_, self.Win_, self.b_ = arrays["W"], arrays["Win"], arrays["b"]
        self.Wout_, self.bout_ = arrays["Wout"], arrays["bout"]
        self.mean_, self.std_ = _scaling_state(state, d)
