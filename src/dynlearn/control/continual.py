"""Continual learning of dynamics over a sequence of tasks: HyperCRL and the usual baselines.

A continual learner meets tasks one at a time (``learn_task(task, transitions)``, where the tasks
differ in their dynamics, e.g. the pendulum's gravity or mass) and sees only the current task's
data. ``learner.dynamics(task)`` is the model of any task learned so far as a
:class:`~dynlearn.control.DynamicsModel`, so the planners and :class:`~dynlearn.control.MPC` plan
with it. Every learner predicts ``s' = s + f_t(s, a)`` with inputs and targets standardised by the
statistics of the *first* task (frozen, so old tasks' models keep their meaning).

- :class:`HyperDynamics` (HyperCRL; Huang, Xie, Bharadhwaj & Shkurti 2021, "Continual model-based
  reinforcement learning with hypernetworks", after von Oswald et al. 2020, "Continual learning with
  hypernetworks"): a task-conditioned hypernetwork ``h(e_t; Θ)`` maps a learned embedding ``e_t`` of
  task ``t`` to *all* weights ``θ_t`` of the dynamics MLP ``f(·; θ_t)``. Training task ``T`` minimises

      L = mean ‖f(x; h(e_T; Θ)) − y‖²  +  β · (1/(T−1)) Σ_{t<T} ‖h(e_t; Θ) − θ*_t‖²,

  over ``Θ`` and ``e_T`` only, where ``θ*_t = h(e_t; Θ_{T−1})`` is the snapshot of the weights the
  hypernetwork generated for the earlier tasks just before task ``T`` started (the output
  regulariser). Earlier embeddings stay fixed. One forward of ``h`` gives a plain functional MLP, so
  planning costs what an MLP costs.
- Baselines on one task-aware MLP with a shared trunk and a linear output head per task
  (``heads="multi"``, the default; ``heads="single"`` shares one head, the task-agnostic network):
  :class:`FineTune` (train on the new task, nothing else), :class:`EWC` (elastic weight
  consolidation, Kirkpatrick et al. 2017: ``λ/2 Σ_t Σ_i F_{t,i} (θ_i − θ*_{t,i})²`` with the diagonal
  Fisher ``F_t = E_x[diag(JᵀJ)]`` of the Gaussian likelihood with unit variance in standardised
  units, ``J = ∂f/∂θ``, taken after task ``t``), :class:`Coreset` (a replay of ``coreset_size``
  random rows of each earlier task, mixed into every batch) and :class:`MultiTask` (all tasks'
  data at every stage: not continual, the upper reference).

``make_continual(name, reward=env.model(), **config)`` builds one by name (``hnet``, ``finetune``,
``ewc``, ``coreset``, ``multitask``). Learners save to a directory (``model.json`` +
``weights.safetensors``; never pickle) and come back with :func:`load_continual`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from dynlearn.config import build_config, config_to_dict
from dynlearn.control.models import RewardFromSource, read_model_header, read_weights, torch_batch
from dynlearn.control.transitions import Transitions
from dynlearn.errors import FileFormatError, NotFittedError, UnknownNameError, ValidationError
from dynlearn.io_utils import atomic_write_bytes, atomic_write_text
from dynlearn.registry import Registry

FORMAT = "dynlearn.control.continual"
FORMAT_VERSION = 1


@dataclasses.dataclass
class ContinualConfig:
    """Hyper-parameters of a continual dynamics learner (each method reads the fields it needs)."""

    hidden: int = 64
    layers: int = 2
    learning_rate: float = 1e-3
    epochs: int = 60
    batch_size: int = 128
    seed: int = 0
    # hypernetwork
    embedding_dim: int = 8
    hnet_hidden: int = 64
    hnet_layers: int = 2
    beta: float = 0.5
    # baselines
    heads: str = "multi"
    ewc_lambda: float = 100.0
    fisher_samples: int = 256
    coreset_size: int = 100

    def validate(self) -> None:
        for name in ("hidden", "layers", "epochs", "batch_size", "embedding_dim", "hnet_hidden", "fisher_samples"):
            if getattr(self, name) < 1:
                raise ValidationError(f"continual config {name} must be >= 1, got {getattr(self, name)}")
        if self.heads not in ("multi", "single"):
            raise ValidationError(f"heads must be 'multi' or 'single', got {self.heads!r}")
        if self.beta < 0 or self.ewc_lambda < 0 or self.coreset_size < 0 or self.hnet_layers < 0:
            raise ValidationError("beta, ewc_lambda, coreset_size and hnet_layers must be >= 0")
        if not self.learning_rate > 0:
            raise ValidationError(f"learning_rate must be > 0, got {self.learning_rate}")


def _mlp_shapes(n_in: int, n_out: int, hidden: int, layers: int) -> list[tuple[int, ...]]:
    sizes = [n_in] + [hidden] * layers + [n_out]
    out: list[tuple[int, ...]] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        out += [(a, b), (b,)]
    return out


def functional_mlp(params: list[torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    """``z`` through the MLP with weights ``[W_1, b_1, ..., W_L, b_L]`` (``W`` is ``(in, out)``), SiLU between."""
    n = len(params) // 2
    for i in range(n):
        z = torch.addmm(params[2 * i + 1], z, params[2 * i])
        if i < n - 1:
            z = torch.nn.functional.silu(z)
    return z


class HyperNetwork(nn.Module):
    """``h(e; Θ)``: an MLP from a task embedding ``e`` to the flat weight vector of the dynamics MLP
    (``target_shapes``). The last layer's bias starts at a standard initialisation of the target
    network and its weight near zero, so every task starts from a sensible MLP."""

    def __init__(self, target_shapes, embedding_dim: int, hidden: int, layers: int, generator: torch.Generator):
        super().__init__()
        self.target_shapes = [tuple(s) for s in target_shapes]
        self.n_target = int(sum(math.prod(s) for s in self.target_shapes))
        self.embedding_dim = int(embedding_dim)
        sizes = [self.embedding_dim] + [int(hidden)] * int(layers)
        self.trunk = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(sizes[-1], self.n_target)
        self.embeddings = nn.ParameterList()
        self._gen = generator
        with torch.no_grad():
            for lin in [*self.trunk, self.out]:
                bound = 1.0 / math.sqrt(lin.in_features)
                lin.weight.uniform_(-bound, bound, generator=generator)
                lin.bias.uniform_(-bound, bound, generator=generator)
            self.out.weight.mul_(0.1)
            flat = [
                (torch.empty(s).uniform_(-1.0, 1.0, generator=generator) / math.sqrt(s[0])).reshape(-1)
                if len(s) == 2
                else torch.zeros(s[0])
                for s in self.target_shapes
            ]
            self.out.bias.copy_(torch.cat(flat))

    def add_embedding(self) -> int:
        """Append a new task embedding ``e ~ N(0, I)``; returns its index."""
        e = torch.randn(self.embedding_dim, generator=self._gen)
        self.embeddings.append(nn.Parameter(e))
        return len(self.embeddings) - 1

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        """``e`` ``(..., embedding_dim)`` -> flat target weights ``(..., n_target)``."""
        for lin in self.trunk:
            e = torch.nn.functional.elu(lin(e))
        return self.out(e)

    def unflatten(self, flat: torch.Tensor) -> list[torch.Tensor]:
        out, i = [], 0
        for s in self.target_shapes:
            k = math.prod(s)
            out.append(flat[i : i + k].view(s))
            i += k
        return out

    def weights(self, task_index: int) -> list[torch.Tensor]:
        """The generated weights ``[W_1, b_1, ...]`` of task ``task_index``."""
        return self.unflatten(self(self.embeddings[task_index]))


class _HeadNet(nn.Module):
    """A shared SiLU trunk and one linear head per task (or one shared head)."""

    def __init__(self, n_in: int, n_out: int, hidden: int, layers: int, generator: torch.Generator):
        super().__init__()
        sizes = [n_in] + [hidden] * layers
        self.trunk = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.heads = nn.ModuleList()
        self.n_hidden, self.n_out, self._gen = sizes[-1], n_out, generator
        with torch.no_grad():
            for lin in self.trunk:
                _init_linear(lin, generator)

    def add_head(self) -> int:
        head = nn.Linear(self.n_hidden, self.n_out)
        with torch.no_grad():
            if len(self.heads):  # warm start from the latest head
                head.load_state_dict(self.heads[-1].state_dict())
            else:
                _init_linear(head, self._gen)
        self.heads.append(head)
        return len(self.heads) - 1

    def features(self, z: torch.Tensor) -> torch.Tensor:
        for lin in self.trunk:
            z = torch.nn.functional.silu(lin(z))
        return z

    def forward(self, z: torch.Tensor, head: int) -> torch.Tensor:
        return self.heads[head](self.features(z))


def _init_linear(lin: nn.Linear, gen: torch.Generator) -> None:
    bound = 1.0 / math.sqrt(lin.in_features)
    lin.weight.uniform_(-bound, bound, generator=gen)
    lin.bias.zero_()


class ContinualDynamics:
    """Base of the continual learners: task bookkeeping, frozen standardisation, the training loop,
    the per-task :class:`TaskDynamics` views and persistence. Subclasses define the network and the
    loss (``_build``, ``_start_task``, ``_loss``, ``_end_task``, ``_forward``)."""

    kind: ClassVar[str] = "continual"

    def __init__(self, config: Any = None, *, reward: Any = None, **overrides: Any):
        self.config = build_config(ContinualConfig, config, overrides)
        self.reward_model = reward
        self.tasks_: list[str] = []
        self.history_: dict[str, list[float]] = {}
        self.net_: nn.Module | None = None
        self._n_obs = self._n_act = 0

    # tasks --------------------------------------------------------------------------------------
    def _index(self, task: Any) -> int:
        key = str(task)
        if key not in self.tasks_:
            if not self.tasks_:
                raise NotFittedError(f"{type(self).__name__} has learned no task; call learn_task(task, data) first")
            raise UnknownNameError("learned task", key, self.tasks_)
        return self.tasks_.index(key)

    @property
    def observation_dim(self) -> int:
        if self.net_ is None:
            raise NotFittedError(f"{type(self).__name__} has learned no task; call learn_task(task, data) first")
        return self._n_obs

    @property
    def action_dim(self) -> int:
        self.observation_dim  # noqa: B018 - raises when nothing was learned
        return self._n_act

    def _task_slot(self, idx: int) -> int:
        """Which output slot (head or embedding) task ``idx`` uses."""
        return idx

    # training -----------------------------------------------------------------------------------
    def learn_task(self, task: Any, data: Transitions, *, epochs: int | None = None) -> ContinualDynamics:
        """Train on the transitions of ``task`` (a new task, or the latest one again to continue it).
        Only ``data`` is seen, except for the coreset's stored rows and the multi-task reference."""
        if not isinstance(data, Transitions):
            raise ValidationError(f"learn_task takes a dynlearn.control.Transitions, got {type(data).__name__}")
        if len(data) < 2:
            raise ValidationError(f"learn_task needs at least 2 transitions; got {len(data)}")
        key = str(task)
        c = self.config
        if self.net_ is None:
            self._n_obs, self._n_act = data.observation_dim, data.action_dim
            x, y = _xy(data)
            self.x_mean_, self.x_std_ = x.mean(0), np.maximum(x.std(0), 1e-6)
            self.y_mean_, self.y_std_ = y.mean(0), np.maximum(y.std(0), 1e-6)
            self._gen = torch.Generator().manual_seed(int(c.seed))
            self.net_ = self._build(self._n_obs + self._n_act, self._n_obs)
        elif (data.observation_dim, data.action_dim) != (self._n_obs, self._n_act):
            raise ValidationError(
                f"this learner has obs dim {self._n_obs} and action dim {self._n_act}; the data of task {key!r} has "
                f"{data.observation_dim} and {data.action_dim}"
            )
        if key in self.tasks_ and key != self.tasks_[-1]:
            raise ValidationError(
                f"task {key!r} was learned before task {self.tasks_[-1]!r}; a continual learner only continues "
                "its latest task (revisiting an old one would see its data again)"
            )
        new = key not in self.tasks_
        if new:
            self.tasks_.append(key)
            self.history_[key] = []
        idx = self.tasks_.index(key)
        X, Y = self._standardise(data)
        self._start_task(idx, X, Y, new)
        TX, TY, TT = self._training_rows(idx, X, Y)
        params = self._trainable(idx)
        opt = torch.optim.Adam(params, lr=c.learning_rate)
        gen = torch.Generator().manual_seed(int(c.seed) + 7919 * (idx + 1) + 104729 * len(self.history_[key]))
        bs = min(c.batch_size, len(TX))
        for _ in range(int(epochs if epochs is not None else c.epochs)):
            order = torch.randperm(len(TX), generator=gen)
            total, count = 0.0, 0
            for start in range(0, len(TX), bs):
                rows = order[start : start + bs]
                loss, fit = self._loss(idx, TX[rows], TY[rows], TT[rows], gen)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += fit * len(rows)
                count += len(rows)
            self.history_[key].append(total / count)
        self._end_task(idx, X, Y)
        self._views: dict = {}
        return self

    def _standardise(self, data: Transitions) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = _xy(data)
        X = torch.as_tensor((x - self.x_mean_) / self.x_std_, dtype=torch.float32)
        Y = torch.as_tensor((y - self.y_mean_) / self.y_std_, dtype=torch.float32)
        return X, Y

    def _trainable(self, idx: int) -> list[nn.Parameter]:
        return [p for p in self.net_.parameters() if p.requires_grad]

    def _start_task(self, idx: int, X: torch.Tensor, Y: torch.Tensor, new: bool) -> None:
        pass

    def _training_rows(self, idx: int, X: torch.Tensor, Y: torch.Tensor):
        """The rows an epoch passes over, with the task of each row (the current task's by default)."""
        return X, Y, torch.full((len(X),), idx, dtype=torch.long)

    def _end_task(self, idx: int, X: torch.Tensor, Y: torch.Tensor) -> None:
        pass

    def _loss(
        self, idx: int, x: torch.Tensor, y: torch.Tensor, t: torch.Tensor, gen: torch.Generator
    ):  # pragma: no cover
        raise NotImplementedError

    def _build(self, n_in: int, n_out: int) -> nn.Module:  # pragma: no cover
        raise NotImplementedError

    def _predictor(self, idx: int):  # pragma: no cover - returns z -> standardised delta, no grad
        raise NotImplementedError

    # prediction ---------------------------------------------------------------------------------
    def dynamics(self, task: Any, *, reward: Any = None) -> TaskDynamics:
        """The model of ``task`` as a :class:`~dynlearn.control.DynamicsModel` (reward and termination
        from ``reward``, default this learner's reward source)."""
        idx = self._index(task)
        return TaskDynamics(self, idx, reward if reward is not None else self.reward_model)

    def mse(self, task: Any, data: Transitions) -> float:
        """One-step mean squared error of task ``task``'s model on ``data`` (raw units)."""
        pred = self.dynamics(task).step(data.obs, data.actions)
        return float(np.mean((pred - data.next_obs) ** 2))

    # persistence ----------------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, torch.Tensor]:
        return {}

    def _load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        pass

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``model.json`` and ``weights.safetensors`` into the directory ``path``."""
        from safetensors.torch import save as st_save

        if self.net_ is None:
            raise NotFittedError(f"{type(self).__name__} has learned no task; nothing to save")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {f"net.{k}": v.detach().contiguous() for k, v in self.net_.state_dict().items()}
        for k in ("x_mean_", "x_std_", "y_mean_", "y_std_"):
            tensors[f"scaler.{k}"] = torch.as_tensor(getattr(self, k), dtype=torch.float64)
        tensors.update({f"extra.{k}": v.detach().contiguous() for k, v in self._extra_state().items()})
        atomic_write_bytes(path / "weights.safetensors", st_save(tensors))
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "kind": self.kind,
            "config": config_to_dict(self.config),
            "obs_dim": self._n_obs,
            "action_dim": self._n_act,
            "tasks": self.tasks_,
            "history": self.history_,
        }
        atomic_write_text(path / "model.json", json.dumps(meta, indent=1))
        return path


def _xy(data: Transitions) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([data.obs, data.actions], axis=1), data.next_obs - data.obs


class TaskDynamics(RewardFromSource):
    """One task's model from a continual learner, following :class:`~dynlearn.control.DynamicsModel`.
    Built once (the hypernetwork's weights are generated here), then stepped as a plain MLP."""

    _reward_hint = "make_continual(name, reward=env.model()) or learner.dynamics(task, reward=env.model())"

    def __init__(self, learner: ContinualDynamics, idx: int, reward: Any):
        self.learner, self.task_index, self.reward_model = learner, idx, reward
        self.task = learner.tasks_[idx]
        self.observation_dim, self.action_dim = learner._n_obs, learner._n_act
        self._predict = learner._predictor(idx)
        self._cache: dict = {}

    def _scalers(self, ref: torch.Tensor):
        key = (ref.dtype, ref.device)
        if key not in self._cache:
            L = self.learner
            self._cache[key] = tuple(
                torch.as_tensor(v, dtype=ref.dtype, device=ref.device)
                for v in (L.x_mean_, L.x_std_, L.y_mean_, L.y_std_)
            )
        return self._cache[key]

    def step(self, obs, actions, *, generator=None):
        x, a, single, torch_in = torch_batch(obs, actions)
        if x.ndim != 2 or x.shape[1] != self.observation_dim or a.shape != (x.shape[0], self.action_dim):
            raise ValidationError(
                f"task {self.task!r} model step needs obs (batch, {self.observation_dim}) and actions "
                f"(batch, {self.action_dim}); got {tuple(x.shape)} and {tuple(a.shape)}"
            )
        xm, xs, ym, ys = self._scalers(x)
        with torch.no_grad():
            z = ((torch.cat([x, a], dim=-1) - xm) / xs).float()
            y = x + self._predict(z).to(x.dtype) * ys + ym
        y = y[0] if single else y
        return y if torch_in else y.double().numpy()

    def mse(self, data: Transitions) -> float:
        return float(np.mean((self.step(data.obs, data.actions) - data.next_obs) ** 2))


# --- HyperCRL -------------------------------------------------------------------------------------


class HyperDynamics(ContinualDynamics):
    """HyperCRL: a task-conditioned hypernetwork generating the dynamics MLP (see the module doc)."""

    kind = "hnet"

    def _build(self, n_in: int, n_out: int) -> HyperNetwork:
        c = self.config
        shapes = _mlp_shapes(n_in, n_out, c.hidden, c.layers)
        self._targets: torch.Tensor | None = None
        return HyperNetwork(shapes, c.embedding_dim, c.hnet_hidden, c.hnet_layers, self._gen)

    @property
    def hnet(self) -> HyperNetwork:
        if self.net_ is None:
            raise NotFittedError("HyperDynamics has learned no task; call learn_task(task, data) first")
        return self.net_

    def snapshot(self) -> None:
        """Record ``θ*_t = h(e_t; Θ)`` of every task learned so far (done when a new task starts)."""
        h = self.hnet
        with torch.no_grad():
            self._targets = h(torch.stack(list(h.embeddings))).detach().clone() if len(h.embeddings) else None

    def regulariser(self) -> torch.Tensor:
        """``(1/K) Σ_t ‖h(e_t; Θ) − θ*_t‖²`` over the ``K`` snapshotted tasks (0 without a snapshot)."""
        if self._targets is None:
            return torch.zeros(())
        h = self.hnet
        k = len(self._targets)
        e = torch.stack([h.embeddings[i].detach() for i in range(k)])
        return ((h(e) - self._targets) ** 2).sum(dim=1).mean()

    def _start_task(self, idx, X, Y, new):
        h = self.hnet
        if new:
            self.snapshot()  # the earlier tasks only (the new embedding is added after)
            h.add_embedding()
        for i, e in enumerate(h.embeddings):
            e.requires_grad_(i == idx)

    def _trainable(self, idx):
        h = self.hnet
        return [*h.trunk.parameters(), *h.out.parameters(), h.embeddings[idx]]

    def _loss(self, idx, x, y, t, gen):
        h = self.hnet
        fit = ((functional_mlp(h.weights(idx), x) - y) ** 2).mean()
        loss = fit
        if self._targets is not None and self.config.beta > 0:
            loss = loss + self.config.beta * self.regulariser()
        return loss, float(fit.detach())

    def _predictor(self, idx):
        with torch.no_grad():
            params = [p.detach().clone() for p in self.hnet.weights(idx)]
        return lambda z: functional_mlp(params, z)

    def _extra_state(self):
        return {} if self._targets is None else {"targets": self._targets}

    def _load_extra_state(self, tensors):
        self._targets = tensors.get("targets")


# --- baselines on a task-aware MLP ------------------------------------------------------------------


class FineTune(ContinualDynamics):
    """Fine-tuning: the shared trunk and the task's head trained on the new task's data only."""

    kind = "finetune"

    def _build(self, n_in: int, n_out: int) -> _HeadNet:
        c = self.config
        return _HeadNet(n_in, n_out, c.hidden, c.layers, self._gen)

    def _task_slot(self, idx):
        return 0 if self.config.heads == "single" else idx

    def _start_task(self, idx, X, Y, new):
        net = self.net_
        while len(net.heads) <= self._task_slot(idx):
            net.add_head()
        for i, head in enumerate(net.heads):
            head.requires_grad_(i == self._task_slot(idx))

    def _routed(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Each row of ``x`` through the head of its task ``t`` (one batched product over the rows)."""
        feats = self.net_.features(x)
        heads = self.net_.heads
        if self.config.heads == "single" or bool((t == t[0]).all()):
            return heads[self._task_slot(int(t[0]))](feats)
        w = torch.stack([h.weight for h in heads])  # (heads, n_out, hidden)
        b = torch.stack([h.bias for h in heads])
        return torch.einsum("noh,nh->no", w[t], feats) + b[t]

    def _fit_loss(self, x, y, t):
        return ((self._routed(x, t) - y) ** 2).mean()

    def _loss(self, idx, x, y, t, gen):
        fit = self._fit_loss(x, y, t)
        return fit, float(fit.detach())

    def _predictor(self, idx):
        net, slot = self.net_, self._task_slot(idx)
        return lambda z: net(z, slot)


class EWC(FineTune):
    """Elastic weight consolidation with the diagonal Gaussian Fisher (see the module doc)."""

    kind = "ewc"

    def _build(self, n_in, n_out):
        self._anchors: list[tuple[dict, dict]] = []
        return super()._build(n_in, n_out)

    def _shared(self) -> dict[str, nn.Parameter]:
        """The parameters a later task trains again: the trunk (and the head when it is shared)."""
        return {
            k: p for k, p in self.net_.named_parameters() if k.startswith("trunk.") or self.config.heads == "single"
        }

    def penalty(self, upto: int | None = None) -> torch.Tensor:
        """``(λ/2) Σ_t Σ_i F_{t,i} (θ_i − θ*_{t,i})²`` over the tasks consolidated so far (the first ``upto``)."""
        shared = self._shared()
        total = torch.zeros(())
        for fisher, anchor in self._anchors[:upto]:
            for k, p in shared.items():
                total = total + (fisher[k] * (p - anchor[k]) ** 2).sum()
        return 0.5 * self.config.ewc_lambda * total

    def _loss(self, idx, x, y, t, gen):
        fit = self._fit_loss(x, y, t)
        loss = fit + self.penalty(idx) if self._anchors[:idx] else fit
        return loss, float(fit.detach())

    def _end_task(self, idx, X, Y):
        from torch.func import functional_call, jacrev, vmap

        net, slot = self.net_, self._task_slot(idx)
        shared = {k: p.detach() for k, p in self._shared().items()}
        rest = {k: p.detach() for k, p in net.named_parameters() if k not in shared}
        n = min(int(self.config.fisher_samples), len(X))
        rows = torch.randperm(len(X), generator=torch.Generator().manual_seed(int(self.config.seed) + idx))[:n]

        def f(params, z):
            return functional_call(net, ({**params, **rest},), (z[None], slot))[0]

        jac = vmap(jacrev(f), in_dims=(None, 0))(shared, X[rows])  # name -> (n, n_out, *shape)
        fisher = {k: (j**2).sum(dim=1).mean(dim=0) for k, j in jac.items()}
        del self._anchors[idx:]  # continuing the latest task replaces its anchor
        self._anchors.append((fisher, {k: v.clone() for k, v in shared.items()}))

    def _extra_state(self):
        out = {}
        for t, (fisher, anchor) in enumerate(self._anchors):
            out.update({f"fisher.{t}.{k}": v for k, v in fisher.items()})
            out.update({f"anchor.{t}.{k}": v for k, v in anchor.items()})
        return out

    def _load_extra_state(self, tensors):
        for t in range(len(self.tasks_)):
            fisher = {k[len(f"fisher.{t}.") :]: v for k, v in tensors.items() if k.startswith(f"fisher.{t}.")}
            anchor = {k[len(f"anchor.{t}.") :]: v for k, v in tensors.items() if k.startswith(f"anchor.{t}.")}
            if fisher:
                self._anchors.append((fisher, anchor))


class Coreset(FineTune):
    """Fine-tuning with a replay of ``coreset_size`` random rows kept from each earlier task."""

    kind = "coreset"

    def _build(self, n_in, n_out):
        self._core_x = torch.zeros(0, n_in)
        self._core_y = torch.zeros(0, n_out)
        self._core_t = torch.zeros(0, dtype=torch.long)
        return super()._build(n_in, n_out)

    def _start_task(self, idx, X, Y, new):
        super()._start_task(idx, X, Y, new)
        for i, head in enumerate(self.net_.heads):  # replayed rows train their own heads too
            head.requires_grad_(i <= self._task_slot(idx))

    def _loss(self, idx, x, y, t, gen):
        fit = self._fit_loss(x, y, t)
        old = self._core_t != idx
        if not bool(old.any()):
            return fit, float(fit.detach())
        cx, cy, ct = self._core_x[old], self._core_y[old], self._core_t[old]
        pick = torch.randint(len(cx), (min(len(x), len(cx)),), generator=gen)
        replay = self._fit_loss(cx[pick], cy[pick], ct[pick])
        return fit + replay, float(fit.detach())

    def _end_task(self, idx, X, Y):
        k = min(int(self.config.coreset_size), len(X))
        keep = self._core_t != idx
        rows = torch.randperm(len(X), generator=torch.Generator().manual_seed(int(self.config.seed) + 31 * idx))[:k]
        self._core_x = torch.cat([self._core_x[keep], X[rows]])
        self._core_y = torch.cat([self._core_y[keep], Y[rows]])
        self._core_t = torch.cat([self._core_t[keep], torch.full((k,), idx, dtype=torch.long)])

    def _extra_state(self):
        return {"core_x": self._core_x, "core_y": self._core_y, "core_t": self._core_t}

    def _load_extra_state(self, tensors):
        self._core_x, self._core_y, self._core_t = tensors["core_x"], tensors["core_y"], tensors["core_t"]


class MultiTask(FineTune):
    """The upper reference: every stage trains on all tasks' data seen so far (not continual)."""

    kind = "multitask"

    def _build(self, n_in, n_out):
        self._all_x = torch.zeros(0, n_in)
        self._all_y = torch.zeros(0, n_out)
        self._all_t = torch.zeros(0, dtype=torch.long)
        return super()._build(n_in, n_out)

    def _start_task(self, idx, X, Y, new):
        super()._start_task(idx, X, Y, new)
        for i, head in enumerate(self.net_.heads):
            head.requires_grad_(i <= self._task_slot(idx))
        keep = self._all_t != idx  # continuing the latest task replaces its rows
        self._all_x = torch.cat([self._all_x[keep], X])
        self._all_y = torch.cat([self._all_y[keep], Y])
        self._all_t = torch.cat([self._all_t[keep], torch.full((len(X),), idx, dtype=torch.long)])

    def _training_rows(self, idx, X, Y):
        return self._all_x, self._all_y, self._all_t

    def _extra_state(self):
        return {"all_x": self._all_x, "all_y": self._all_y, "all_t": self._all_t}

    def _load_extra_state(self, tensors):
        self._all_x, self._all_y, self._all_t = tensors["all_x"], tensors["all_y"], tensors["all_t"]


CONTINUAL: Registry = Registry("continual dynamics learner")
for _cls in (HyperDynamics, FineTune, EWC, Coreset, MultiTask):
    CONTINUAL.register(_cls.kind, _cls)


def make_continual(name: str, *, reward: Any = None, **config: Any) -> ContinualDynamics:
    """A continual dynamics learner by name: ``hnet``, ``finetune``, ``ewc``, ``coreset``, ``multitask``."""
    return CONTINUAL.get(name)(reward=reward, **config)


def load_continual(path: str | os.PathLike, *, reward: Any = None) -> ContinualDynamics:
    """Load a learner written by ``save``; a wrong format, version or missing file is refused."""
    path = Path(path)
    meta = read_model_header(path, fmt=FORMAT, version=FORMAT_VERSION, kinds=CONTINUAL.names(), what="learner")
    tensors = read_weights(path, "learner")
    learner = CONTINUAL.get(meta["kind"])(meta["config"], reward=reward)
    learner._n_obs, learner._n_act = int(meta["obs_dim"]), int(meta["action_dim"])
    learner._gen = torch.Generator().manual_seed(int(learner.config.seed))
    net = learner._build(learner._n_obs + learner._n_act, learner._n_obs)
    for _ in meta["tasks"]:
        if isinstance(net, HyperNetwork):
            net.add_embedding()
        elif len(net.heads) < (1 if learner.config.heads == "single" else len(meta["tasks"])):
            net.add_head()
    try:
        net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
    except RuntimeError as exc:
        raise FileFormatError(f"{path} weights do not match its config ({exc})") from None
    learner.net_ = net
    learner.tasks_ = list(meta["tasks"])
    learner.history_ = {k: list(v) for k, v in meta.get("history", {}).items()}
    for k in ("x_mean_", "x_std_", "y_mean_", "y_std_"):
        setattr(learner, k, tensors[f"scaler.{k}"].numpy())
    learner._load_extra_state({k[6:]: v for k, v in tensors.items() if k.startswith("extra.")})
    return learner
