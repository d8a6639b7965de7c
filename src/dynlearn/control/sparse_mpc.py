"""Model-based control with sparse ReLU dynamics and mixed-integer MPC (Liu et al. 2023, "Model-Based
Control with Sparse Neural Dynamics", NeurIPS).

**The model** (:class:`SparseReLUDynamics`): ``s' = s + f(s, a)`` with ``f`` a ReLU MLP whose hidden
neurons each carry a gate ``g_i ∈ {0, 1}``: ``h = g ⊙ relu(W x + b)``. Sparsification is the discrete
problem "which ``k`` neurons per layer to keep"; it is relaxed by a straight-through gate: every neuron
has a score ``σ_i``, the forward pass uses the hard mask ``m = top-k(σ)`` and the backward pass the
gradient of the soft gate ``sigmoid(σ)`` (``g = m + sigmoid(σ) − stopgrad(sigmoid(σ))``), so the
score of a neuron follows ``∂L/∂g_i``, its first-order usefulness, whether it is kept or not. The
count ``k`` is annealed linearly from ``hidden`` to ``active`` over the first ``anneal`` fraction of
the epochs (weights and architecture learned together, as in the paper), then held while training
goes on; finally the gated-off neurons are removed and the input/target standardisation is folded
into the first and last layers. ``active = hidden`` is the dense baseline trained the same way.

**The exact MIP encoding** (:func:`encode_horizon`): over a horizon ``H`` the decision variables are the
actions ``a_t`` (in their box), the predicted states ``s_{t+1}`` and every kept neuron's output
``h ≥ 0``. A neuron with pre-activation ``z = w·x + b`` bounded by ``[L, U]`` is encoded exactly by
big-M constraints with one binary ``δ`` (``δ = 1`` iff the neuron is on)::

    h ≥ z,   h ≤ z − L (1 − δ),   h ≤ U δ,   h ≥ 0

and without a binary when the bounds decide its phase (``U ≤ 0``: ``h = 0``; ``L ≥ 0``: ``h = z``).
The bounds come from interval arithmetic (:func:`interval_bounds`): ``[W⁺l + W⁻u + b, W⁺u + W⁻l + b]``
layer by layer, from the current state (a point), the action box and, for later steps, the
previous step's state bounds intersected with the *state box*. The predicted states are constrained
to that box (the region the model was trained on, widened by a margin); so the MIP equals the
network exactly wherever the prediction stays in the box.

**The cost** is L1 plus linear terms, ``c(s, a) = Σ_j w_j |s_j − s*_j| + ℓ·s + Σ_k r_k |a_k| + c₀``
(:class:`L1Cost`), made linear with one epigraph variable per absolute value: the quadratic costs of
the paper are replaced by L1, not by a piecewise-linear fit. The pendulum's ``1 − cos θ`` is linear in
its observation ``(cos θ, sin θ, θ̇)``.

**The controller** (:class:`MIPMPC`) solves ``min Σ_{t<H} c(s_{t+1}, a_t)`` with HiGHS (branch and
bound) at every step, with a time limit per solve, warm-started with the previous plan shifted by one
step (completed to a full feasible point by a forward pass of the network), executes ``a_0`` and
records the solve time, the MIP gap and the status. Needs ``pip install 'dynlearn[mip]'`` (highspy).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from dynlearn.config import build_config
from dynlearn.control.envs._backend import is_torch
from dynlearn.control.models import RewardFromSource
from dynlearn.control.transitions import Transitions
from dynlearn.errors import DynlearnError, NotFittedError, ValidationError

NEEDS_HIGHSPY = "the mixed-integer MPC needs the HiGHS solver: pip install 'dynlearn[mip]' (installs highspy)"


def require_highspy():
    """Import highspy or raise a one-line error naming the extra that installs it."""
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise DynlearnError(NEEDS_HIGHSPY) from exc
    return highspy


# --- the cost -----------------------------------------------------------------------------------------


@dataclasses.dataclass
class L1Cost:
    """``c(s, a) = Σ_j w_j |s_j − s*_j| + ℓ·s + Σ_k r_k |a_k| + c₀``, per row of a batch.

    Serves as a planner's reward source too: ``reward(obs, a, next_obs) = −c(next_obs, a)``,
    ``terminated`` is never true."""

    state_weights: np.ndarray
    action_weights: np.ndarray
    target: np.ndarray | None = None
    linear: np.ndarray | None = None
    constant: float = 0.0

    def __post_init__(self):
        self.state_weights = np.asarray(self.state_weights, dtype=np.float64).ravel()
        self.action_weights = np.asarray(self.action_weights, dtype=np.float64).ravel()
        n = len(self.state_weights)
        self.target = np.zeros(n) if self.target is None else np.asarray(self.target, dtype=np.float64).ravel()
        self.linear = np.zeros(n) if self.linear is None else np.asarray(self.linear, dtype=np.float64).ravel()
        if len(self.target) != n or len(self.linear) != n:
            raise ValidationError(f"L1Cost: target and linear need {n} entries like state_weights")
        if np.any(self.state_weights < 0) or np.any(self.action_weights < 0):
            raise ValidationError("L1Cost weights must be >= 0 (a negative weight makes the L1 epigraph unbounded)")

    def value(self, s, a):
        if is_torch(s):
            t = lambda v: torch.as_tensor(v, dtype=s.dtype)
            return (
                (t(self.state_weights) * (s - t(self.target)).abs()).sum(-1)
                + (s * t(self.linear)).sum(-1)
                + (t(self.action_weights) * a.abs()).sum(-1)
                + self.constant
            )
        s, a = np.asarray(s, dtype=np.float64), np.asarray(a, dtype=np.float64)
        return (
            (self.state_weights * np.abs(s - self.target)).sum(-1)
            + s @ self.linear
            + (self.action_weights * np.abs(a)).sum(-1)
            + self.constant
        )

    def reward(self, obs, actions, next_obs):
        return -self.value(next_obs, actions)

    def terminated(self, next_obs):
        if is_torch(next_obs):
            return torch.zeros(next_obs.shape[:-1], dtype=torch.bool)
        return np.zeros(np.shape(next_obs)[:-1], dtype=bool)


def pendulum_cost(velocity_weight: float = 0.1, action_weight: float = 0.001) -> L1Cost:
    """The pendulum's swing-up cost in L1 form on its observation ``(cos θ, sin θ, θ̇)``:
    ``(1 − cos θ) + velocity_weight·|θ̇| + action_weight·|u|`` (zero upright and at rest)."""
    return L1Cost(
        state_weights=[0.0, 0.0, velocity_weight], action_weights=[action_weight], linear=[-1.0, 0.0, 0.0], constant=1.0
    )


# --- the sparse ReLU model ------------------------------------------------------------------------------


@dataclasses.dataclass
class SparseDynamicsConfig:
    """``hidden`` neurons per layer during training, ``active`` kept per layer after pruning
    (``active = hidden``: the dense model); ``anneal``: fraction of the epochs over which the kept
    count falls from ``hidden`` to ``active``."""

    hidden: int = 64
    layers: int = 2
    active: int = 12
    epochs: int = 300
    anneal: float = 0.6
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 0.0
    seed: int = 0

    def validate(self) -> None:
        for name in ("hidden", "layers", "active", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.active > self.hidden:
            raise ValidationError(f"active ({self.active}) cannot exceed hidden ({self.hidden}); lower active")
        if not 0 < self.anneal <= 1:
            raise ValidationError(f"anneal must be in (0, 1], got {self.anneal}")


class _GatedMLP(nn.Module):
    def __init__(self, n_in: int, n_out: int, hidden: int, layers: int, gen: torch.Generator):
        super().__init__()
        sizes = [n_in] + [hidden] * layers + [n_out]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        with torch.no_grad():
            for lin in self.linears:
                bound = 1.0 / math.sqrt(lin.in_features)
                lin.weight.uniform_(-bound, bound, generator=gen)
                lin.bias.uniform_(-bound, bound, generator=gen)
        self.scores = nn.ParameterList(nn.Parameter(0.01 * torch.randn(hidden, generator=gen)) for _ in range(layers))

    def masks(self, k: int) -> list[torch.Tensor]:
        out = []
        for s in self.scores:
            m = torch.zeros_like(s)
            m[torch.topk(s.detach(), k).indices] = 1.0
            out.append(m)
        return out

    def forward(self, x: torch.Tensor, k: int) -> torch.Tensor:
        for lin, s, m in zip(self.linears[:-1], self.scores, self.masks(k)):
            soft = torch.sigmoid(s)
            x = torch.relu(lin(x)) * (m + soft - soft.detach())
        return self.linears[-1](x)


class SparseReLUDynamics(RewardFromSource):
    """A ReLU dynamics MLP sparsified to ``active`` neurons per hidden layer (see the module doc).

    Follows :class:`~dynlearn.control.DynamicsModel`; after ``fit``, ``layers_`` holds the pruned
    network in float64 and original units, ``[(W, b), ...]`` with ``W`` ``(out, in)``: ReLU between
    layers, ``s' = s + W_L(... relu(W_1 [s, a] + b_1) ...) + b_L``."""

    _reward_hint = "{cls}(reward=cost) or model.reward_model = cost"

    def __init__(self, config: Any = None, *, reward: Any = None, **overrides: Any):
        self.config = build_config(SparseDynamicsConfig, config, overrides)
        self.reward_model = reward
        self.layers_: list[tuple[np.ndarray, np.ndarray]] | None = None
        self.history_: list[float] = []
        self.kept_: list[np.ndarray] = []

    # the DynamicsModel interface -------------------------------------------------------------------
    @property
    def observation_dim(self) -> int:
        return int(self._require()[-1][0].shape[0])

    @property
    def action_dim(self) -> int:
        return int(self._require()[0][0].shape[1]) - self.observation_dim

    @property
    def active_neurons(self) -> list[int]:
        return [int(W.shape[0]) for W, _ in self._require()[:-1]]

    def _require(self):
        if self.layers_ is None:
            raise NotFittedError("SparseReLUDynamics is not fitted; call fit(transitions) first")
        return self.layers_

    def step(self, obs, actions, *, generator=None):
        layers = self._require()
        if is_torch(obs):
            x = torch.cat([obs, torch.as_tensor(actions, dtype=obs.dtype)], -1)
            for i, (W, b) in enumerate(layers):
                x = x @ torch.as_tensor(W.T, dtype=obs.dtype) + torch.as_tensor(b, dtype=obs.dtype)
                if i < len(layers) - 1:
                    x = torch.relu(x)
            return obs + x
        obs = np.asarray(obs, dtype=np.float64)
        x = np.concatenate([obs, np.asarray(actions, dtype=np.float64)], -1)
        for i, (W, b) in enumerate(layers):
            x = x @ W.T + b
            if i < len(layers) - 1:
                x = np.maximum(x, 0.0)
        return obs + x

    def activations(self, obs, actions) -> list[np.ndarray]:
        """Pre-activations of each hidden layer and the output ``f(s, a)`` (numpy, float64)."""
        layers = self._require()
        x = np.concatenate([np.asarray(obs, np.float64), np.asarray(actions, np.float64)], -1)
        out = []
        for i, (W, b) in enumerate(layers):
            x = x @ W.T + b
            out.append(x)
            if i < len(layers) - 1:
                x = np.maximum(x, 0.0)
        return out

    def mse(self, data: Transitions) -> float:
        """Mean squared one-step error on ``data`` (original units, averaged over rows and dims)."""
        pred = self.step(data.obs, data.actions)
        return float(np.mean((pred - data.next_obs) ** 2))

    # training ------------------------------------------------------------------------------------------
    def fit(self, data: Transitions) -> SparseReLUDynamics:
        """Train the gated network on ``data`` (squared error of the standardised ``s' − s``), anneal the
        kept count to ``active`` per layer, then prune and fold the standardisation (see the module doc)."""
        if not isinstance(data, Transitions):
            raise ValidationError(f"fit takes a dynlearn.control.Transitions, got {type(data).__name__}")
        if len(data) < 2:
            raise ValidationError(f"fit needs at least 2 transitions; got {len(data)}")
        c = self.config
        X = np.concatenate([data.obs, data.actions], 1).astype(np.float64)
        Y = (data.next_obs - data.obs).astype(np.float64)
        mx, sx = X.mean(0), X.std(0) + 1e-8
        my, sy = Y.mean(0), Y.std(0) + 1e-8
        xt = torch.as_tensor((X - mx) / sx, dtype=torch.float32)
        yt = torch.as_tensor((Y - my) / sy, dtype=torch.float32)
        gen = torch.Generator().manual_seed(int(c.seed))
        net = _GatedMLP(X.shape[1], Y.shape[1], c.hidden, c.layers, gen)
        opt = torch.optim.Adam(net.parameters(), lr=c.learning_rate, weight_decay=c.weight_decay)
        n = len(xt)
        anneal_epochs = max(1, int(round(c.anneal * c.epochs)))
        self.history_ = []
        for epoch in range(c.epochs):
            frac = min(1.0, (epoch + 1) / anneal_epochs)
            k = int(round(c.hidden - (c.hidden - c.active) * frac))
            perm = torch.randperm(n, generator=gen)
            total = 0.0
            for i in range(0, n, c.batch_size):
                idx = perm[i : i + c.batch_size]
                loss = torch.mean((net(xt[idx], k) - yt[idx]) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            self.history_.append(total / n)
        if not np.isfinite(self.history_[-1]):
            raise DynlearnError("SparseReLUDynamics training diverged (loss is not finite); lower learning_rate")
        self.kept_ = [torch.nonzero(m).ravel().numpy() for m in net.masks(c.active)]
        self.layers_ = _prune_and_fold(net, self.kept_, (mx, sx), (my, sy))
        return self


def _prune_and_fold(net: _GatedMLP, kept, xstat, ystat) -> list[tuple[np.ndarray, np.ndarray]]:
    mx, sx = xstat
    my, sy = ystat
    Ws = [lin.weight.detach().double().numpy() for lin in net.linears]
    bs = [lin.bias.detach().double().numpy() for lin in net.linears]
    # the gate of a kept neuron is exactly 1 in the forward pass: drop the others' rows and columns
    for i, idx in enumerate(kept):
        Ws[i], bs[i] = Ws[i][idx], bs[i][idx]
        Ws[i + 1] = Ws[i + 1][:, idx]
    # standardisation: x̃ = (x − μx)/σx on the way in, y = σy ỹ + μy on the way out
    b0 = bs[0] - Ws[0] @ (mx / sx)
    Ws[0] = Ws[0] / sx
    bs[0] = b0
    Ws[-1] = Ws[-1] * sy[:, None]
    bs[-1] = bs[-1] * sy + my
    return [(W.copy(), b.copy()) for W, b in zip(Ws, bs)]


# --- bounds ------------------------------------------------------------------------------------------------


def interval_bounds(layers, lo, hi, first=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Interval arithmetic through ``layers`` from the input box ``[lo, hi]``: the bounds ``(L, U)`` of
    each hidden layer's pre-activation and of the output. Every input in the box gives values inside.
    ``first``: tighter valid bounds of the first layer's pre-activation, intersected with its own."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    out = []
    for i, (W, b) in enumerate(layers):
        Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
        L, U = Wp @ lo + Wn @ hi + b, Wp @ hi + Wn @ lo + b
        if i == 0 and first is not None:
            L, U = np.maximum(L, first[0]), np.minimum(U, first[1])
        out.append((L, U))
        if i < len(layers) - 1:
            lo, hi = np.maximum(L, 0.0), np.maximum(U, 0.0)
    return out


# --- the MIP ---------------------------------------------------------------------------------------------


class _Program:
    """Columns and rows of a MILP, accumulated, then handed to HiGHS in one call."""

    def __init__(self):
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.cost: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[np.ndarray, np.ndarray, float, float]] = []
        self.offset = 0.0

    def var(self, lb, ub, cost=0.0, integer=False) -> np.ndarray:
        lb, ub = np.atleast_1d(np.asarray(lb, np.float64)), np.atleast_1d(np.asarray(ub, np.float64))
        n = max(len(lb), len(ub))
        lb, ub = np.broadcast_to(lb, (n,)), np.broadcast_to(ub, (n,))
        start = len(self.lb)
        self.lb += lb.tolist()
        self.ub += ub.tolist()
        self.cost += np.broadcast_to(np.asarray(cost, np.float64), (n,)).tolist()
        self.integer += [1 if integer else 0] * n
        return np.arange(start, start + n)

    def row(self, idx, val, lo, hi) -> None:
        self.rows.append((np.asarray(idx, np.int64), np.asarray(val, np.float64), float(lo), float(hi)))

    def to_highs(self, highspy):
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.lb), len(self.rows)
        lp.col_cost_ = np.asarray(self.cost)
        lp.col_lower_ = np.asarray(self.lb)
        lp.col_upper_ = np.asarray(self.ub)
        lp.row_lower_ = np.asarray([r[2] for r in self.rows])
        lp.row_upper_ = np.asarray([r[3] for r in self.rows])
        lp.offset_ = self.offset
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum([len(r[0]) for r in self.rows])]).astype(np.int32)
        lp.a_matrix_.index_ = np.concatenate([r[0] for r in self.rows]).astype(np.int32)
        lp.a_matrix_.value_ = np.concatenate([r[1] for r in self.rows])
        if any(self.integer):
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in self.integer
            ]
        return lp


