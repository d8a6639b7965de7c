"""One-step training of particle models, as graph-network simulators are trained.

A training sample is a window of one scene: ``H + 1`` positions ``x_{t-H..t}`` (the model's
``spec.history + 1``) and the next position ``x_{t+1}``. One gradient step:

1. draws ``batch_size`` windows (random scenes of one dataset, random times ``t``; with several
   datasets, one dataset per step, drawn in proportion to its number of windows, so particle counts
   may differ between datasets);
2. adds **random-walk noise** to the input positions (Sanchez-Gonzalez et al. 2020): per-frame
   velocity noise of std ``noise_std / sqrt(H)`` (length units per frame) is accumulated along the
   window, so the last velocity carries noise of std ``noise_std``, and the positions are the
   running sum of it (the first position is exact);
3. corrects the target for the noise, as GNS's code does: the next position is shifted by the last
   input's position noise, so the target acceleration is ``x_{t+1} + n_t - x~_t - (x~_t - x~_{t-1})``
   (the true acceleration minus the last velocity noise): the model learns to undo the noise in the
   *velocity*, which it sees, and is not asked to undo the noise in the absolute position, which a
   translation-invariant model cannot see (a target with that noise in it has an irreducible error as
   large as the noise). ``correct_position=True`` asks for the true next position instead;
4. regresses the model's standardised acceleration (:meth:`ParticleModel.acceleration`) onto
   ``(target - acc_mean) / acc_std`` with a mean squared error, with Adam and a learning rate that
   decays exponentially from ``lr`` to ``lr * lr_final`` over the ``steps`` budget.

Before the first step the model's normalisation is fitted to the training data
(:meth:`ParticleModel.fit_normalization`, with the noise in the acceleration scale). Optionally,
every ``eval_every`` steps the rollout MSE on validation datasets is recorded and the best weights
are kept. Every random draw comes from generators seeded by ``seed``: the same seed, data and
model give the same weights.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from dynlearn.config import from_known_fields
from dynlearn.errors import TrainingError, ValidationError


@dataclasses.dataclass
class TrainConfig:
    """Settings of :class:`ParticleTrainer` (see the module doc).

    ``steps``: gradient steps (the budget); ``batch_size``: windows per step; ``lr`` and
    ``lr_final`` (the factor reached at the last step, exponential decay); ``noise_std``:
    random-walk noise on the last input velocity, in length units per frame (0: off);
    ``correct_position``: the noisy window's target is the true next position (else, as GNS, the true
    next velocity: the next position shifted by the last input's position noise);
    ``grad_clip``: max gradient norm (None: off); ``eval_every``: steps between validation
    rollouts (needs ``val`` data; 0: only at the end); ``val_steps``: rollout length of the
    validation error; ``keep_best``: restore the weights of the best validation rollout."""

    steps: int = 1000
    batch_size: int = 2
    lr: float = 1e-3
    lr_final: float = 0.1
    weight_decay: float = 0.0
    noise_std: float = 0.0
    correct_position: bool = False
    grad_clip: float | None = 1.0
    eval_every: int = 0
    val_steps: int = 20
    keep_best: bool = True
    log_every: int = 50
    seed: int = 0

    def __post_init__(self) -> None:
        checks = [
            (self.steps >= 1, "steps must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.lr > 0, "lr must be > 0"),
            (0 < self.lr_final <= 1, "lr_final must lie in (0, 1] (a factor of lr)"),
            (self.weight_decay >= 0, "weight_decay must be >= 0"),
            (self.noise_std >= 0, "noise_std must be >= 0"),
            (self.grad_clip is None or self.grad_clip > 0, "grad_clip must be > 0 or None"),
            (self.eval_every >= 0, "eval_every must be >= 0"),
            (self.val_steps >= 1, "val_steps must be >= 1"),
            (self.log_every >= 1, "log_every must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValidationError(f"{message} (particles TrainConfig)")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        return from_known_fields(cls, d, what="training setting")


@dataclasses.dataclass
class TrainResult:
    """What a fit did: ``history`` (one record per ``log_every`` steps: ``step``, mean ``loss``
    since the last record, ``lr``, ``seconds`` since the start, and ``val_mse`` when validated),
    the best validation step and error (None without validation), the total wall time."""

    history: list[dict[str, Any]]
    best_step: int | None
    best_val: float | None
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class _Data:
    """One dataset as tensors: positions (N, T, P, d) float32, kinds (N, P), params (N, n)."""

    def __init__(self, particles, spec, names: tuple[str, ...]):
        if particles.dim != spec.dim:
            raise ValidationError(f"the model works in {spec.dim}-D, the data is {particles.dim}-D")
        n_frames = particles.positions.shape[1]
        if n_frames < spec.window + 1:
            raise ValidationError(
                f"one-step training needs history {spec.history} + 2 = {spec.window + 1} frames, the data has {n_frames}"
            )
        kinds = particles.kinds()
        if int(kinds.max()) >= spec.n_kinds:
            raise ValidationError(
                f"the data has particle kind {int(kinds.max())}; the model knows {spec.n_kinds} kinds"
            )
        self.x = torch.as_tensor(np.ascontiguousarray(particles.positions, dtype=np.float32))
        self.kind = torch.as_tensor(np.array(kinds, dtype=np.int64))
        if names:
            self.params = torch.as_tensor(np.stack([particles.params[k] for k in names], axis=1).astype(np.float32))
        else:
            self.params = None
        self.n_starts = n_frames - spec.window  # windows t-H..t with a target t+1

    def __len__(self) -> int:
        return self.x.shape[0]

    def windows(self) -> int:
        return len(self) * self.n_starts


def _as_list(data) -> list:
    if isinstance(data, (list, tuple)):
        if not data:
            raise ValidationError("no training data: pass a Particles dataset or a non-empty list of them")
        return list(data)
    return [data]


def param_names(datasets: Sequence, spec, params: tuple[str, ...] | None) -> tuple[str, ...]:
    """The dataset parameters a model with ``spec.n_params`` inputs reads (all, sorted, by default)."""
    names = tuple(sorted(datasets[0].params)) if params is None else tuple(params)
    if len(names) != spec.n_params:
        raise ValidationError(
            f"the model reads {spec.n_params} parameters, the data offers {list(names)}; pass params=(...) with "
            f"{spec.n_params} names or build the spec with ParticleSpec.from_particles"
        )
    for d in datasets:
        missing = [n for n in names if n not in d.params]
        if missing:
            raise ValidationError(f"a dataset has no parameter {missing[0]!r}; it has {sorted(d.params)}")
    return names


def random_walk_noise(shape: tuple[int, ...], noise_std: float, generator: torch.Generator) -> torch.Tensor:
    """Position noise for windows ``(B, H+1, P, d)``: the running sum of per-frame velocity noise
    (std ``noise_std / sqrt(H)`` each, accumulated), zero at the first frame."""
    b, w, p, d = shape
    h = w - 1
    vel = torch.randn(b, h, p, d, generator=generator) * (noise_std / math.sqrt(h))
    vel = torch.cumsum(vel, dim=1)
    pos = torch.cumsum(vel, dim=1)
    return torch.cat([torch.zeros(b, 1, p, d), pos], dim=1)


class ParticleTrainer:
    """Fits a :class:`~dynlearn.particles.models.ParticleModel` to one or more
    :class:`~dynlearn.particles.Particles` datasets (see the module doc)::

        result = ParticleTrainer(TrainConfig(steps=2000, noise_std=3e-4)).fit(model, [data])
    """

    def __init__(self, config: TrainConfig | dict[str, Any] | None = None, **overrides: Any):
        if config is None:
            config = TrainConfig(**overrides)
        elif isinstance(config, dict):
            config = TrainConfig.from_dict({**config, **overrides})
        elif overrides:
            config = dataclasses.replace(config, **overrides)
        self.config = config

    def loss(self, model, window: torch.Tensor, target: torch.Tensor, kind, params, generator) -> torch.Tensor:
        """The one-step loss of a batch: ``window (B, H+1, P, d)``, true next positions ``target
        (B, P, d)``; noise from ``generator``."""
        c = self.config
        if c.noise_std > 0:
            noise = random_walk_noise(tuple(window.shape), c.noise_std, generator)
            window = window + noise
            if not c.correct_position:
                target = target + noise[:, -1]
        last, prev = window[:, -1], window[:, -2]
        acc = target - last - (last - prev)
        acc_n = (acc - model.acc_mean) / model.acc_std
        pred = model.acceleration(window, kind, params)
        return torch.mean((pred - acc_n) ** 2)

    def fit(
        self,
        model,
        data,
        *,
        val=None,
        params: tuple[str, ...] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> TrainResult:
        """Train ``model`` in place on ``data`` (a ``Particles`` or a list of them); ``val``:
        datasets for the validation rollout (optional). ``params``: the data's parameters the model
        reads, in order (all, sorted, by default)."""
        c = self.config
        spec = model.spec
        datasets = _as_list(data)
        names = param_names(datasets, spec, params)
        tensors = [_Data(d, spec, names) for d in datasets]
        vals = [] if val is None else _as_list(val)
        val_tensors = [_Data(d, spec, names) for d in vals]
        trainable = [p for p in model.parameters() if p.requires_grad]
        if not trainable:
            raise ValidationError(f"{model.name} has no trainable parameters; evaluate it without fitting")
        model.fit_normalization(datasets, params=names, noise_std=c.noise_std)

        gen = torch.Generator().manual_seed(int(c.seed))
        torch.manual_seed(int(c.seed))
        weights = torch.tensor([t.windows() for t in tensors], dtype=torch.float64)
        opt = torch.optim.Adam(trainable, lr=c.lr, weight_decay=c.weight_decay)
        gamma = c.lr_final ** (1.0 / max(c.steps - 1, 1))
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=gamma)
        say = progress or (lambda _m: None)
        history: list[dict[str, Any]] = []
        best_state, best_val, best_step = None, None, None
        t0 = time.perf_counter()
        losses: list[float] = []
        model.train()
        for step in range(1, c.steps + 1):
            di = int(torch.multinomial(weights, 1, generator=gen)) if len(tensors) > 1 else 0
            d = tensors[di]
            scene = torch.randint(0, len(d), (c.batch_size,), generator=gen)
            start = torch.randint(0, d.n_starts, (c.batch_size,), generator=gen)
            offs = torch.arange(spec.window + 1)
            frames = d.x[scene[:, None], start[:, None] + offs[None, :]]  # (B, H+2, P, dim)
            kind = d.kind[scene]
            p = d.params[scene] if d.params is not None else None
            loss = self.loss(model, frames[:, :-1], frames[:, -1], kind, p, gen)
            if not torch.isfinite(loss):
                raise TrainingError(f"the training loss became {loss.item()} at step {step}; lower lr or set grad_clip")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if c.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(trainable, c.grad_clip)
            opt.step()
            lr_used = float(opt.param_groups[0]["lr"])
            sched.step()
            losses.append(float(loss.detach()))
            validate = bool(val_tensors) and ((c.eval_every and step % c.eval_every == 0) or step == c.steps)
            if step % c.log_every == 0 or step == c.steps or validate:
                record: dict[str, Any] = {
                    "step": step,
                    "loss": float(np.mean(losses)) if losses else float("nan"),
                    "lr": lr_used,
                    "seconds": round(time.perf_counter() - t0, 3),
                }
                losses = []
                if validate:
                    err = float(np.mean([rollout_mse_of(model, v, c.val_steps) for v in val_tensors]))
                    model.train()
                    record["val_mse"] = err
                    if best_val is None or err < best_val:
                        best_val, best_step = err, step
                        if c.keep_best:
                            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                history.append(record)
                say(
                    f"step {step}/{c.steps}: loss {record['loss']:.4g}"
                    + (f", validation rollout MSE {record['val_mse']:.4g}" if "val_mse" in record else "")
                )
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        return TrainResult(history=history, best_step=best_step, best_val=best_val, seconds=time.perf_counter() - t0)


@torch.no_grad()
def rollout(model, particles, *, steps: int | None = None, start: int = 0, params=None, batch_size: int = 4):
    """Roll ``model`` out on every scene of ``particles`` from the window of frames
    ``start..start+H``: predicted positions ``(N, steps, P, d)`` (numpy, float32) of frames
    ``start+H+1 ..`` (``steps``: every remaining frame by default)."""
    spec = model.spec
    names = param_names([particles], spec, params)
    d = particles if isinstance(particles, _Data) else _Data(particles, spec, names)
    return _rollout(model, d, steps, start, batch_size)


@torch.no_grad()
def _rollout(model, d: _Data, steps: int | None, start: int, batch_size: int) -> np.ndarray:
    spec = model.spec
    total = d.x.shape[1] - start - spec.window
    steps = total if steps is None else int(steps)
    if not 1 <= steps <= total:
        raise ValidationError(f"a rollout from frame {start} can predict 1..{total} frames of this data, asked {steps}")
    model.eval()
    out = []
    for b in range(0, len(d), batch_size):
        sl = slice(b, min(b + batch_size, len(d)))
        window = d.x[sl, start : start + spec.window]
        p = d.params[sl] if d.params is not None else None
        out.append(model.rollout(window, d.kind[sl], p, steps=steps).numpy())
    return np.concatenate(out)


def rollout_mse_of(model, d: _Data, steps: int) -> float:
    """The position MSE of a ``steps``-step rollout from the first window of every scene of ``d``."""
    steps = min(steps, d.x.shape[1] - model.spec.window)
    pred = _rollout(model, d, steps, 0, 4)
    true = d.x[:, model.spec.window : model.spec.window + steps].numpy()
    value = float(np.mean((pred - true) ** 2))
    return value if math.isfinite(value) else float("inf")


def train(model, data, *, val=None, params=None, progress=None, **config: Any) -> TrainResult:
    """``ParticleTrainer(TrainConfig(**config)).fit(model, data, ...)``."""
    return ParticleTrainer(config).fit(model, data, val=val, params=params, progress=progress)


__all__ = ["ParticleTrainer", "TrainConfig", "TrainResult", "param_names", "random_walk_noise", "rollout", "train"]
