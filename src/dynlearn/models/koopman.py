"""Koopman forecasting models: DMD, EDMD and kernel EDMD (spectral analysis in :mod:`dynlearn.koopman`).

* ``dmd`` — exact DMD (Schmid 2010; Tu et al. 2014) of delay-embedded states
  z_t = (x_{t-k+1}, …, x_t) (Hankel DMD; ``delays = 1`` is plain DMD), truncated to
  ``rank`` modes, with an optional constant coordinate (``affine``) so the mean is
  represented: z_{t+1} ≈ A_r z_t, forecasts z_{t+h} = A_r^h z_t, state = last block.
* ``edmd`` — EDMD (Williams, Kevrekidis & Rowley 2015) in a dictionary ψ (RBFs, monomials,
  random Fourier features or Nyström kernel features) that contains the constant and the
  state: ψ(x_{t+1}) ≈ ψ(x_t) K with K = G⁺A. ``rollout="linear"`` propagates the dictionary,
  ψ_{t+h} = ψ(x_t) K^h, and reads the state off its state columns (Koopman's linear
  predictor); ``rollout="relift"`` re-evaluates the dictionary each step,
  x_{t+1} = [ψ(x_t) K]_state (a nonlinear one-step map).
* ``kernel_edmd`` — kernel EDMD with a Gaussian kernel in low-rank Nyström form
  (``edmd`` with ``dictionary="nystrom"``).

The fitted eigenvalues, eigenvectors and ResDMD residuals are in ``model.spectrum_``
(a :class:`dynlearn.koopman.KoopmanEstimate`, for ``edmd``/``kernel_edmd``) or
``model.dmd_`` (a :class:`dynlearn.koopman.DMDResult`) after ``fit`` (not saved).

A dictionary larger than the number of training pairs leaves EDMD undefined; the models
shrink the number of centres/features/landmarks to fit the data and warn (the spectral
API, :func:`dynlearn.koopman.edmd`, refuses it instead).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from dynlearn.config import ModelConfig
from dynlearn.errors import ValidationError
from dynlearn.models.base import Model
from dynlearn.models.registry import register


@dataclasses.dataclass
class DMDConfig(ModelConfig):
    """``rank``: DMD modes kept (0: every singular value above 1e-10 of the largest);
    ``delays``: past states stacked into the DMD state; ``affine``: add a constant coordinate."""

    rank: int = 0
    delays: int = 8
    affine: bool = True

    def validate(self):
        if self.rank < 0:
            raise ValidationError(f"dmd needs rank >= 0 (0 = all), got {self.rank}")
        if self.delays < 1:
            raise ValidationError(f"dmd needs delays >= 1, got {self.delays}")


def _pairs(trajectories, width: int) -> tuple[np.ndarray, np.ndarray]:
    X, Y = [], []
    for tr in trajectories:
        s = tr.states
        n = len(s) - width
        idx = np.arange(n)[:, None] + np.arange(width)[None, :]
        H = s[idx].reshape(n, -1)  # rows (x_t, …, x_{t+width-1}), oldest first
        X.append(H)
        Y.append(s[idx + 1].reshape(n, -1))
    return np.concatenate(X), np.concatenate(Y)


@register("dmd")
class DMD(Model):
    """Exact (Hankel) DMD: a rank-r linear map of the last ``delays`` states, iterated in closed loop."""

    Config = DMDConfig

    @property
    def min_context(self) -> int:
        return self.config.delays

    @property
    def min_train_length(self) -> int:
        return self.config.delays + 1

    def _lift(self, Z: np.ndarray) -> np.ndarray:
        return np.concatenate([Z, np.ones((len(Z), 1))], axis=1) if self.config.affine else Z

    def _fit(self, trajectories):
        from dynlearn.koopman import dmd

        X, Y = _pairs(trajectories, self.config.delays)
        self.dmd_ = dmd(self._lift(X), self._lift(Y), rank=self.config.rank or None)
        self.operator_ = (self.dmd_.lift @ self.dmd_.basis.conj().T).real  # A_r = YVΣ⁻¹U*

    def _predict(self, context, horizon):
        k, d = self.config.delays, context.shape[2]
        z = self._lift(context[:, -k:, :].reshape(len(context), -1))
        out = np.empty((len(context), horizon, d))
        At = self.operator_.T
        for h in range(horizon):
            z = z @ At
            out[:, h] = z[:, (k - 1) * d : k * d]
        return out

    def _get_state(self):
        return {"operator": self.operator_}

    def _set_state(self, state):
        n = self.config.delays * self.dim_ + (1 if self.config.affine else 0)
        op = np.asarray(state["operator"], dtype=np.float64)
        if op.shape != (n, n):
            raise ValueError(f"operator has shape {op.shape}, expected {(n, n)}")
        self.operator_ = op


@dataclasses.dataclass
class EDMDConfig(ModelConfig):
    """``dictionary``: ``rbf``, ``monomials``, ``fourier`` (random Fourier features) or ``nystrom``;
    ``n_functions``: RBF centres / random features / Nyström landmarks; ``degree``: monomial degree;
    ``centers``: ``kmeans`` or ``subsample`` (RBF); ``kernel``: ``exp`` (e^{-γr}) or ``gauss`` (e^{-γr²})
    (RBF, r = distance / the data's mean distance from its mean); ``gamma``: RBF rate; ``bandwidth``:
    Gaussian-kernel width in standardised units (fourier, nystrom); ``rank``: directions of G kept
    (0: all above ``rcond``); ``rcond``: relative cut-off of G's eigenvalues; ``rollout``:
    ``linear`` (propagate the dictionary) or ``relift`` (re-evaluate it every step)."""

    dictionary: str = "rbf"
    n_functions: int = 100
    degree: int = 3
    centers: str = "kmeans"
    kernel: str = "exp"
    gamma: float = 2.0
    bandwidth: float = 1.0
    rank: int = 0
    rcond: float = 1e-10
    rollout: str = "linear"

    def validate(self):
        choices = {
            "dictionary": ("rbf", "monomials", "fourier", "nystrom"),
            "centers": ("kmeans", "subsample"),
            "kernel": ("exp", "gauss"),
            "rollout": ("linear", "relift"),
        }
        for field, allowed in choices.items():
            if getattr(self, field) not in allowed:
                raise ValidationError(f"edmd {field} must be one of {', '.join(allowed)}; got {getattr(self, field)!r}")
        if self.n_functions < 1 or self.degree < 1:
            raise ValidationError(f"edmd needs n_functions >= 1 and degree >= 1, got {self.n_functions}, {self.degree}")
        if self.gamma <= 0 or self.bandwidth <= 0 or not 0 <= self.rcond < 1 or self.rank < 0:
            raise ValidationError("edmd needs gamma > 0, bandwidth > 0, 0 <= rcond < 1 and rank >= 0")


@register("edmd")
class EDMD(Model):
    """EDMD in a dictionary of observables; forecasts propagate the dictionary (or re-lift each step)."""

    Config = EDMDConfig

    @classmethod
    def conformance_config(cls, inputs: bool = False):
        return {"n_functions": 40}

    @property
    def min_train_length(self) -> int:
        return 3

    def _dictionary(self, n: int):
        from dynlearn import koopman

        c = self.config
        if c.dictionary == "rbf":
            return koopman.RBF(n, centers=c.centers, kernel=c.kernel, gamma=c.gamma, seed=c.seed)
        if c.dictionary == "monomials":
            return koopman.Monomials(c.degree)
        if c.dictionary == "fourier":
            return koopman.RandomFourier(n, bandwidth=c.bandwidth, seed=c.seed)
        return koopman.Nystrom(n, bandwidth=c.bandwidth, seed=c.seed)

    def _fit(self, trajectories):
        from dynlearn.koopman import edmd

        X, Y = _pairs(trajectories, 1)
        dim = X.shape[1]
        n = self.config.n_functions
        room = len(X) - 1 - dim  # pairs left for the dictionary's own functions
        if self.config.dictionary != "monomials" and n > room:
            if room < 1:
                raise ValidationError(f"{self.name} needs more than {dim + 2} training pairs, got {len(X)}")
            warnings.warn(
                f"{self.name}: {n} {self.config.dictionary} functions do not fit {len(X)} training pairs; using {room}",
                UserWarning,
                stacklevel=3,
            )
            n = room
        states = np.concatenate([tr.states for tr in trajectories])
        self.dictionary_ = self._dictionary(n).fit(states)
        self.n_used_ = n
        self.spectrum_ = edmd(
            self.dictionary_(X), self.dictionary_(Y), rank=self.config.rank or None, rcond=self.config.rcond
        )
        self.koopman_ = self.spectrum_.koopman_matrix.real

    def _predict(self, context, horizon):
        d = context.shape[2]
        cols = self.dictionary_.state_columns
        x = context[:, -1, :]
        out = np.empty((len(context), horizon, d))
        if self.config.rollout == "linear":
            psi = self.dictionary_(x)
            for h in range(horizon):
                psi = psi @ self.koopman_
                out[:, h] = psi[:, cols]
        else:
            K = self.koopman_[:, cols]
            for h in range(horizon):
                x = self.dictionary_(x) @ K
                if not np.all(np.isfinite(x)):  # the dictionary refuses non-finite states
                    out[:, h:] = np.nan
                    break
                out[:, h] = x
        return out

    def _get_meta(self):
        return {"n_used": int(self.n_used_)}

    def _set_meta(self, meta):
        self.n_used_ = int(meta["n_used"])

    def _get_state(self):
        return {"koopman": self.koopman_, **{f"dict_{k}": v for k, v in self.dictionary_.get_state().items()}}

    def _set_state(self, state):
        d = {k[5:]: state[k] for k in state if k.startswith("dict_")}
        self.dictionary_ = self._dictionary(self.n_used_).set_state(self.dim_, d)
        K = np.asarray(state["koopman"], dtype=np.float64)
        n = self.dictionary_.n_functions
        if K.shape != (n, n):
            raise ValueError(f"koopman matrix has shape {K.shape}, expected {(n, n)}")
        self.koopman_ = K


@dataclasses.dataclass
class KernelEDMDConfig(EDMDConfig):
    """As ``edmd``'s config, with the Nyström form of the Gaussian kernel as the dictionary."""

    dictionary: str = "nystrom"
    n_functions: int = 200


@register("kernel_edmd")
class KernelEDMD(EDMD):
    """Kernel EDMD (Williams, Rowley & Kevrekidis 2015), Gaussian kernel, low-rank Nyström form."""

    Config = KernelEDMDConfig