@dataclasses.dataclass
class HorizonProgram:
    """The MILP of one horizon (see :func:`encode_horizon`) and where its variables are."""

    program: _Program
    actions: np.ndarray  # (H, A) column indices
    states: np.ndarray  # (H + 1, S) column indices; row 0 is fixed to the current state
    neurons: list[list[tuple[np.ndarray, np.ndarray | None, np.ndarray]]]  # per step, per layer: (h, δ, phase)
    cost_state: list[np.ndarray]  # per step, epigraph columns of |s − s*| (weights > 0 only)
    cost_action: list[np.ndarray]
    binaries: int
    slack: list[tuple[np.ndarray, np.ndarray]] = dataclasses.field(default_factory=list)  # per step, soft box
    soft_box: tuple[np.ndarray, np.ndarray] | None = None


def encode_horizon(
    layers,
    s0,
    horizon: int,
    action_box,
    state_box,
    cost: L1Cost | None = None,
    *,
    tighten: bool = False,
    soft_box=None,
    soft_penalty: float = 10.0,
) -> HorizonProgram:
    """The exact mixed-integer encoding of ``horizon`` steps of ``s' = s + f(s, a)`` from ``s0``
    (see the module doc). ``action_box``, ``state_box``: ``(low, high)``; the predicted states are
    constrained to the state box. ``cost``: the objective ``Σ_t c(s_{t+1}, a_t)`` (none: feasibility).

    ``tighten``: before encoding step ``t ≥ 1``, bound the state ``s_t`` and the first layer's
    pre-activations by linear programs over the LP relaxation of steps ``< t`` (optimisation-based
    bound tightening; valid because the relaxation contains every feasible point). The action enters
    the first layer separably, so its part stays exact interval arithmetic. Tighter bounds fix the phase
    of more neurons (fewer binaries) and tighten the big-M relaxation.

    ``soft_box``: ``(low, high)`` inside the state box; a predicted state outside it pays
    ``soft_penalty`` per unit in the objective (slack variables), so the relaxation cannot gain much
    by leaving the physical range (e.g. ``cos θ > 1``) while the program stays feasible."""
    s0 = np.asarray(s0, np.float64).ravel()
    S = len(s0)
    A = layers[0][0].shape[1] - S
    a_lo, a_hi = (np.broadcast_to(np.asarray(v, np.float64), (A,)) for v in action_box)
    x_lo, x_hi = (np.broadcast_to(np.asarray(v, np.float64), (S,)) for v in state_box)
    if soft_box is not None:
        soft_box = tuple(np.broadcast_to(np.asarray(v, np.float64), (S,)).copy() for v in soft_box)
    slack = []
    P = _Program()
    states = [P.var(s0, s0)]
    s_lo, s_hi = s0, s0
    actions, neurons, c_state, c_action = [], [], [], []
    binaries = 0
    for t in range(horizon):
        first = None
        if tighten and t > 0:
            s_lo, s_hi, first = _lp_bounds(P, states[-1], layers[0][0][:, :S], s_lo, s_hi)
            first = (first[0] + layers[0][1], first[1] + layers[0][1])
            Wa = layers[0][0][:, S:]
            first = (
                first[0] + np.maximum(Wa, 0) @ a_lo + np.minimum(Wa, 0) @ a_hi,
                first[1] + np.maximum(Wa, 0) @ a_hi + np.minimum(Wa, 0) @ a_lo,
            )
            for j, col in enumerate(states[-1]):
                P.lb[col], P.ub[col] = float(s_lo[j]), float(s_hi[j])
        a = P.var(a_lo, a_hi)
        actions.append(a)
        bounds = interval_bounds(layers, np.concatenate([s_lo, a_lo]), np.concatenate([s_hi, a_hi]), first)
        prev = np.concatenate([states[-1], a])
        step_neurons = []
        for (W, b), (L, U) in zip(layers[:-1], bounds[:-1]):
            n = len(b)
            h = P.var(np.zeros(n), np.maximum(U, 0.0))
            phase = np.where(U <= 0, -1, np.where(L >= 0, 1, 0))
            unstable = np.flatnonzero(phase == 0)
            d = P.var(np.zeros(len(unstable)), np.ones(len(unstable)), integer=True) if len(unstable) else None
            binaries += len(unstable)
            for i in range(n):
                if phase[i] == -1:
                    continue  # h_i has upper bound 0
                idx = np.concatenate([[h[i]], prev])
                val = np.concatenate([[1.0], -W[i]])
                if phase[i] == 1:
                    P.row(idx, val, b[i], b[i])  # h = z
                    continue
                j = d[np.searchsorted(unstable, i)]
                P.row(idx, val, b[i], np.inf)  # h ≥ z
                P.row(np.append(idx, j), np.append(val, -L[i]), -np.inf, b[i] - L[i])  # h ≤ z − L(1 − δ)
                P.row([h[i], j], [1.0, -U[i]], -np.inf, 0.0)  # h ≤ U δ
            step_neurons.append((h, d, phase))
            prev = h
        neurons.append(step_neurons)
        W, b = layers[-1]
        L, U = bounds[-1]
        new_lo, new_hi = np.maximum(s_lo + L, x_lo), np.minimum(s_hi + U, x_hi)
        if np.any(new_lo > new_hi):
            new_lo, new_hi = np.minimum(new_lo, new_hi), np.maximum(new_lo, new_hi)  # infeasible: HiGHS says so
        s_new = P.var(new_lo, new_hi)
        for j in range(S):  # s' − s − W h = b
            P.row(np.concatenate([[s_new[j], states[-1][j]], prev]), np.concatenate([[1.0, -1.0], -W[j]]), b[j], b[j])
        states.append(s_new)
        s_lo, s_hi = new_lo, new_hi
        if soft_box is not None:
            up = P.var(np.zeros(S), np.inf, soft_penalty)  # ξ⁺ ≥ s − high, ξ⁻ ≥ low − s
            down = P.var(np.zeros(S), np.inf, soft_penalty)
            for j in range(S):
                P.row([up[j], s_new[j]], [1.0, -1.0], -soft_box[1][j], np.inf)
                P.row([down[j], s_new[j]], [1.0, 1.0], soft_box[0][j], np.inf)
            slack.append((up, down))
        if cost is not None:
            P.offset += cost.constant
            for j in range(S):
                P.cost[s_new[j]] += cost.linear[j]
            e = []
            for j in np.flatnonzero(cost.state_weights > 0):
                (col,) = P.var(0.0, np.inf, cost.state_weights[j])
                P.row([col, s_new[j]], [1.0, -1.0], -cost.target[j], np.inf)  # e ≥ s − s*
                P.row([col, s_new[j]], [1.0, 1.0], cost.target[j], np.inf)  # e ≥ s* − s
                e.append(col)
            c_state.append(np.asarray(e, np.int64))
            f = []
            for k in np.flatnonzero(cost.action_weights > 0):
                (col,) = P.var(0.0, np.inf, cost.action_weights[k])
                P.row([col, a[k]], [1.0, -1.0], 0.0, np.inf)
                P.row([col, a[k]], [1.0, 1.0], 0.0, np.inf)
                f.append(col)
            c_action.append(np.asarray(f, np.int64))
    return HorizonProgram(
        P, np.asarray(actions), np.asarray(states), neurons, c_state, c_action, binaries, slack, soft_box
    )


