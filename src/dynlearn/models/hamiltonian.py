"""Hamiltonian neural networks: a learned scalar energy whose symplectic gradient is the vector field.

The state is canonical, ``x = (q, p)`` with ``q`` and ``p`` of ``dof`` coordinates
each (so its dimension must be even), and the model learns a scalar H_θ(q, p)
whose Hamilton's equations are the dynamics (Greydanus, Dzamba & Yosinski 2019,
"Hamiltonian neural networks", NeurIPS):

    dq/dt = ∂H_θ/∂p,    dp/dt = −∂H_θ/∂q,

with the gradient taken by torch autograd. A learned H is conserved by the
learned flow, which is what the models are for.

* ``hnn``: H_θ an MLP of the whole state; with ``separable=True`` it is
  T_θ(p) + V_θ(q) (two MLPs) and is integrated by Störmer–Verlet leapfrog
  (:func:`dynlearn.systems.hamiltonian.leapfrog`), else by RK4.
* ``graph_hnn``: H_θ a graph network over particles (Sanchez-Gonzalez et al.
  2019, "Hamiltonian graph networks with ODE integrators", arXiv:1909.12790),
  here in a separable form: H = Σ_i K_θ(p_i) + Σ_i U_θ(q_i) + Σ_{i→j} W_θ(q_i − q_j),
  node MLPs K, U and an edge MLP W summed over the directed edges (every pair, or
  a chain), sum-pooled to one energy; integrated by leapfrog. The same weights
  work for any number of particles, which is what lets one network meet systems
  of different sizes (:mod:`dynlearn.repro.hamiltonian_meta`).

Scales. States are rescaled per half, z = (q − μ_q)/σ_q, w = (p − μ_p)/σ_p with
*scalar* σ_q, σ_p (the root-mean-square std of all q and of all p coordinates;
``graph_hnn`` does not shift, to keep the particles' differences), and time by the
sampling step τ, s = t/τ. Then (z, w) is still canonical: dz/ds = ∂H̃/∂w,
dw/ds = −∂H̃/∂z with H̃ = τ H / (σ_q σ_p), so the network learns H̃ and
:meth:`energy` returns H = σ_q σ_p H̃ / τ in data units (up to a constant).

Data: trajectories whose ``meta["system"]`` names a system must name one with an
energy (:mod:`dynlearn.systems.hamiltonian`); unnamed data is taken as canonical.

Training: multiple shooting on segments of ``window`` observations
(:mod:`dynlearn.training.shooting`), each gap integrated with ``substeps``
integrator steps, mean squared error in the rescaled coordinates.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from dynlearn.config import ModelConfig
from dynlearn.errors import ValidationError
from dynlearn.models.base import Capabilities
from dynlearn.models.registry import register
from dynlearn.models.torch_model import TorchModel

_ACTIVATIONS = {"tanh": nn.Tanh, "softplus": nn.Softplus, "gelu": nn.GELU}
_METHODS = ("auto", "leapfrog", "yoshida4", "rk4")


def mlp(inputs: int, hidden: int, layers: int, activation: str = "tanh", outputs: int = 1) -> nn.Sequential:
    mods: list[nn.Module] = []
    width = inputs
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), _ACTIVATIONS[activation]()]
        width = hidden
    mods.append(nn.Linear(width, outputs))
    return nn.Sequential(*mods)


def grad_of(f, x: torch.Tensor, create_graph: bool) -> torch.Tensor:
    """∇ of the summed scalar ``f(x)`` with respect to ``x``, also under ``torch.no_grad``."""
    with torch.enable_grad():
        if not x.requires_grad:
            x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=create_graph)
    return g


class ScalarHamiltonian(nn.Module):
    """H_θ(q, p): one MLP of (q, p), or T_θ(p) + V_θ(q) when ``separable``."""

    def __init__(self, dof: int, hidden: int, layers: int, activation: str, separable: bool):
        super().__init__()
        self.dof, self.separable = dof, separable
        if separable:
            self.kinetic = mlp(dof, hidden, layers, activation)
            self.potential = mlp(dof, hidden, layers, activation)
        else:
            self.net = mlp(2 * dof, hidden, layers, activation)

    def energy(self, q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        if self.separable:
            return (self.kinetic(p) + self.potential(q))[:, 0]
        return self.net(torch.cat([q, p], dim=-1))[:, 0]

    def dT(self, p, create_graph=True):
        return grad_of(lambda p_: self.kinetic(p_), p, create_graph)

    def dV(self, q, create_graph=True):
        return grad_of(lambda q_: self.potential(q_), q, create_graph)

    def field(self, q, p, create_graph=True):
        """(dq/ds, dp/ds) = (∂H/∂p, −∂H/∂q)."""
        if self.separable:
            return self.dT(p, create_graph), -self.dV(q, create_graph)
        x = torch.cat([q, p], dim=-1)
        g = grad_of(lambda x_: self.net(x_), x, create_graph)
        return g[:, self.dof :], -g[:, : self.dof]


class GraphHamiltonian(nn.Module):
    """H = Σ_i K(p_i) + Σ_i U(q_i) + Σ_{(i, j) ∈ edges} W(q_i − q_j, |q_i − q_j|).

    ``q``, ``p``: ``(B, n, k)`` (n particles of k coordinates); ``edges``: ``(E, 2)`` long tensor of
    directed pairs (give both directions for a symmetric interaction). Any n works with one set of weights.
    """

    def __init__(self, particle_dim: int, hidden: int, layers: int, activation: str):
        super().__init__()
        k = particle_dim
        self.particle_dim = k
        self.kinetic = mlp(k, hidden, layers, activation)
        self.potential = mlp(k, hidden, layers, activation)
        self.interaction = mlp(k + 1, hidden, layers, activation)

    def potential_energy(self, q: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
        v = self.potential(q).sum(dim=(1, 2))
        if len(edges):
            d = q[:, edges[:, 0]] - q[:, edges[:, 1]]
            r = torch.sqrt((d * d).sum(-1, keepdim=True) + 1e-6)
            v = v + self.interaction(torch.cat([d, r], dim=-1)).sum(dim=(1, 2))
        return v

    def kinetic_energy(self, p: torch.Tensor) -> torch.Tensor:
        return self.kinetic(p).sum(dim=(1, 2))

    def energy(self, q, p, edges):
        return self.kinetic_energy(p) + self.potential_energy(q, edges)

    def dT(self, p, create_graph=True):
        return grad_of(self.kinetic_energy, p, create_graph)

    def dV(self, q, edges, create_graph=True):
        return grad_of(lambda q_: self.potential_energy(q_, edges), q, create_graph)


def all_pairs(n: int) -> torch.Tensor:
    """Every directed pair i ≠ j of n particles, ``(n (n − 1), 2)``."""
    idx = [(i, j) for i in range(n) for j in range(n) if i != j]
    return torch.tensor(idx, dtype=torch.long).reshape(-1, 2)


def chain(n: int) -> torch.Tensor:
    """Neighbours of a chain of n particles, both directions, ``(2 (n − 1), 2)``."""
    idx = [(i, i + 1) for i in range(n - 1)] + [(i + 1, i) for i in range(n - 1)]
    return torch.tensor(idx, dtype=torch.long).reshape(-1, 2)


@dataclasses.dataclass
class HNNConfig(ModelConfig):
    """``hidden``/``layers``/``activation``: the energy MLP(s); ``separable``: H = T(p) + V(q)
    (then integrated by leapfrog); ``method``: ``auto`` (leapfrog if separable, else rk4),
    ``leapfrog``, ``yoshida4`` (separable only) or ``rk4``; ``substeps``: integrator steps per
    sampling step; ``window``: observations per shooting segment; ``epochs``, ``batch_size``,
    ``lr``, ``weight_decay``, ``grad_clip``, ``stride``, ``patience``: training."""

    hidden: int = 64
    layers: int = 2
    activation: str = "tanh"
    separable: bool = False
    method: str = "auto"
    substeps: int = 4
    window: int = 3
    epochs: int = 60
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    stride: int = 1
    patience: int = 10

    def validate(self):
        for name in ("hidden", "layers", "substeps", "epochs", "batch_size", "stride", "patience"):
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.window < 2:
            raise ValidationError(f"window must be >= 2 observations, got {self.window}")
        if self.activation not in _ACTIVATIONS:
            raise ValidationError(f"activation must be one of {', '.join(_ACTIVATIONS)}; got {self.activation!r}")
        if self.method not in _METHODS:
            raise ValidationError(f"method must be one of {', '.join(_METHODS)}; got {self.method!r}")
        if self.method in ("leapfrog", "yoshida4") and not self._separable():
            raise ValidationError(f"method={self.method!r} needs a separable H; set separable=True or method='rk4'")
        if not self.lr > 0 or self.weight_decay < 0 or self.grad_clip < 0:
            raise ValidationError("lr must be > 0; weight_decay and grad_clip >= 0")

    def _separable(self) -> bool:
        return self.separable


@dataclasses.dataclass
class GraphHNNConfig(HNNConfig):
    """As :class:`HNNConfig` (H is always separable), plus ``particle_dim``: coordinates per particle
    (the state is (q_1, …, q_n, p_1, …, p_n), q_i of ``particle_dim`` numbers); ``edges``:
    ``all`` (every pair interacts) or ``chain`` (neighbours i, i + 1)."""

    particle_dim: int = 1
    edges: str = "all"

    def validate(self):
        super().validate()
        if self.particle_dim < 1:
            raise ValidationError(f"particle_dim must be >= 1, got {self.particle_dim}")
        if self.edges not in ("all", "chain"):
            raise ValidationError(f"edges must be 'all' or 'chain'; got {self.edges!r}")

    def _separable(self) -> bool:
        return True


class _HamiltonianModel(TorchModel):
    """Shared fit/predict of the Hamiltonian models; subclasses give the energy network."""

    capabilities = Capabilities(continuous_time=True, canonical=True)
    _shift = True  # subtract the mean of q and p (graph_hnn keeps the particles' differences instead)

    @property
    def min_train_length(self) -> int:
        return self.config.window

    # the network, in rescaled coordinates (z, w) and time s ---------------------------------------
    def _method(self) -> str:
        m = self.config.method
        return ("leapfrog" if self._is_separable() else "rk4") if m == "auto" else m

    def _is_separable(self) -> bool:
        return self.config.separable

    def _energy(self, z, w):
        raise NotImplementedError

    def _dT(self, w, create_graph):
        raise NotImplementedError

    def _dV(self, z, create_graph):
        raise NotImplementedError

    def _field(self, z, w, create_graph):
        if self._is_separable():
            return self._dT(w, create_graph), -self._dV(z, create_graph)
        return self.module_.field(z, w, create_graph)

    def _step(self, z, w, h: float, create_graph: bool):
        """One integrator step of length ``h`` (rescaled time)."""
        from dynlearn.systems.hamiltonian import symplectic_step

        method = self._method()
        if method != "rk4":
            return symplectic_step(
                lambda w_: self._dT(w_, create_graph), lambda z_: self._dV(z_, create_graph), z, w, h, method
            )
        d = z.shape[-1]

        def f(y):
            a, b = self._field(y[:, :d], y[:, d:], create_graph)
            return torch.cat([a, b], dim=-1)

        y = torch.cat([z, w], dim=-1)
        k1 = f(y)
        k2 = f(y + 0.5 * h * k1)
        k3 = f(y + 0.5 * h * k2)
        k4 = f(y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
        return y[:, :d], y[:, d:]

    def _advance(self, y: torch.Tensor, create_graph: bool) -> torch.Tensor:
        """The rescaled state ``y`` (B, 2d) after one sampling step (``substeps`` integrator steps)."""
        d = y.shape[-1] // 2
        z, w = y[:, :d], y[:, d:]
        n = self.config.substeps
        for _ in range(n):
            z, w = self._step(z, w, 1.0 / n, create_graph)
            if not create_graph:
                z, w = z.detach(), w.detach()
        return torch.cat([z, w], dim=-1)

    # scales --------------------------------------------------------------------------------------
    def _set_scales(self, trajectories):
        states = np.concatenate([t.states for t in trajectories])
        d = states.shape[1] // 2
        mean = states.mean(0) if self._shift else np.zeros(states.shape[1])
        var = states.var(0) if self._shift else (states**2).mean(0)
        sq, sp = (math.sqrt(float(np.mean(v))) for v in (var[:d], var[d:]))
        sq, sp = (s if s > 1e-9 else 1.0 for s in (sq, sp))  # a constant half keeps scale 1
        self.mean_ = mean
        self.scale_ = np.concatenate([np.full(d, sq), np.full(d, sp)])
        self.tau_ = float(trajectories[0].dt)

    def _to_rescaled(self, x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor((x - self.mean_) / self.scale_, dtype=torch.float32)

    # Model hooks --------------------------------------------------------------------------------
    def _fit(self, trajectories):
        from dynlearn.models._epochs import train_epochs
        from dynlearn.systems import hamiltonian
        from dynlearn.training.shooting import segments  # models import training lazily

        named = {t.meta.get("system") for t in trajectories} - {None}
        for system in sorted(map(str, named)):
            hamiltonian.get(system)  # a system without an energy: an error naming those with one
        dim = trajectories[0].dim
        if dim % 2:
            raise ValidationError(
                f"{self.name} needs a canonical state (q, p) of even dimension; got dimension {dim}. "
                "Give positions then momenta, or use a Hamiltonian system from dynlearn.systems.hamiltonian"
            )
        self._check_layout(dim)
        self._set_scales(trajectories)
        self._init_module(dim)
        cfg = self.config
        seg = segments(trajectories, cfg.window, stride=cfg.stride)
        y = self._to_rescaled(seg.states)  # (n, L, dim)

        def loss_of(idx):
            cur, err = y[idx, 0], 0.0
            for j in range(1, y.shape[1]):
                cur = self._advance(cur, create_graph=True)
                err = err + ((cur - y[idx, j]) ** 2).mean()
            return err / (y.shape[1] - 1)

        train_epochs(self, self.module_, len(y), loss_of)

    def _check_layout(self, dim: int) -> None:
        pass

    def _predict(self, context, horizon):
        cur = self._to_rescaled(context[:, -1])
        out = []
        for _ in range(horizon):
            cur = self._advance(cur, create_graph=False)
            out.append(cur.double().numpy())
        return np.stack(out, axis=1) * self.scale_ + self.mean_

    def _vector_field(self, states):
        y = self._to_rescaled(states)
        d = y.shape[-1] // 2
        a, b = self._field(y[:, :d], y[:, d:], create_graph=False)
        g = torch.cat([a, b], dim=-1).detach().double().numpy()
        return g * self.scale_ / self.tau_

    def energy(self, states) -> np.ndarray:
        """The learned energy H(q, p) at ``states`` ``(..., dim)``, in data units (up to an additive constant)."""
        from dynlearn._validation import check_array

        self._check_fitted()
        x = check_array(states, "states", ndim=(1, 2, 3))
        if x.shape[-1] != self.dim_:
            raise ValidationError(f"states have dimension {x.shape[-1]}; the model was fitted on {self.dim_}")
        y = self._to_rescaled(x.reshape(-1, self.dim_))
        d = self.dim_ // 2
        with torch.no_grad():
            h = self._energy(y[:, :d], y[:, d:]).double().numpy()
        return h.reshape(x.shape[:-1]) * self.scale_[0] * self.scale_[-1] / self.tau_

    def _get_state(self):
        state = super()._get_state()
        state.update({"_mean": self.mean_, "_scale": self.scale_})
        return state

    def _set_state(self, state):
        state = dict(state)
        self.mean_, self.scale_ = np.asarray(state.pop("_mean")), np.asarray(state.pop("_scale"))
        super()._set_state(state)

    def _get_meta(self) -> dict[str, Any]:
        return {"tau": self.tau_, "train_loss": getattr(self, "train_loss_", None)}

    def _set_meta(self, meta: dict[str, Any]) -> None:
        self.tau_ = float(meta["tau"])
        self.train_loss_ = meta.get("train_loss")


@register("hnn")
class HNN(_HamiltonianModel):
    """Hamiltonian neural network (Greydanus et al. 2019): a learned scalar H(q, p) whose
    symplectic gradient is the vector field; leapfrog when separable, else RK4."""

    Config = HNNConfig

    def _build(self):
        c = self.config
        return ScalarHamiltonian(self.dim_ // 2, c.hidden, c.layers, c.activation, c.separable)

    def _energy(self, z, w):
        return self.module_.energy(z, w)

    def _dT(self, w, create_graph):
        return self.module_.dT(w, create_graph)

    def _dV(self, z, create_graph):
        return self.module_.dV(z, create_graph)

    @classmethod
    def conformance_config(cls):
        return {"hidden": 16, "layers": 1, "epochs": 1, "window": 2, "substeps": 2, "batch_size": 256, "stride": 4}


@register("graph_hnn")
class GraphHNN(_HamiltonianModel):
    """Graph-network Hamiltonian over particles (Sanchez-Gonzalez et al. 2019): node MLPs for each
    particle's kinetic and potential energy, an edge MLP for pair interactions, sum-pooled; leapfrog."""

    Config = GraphHNNConfig
    _shift = False

    def _is_separable(self) -> bool:
        return True

    def _check_layout(self, dim: int) -> None:
        k = self.config.particle_dim
        if (dim // 2) % k:
            raise ValidationError(
                f"graph_hnn with particle_dim={k} needs q of a multiple of {k} coordinates; the state has "
                f"{dim // 2} positions (dimension {dim}); set particle_dim to a divisor of {dim // 2}"
            )

    def _build(self):
        c = self.config
        return GraphHamiltonian(c.particle_dim, c.hidden, c.layers, c.activation)

    def _edges(self) -> torch.Tensor:
        n = self.dim_ // 2 // self.config.particle_dim
        return all_pairs(n) if self.config.edges == "all" else chain(n)

    def _particles(self, z):
        return z.reshape(len(z), -1, self.config.particle_dim)

    def _energy(self, z, w):
        return self.module_.energy(self._particles(z), self._particles(w), self._edges())

    def _dT(self, w, create_graph):
        return self.module_.dT(self._particles(w), create_graph).reshape(w.shape)

    def _dV(self, z, create_graph):
        return self.module_.dV(self._particles(z), self._edges(), create_graph).reshape(z.shape)

    @classmethod
    def conformance_config(cls):
        return {"hidden": 16, "layers": 1, "epochs": 1, "window": 2, "substeps": 2, "batch_size": 256, "stride": 4}
