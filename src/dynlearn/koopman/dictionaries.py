"""Dictionaries for EDMD: finite sets of observables ψ_1, …, ψ_N evaluated on states.

A dictionary is fitted to data once (centres, scales, random frequencies drawn
from ``seed``) and then maps states ``(n, d)`` to ``(n, N)`` feature matrices.
Every dictionary here includes the constant function and the state coordinates
(``include_state=True``, the default), so the state is exactly recovered from
the features and the constant (eigenvalue 1 of every Koopman operator) lies in
the span.

* :class:`Monomials` — all monomials of the standardised coordinates up to a degree.
* :class:`RBF` — radial basis functions φ(r_j), r_j = ‖x − c_j‖ / s, with centres
  c_j from k-means or from a random subsample of the data and s the mean distance
  of the data from its mean (the scaling of Colbrook & Townsend's Duffing example).
* :class:`RandomFourier` — random Fourier features √(2/N) cos(ωᵀx + b), ω ~ N(0, σ⁻²I),
  b ~ U[0, 2π): an unbiased low-rank form of the Gaussian kernel (Rahimi & Recht 2007).
* :class:`Nystrom` — the Nyström feature map ψ(x) = k(x, C) K_CC^{-1/2} of a Gaussian
  kernel with landmarks C: kernel EDMD (Williams, Rowley & Kevrekidis 2015) in low-rank
  form, since EDMD on these features reproduces kernel EDMD with the Gram matrix
  replaced by its Nyström approximation K_XC K_CC⁻¹ K_CX.
"""

from __future__ import annotations

import itertools

import numpy as np

from dynlearn._validation import as_rng
from dynlearn.errors import NotFittedError, ValidationError


def check_states(x, name: str = "states") -> np.ndarray:
    """``x`` as a finite real float64 array ``(n, d)``; complex data is refused with the fix."""
    arr = np.asarray(x)
    if np.iscomplexobj(arr):
        raise ValidationError(
            f"{name} are complex; dictionaries evaluate real states: pass the real and imaginary parts "
            "as separate coordinates (np.concatenate([x.real, x.imag], axis=-1))"
        )
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} must be a numeric array (n, dim): {exc}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValidationError(f"{name} must have shape (n, dim); got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} hold non-finite values (NaN or inf); drop or repair those rows first")
    return arr