def _lp_bounds(P: _Program, cols, Ws, s_lo, s_hi):
    """Bounds of the variables ``cols`` and of ``Ws @ x[cols]`` by LPs over the relaxation of ``P``;
    the given bounds are kept where an LP fails. A margin of 1e-7 (relative) covers LP tolerances."""
    highspy = require_highspy()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("presolve", "off")  # warm-started re-solves of one LP with changing objectives
    saved = P.integer, P.cost, P.offset
    P.integer, P.cost, P.offset = [0] * len(P.integer), [0.0] * len(P.cost), 0.0
    h.passModel(P.to_highs(highspy))
    P.integer, P.cost, P.offset = saved
    cols = np.asarray(cols, np.int32)
    dirs = np.concatenate([np.eye(len(cols)), Ws])
    lo = np.concatenate([s_lo, np.full(len(Ws), -np.inf)])
    hi = np.concatenate([s_hi, np.full(len(Ws), np.inf)])
    for k, c in enumerate(dirs):
        for sign in (1.0, -1.0):
            h.changeColsCost(len(cols), cols, sign * c)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                continue
            v = sign * h.getInfo().objective_function_value
            pad = 1e-7 * (1.0 + abs(v))
            if sign > 0:
                lo[k] = max(lo[k], v - pad)
            else:
                hi[k] = min(hi[k], v + pad)
    S = len(cols)
    return lo[:S], hi[:S], (lo[S:], hi[S:])


