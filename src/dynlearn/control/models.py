"""Dynamics models with actions: the interface a planner plans with, and the learned models.

**The interface** (:class:`DynamicsModel`), shared by an environment's true model
(``env.model()``) and every learned model, over batches ``(batch, dim)`` in numpy or torch:

- ``step(obs, actions, *, generator=None) -> next_obs`` (a stochastic model draws from ``generator``,
  a ``torch.Generator``);
- ``reward(obs, actions, next_obs) -> (batch,)`` and ``terminated(next_obs) -> (batch,)`` bool;
- ``observation_dim`` and ``action_dim``.

**Learned models** learn ``s' = s + f(s, a)`` from :class:`~dynlearn.control.Transitions`, with
inputs and targets standardised; reward and termination are known functions borrowed from a
``reward`` source (usually ``env.model()``), as in PETS:

- :class:`MLPDynamics`: a deterministic MLP trained on the squared error;
- :class:`GaussianEnsemble`: the probabilistic ensemble of PETS (Chua et al. 2018, "Deep
  reinforcement learning in a handful of trials using probabilistic dynamics models"): ``M``
  members, each a Gaussian ``N(μ(s, a), diag σ²(s, a))`` trained by negative log-likelihood on its
  own bootstrap resample, with learned soft bounds on ``log σ²``
  (``log σ² ← max − softplus(max − log σ²)``, ``← min + softplus(log σ² − min)``, and
  ``0.01 (Σ max − Σ min)`` added to the loss). Propagation of a batch of particles:
  ``"ts1"`` re-draws each particle's member at every step, ``"tsinf"`` fixes it for the
  whole rollout (row ``i`` uses member ``i mod M``), ``"mean"`` averages the members' means
  (no sampling).

Both save to a directory (``model.json`` + ``weights.safetensors``; never pickle) and load back
with :func:`load_dynamics`. They are not entries of :mod:`dynlearn.models`: that registry holds
autonomous forecasters fitted on trajectories; these are one-step transition models fitted on
``(s, a, s')`` and always need actions. A forecaster fitted with inputs (SINDy with control) is
used for planning through :class:`ForecasterDynamics`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from dynlearn.config import build_config, config_to_dict
from dynlearn.control.envs._backend import is_torch
from dynlearn.control.transitions import Transitions
from dynlearn.errors import FileFormatError, NotFittedError, ValidationError
from dynlearn.io_utils import atomic_write_bytes, atomic_write_text
from dynlearn.registry import Registry

FORMAT = "dynlearn.control.dynamics"
FORMAT_VERSION = 1


@runtime_checkable
class DynamicsModel(Protocol):
    """What a planner needs: batched one-step dynamics, reward and termination (see the module doc)."""

    observation_dim: int
    action_dim: int

    def step(self, obs, actions, *, generator=None): ...

    def reward(self, obs, actions, next_obs): ...

    def terminated(self, next_obs): ...


# --- the network: M independent MLPs evaluated with one batched matmul per layer ----------------


class _EnsembleNet(nn.Module):
    def __init__(
        self, n_in: int, n_out: int, hidden: int, layers: int, members: int, gaussian: bool, generator: torch.Generator
    ):
        super().__init__()
        sizes = [n_in] + [hidden] * layers + [2 * n_out if gaussian else n_out]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for a, b in zip(sizes[:-1], sizes[1:]):
            w = torch.empty(members, a, b)
            std = 1.0 / (2.0 * math.sqrt(a))  # truncated-normal init of PETS
            with torch.no_grad():
                w.normal_(0.0, std, generator=generator).clamp_(-2 * std, 2 * std)
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(torch.zeros(members, 1, b)))
        self.n_out, self.gaussian = n_out, gaussian
        if gaussian:
            self.max_logvar = nn.Parameter(torch.full((1, 1, n_out), 0.5))
            self.min_logvar = nn.Parameter(torch.full((1, 1, n_out), -10.0))

    def forward(self, x: torch.Tensor):
        """``x``: ``(members, rows, n_in)`` -> mean ``(members, rows, n_out)`` and log-variance (or None)."""
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < n - 1:
                x = torch.nn.functional.silu(x)
        if not self.gaussian:
            return x, None
        mean, logvar = x[..., : self.n_out], x[..., self.n_out :]
        logvar = self.max_logvar - torch.nn.functional.softplus(self.max_logvar - logvar)
        logvar = self.min_logvar + torch.nn.functional.softplus(logvar - self.min_logvar)
        return mean, logvar


@dataclasses.dataclass
class DynamicsConfig:
    """Hyper-parameters of a learned dynamics model (``members`` and ``propagation`` are the ensemble's)."""

    hidden: int = 200
    layers: int = 3
    members: int = 7
    propagation: str = "ts1"
    learning_rate: float = 1e-3
    weight_decay: float = 5e-5
    epochs: int = 50
    batch_size: int = 256
    seed: int = 0

    def validate(self) -> None:
        if self.propagation not in ("ts1", "tsinf", "mean"):
            raise ValidationError(f"propagation must be 'ts1', 'tsinf' or 'mean', got {self.propagation!r}")
        for name in ("hidden", "layers", "members", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be >= 1, got {getattr(self, name)}")


def torch_batch(obs, actions):
    """``(x, a, single, torch_in)``: observations and actions as a 2-D torch batch (numpy input becomes
    float32; actions take the observations' dtype and device), whether one unbatched row was given, and
    whether ``obs`` was a tensor (so the caller answers in the same kind)."""
    torch_in = is_torch(obs)
    x = obs if torch_in else torch.as_tensor(np.asarray(obs, dtype=np.float32))
    a = actions if is_torch(actions) else torch.as_tensor(np.asarray(actions, dtype=np.float32), device=x.device)
    a = a.to(x.dtype)
    single = x.ndim == 1
    if single:
        x, a = x[None], a[None]
    return x, a, single, torch_in


class RewardFromSource:
    """For dynamics models that learn the next state only: ``reward`` and ``terminated`` come from
    ``self.reward_model`` (an environment's true model ``env.model()``, a cost, or any object with
    those two methods). ``_reward_hint`` says in the error how to give one."""

    reward_model: Any = None
    _reward_hint: ClassVar[str] = "{cls}(reward=env.model()) or model.reward_model = env.model()"

    def _reward_source(self):
        if self.reward_model is None:
            cls = type(self).__name__
            raise ValidationError(
                f"{cls} learns dynamics only; give it a reward source: {self._reward_hint.format(cls=cls)}"
            )
        return self.reward_model

    def reward(self, obs, actions, next_obs):
        return self._reward_source().reward(obs, actions, next_obs)

    def terminated(self, next_obs):
        return self._reward_source().terminated(next_obs)


def read_model_header(path: str | os.PathLike, *, fmt: str, version: int, kinds, what: str) -> dict[str, Any]:
    """The ``model.json`` of a saved directory, checked: present, valid JSON, of format ``fmt``,
    ``version`` and one of ``kinds``; otherwise a :class:`FileFormatError` saying what to do."""
    path = Path(path)
    try:
        meta = json.loads((path / "model.json").read_text())
    except FileNotFoundError:
        raise FileFormatError(f"{path} holds no model.json; is it a directory written by {what}.save?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path / 'model.json'} is corrupt ({exc}); save the {what} again") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise FileFormatError(f"{path} is not a {fmt} file set")
    kinds = sorted(kinds)
    if meta.get("version") != version or meta.get("kind") not in kinds:
        raise FileFormatError(
            f"{path} has format version {meta.get('version')!r} / kind {meta.get('kind')!r}; this dynlearn reads "
            f"version {version} of kinds {kinds}"
        )
    return meta


def read_weights(path: str | os.PathLike, what: str) -> dict[str, torch.Tensor]:
    """``weights.safetensors`` of a saved directory (a missing or damaged file is a FileFormatError)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = Path(path) / "weights.safetensors"
    try:
        return load_file(str(file))
    except (FileNotFoundError, SafetensorError, OSError) as exc:
        raise FileFormatError(f"{file} cannot be read ({exc}); save the {what} again") from None


class LearnedDynamics(RewardFromSource):
    """Base of the learned models: standardisation, training loop, step, persistence."""

    kind: ClassVar[str] = "learned"
    gaussian: ClassVar[bool] = False

    def __init__(self, config: Any = None, *, reward: Any = None, **overrides: Any):
        self.config = build_config(DynamicsConfig, config, overrides)
        self.reward_model = reward
        self.net_: _EnsembleNet | None = None
        self.history_: list[float] = []

    # dims and reward -----------------------------------------------------------
    @property
    def members(self) -> int:
        return 1

    @property
    def observation_dim(self) -> int:
        return self._require().n_out

    @property
    def action_dim(self) -> int:
        self._require()
        return self._n_in - self.observation_dim

    def _require(self) -> _EnsembleNet:
        if self.net_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(transitions) or load(path) first")
        return self.net_

    # training ----------------------------------------------------------------------
    def fit(self, data: Transitions, *, epochs: int | None = None, holdout: Transitions | None = None,
            patience: int = 5) -> LearnedDynamics:
        """Train on ``data`` for ``epochs`` (default ``config.epochs``) passes. A fitted model of the
        same dimensions continues from its weights (PETS refits after every episode).

        With ``holdout`` (MBPO's early stopping, Janner et al. 2019): after each pass every member's
        mean squared error on the held-out transitions (standardised deltas) is measured, each
        member keeps its best weights, and training stops once no member has improved by more than
        1 % for ``patience`` passes; ``epochs`` is then the maximum. The members' held-out errors
        are left in ``holdout_mse_``."""
        if not isinstance(data, Transitions):
            raise ValidationError(f"fit takes a dynlearn.control.Transitions, got {type(data).__name__}")
        if len(data) < 2:
            raise ValidationError(f"fit needs at least 2 transitions; got {len(data)}")
        c = self.config
        n_in = data.observation_dim + data.action_dim
        if self.net_ is not None and (self._n_in, self.observation_dim) != (n_in, data.observation_dim):
            raise ValidationError(
                f"this model was fitted with obs dim {self.observation_dim} and action dim {self.action_dim}; "
                f"got {data.observation_dim} and {data.action_dim}"
            )
        gen = torch.Generator().manual_seed(int(c.seed) + 7919 * len(self.history_))
        if self.net_ is None:
            self._n_in = n_in
            self.net_ = _EnsembleNet(
                n_in,
                data.observation_dim,
                c.hidden,
                c.layers,
                self.members,
                self.gaussian,
                torch.Generator().manual_seed(int(c.seed)),
            )
        x = np.concatenate([data.obs, data.actions], axis=1)
        y = data.next_obs - data.obs
        self._set_scaler(x, y)
        X = torch.as_tensor((x - self.x_mean_) / self.x_std_, dtype=torch.float32)
        Y = torch.as_tensor((y - self.y_mean_) / self.y_std_, dtype=torch.float32)
        opt = torch.optim.Adam(self.net_.parameters(), lr=c.learning_rate, weight_decay=c.weight_decay)
        n, M = len(X), self.members
        boot = torch.randint(n, (M, n), generator=gen) if M > 1 else torch.arange(n)[None]
        bs = min(c.batch_size, n)
        if holdout is not None:
            if not isinstance(holdout, Transitions) or len(holdout) < 1:
                raise ValidationError("fit's holdout must be a non-empty Transitions (or None for no early stopping)")
            xh = np.concatenate([holdout.obs, holdout.actions], axis=1)
            Xh = torch.as_tensor((xh - self.x_mean_) / self.x_std_, dtype=torch.float32)
            Yh = torch.as_tensor((holdout.next_obs - holdout.obs - self.y_mean_) / self.y_std_, dtype=torch.float32)
            best = {"err": torch.full((M,), float("inf")), "params": {}}
            self._holdout_pass(Xh, Yh, best)  # the starting weights are a candidate (a refit may only help)
            stale = 0
        self.net_.train()
        for _ in range(int(epochs if epochs is not None else c.epochs)):
            order = torch.argsort(torch.rand(M, n, generator=gen), dim=1)
            idx_all = torch.gather(boot, 1, order)
            total, count = 0.0, 0
            for start in range(0, n, bs):
                idx = idx_all[:, start : start + bs]
                loss = self._loss(X[idx], Y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * idx.shape[1]
                count += idx.shape[1]
            self.history_.append(total / count)
            if holdout is not None:
                if self._holdout_pass(Xh, Yh, best):
                    stale = 0
                else:
                    stale += 1
                    if stale >= int(patience):
                        break
        if holdout is not None:
            self._holdout_restore(best)
        self.net_.eval()
        return self

    def _holdout_pass(self, Xh: torch.Tensor, Yh: torch.Tensor, best: dict) -> bool:
        """Score every member on the holdout; keep the weights of those that improved by > 1 %."""
        with torch.no_grad():
            mean, _ = self.net_(Xh.unsqueeze(0).expand(self.members, -1, -1))
            err = ((mean - Yh) ** 2).mean(dim=(1, 2))
        better = err < best["err"] * 0.99
        if bool(better.any()):
            best["err"] = torch.where(better, err, best["err"])
            for name, p in self.net_.named_parameters():
                if p.dim() == 3 and p.shape[0] == self.members:
                    best["params"].setdefault(name, p.detach().clone())[better] = p.detach()[better]
        return bool(better.any())

    def _holdout_restore(self, best: dict) -> None:
        with torch.no_grad():
            for name, p in self.net_.named_parameters():
                if name in best["params"]:
                    p.copy_(best["params"][name])
        self.holdout_mse_ = best["err"].double().numpy()

    def _set_scaler(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x_mean_, self.x_std_ = x.mean(0), np.maximum(x.std(0), 1e-6)
        self.y_mean_, self.y_std_ = y.mean(0), np.maximum(y.std(0), 1e-6)
        self._torch_cache: dict = {}

    def _loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mean, logvar = self.net_(x)
        if logvar is None:
            return ((mean - y) ** 2).mean()
        nll = (((mean - y) ** 2) * torch.exp(-logvar) + logvar).mean()
        return nll + 0.01 * (self.net_.max_logvar.sum() - self.net_.min_logvar.sum())

    def mse(self, data: Transitions) -> float:
        """Mean squared error of the predicted mean next observation on ``data`` (raw units)."""
        pred = self.predict_mean(data.obs, data.actions)
        return float(np.mean((pred - data.next_obs) ** 2))

    # prediction ------------------------------------------------------------------------
    def _scalers(self, ref: torch.Tensor):
        key = (ref.dtype, ref.device)
        cache = self._torch_cache
        if key not in cache:
            cache[key] = tuple(
                torch.as_tensor(v, dtype=ref.dtype, device=ref.device)
                for v in (self.x_mean_, self.x_std_, self.y_mean_, self.y_std_)
            )
        return cache[key]

    def predict_mean(self, obs, actions) -> np.ndarray:
        """The (member-averaged) mean next observation, numpy ``(batch, obs_dim)``."""
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(obs, dtype=np.float32))
            a = torch.as_tensor(np.asarray(actions, dtype=np.float32))
            return self._step_torch(x, a, None, "mean").double().numpy()

    def predict(self, obs, actions, *, member: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Each member's predictive distribution of the next observation, numpy, in raw units.

        Returns ``(mean, var)`` of shape ``(members, batch, obs_dim)``, or ``(batch, obs_dim)`` for one
        ``member``: ``mean = s + μ_y + σ_y μ_m(s, a)``, ``var = σ_y² exp(log σ²_m(s, a))`` (``var`` is
        None for a deterministic model)."""
        net = self._require()
        x = np.asarray(obs, dtype=np.float32)
        a = np.asarray(actions, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != net.n_out or a.shape != (len(x), self.action_dim):
            raise ValidationError(
                f"{type(self).__name__}.predict needs obs (batch, {net.n_out}) and actions (batch, "
                f"{self.action_dim}); got {x.shape} and {a.shape}"
            )
        if member is not None and not 0 <= int(member) < self.members:
            raise ValidationError(f"member must be in 0..{self.members - 1}, got {member}")
        with torch.no_grad():
            xt, at = torch.as_tensor(x), torch.as_tensor(a)
            xm, xs, ym, ys = self._scalers(xt)
            z = (torch.cat([xt, at], dim=-1) - xm) / xs
            mean, logvar = net(z.unsqueeze(0).expand(self.members, len(x), z.shape[1]))
            mean = (xt + mean * ys + ym).double().numpy()
            var = None if logvar is None else (torch.exp(logvar) * ys**2).double().numpy()
        if member is not None:
            return mean[int(member)], None if var is None else var[int(member)]
        return mean, var

    def get_state(self) -> dict[str, Any]:
        """The fitted model as a dict of tensors, arrays and numbers (for an agent's checkpoint; no
        pickle needed): ``net`` (the weights), ``n_in``, ``history`` and the four standardisation arrays."""
        net = self._require()
        return {
            "net": net.state_dict(),
            "n_in": self._n_in,
            "history": list(self.history_),
            **{k: np.asarray(getattr(self, k)) for k in ("x_mean_", "x_std_", "y_mean_", "y_std_")},
        }

    def set_state(self, state: dict[str, Any]) -> LearnedDynamics:
        """Restore a model from :meth:`get_state` (same config); returns ``self``."""
        c = self.config
        n_out = int(np.asarray(state["y_mean_"]).shape[-1])
        self._n_in = int(state["n_in"])
        self.net_ = _EnsembleNet(
            self._n_in, n_out, c.hidden, c.layers, self.members, self.gaussian, torch.Generator().manual_seed(0)
        )
        try:
            self.net_.load_state_dict(state["net"])
        except RuntimeError as exc:
            raise ValidationError(f"the state's weights do not match this model's config ({exc})") from None
        self.net_.eval()
        self._set_scaler(np.zeros((1, 1)), np.zeros((1, 1)))
        for k in ("x_mean_", "x_std_", "y_mean_", "y_std_"):
            setattr(self, k, np.asarray(state[k]))
        self.history_ = list(state["history"])
        return self

    def step(self, obs, actions, *, generator=None):
        net = self._require()
        x, a, single, torch_in = torch_batch(obs, actions)
        if x.ndim != 2 or x.shape[1] != net.n_out or a.ndim != 2 or a.shape != (x.shape[0], self.action_dim):
            raise ValidationError(
                f"{type(self).__name__}.step needs obs (batch, {net.n_out}) and actions (batch, {self.action_dim}); "
                f"got {tuple(x.shape)} and {tuple(a.shape)}"
            )
        with torch.no_grad():  # cheap when the caller (a planner) has switched gradients off already
            y = self._step_torch(x, a, generator, self.config.propagation if self.members > 1 else "mean")
        y = y[0] if single else y
        return y if torch_in else y.double().numpy()

    def _step_torch(self, x, a, generator, propagation: str):
        xm, xs, ym, ys = self._scalers(x)
        z = (torch.cat([x, a], dim=-1) - xm) / xs
        M, n = self.members, x.shape[0]
        if propagation == "mean":
            mean, logvar = self.net_(z.unsqueeze(0).expand(M, n, z.shape[1]))
            delta = mean.mean(0)
        else:
            pad = (-n) % M
            zp = torch.cat([z, z[torch.arange(pad) % n]]) if pad else z
            perm = None
            if propagation == "ts1":  # row perm[j] goes to member j mod M, re-drawn every step
                perm = (
                    torch.randperm(n + pad, generator=generator) if generator is not None else torch.randperm(n + pad)
                )
                zp = zp[perm]
            # row j -> member j mod M (TS-inf: fixed for the whole rollout)
            mean, logvar = self.net_(zp.view((n + pad) // M, M, -1).transpose(0, 1))
            if logvar is not None:
                noise = (
                    torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
                    if generator is not None
                    else torch.randn_like(mean)
                )
                mean = mean + torch.exp(0.5 * logvar) * noise
            out = mean.transpose(0, 1).reshape(n + pad, -1)
            if perm is not None:
                out = torch.empty_like(out).index_copy_(0, perm, out)
            delta = out[:n]
        return x + delta * ys + ym

    def rollout(self, obs, actions, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Roll ``actions`` ``(batch, horizon, action_dim)`` out from ``obs`` ``(batch, obs_dim)`` (torch,
        float32) and return the next observations ``(horizon, batch, obs_dim)``: the same distribution as
        ``horizon`` calls of :meth:`step` with this model's propagation, computed in one fused loop.

        The standardisation is folded into the first and last layers (``W₁' = W₁ / σ_x``,
        ``b₁' = b₁ − (μ_x/σ_x) W₁``; the mean head scaled by ``σ_y`` and shifted by ``μ_y``), the
        actions' share of the first layer is computed for the whole horizon in one batched product,
        and every random number (TS-1's member assignments, the Gaussian noise) is drawn up front.
        Per step there remain the members' batched products and a few element-wise operations.
        TS-1 draws a fresh balanced assignment of rows to members at every step (``ceil(batch/M)``
        rows per member, padded); TS-∞ keeps row ``i`` on member ``i mod M`` as :meth:`step` does."""
        net = self._require()
        x = obs if is_torch(obs) else torch.as_tensor(np.asarray(obs, dtype=np.float32))
        a = actions if is_torch(actions) else torch.as_tensor(np.asarray(actions, dtype=np.float32))
        x, a = x.float(), a.float()
        if x.ndim != 2 or x.shape[1] != net.n_out or a.ndim != 3 or a.shape[0] != x.shape[0] or a.shape[2] != (
            self.action_dim
        ):
            raise ValidationError(
                f"{type(self).__name__}.rollout needs obs (batch, {net.n_out}) and actions (batch, horizon, "
                f"{self.action_dim}); got {tuple(x.shape)} and {tuple(a.shape)}"
            )
        propagation = self.config.propagation if self.members > 1 else "mean"
        with torch.no_grad():
            if propagation == "mean":
                return self._rollout_mean(x, a)
            return self._rollout_sampled(x, a, generator, propagation)

    def _folded(self):
        """The network's layers with the standardisation folded in, cached until a weight changes."""
        net = self.net_
        params = list(net.parameters())
        key = (id(net), tuple(p._version for p in params))
        hit = self._torch_cache.get("folded")
        if hit is not None and hit[0] == key:
            return hit[1]
        with torch.no_grad():
            xm, xs, ym, ys = (torch.as_tensor(v, dtype=torch.float32) for v in (
                self.x_mean_, self.x_std_, self.y_mean_, self.y_std_))
            ws = [w.detach().clone() for w in net.weights]
            bs = [b.detach().clone() for b in net.biases]
            w1 = ws[0] / xs[:, None]
            bs[0] = bs[0] - ((xm / xs) @ ws[0]).unsqueeze(1)
            d = net.n_out
            ws[-1][..., :d] *= ys
            bs[-1][..., :d] = bs[-1][..., :d] * ys + ym
            folded = {
                "w1x": w1[:, :d].contiguous(), "w1a": w1[:, d:].contiguous(), "ws": ws[1:], "bs": bs,
                "max_lv": net.max_logvar.detach().clone() if net.gaussian else None,
                "span_lv": (net.max_logvar - net.min_logvar).detach() if net.gaussian else None,
                "std_shift": (0.5 * net.min_logvar + torch.log(ys)).detach() if net.gaussian else None,
            }
        self._torch_cache["folded"] = (key, folded)
        return folded

    def _heads(self, f, pre, s):
        """One step of the folded network: first-layer pre-activation ``pre`` plus ``s W₁ₓ`` -> raw mean
        delta and (Gaussian) raw standard deviation, both ``(M, rows, obs_dim)``."""
        silu = torch.nn.functional.silu
        h = silu(torch.baddbmm(pre, s, f["w1x"]))
        last = len(f["ws"]) - 1
        for i, (w, b) in enumerate(zip(f["ws"], f["bs"][1:])):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = silu(h)
        d = self.net_.n_out
        if f["max_lv"] is None:
            return h, None
        # log σ² = min + softplus(max − softplus(max − raw) − min); σ_raw = exp(log σ²/2 + log σ_y)
        softplus = torch.nn.functional.softplus
        inner = torch.sub(f["span_lv"], softplus(f["max_lv"] - h[..., d:]))
        return h[..., :d], torch.exp(torch.add(f["std_shift"], softplus(inner), alpha=0.5))

    @staticmethod
    def _action_share(f, a_slots):
        """``b₁' + a W₁ₐ`` for every step and slot at once, ``(H, M, R, A)`` -> ``(H, M, R, hidden)``: a
        few broadcast multiply-adds (a batched product with inner size A would run 210 tiny GEMMs)."""
        H, M, R, A = a_slots.shape
        w = f["w1a"]  # (M, A, hidden)
        if A > 8:
            return torch.matmul(a_slots, w).add_(f["bs"][0])
        pre = f["bs"][0].expand(H, M, R, w.shape[2]).clone()
        for k in range(A):
            pre.addcmul_(a_slots[..., k : k + 1], w[:, k].unsqueeze(1))
        return pre

    def _rollout_mean(self, x, a):
        f = self._folded()
        M, (n, H, _) = self.members, a.shape
        pre = self._action_share(f, a.transpose(0, 1).unsqueeze(1).expand(H, M, n, a.shape[2]))
        out = torch.empty(H, n, x.shape[1])
        s = x
        for t in range(H):
            mean, _ = self._heads(f, pre[t], s.expand(M, n, s.shape[1]))
            s = torch.add(s, mean.mean(0), out=out[t])
        return out

    def _rollout_sampled(self, x, a, generator, propagation):
        f = self._folded()
        M, (n, H, A), d = self.members, a.shape, x.shape[1]
        R = -(-n // M)
        N = R * M
        if N > n:  # pad with copies of the first rows (discarded at the end)
            fill = torch.arange(N - n) % n
            x, a = torch.cat([x, x[fill]]), torch.cat([a, a[fill]])
        noise = torch.randn((H, M, R, d), generator=generator)
        if propagation == "tsinf":  # row j = r M + m lives in slot (m, r) for the whole rollout
            s = x.view(R, M, d).transpose(0, 1).contiguous()
            a_slots = a.view(R, M, H, A).permute(2, 1, 0, 3)
            pre = self._action_share(f, a_slots)  # (H, M, R, hidden)
            out = torch.empty(H, M, R, d)
            for t in range(H):
                mean, std = self._heads(f, pre[t], s)
                s = torch.addcmul(s + mean, std, noise[t], out=out[t])
            return out.permute(0, 2, 1, 3).reshape(H, N, d)[:, :n]
        # ts1: at step t row perm[t, k] sits in slot k, i.e. on member k // R
        perm = torch.stack([torch.randperm(N, generator=generator) for _ in range(H)])
        inv = torch.empty_like(perm).scatter_(1, perm, torch.arange(N).expand(H, N))  # perm[t, inv[t, j]] = j
        a_slots = a[perm, torch.arange(H)[:, None]].view(H, M, R, A)
        pre = self._action_share(f, a_slots)
        out = torch.empty(H, N, d)
        s = x
        for t in range(H):
            slots = s.index_select(0, perm[t]).view(M, R, d)
            mean, std = self._heads(f, pre[t], slots)
            nxt = torch.addcmul(slots + mean, std, noise[t]).view(N, d)
            s = torch.index_select(nxt, 0, inv[t], out=out[t])
        return out[:, :n]

    # persistence -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``model.json`` and ``weights.safetensors`` into the directory ``path``."""
        from safetensors.torch import save as st_save

        net = self._require()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
        for k in ("x_mean_", "x_std_", "y_mean_", "y_std_"):
            tensors[f"scaler.{k}"] = torch.as_tensor(getattr(self, k), dtype=torch.float64)
        atomic_write_bytes(path / "weights.safetensors", st_save(tensors))
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "kind": self.kind,
            "config": config_to_dict(self.config),
            "n_in": self._n_in,
            "n_out": net.n_out,
            "history": self.history_,
        }
        atomic_write_text(path / "model.json", json.dumps(meta, indent=1))
        return path


class MLPDynamics(LearnedDynamics):
    """A deterministic MLP ``s' = s + f(s, a)`` trained on the squared error of standardised deltas."""

    kind = "mlp"


class GaussianEnsemble(LearnedDynamics):
    """The probabilistic ensemble of PETS with trajectory-sampling propagation (see the module doc)."""

    kind = "ensemble"
    gaussian = True

    @property
    def members(self) -> int:
        return int(self.config.members)


_KINDS = {"mlp": MLPDynamics, "ensemble": GaussianEnsemble}


def load_dynamics(path: str | os.PathLike, *, reward: Any = None) -> LearnedDynamics:
    """Load a model written by ``save``; a wrong format, version or missing file is refused."""
    path = Path(path)
    meta = read_model_header(path, fmt=FORMAT, version=FORMAT_VERSION, kinds=[*_KINDS, "forecaster"], what="model")
    if meta["kind"] == "forecaster":
        from dynlearn import models

        return ForecasterDynamics(models.load(path / "forecaster"), reward=reward)
    model = _KINDS[meta["kind"]](meta["config"], reward=reward)
    tensors = read_weights(path, "model")
    c = model.config
    model._n_in = int(meta["n_in"])
    model.net_ = _EnsembleNet(
        model._n_in,
        int(meta["n_out"]),
        c.hidden,
        c.layers,
        model.members,
        model.gaussian,
        torch.Generator().manual_seed(0),
    )
    try:
        model.net_.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("scaler.")})
    except RuntimeError as exc:
        raise FileFormatError(f"{path} weights do not match its config ({exc})") from None
    model.net_.eval()
    model._set_scaler(np.zeros((1, 1)), np.zeros((1, 1)))
    for k in ("x_mean_", "x_std_", "y_mean_", "y_std_"):
        setattr(model, k, tensors[f"scaler.{k}"].numpy())
    model.history_ = list(meta.get("history", []))
    return model


class ForecasterDynamics:
    """Plan with a :mod:`dynlearn.models` forecaster that takes inputs (``sindy`` by default, as a
    discrete-time map ``s' = f(s, a)`` with a degree-2 polynomial library, the E-SINDy setting of
    SINDy-RL). ``fit(transitions)`` fits it on the episodes of :meth:`Transitions.to_trajectories`
    with the actions as inputs; ``step`` is its one-step forecast with the action held over the step.
    A model given already fitted is used as is. Only Markov models (``min_context == 1``) plan.
    Runs in numpy: torch tensors are converted (no gradients flow)."""

    kind = "forecaster"

    def __init__(self, model: Any = "sindy", *, reward: Any = None, **overrides: Any):
        from dynlearn import models

        if isinstance(model, str):
            defaults = {"use_inputs": True, "discrete_time": True, "degree": 2} if model == "sindy" else {}
            model = models.create(model, **{**defaults, **overrides})
        elif overrides:
            raise ValidationError("config overrides go with a model name, not a model instance")
        self.model, self.reward_model = model, reward
        if getattr(model, "is_fitted", False):
            self._check()

    def _check(self) -> None:
        m = self.model
        if not m.uses_inputs or m.n_inputs_ < 1:
            raise ValidationError(
                f"{m.name} was fitted without inputs; fit it with actions as inputs "
                "(e.g. sindy use_inputs=true on Transitions.to_trajectories())"
            )
        if m.min_context != 1:
            raise ValidationError(f"{m.name} needs {m.min_context} past states; only Markov (1-state) models plan")

    def fit(self, data: Transitions) -> ForecasterDynamics:
        if not isinstance(data, Transitions):
            raise ValidationError(f"fit takes a dynlearn.control.Transitions, got {type(data).__name__}")
        self.model.fit(data.to_trajectories())
        self._check()
        return self

    @property
    def observation_dim(self) -> int:
        if not getattr(self.model, "is_fitted", False):
            raise NotFittedError("ForecasterDynamics is not fitted; call fit(transitions) first")
        return int(self.model.dim_)

    @property
    def action_dim(self) -> int:
        self.observation_dim  # noqa: B018 - raises when not fitted
        return int(self.model.n_inputs_)

    def mse(self, data: Transitions) -> float:
        return float(np.mean((self.step(data.obs, data.actions) - data.next_obs) ** 2))

    def step(self, obs, actions, *, generator=None):
        torch_in = is_torch(obs)
        x = obs.detach().cpu().double().numpy() if torch_in else np.asarray(obs, dtype=np.float64)
        a = actions.detach().cpu().double().numpy() if is_torch(actions) else np.asarray(actions, dtype=np.float64)
        single = x.ndim == 1
        x2, a2 = (x[None], a[None]) if single else (x, a)
        if x2.ndim != 2 or x2.shape[1] != self.observation_dim or a2.shape != (len(x2), self.action_dim):
            raise ValidationError(
                f"step needs obs (batch, {self.observation_dim}) and actions (batch, "
                f"{self.action_dim}); got {x.shape} and {a.shape}"
            )
        u = np.repeat(a2[:, None, :], 2, axis=1)
        y = self.model.predict(x2[:, None, :], 1, inputs=u)[:, 0]
        y = y[0] if single else y
        return torch.as_tensor(y, dtype=obs.dtype, device=obs.device) if torch_in else y

    reward = LearnedDynamics.reward
    terminated = LearnedDynamics.terminated
    _reward_source = LearnedDynamics._reward_source

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        self.model.save(path / "forecaster")
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "kind": self.kind}
        atomic_write_text(path / "model.json", json.dumps(meta, indent=1))
        return path


DYNAMICS: Registry = Registry("dynamics model")
DYNAMICS.register("mlp", MLPDynamics)
DYNAMICS.register("ensemble", GaussianEnsemble)
DYNAMICS.register("sindy", ForecasterDynamics)


def make_dynamics(name: str, *, reward: Any = None, **config: Any):
    """A learned dynamics model by name: ``mlp``, ``ensemble`` or ``sindy`` (config by keyword)."""
    return DYNAMICS.get(name)(reward=reward, **config)
