"""Honest baselines every learned model should beat.

* ``persistence`` — the last observed state, forever; also registered as
  ``naive``, the name forecasters know it by.
* ``seasonal_naive`` — the last observed season repeated,
  x̂_{T+h} = x_{T+h-m(⌊(h-1)/m⌋+1)} (Hyndman & Athanasopoulos, *Forecasting:
  Principles and Practice*, 3rd ed., §5.2).
* ``mean`` — the training mean, forever (the climatology forecast).
* ``linear_ar`` — ridge linear autoregression on ``lags`` past states,
  iterated in closed loop.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dynlearn.config import ModelConfig
from dynlearn.errors import ValidationError
from dynlearn.models.base import Capabilities, Model
from dynlearn.models.registry import register


@register("persistence")
class Persistence(Model):
    """x̂_{t+h} = x_t for every h."""

    capabilities = Capabilities(needs_uniform_sampling=False)

    def _fit(self, trajectories):
        pass

    @property
    def min_train_length(self) -> int:
        return 1

    def _predict(self, context, horizon):
        return np.repeat(context[:, -1:, :], horizon, axis=1)


@register("naive")
class Naive(Persistence):
    """x̂_{t+h} = x_t for every h (the naive forecast; same as ``persistence``)."""


@dataclasses.dataclass
class SeasonalNaiveConfig(ModelConfig):
    """``season``: the period m in steps (12 for monthly data with a yearly cycle)."""

    season: int = 1

    def validate(self):
        if self.season < 1:
            raise ValidationError(f"seasonal_naive needs season >= 1, got {self.season}")


@register("seasonal_naive")
class SeasonalNaive(Model):
    """x̂_{T+h} = x_{T+h-m(⌊(h-1)/m⌋+1)}: the last m observed states, repeated.

    Needs a context of at least ``season`` steps; ``season = 1`` is the naive forecast.
    """

    Config = SeasonalNaiveConfig
    capabilities = Capabilities(needs_uniform_sampling=False)

    def _fit(self, trajectories):
        pass

    @property
    def min_context(self) -> int:
        return self.config.season

    def _predict(self, context, horizon):
        m = self.config.season
        last = context[:, -m:, :]
        reps = -(-horizon // m)
        return np.tile(last, (1, reps, 1))[:, :horizon]


@register("mean")
class Mean(Model):
    """x̂_{t+h} = mean of the training states."""

    capabilities = Capabilities(needs_uniform_sampling=False)

    def _fit(self, trajectories):
        self.mean_ = np.concatenate([t.states for t in trajectories]).mean(axis=0)

    @property
    def min_train_length(self) -> int:
        return 1

    def _predict(self, context, horizon):
        return np.broadcast_to(self.mean_, (context.shape[0], horizon, len(self.mean_))).copy()

    def _get_state(self):
        return {"mean": self.mean_}

    def _set_state(self, state):
        self.mean_ = np.asarray(state["mean"], dtype=np.float64).reshape(self.dim_)


@dataclasses.dataclass
class LinearARConfig(ModelConfig):
    """``lags``: past states in the regressor; ``alpha``: ridge penalty on
    standardised features (the intercept is not penalised)."""

    lags: int = 4
    alpha: float = 1e-6

    def validate(self):
        if self.lags < 1:
            raise ValidationError(f"linear_ar needs lags >= 1, got {self.lags}")
        if self.alpha < 0:
            raise ValidationError(f"linear_ar needs alpha >= 0, got {self.alpha}")


@register("linear_ar")
class LinearAR(Model):
    """x_{t+1} = c + Σ_{j=0}^{k-1} A_j x_{t-j}, fitted by ridge regression on
    all (k lags → next state) pairs of the training trajectories."""

    Config = LinearARConfig

    @property
    def min_context(self) -> int:
        return self.config.lags

    def _features(self, window: np.ndarray) -> np.ndarray:
        # window (..., lags, dim), most recent last -> (..., lags*dim), most recent first
        return window[..., ::-1, :].reshape(*window.shape[:-2], -1)

    def _fit(self, trajectories):
        k = self.config.lags
        X, Y = [], []
        for tr in trajectories:
            s = tr.states
            idx = np.arange(k, len(s))
            X.append(self._features(s[idx[:, None] - k + np.arange(k)]))
            Y.append(s[idx])
        X, Y = np.concatenate(X), np.concatenate(Y)
        mu, sd = X.mean(0), X.std(0)
        sd = np.where(sd > 0, sd, 1.0)
        Z = (X - mu) / sd
        ym = Y.mean(0)
        gram = Z.T @ Z + self.config.alpha * len(Z) * np.eye(Z.shape[1])
        W = np.linalg.lstsq(gram, Z.T @ (Y - ym), rcond=None)[0]
        self.coef_ = W / sd[:, None]  # (lags*dim, dim) on raw features
        self.intercept_ = ym - mu @ self.coef_

    def _predict(self, context, horizon):
        k = self.config.lags
        window = context[:, -k:, :].copy()
        out = np.empty((context.shape[0], horizon, context.shape[2]))
        for h in range(horizon):
            nxt = self._features(window) @ self.coef_ + self.intercept_
            out[:, h] = nxt
            window = np.concatenate([window[:, 1:], nxt[:, None]], axis=1)
        return out

    def _get_state(self):
        return {"coef": self.coef_, "intercept": self.intercept_}

    def _set_state(self, state):
        coef = np.asarray(state["coef"], dtype=np.float64)
        if coef.shape != (self.config.lags * self.dim_, self.dim_):
            raise ValueError(f"coef has shape {coef.shape}, expected {(self.config.lags * self.dim_, self.dim_)}")
        self.coef_, self.intercept_ = coef, np.asarray(state["intercept"], dtype=np.float64).reshape(self.dim_)