def _assignment(hp: HorizonProgram, layers, s0, actions, cost: L1Cost | None) -> np.ndarray | None:
    """A full feasible point of ``hp`` for an action sequence (None if its states leave the box)."""
    P = hp.program
    x = np.zeros(len(P.lb))
    s = np.asarray(s0, np.float64)
    x[hp.states[0]] = s
    for t, a in enumerate(np.asarray(actions, np.float64)):
        x[hp.actions[t]] = a
        v = np.concatenate([s, a])
        for (W, b), (h, d, phase) in zip(layers[:-1], hp.neurons[t]):
            z = W @ v + b
            v = np.maximum(z, 0.0)
            x[h] = v
            if d is not None:
                x[d] = (z[phase == 0] > 0).astype(np.float64)
        W, b = layers[-1]
        s = s + W @ v + b
        x[hp.states[t + 1]] = s
        if hp.soft_box is not None:
            x[hp.slack[t][0]] = np.maximum(s - hp.soft_box[1], 0.0)
            x[hp.slack[t][1]] = np.maximum(hp.soft_box[0] - s, 0.0)
        if cost is not None:
            x[hp.cost_state[t]] = np.abs(s - cost.target)[cost.state_weights > 0]
            x[hp.cost_action[t]] = np.abs(a)[cost.action_weights > 0]
    lb, ub = np.asarray(P.lb), np.asarray(P.ub)
    if np.any(x < lb - 1e-9) or np.any(x > ub + 1e-9):
        return None
    return np.clip(x, lb, ub)


