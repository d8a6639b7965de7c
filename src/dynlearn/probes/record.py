"""Training-trajectory probes: callbacks for any torch training loop, and probes over cached features.

Nothing here owns the loop. Each recorder is a callable ``recorder(step)`` that does its work only at the
steps of its schedule, so a loop gains probes by adding one line per recorder::

    schedule = log_checkpoints(2000, n=30)
    acts = ActivationRecorder(model, ["hidden"], inputs=x_probe, schedule=schedule)
    grads = GradientRecorder(model, schedule=schedule)
    for step in range(2001):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        grads(step)      # after backward, before the optimiser changes the weights
        opt.step()
        acts(step)       # forward pass of x_probe, hooks on "hidden", no gradient

Contents: :func:`log_checkpoints` (log-spaced steps), :class:`ActivationRecorder` (forward hooks by module
name), :class:`GradientRecorder` (per-parameter gradient norms, optionally the whole gradient vector),
:class:`ParameterRecorder` (weight trajectories), :class:`GroupCurves` (learning curves per class /
condition / concept), :func:`extract_features` and :class:`FeatureCache` (features at checkpoints, npz on
disk), :class:`LinearProbe` (closed-form ridge or L2 logistic regression) and :class:`KNNProbe`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from dynlearn._validation import check_array
from dynlearn.errors import UnknownNameError, ValidationError
from dynlearn.io_utils import atomic_savez, read_npz

__all__ = [
    "ActivationRecorder",
    "FeatureCache",
    "GradientRecorder",
    "GroupCurves",
    "KNNProbe",
    "LinearProbe",
    "ParameterRecorder",
    "extract_features",
    "log_checkpoints",
]


# --- schedule ----------------------------------------------------------------------------------------
def log_checkpoints(total_steps: int, n: int = 50, *, include_zero: bool = True) -> np.ndarray:
    """About ``n`` distinct integer steps in [0, total_steps], log-spaced: dense early, where
    representations change fastest, sparse late. Step 0 (before any update) and ``total_steps`` are
    always included. Returns a sorted int array (fewer than ``n`` when the range is short)."""
    T, n = int(total_steps), int(n)
    if T < 1 or n < 2:
        raise ValidationError(f"log_checkpoints needs total_steps >= 1 and n >= 2; got {total_steps}, {n}")
    want = min(n, T + int(include_zero)) - int(include_zero)
    m = want
    # rounding merges the first log-spaced points; sample more finely until ``want`` distinct steps remain
    while True:
        steps = np.unique(np.round(np.geomspace(1, T, m)).astype(int))
        if steps.size >= want or m > 50 * n:
            break
        m += 1
    if include_zero:
        steps = np.concatenate([[0], steps])
    return steps


class _Scheduled:
    def __init__(self, schedule: Iterable[int] | None):
        self.schedule = None if schedule is None else frozenset(int(s) for s in schedule)
        self.steps: list[int] = []

    def due(self, step: int) -> bool:
        return self.schedule is None or int(step) in self.schedule


def _named_modules(model) -> dict:
    return dict(model.named_modules())


def resolve_modules(model, names: Sequence[str]) -> dict:
    """Modules of ``model`` by their ``named_modules()`` name; an unknown name is an error listing them all."""
    mods = _named_modules(model)
    out = {}
    for name in names:
        if name not in mods:
            err = UnknownNameError("module", name, [k for k in mods if k])
            avail = ", ".join(repr(k) for k in mods if k) or "(the model has no submodules)"
            err.args = (f"no module named {name!r} in {type(model).__name__}; available names: {avail}",)
            raise err
        out[name] = mods[name]
    return out


def _to_numpy(t, dtype=np.float32) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t, dtype=dtype)


# --- activations -------------------------------------------------------------------------------------
class ActivationRecorder(_Scheduled):
    """Records the outputs of named modules on fixed probe inputs at scheduled steps.

    At a due step, ``recorder(step)`` runs ``model(inputs)`` once in eval mode without gradient (the
    train/eval mode is restored after), with forward hooks on the named modules; their outputs (first
    element of a tuple output) are flattened to (n_inputs, features) and kept as float32 numpy. The hooks
    exist only during that pass, so training runs at full speed. Unknown names raise an error that lists
    the available ones. ``activations(name)`` returns (n_checkpoints, n_inputs, features).
    """

    def __init__(self, model, names: Sequence[str] | str, *, inputs=None, schedule: Iterable[int] | None = None):
        super().__init__(schedule)
        self.model = model
        self.names = [names] if isinstance(names, str) else list(names)
        if not self.names:
            raise ValidationError("ActivationRecorder needs at least one module name")
        self.modules = resolve_modules(model, self.names)
        self.inputs = inputs
        self._store: dict[str, list[np.ndarray]] = {n: [] for n in self.names}

    @contextlib.contextmanager
    def _hooks(self, sink: dict):
        handles = []
        for name, mod in self.modules.items():
            def hook(_m, _inp, out, _name=name):
                a = _to_numpy(out[0] if isinstance(out, (tuple, list)) else out)
                sink[_name] = a.reshape(a.shape[0], -1)

            handles.append(mod.register_forward_hook(hook))
        try:
            yield
        finally:
            for h in handles:
                h.remove()

    def __call__(self, step: int, inputs=None) -> bool:
        """Record at ``step`` if it is due; returns whether it recorded."""
        if not self.due(step):
            return False
        self.record(step, inputs)
        return True

    def record(self, step: int, inputs=None) -> dict[str, np.ndarray]:
        import torch

        x = self.inputs if inputs is None else inputs
        if x is None:
            raise ValidationError("no probe inputs: pass inputs= to ActivationRecorder or to record()")
        sink: dict[str, np.ndarray] = {}
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad(), self._hooks(sink):
                self.model(x)
        finally:
            self.model.train(was_training)
        for name in self.names:
            self._store[name].append(sink[name])
        self.steps.append(int(step))
        return sink

    def activations(self, name: str) -> np.ndarray:
        if name not in self._store:
            raise ValidationError(f"{name!r} was not recorded; recorded modules: {self.names}")
        if not self._store[name]:
            raise ValidationError("nothing recorded yet: call the recorder at a scheduled step first")
        return np.stack(self._store[name])


# --- gradients and parameters ------------------------------------------------------------------------
def _select_params(model, names: Sequence[str] | None) -> dict:
    params = dict(model.named_parameters())
    if names is None:
        return {k: p for k, p in params.items() if p.requires_grad}
    unknown = [n for n in names if n not in params]
    if unknown:
        raise ValidationError(f"no parameter named {unknown[0]!r}; available names: {', '.join(params)}")
    return {n: params[n] for n in names}


class GradientRecorder(_Scheduled):
    """Records the gradient at scheduled steps: call it after ``loss.backward()``, before ``opt.step()``.

    Always keeps the L2 norm of each parameter's gradient (``norms()``: (checkpoints, n_params), in the
    order of ``param_names``); with ``keep_full=True`` also the whole flattened gradient vector
    g_t ∈ R^P (``vectors()``), from which ``cosine_consecutive()`` gives cos(g_{t_i}, g_{t_{i+1}}),
    a measure of how straight the gradient trajectory is. Parameters without a gradient count as zero.
    """

    def __init__(self, model, *, params: Sequence[str] | None = None, schedule: Iterable[int] | None = None,
                 keep_full: bool = False):
        super().__init__(schedule)
        self.params = _select_params(model, params)
        self.param_names = list(self.params)
        self.keep_full = bool(keep_full)
        self._norms: list[np.ndarray] = []
        self._vecs: list[np.ndarray] = []

    def __call__(self, step: int) -> bool:
        if not self.due(step):
            return False
        grads = [_to_numpy(p.grad).ravel() if p.grad is not None else np.zeros(p.numel(), np.float32)
                 for p in self.params.values()]
        self._norms.append(np.array([np.linalg.norm(g.astype(np.float64)) for g in grads]))
        if self.keep_full:
            self._vecs.append(np.concatenate(grads))
        self.steps.append(int(step))
        return True

    def norms(self) -> np.ndarray:
        return np.array(self._norms).reshape(len(self._norms), len(self.param_names))

    def vectors(self) -> np.ndarray:
        if not self.keep_full:
            raise ValidationError("gradient vectors were not kept: create the recorder with keep_full=True")
        return np.stack(self._vecs)

    def cosine_consecutive(self) -> np.ndarray:
        V = self.vectors().astype(np.float64)
        nrm = np.linalg.norm(V, axis=1)
        dots = np.einsum("ij,ij->i", V[:-1], V[1:])
        den = nrm[:-1] * nrm[1:]
        return np.divide(dots, den, out=np.zeros_like(dots), where=den > 0)


class ParameterRecorder(_Scheduled):
    """Copies of named parameters at scheduled steps: ``trajectory(name)`` is (checkpoints, *shape),
    e.g. the input weights of every hidden unit over training, to project on task axes
    (:func:`dynlearn.probes.geometry.project_on_axes`)."""

    def __init__(self, model, names: Sequence[str] | None = None, *, schedule: Iterable[int] | None = None):
        super().__init__(schedule)
        self.params = _select_params(model, names)
        self._store: dict[str, list[np.ndarray]] = {n: [] for n in self.params}

    def __call__(self, step: int) -> bool:
        if not self.due(step):
            return False
        for n, p in self.params.items():
            self._store[n].append(_to_numpy(p).copy())
        self.steps.append(int(step))
        return True

    def trajectory(self, name: str) -> np.ndarray:
        if name not in self._store:
            raise ValidationError(f"{name!r} was not recorded; recorded parameters: {list(self._store)}")
        return np.stack(self._store[name])


# --- learning curves per group -----------------------------------------------------------------------
class GroupCurves:
    """Learning curves per group (class, condition, concept): ``log(step, values, groups)`` takes one
    value per sample (a loss, or 1/0 for correct) and its group label and stores the mean per group.
    ``curves()`` returns (steps (T,), group labels (G,), means (T, G)); a group absent at a step is NaN."""

    def __init__(self):
        self.steps: list[int] = []
        self._rows: list[dict] = []

    def log(self, step: int, values, groups) -> None:
        v = _to_numpy(values, np.float64).ravel()
        g = np.asarray(_to_numpy(groups, np.float64) if hasattr(groups, "detach") else groups).ravel()
        if v.shape != g.shape:
            raise ValidationError(f"values and groups must have one entry per sample; got {v.shape} and {g.shape}")
        labels, inv = np.unique(g, return_inverse=True)
        means = np.bincount(inv, weights=v) / np.bincount(inv)
        self.steps.append(int(step))
        self._rows.append({lab.item() if hasattr(lab, "item") else lab: float(m) for lab, m in zip(labels, means)})

    def curves(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        labels = sorted({k for row in self._rows for k in row})
        M = np.full((len(self._rows), len(labels)), np.nan)
        for i, row in enumerate(self._rows):
            for j, lab in enumerate(labels):
                if lab in row:
                    M[i, j] = row[lab]
        return np.array(self.steps), np.array(labels), M


# --- features ----------------------------------------------------------------------------------------
def extract_features(model, name: str, inputs, *, batch_size: int = 1024) -> np.ndarray:
    """Output of module ``name`` on ``inputs`` (a tensor, first axis = samples), flattened to
    (n, features), computed in batches in eval mode without gradient."""
    rec = ActivationRecorder(model, [name])
    n = int(inputs.shape[0])
    parts = [rec.record(0, inputs[i : i + batch_size])[name] for i in range(0, n, int(batch_size))]
    return np.concatenate(parts)


class FeatureCache:
    """Features keyed by (module name, step), kept in memory and saved/loaded as one npz (no pickle)."""

    def __init__(self):
        self._data: dict[tuple[str, int], np.ndarray] = {}

    def put(self, name: str, step: int, features) -> None:
        if "@" in name:
            raise ValidationError(f"feature names may not contain '@'; got {name!r}")
        self._data[(name, int(step))] = check_array(features, "features", ndim=2).astype(np.float32)

    def get(self, name: str, step: int) -> np.ndarray:
        try:
            return self._data[(name, int(step))]
        except KeyError:
            raise ValidationError(f"no features for ({name!r}, step {step}); cached: {sorted(self._data)}") from None

    def keys(self) -> list[tuple[str, int]]:
        return sorted(self._data)

    def save(self, path: str | Path) -> Path:
        return atomic_savez(path, **{f"{n}@{s}": a for (n, s), a in self._data.items()})

    @classmethod
    def load(cls, path: str | Path) -> FeatureCache:
        cache = cls()
        for key, arr in read_npz(path, what="feature cache").items():
            name, _, step = key.rpartition("@")
            cache._data[(name, int(step))] = arr
        return cache


# --- probes ------------------------------------------------------------------------------------------
def _check_xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = check_array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValidationError(f"y must hold one class label per row of X ({X.shape[0]}); got shape {y.shape}")
    return X, y


class LinearProbe:
    """A linear read-out of frozen features, scikit-learn style (``fit`` / ``predict`` / ``score``).

    ``kind="ridge"`` (default): closed form, W = (X̄ᵀX̄ + λI)⁻¹X̄ᵀȲ on centred features and centred one-hot
    targets, prediction argmax(XW + b); λ = ``reg`` × mean eigenvalue of X̄ᵀX̄. ``kind="logistic"``:
    multinomial logistic regression on standardised features with penalty (``reg``/2)‖W‖², minimised by
    L-BFGS (scipy). Deterministic: no random initialisation.
    """

    def __init__(self, kind: str = "ridge", reg: float = 1e-3, max_iter: int = 500):
        self.kind, self.reg, self.max_iter = kind, reg, max_iter

    def fit(self, X, y) -> LinearProbe:
        X, y = _check_xy(X, y)
        if self.kind not in ("ridge", "logistic"):
            raise ValidationError(f"unknown probe kind {self.kind!r}; use 'ridge' or 'logistic'")
        self.classes_, inv = np.unique(y, return_inverse=True)
        Yh = np.eye(self.classes_.size)[inv]
        self.mean_ = X.mean(0)
        Xc = X - self.mean_
        if self.kind == "ridge":
            G = Xc.T @ Xc
            lam = float(self.reg) * max(np.trace(G) / G.shape[0], 1e-12)
            self.coef_ = np.linalg.solve(G + lam * np.eye(G.shape[0]), Xc.T @ (Yh - Yh.mean(0)))
            self.intercept_ = Yh.mean(0)
            self.scale_ = np.ones(X.shape[1])
            return self
        from scipy.optimize import minimize

        self.scale_ = np.where(Xc.std(0) > 0, Xc.std(0), 1.0)
        Z = Xc / self.scale_
        n, p, k = Z.shape[0], Z.shape[1], self.classes_.size

        def f(theta):
            W, b = theta[: p * k].reshape(p, k), theta[p * k :]
            logits = Z @ W + b
            logits -= logits.max(1, keepdims=True)
            P = np.exp(logits)
            P /= P.sum(1, keepdims=True)
            loss = -np.mean(np.log(P[np.arange(n), inv] + 1e-300)) + 0.5 * self.reg * np.sum(W**2)
            D = (P - Yh) / n
            return loss, np.concatenate([(Z.T @ D + self.reg * W).ravel(), D.sum(0)])

        res = minimize(f, np.zeros(p * k + k), jac=True, method="L-BFGS-B", options={"maxiter": int(self.max_iter)})
        self.coef_ = res.x[: p * k].reshape(p, k)
        self.intercept_ = res.x[p * k :]
        return self

    def decision_function(self, X) -> np.ndarray:
        if not hasattr(self, "coef_"):
            from dynlearn.errors import NotFittedError

            raise NotFittedError("LinearProbe is not fitted: call fit(X, y) first")
        X = check_array(X, "X", ndim=2)
        return ((X - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X, y) -> float:
        X, y = _check_xy(X, y)
        return float(np.mean(self.predict(X) == y))


class KNNProbe:
    """k-nearest-neighbour classifier on frozen features (``metric`` ``"cosine"`` or ``"euclidean"``):
    the majority label of the k closest training rows, ties to the smallest class label. Distances are
    computed in chunks of test rows by matrix products."""

    def __init__(self, k: int = 5, metric: str = "cosine", chunk: int = 2048):
        self.k, self.metric, self.chunk = k, metric, chunk

    def _prep(self, X: np.ndarray) -> np.ndarray:
        if self.metric == "cosine":
            n = np.linalg.norm(X, axis=1, keepdims=True)
            return np.divide(X, n, out=np.zeros_like(X), where=n > 0)
        if self.metric == "euclidean":
            return X
        raise ValidationError(f"unknown k-NN metric {self.metric!r}; use 'cosine' or 'euclidean'")

    def fit(self, X, y) -> KNNProbe:
        X, y = _check_xy(X, y)
        if not 1 <= int(self.k) <= X.shape[0]:
            raise ValidationError(f"k must be between 1 and the number of training rows ({X.shape[0]}); got {self.k}")
        self.classes_, self.y_ = np.unique(y, return_inverse=True)
        self.X_ = self._prep(X)
        self.sq_ = np.einsum("ij,ij->i", self.X_, self.X_)
        return self

    def predict(self, X) -> np.ndarray:
        if not hasattr(self, "X_"):
            from dynlearn.errors import NotFittedError

            raise NotFittedError("KNNProbe is not fitted: call fit(X, y) first")
        Q = self._prep(check_array(X, "X", ndim=2))
        k = int(self.k)
        out = np.empty(Q.shape[0], dtype=int)
        for i in range(0, Q.shape[0], int(self.chunk)):
            q = Q[i : i + int(self.chunk)]
            D = self.sq_[None, :] - 2.0 * q @ self.X_.T  # ‖q‖² is constant per row: irrelevant for ranking
            nn = np.argpartition(D, k - 1, axis=1)[:, :k] if k < D.shape[1] else np.tile(np.arange(D.shape[1]), (q.shape[0], 1))
            votes = np.zeros((q.shape[0], self.classes_.size))
            np.add.at(votes, (np.repeat(np.arange(q.shape[0]), k), self.y_[nn].ravel()), 1.0)
            out[i : i + q.shape[0]] = np.argmax(votes, axis=1)
        return self.classes_[out]

    def score(self, X, y) -> float:
        X, y = _check_xy(X, y)
        return float(np.mean(self.predict(X) == y))