class Dictionary:
    """Base class: ``fit(X)`` learns what the dictionary needs, ``transform(X)`` (or calling it) evaluates it."""

    include_state: bool = True

    def __init__(self):
        self.dim_: int | None = None

    def fit(self, X) -> Dictionary:
        X = check_states(X, "dictionary data")
        self.dim_ = X.shape[1]
        self._mean = X.mean(axis=0)
        sd = X.std(axis=0)
        self._scale = np.where(sd > 0, sd, 1.0)
        self._fit(X)
        return self

    def transform(self, X) -> np.ndarray:
        if self.dim_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(states) first")
        X = check_states(X)
        if X.shape[1] != self.dim_:
            raise ValidationError(f"states have dimension {X.shape[1]}, the dictionary was fitted on {self.dim_}")
        out = np.empty((len(X), self.n_functions))
        out[:, 0] = 1.0
        k = 1
        if self.include_state:
            out[:, 1 : 1 + self.dim_] = X
            k += self.dim_
        step = max(1, int(2**24 // max(out.shape[1], 1)))  # rows per block: temporaries stay near 128 MB
        for i in range(0, len(X), step):
            out[i : i + step, k:] = self._features(X[i : i + step])
        return out

    __call__ = transform

    def features(self, X) -> np.ndarray:
        """The dictionary's own functions at ``X``, without the constant and state columns."""
        if self.dim_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(states) first")
        return self._features(check_states(X))

    @property
    def n_functions(self) -> int:
        if self.dim_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted")
        return 1 + (self.dim_ if self.include_state else 0) + self._n_features()

    @property
    def state_columns(self) -> slice | None:
        """Columns of ``transform``'s output that hold the state (``None`` without ``include_state``)."""
        return slice(1, 1 + self.dim_) if self.include_state and self.dim_ is not None else None

    # state for saving (npz-able arrays) -------------------------------------------------------
    def get_state(self) -> dict[str, np.ndarray]:
        return {"mean": self._mean, "scale": self._scale, **self._get_state()}

    def set_state(self, dim: int, state: dict[str, np.ndarray]) -> Dictionary:
        self.dim_ = int(dim)
        self._mean = np.asarray(state["mean"], dtype=np.float64).reshape(dim)
        self._scale = np.asarray(state["scale"], dtype=np.float64).reshape(dim)
        self._set_state(state)
        return self

    def _fit(self, X: np.ndarray) -> None:
        raise NotImplementedError

    def _features(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _n_features(self) -> int:
        raise NotImplementedError

    def _get_state(self) -> dict[str, np.ndarray]:
        return {}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        pass


class Monomials(Dictionary):
    """Monomials ∏ z_i^{k_i}, 2 ≤ Σk_i ≤ ``degree``, of the standardised state z = (x − mean) / std
    (degrees 0 and 1 are the constant and the state columns)."""

    def __init__(self, degree: int = 3, include_state: bool = True):
        super().__init__()
        if int(degree) < 1:
            raise ValidationError(f"Monomials needs degree >= 1, got {degree}")
        self.degree = int(degree)
        self.include_state = include_state

    def _powers(self) -> np.ndarray:
        lo = 2 if self.include_state else 1
        rows = [
            p
            for deg in range(lo, self.degree + 1)
            for p in itertools.combinations_with_replacement(range(self.dim_), deg)
        ]
        out = np.zeros((len(rows), self.dim_), dtype=np.int64)
        for i, p in enumerate(rows):
            for j in p:
                out[i, j] += 1
        return out

    def _fit(self, X):
        self._pow = self._powers()

    def _n_features(self):
        return len(self._pow)

    def _set_state(self, state):
        self._pow = self._powers()

    def _features(self, X):
        z = (X - self._mean) / self._scale
        pw = self._pow
        out = np.ones((len(X), len(pw)))
        for j in range(self.dim_):
            for k in range(1, self.degree + 1):
                cols = pw[:, j] == k
                if cols.any():
                    out[:, cols] *= (z[:, j] ** k)[:, None]
        return out


def _sq_dist(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    d2 = X @ (-2.0 * C.T)  # in place from here: these arrays are the bulk of a dictionary's cost
    d2 += (X * X).sum(1)[:, None]
    d2 += (C * C).sum(1)[None, :]
    return np.maximum(d2, 0.0, out=d2)


def _centres(X: np.ndarray, n: int, how: str, rng: np.random.Generator) -> np.ndarray:
    if n > len(X):
        raise ValidationError(
            f"{n} centres were asked for but the data hold only {len(X)} states; use n_centers <= {len(X)}"
        )
    if how == "subsample":
        return X[np.sort(rng.choice(len(X), size=n, replace=False))].copy()
    if how == "kmeans":
        return kmeans(X, n, rng)
    raise ValidationError(f"centres must be 'kmeans' or 'subsample', got {how!r}")


def kmeans(X: np.ndarray, k: int, rng: np.random.Generator, iters: int = 10) -> np.ndarray:
    """k-means centres: k-means++ seeding (Arthur & Vassilvitskii 2007), then ``iters`` Lloyd steps.

    The seeding keeps each point's distance to its nearest centre and updates it once per new
    centre, so it costs O(k M d) (scipy's ``kmeans2(minit="++")`` recomputes all distances, O(k² M d))."""
    from scipy.cluster.vq import vq

    m = len(X)
    centres = np.empty((k, X.shape[1]))
    centres[0] = X[rng.integers(m)]
    d2 = ((X - centres[0]) ** 2).sum(1)
    for i in range(1, k):
        cum = np.cumsum(d2)
        j = min(int(np.searchsorted(cum, rng.random() * cum[-1])), m - 1) if cum[-1] > 0 else rng.integers(m)
        centres[i] = X[j]
        np.minimum(d2, ((X - centres[i]) ** 2).sum(1), out=d2)
    for _ in range(iters):
        label, _ = vq(X, centres, check_finite=False)
        counts = np.bincount(label, minlength=k)
        sums = np.stack([np.bincount(label, weights=X[:, j], minlength=k) for j in range(X.shape[1])], axis=1)
        filled = counts > 0  # an empty cluster keeps its centre
        new = centres.copy()
        new[filled] = sums[filled] / counts[filled, None]
        if np.array_equal(new, centres):
            break
        centres = new
    return centres


class RBF(Dictionary):
    """ψ_j(x) = φ(‖x − c_j‖ / s) with φ(r) = exp(−γ r) (``kernel="exp"``) or exp(−γ r²) (``"gauss"``).

    ``s`` is the mean distance of the fitted data from their mean; centres ``c_j`` come from
    k-means (``centers="kmeans"``) or a random subsample of the data (``"subsample"``)."""

    def __init__(
        self,
        n_centers: int = 100,
        *,
        centers: str = "kmeans",
        kernel: str = "exp",
        gamma: float = 2.0,
        seed: int = 0,
        include_state: bool = True,
    ):
        super().__init__()
        if int(n_centers) < 1:
            raise ValidationError(f"RBF needs n_centers >= 1, got {n_centers}")
        if kernel not in ("exp", "gauss"):
            raise ValidationError(f"RBF kernel must be 'exp' or 'gauss', got {kernel!r}")
        if centers not in ("kmeans", "subsample"):
            raise ValidationError(f"RBF centers must be 'kmeans' or 'subsample', got {centers!r}")
        self.n_centers, self.centers, self.kernel = int(n_centers), centers, kernel
        self.gamma, self.seed, self.include_state = float(gamma), seed, include_state

    def _fit(self, X):
        self.centers_ = _centres(X, self.n_centers, self.centers, as_rng(self.seed))
        self.length_ = float(np.mean(np.linalg.norm(X - X.mean(0), axis=1))) or 1.0

    def _n_features(self):
        return self.n_centers

    def _features(self, X):
        d = _sq_dist(X, self.centers_)
        if self.kernel == "exp":
            np.sqrt(d, out=d)
            d *= -self.gamma / self.length_
        else:
            d *= -self.gamma / self.length_**2
        return np.exp(d, out=d)

    def _get_state(self):
        return {"centers": self.centers_, "length": np.array(self.length_)}

    def _set_state(self, state):
        self.centers_ = np.asarray(state["centers"], dtype=np.float64).reshape(self.n_centers, self.dim_)
        self.length_ = float(state["length"])


class RandomFourier(Dictionary):
    """ψ_j(x) = √(2/N) cos(ω_jᵀ z + b_j) on the standardised state z, ω_j ~ N(0, I/σ²), b_j ~ U[0, 2π).

    E[ψ(x)ᵀψ(x')] = exp(−‖z − z'‖² / (2σ²)) (Rahimi & Recht 2007): a random-feature form of the
    Gaussian kernel. ``bandwidth`` σ is in units of the standardised coordinates."""

    def __init__(self, n_features: int = 200, *, bandwidth: float = 1.0, seed: int = 0, include_state: bool = True):
        super().__init__()
        if int(n_features) < 1 or float(bandwidth) <= 0:
            raise ValidationError(
                f"RandomFourier needs n_features >= 1 and bandwidth > 0, got {n_features}, {bandwidth}"
            )
        self.n_features, self.bandwidth, self.seed, self.include_state = (
            int(n_features),
            float(bandwidth),
            seed,
            include_state,
        )

    def _fit(self, X):
        rng = as_rng(self.seed)
        self.omega_ = rng.standard_normal((self.dim_, self.n_features)) / self.bandwidth
        self.phase_ = rng.uniform(0.0, 2 * np.pi, self.n_features)

    def _n_features(self):
        return self.n_features

    def _features(self, X):
        z = (X - self._mean) / self._scale
        return np.sqrt(2.0 / self.n_features) * np.cos(z @ self.omega_ + self.phase_)

    def _get_state(self):
        return {"omega": self.omega_, "phase": self.phase_}

    def _set_state(self, state):
        self.omega_ = np.asarray(state["omega"], dtype=np.float64).reshape(self.dim_, self.n_features)
        self.phase_ = np.asarray(state["phase"], dtype=np.float64).reshape(self.n_features)


def gaussian_kernel(X: np.ndarray, Z: np.ndarray, bandwidth: float) -> np.ndarray:
    """k(x, z) = exp(−‖x − z‖² / (2σ²)) for every pair of rows: ``(len(X), len(Z))``."""
    d = _sq_dist(X, Z)
    d *= -1.0 / (2.0 * bandwidth**2)
    return np.exp(d, out=d)


class Nystrom(Dictionary):
    """ψ(x) = k(z, C) U Λ^{-1/2} with K_CC = U Λ Uᵀ (directions with Λ below ``rcond``·max Λ dropped):
    the Nyström feature map of the Gaussian kernel k on the standardised state z, landmarks C a random
    subsample of the data. ψ(x)ᵀψ(x') = k(x, C) K_CC⁺ k(C, x') is the Nyström approximation of k."""

    def __init__(
        self,
        n_landmarks: int = 200,
        *,
        bandwidth: float = 1.0,
        rcond: float = 1e-10,
        seed: int = 0,
        include_state: bool = True,
    ):
        super().__init__()
        if int(n_landmarks) < 1 or float(bandwidth) <= 0:
            raise ValidationError(f"Nystrom needs n_landmarks >= 1 and bandwidth > 0, got {n_landmarks}, {bandwidth}")
        self.n_landmarks, self.bandwidth, self.rcond = int(n_landmarks), float(bandwidth), float(rcond)
        self.seed, self.include_state = seed, include_state

    def _fit(self, X):
        z = (X - self._mean) / self._scale
        self.landmarks_ = _centres(z, self.n_landmarks, "subsample", as_rng(self.seed))
        lam, U = np.linalg.eigh(gaussian_kernel(self.landmarks_, self.landmarks_, self.bandwidth))
        keep = lam > self.rcond * lam[-1]
        self.map_ = U[:, keep] / np.sqrt(lam[keep])

    def _n_features(self):
        return self.map_.shape[1]

    def _features(self, X):
        z = (X - self._mean) / self._scale
        return gaussian_kernel(z, self.landmarks_, self.bandwidth) @ self.map_

    def _get_state(self):
        return {"landmarks": self.landmarks_, "map": self.map_}

    def _set_state(self, state):
        self.landmarks_ = np.asarray(state["landmarks"], dtype=np.float64).reshape(self.n_landmarks, self.dim_)
        self.map_ = np.asarray(state["map"], dtype=np.float64)
        if self.map_.ndim != 2 or self.map_.shape[0] != self.n_landmarks:
            raise ValueError(f"Nystrom map has shape {self.map_.shape}, expected ({self.n_landmarks}, k)")