@dataclasses.dataclass
class Solve:
    """One MIP solve: the actions ``(H, A)`` (None if no feasible point was found), its objective,
    the best bound, the relative gap, the HiGHS model status, wall seconds and the binaries."""

    actions: np.ndarray | None
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    binaries: int
    states: np.ndarray | None = None


def solve_horizon(
    layers,
    s0,
    horizon: int,
    action_box,
    state_box,
    cost: L1Cost | None = None,
    *,
    time_limit: float = 1.0,
    mip_gap: float = 1e-4,
    mip_abs_gap: float = 1e-6,
    warm_start=None,
    threads: int = 1,
    tighten: bool = False,
    soft_box=None,
    soft_penalty: float = 10.0,
) -> Solve:
    """Encode (:func:`encode_horizon`) and solve with HiGHS; ``warm_start``: an action sequence ``(H, A)``
    handed to HiGHS as a starting incumbent (ignored if its predicted states leave the box)."""
    highspy = require_highspy()
    t0 = time.perf_counter()
    hp = encode_horizon(
        layers, s0, horizon, action_box, state_box, cost, tighten=tighten, soft_box=soft_box, soft_penalty=soft_penalty
    )
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # the limit covers encoding and tightening too
    h.setOptionValue("time_limit", max(0.05, float(time_limit) - (time.perf_counter() - t0)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", float(mip_abs_gap))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    h.passModel(hp.program.to_highs(highspy))
    if warm_start is not None:
        x = _assignment(hp, layers, s0, warm_start, cost)
        if x is not None:
            sol = highspy.HighsSolution()
            sol.col_value = x.tolist()
            sol.value_valid = True
            h.setSolution(sol)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    seconds = time.perf_counter() - t0
    if not has_sol:
        return Solve(None, math.inf, -math.inf, math.inf, status, seconds, hp.binaries)
    x = np.asarray(h.getSolution().col_value)
    gap = float(info.mip_gap) if hp.binaries else 0.0
    bound = float(info.mip_dual_bound) if hp.binaries else float(info.objective_function_value)
    return Solve(
        x[hp.actions], float(info.objective_function_value), bound, gap, status, seconds, hp.binaries, x[hp.states]
    )


class MIPMPC:
    """Receding-horizon control by mixed-integer programming over a :class:`SparseReLUDynamics`.

    ``mpc(obs)`` solves the horizon's MILP (time limit ``time_limit`` s per solve covering encoding and
    ``tighten``'s bound LPs; HiGHS stops at relative gap ``mip_gap`` or absolute gap ``mip_abs_gap``), warm-started from the previous plan shifted by one step, and returns ``a_0``. If a
    solve finds no feasible point in time, the shifted previous plan is used (``fallbacks`` records the
    step). ``solves`` keeps every :class:`Solve`."""

    def __init__(
        self,
        model: SparseReLUDynamics,
        cost: L1Cost,
        *,
        horizon: int = 10,
        action_box,
        state_box,
        time_limit: float = 1.0,
        mip_gap: float = 1e-4,
        mip_abs_gap: float = 1e-6,
        warm_start: bool = True,
        threads: int = 1,
        tighten: bool = False,
        soft_box=None,
        soft_penalty: float = 10.0,
    ):
        require_highspy()
        if horizon < 1:
            raise ValidationError(f"horizon must be >= 1, got {horizon}")
        self.model, self.cost, self.horizon = model, cost, int(horizon)
        self.action_box, self.state_box = action_box, state_box
        self.time_limit, self.mip_gap, self.warm, self.threads = time_limit, mip_gap, warm_start, threads
        self.tighten, self.mip_abs_gap = tighten, mip_abs_gap
        self.soft_box, self.soft_penalty = soft_box, soft_penalty
        self.solves: list[Solve] = []
        self.fallbacks: list[int] = []
        self.reset()

    def reset(self) -> None:
        self._prev: np.ndarray | None = None
        self._t = 0

    def act(self, obs) -> np.ndarray:
        init = None if self._prev is None else np.concatenate([self._prev[1:], self._prev[-1:]])
        sol = solve_horizon(
            self.model._require(),
            obs,
            self.horizon,
            self.action_box,
            self.state_box,
            self.cost,
            time_limit=self.time_limit,
            mip_gap=self.mip_gap,
            mip_abs_gap=self.mip_abs_gap,
            warm_start=init if self.warm else None,
            threads=self.threads,
            tighten=self.tighten,
            soft_box=self.soft_box,
            soft_penalty=self.soft_penalty,
        )
        self.solves.append(sol)
        if sol.actions is None:
            self.fallbacks.append(self._t)
            A = self.model.action_dim
            plan = init if init is not None else np.zeros((self.horizon, A))
        else:
            plan = sol.actions
        self._prev = plan
        self._t += 1
        lo, hi = self.action_box
        return np.clip(plan[0], lo, hi)

    __call__ = act


__all__ = [
    "NEEDS_HIGHSPY",
    "L1Cost",
    "MIPMPC",
    "HorizonProgram",
    "Solve",
    "SparseDynamicsConfig",
    "SparseReLUDynamics",
    "encode_horizon",
    "interval_bounds",
    "pendulum_cost",
    "require_highspy",
    "solve_horizon",
]
