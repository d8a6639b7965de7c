"""One rollout trainer for field models, with the field's training strategies as options.

A training sample is a window of one trajectory: ``Th`` input frames ``u_{t-Th+1..t}`` (the
model's ``spec.history``) and the next ``K = pushforward + unroll`` frames as targets. For a batch
of windows, one gradient step does:

1. **noise injection** (Sanchez-Gonzalez et al., "Learning to simulate complex physics with graph
   networks", ICML 2020): Gaussian noise of standard deviation ``noise * sigma_c`` (``sigma_c`` the
   per-channel std of the training data) is added to the input frames, never to the targets, so the
   model learns to pull a perturbed state back towards the true trajectory;
2. **pushforward** (Brandstetter, Worrall & Welling, "Message passing neural PDE solvers", ICLR 2022):
   ``j`` steps are rolled out under ``torch.no_grad()`` (``j = pushforward``, or drawn uniformly from
   ``0..pushforward`` per batch with ``pushforward_sampling="uniform"``), and the loss is taken at
   the step after them: the model is trained on inputs from its own distribution, at the cost of
   one step's gradient;
3. **unrolled loss** (backpropagation through time over ``unroll`` steps): the loss is the mean of
   the ``unroll`` one-step losses :math:`\\frac1k\\sum_i \\|(\\hat u_{t+i} - u_{t+i})/\\sigma\\|^2`
   along a rollout that keeps its graph;
4. **teacher forcing schedule** within that unroll: each frame fed back is the true one with
   probability ``p(epoch)`` and the prediction otherwise (per window), ``p`` falling from
   ``start`` to ``end`` (:class:`TeacherForcing`: constant, linear, exponential or inverse
   sigmoid, Bengio et al. 2015 "Scheduled sampling"). ``p = 1`` makes the unroll ``k`` one-step
   losses; ``p = 0`` full BPTT.

Around it: a train/validation split by trajectory (seeded), normalisation statistics of the training
trajectories set on the model (:meth:`FieldModel.set_normalization`), Adam with an optional cosine
learning-rate schedule, early stopping on the validation rollout error (relative L2 over
``val_steps`` autoregressive steps; the best weights are restored), and a checkpoint folder: one
``checkpoint.safetensors`` (model, optimiser and best weights, with the trainer's state as JSON in
its header) written atomically after every epoch. Every epoch's randomness is drawn from a generator
seeded by ``(seed, epoch)``, so a fit that is interrupted and run again with the same folder
resumes after the last finished epoch and ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dynlearn.config import from_known_fields
from dynlearn.errors import FileFormatError, TrainingError, ValidationError
from dynlearn.fields import _windows
from dynlearn.io_utils import atomic_write_bytes, atomic_write_text

CHECKPOINT = "checkpoint.safetensors"
CHECKPOINT_FORMAT = "dynlearn.fields.checkpoint"
CHECKPOINT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class TeacherForcing:
    """The probability of feeding the true frame (not the prediction) back into an unrolled loss, by
    epoch ``e`` of ``E``, with ``s = e / max(E - 1, 1)``:

    - ``"constant"``: ``start``;
    - ``"linear"``: ``start + (end - start) s``;
    - ``"exponential"``: ``start (end / start)^s`` (``end`` > 0);
    - ``"inverse_sigmoid"``: ``end + (start - end) / (1 + exp(10 (s - 1/2)))`` (scheduled
      sampling's decay, Bengio et al. 2015, rescaled to the run's epochs).
    """

    kind: str = "constant"
    start: float = 1.0
    end: float = 0.0

    KINDS = ("constant", "linear", "exponential", "inverse_sigmoid")

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValidationError(f"teacher forcing kind must be one of {list(self.KINDS)}, got {self.kind!r}")
        if not (0.0 <= self.start <= 1.0 and 0.0 <= self.end <= 1.0):
            raise ValidationError(f"teacher forcing probabilities must lie in [0, 1], got {self.start}, {self.end}")
        if self.kind == "exponential" and (self.end <= 0 or self.start <= 0):
            raise ValidationError("an exponential teacher forcing schedule needs start and end > 0 (use linear for 0)")

    def value(self, epoch: int, epochs: int) -> float:
        s = epoch / max(epochs - 1, 1)
        if self.kind == "constant":
            return self.start
        if self.kind == "linear":
            return self.start + (self.end - self.start) * s
        if self.kind == "exponential":
            return self.start * (self.end / self.start) ** s
        return self.end + (self.start - self.end) / (1.0 + math.exp(10.0 * (s - 0.5)))


@dataclasses.dataclass
class TrainConfig:
    """Settings of :class:`RolloutTrainer` (see the module doc for what each strategy does)."""

    epochs: int = 20
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.0
    #: "constant" or "cosine" (to ``lr * lr_min_factor`` at the last epoch)
    lr_schedule: str = "constant"
    lr_min_factor: float = 0.01
    grad_clip: float | None = None
    #: input noise, in units of each channel's standard deviation (0: off)
    noise: float = 0.0
    #: steps rolled out without gradient before the loss (0: off)
    pushforward: int = 0
    #: "fixed": always ``pushforward`` steps; "uniform": 0..pushforward per batch
    pushforward_sampling: str = "fixed"
    #: steps of the unrolled (BPTT) loss (1: one-step training)
    unroll: int = 1
    teacher_forcing: TeacherForcing = dataclasses.field(default_factory=TeacherForcing)
    #: fraction of trajectories held out for validation and early stopping (0: none)
    val_fraction: float = 0.2
    #: rollout length of the validation error (clipped to the data's frames)
    val_steps: int = 10
    #: epochs without a better validation error before stopping (None: never stop early)
    patience: int | None = 5
    #: windows drawn per epoch (None: every window of the training trajectories once)
    samples_per_epoch: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.teacher_forcing, dict):
            self.teacher_forcing = TeacherForcing(**self.teacher_forcing)
        checks = [
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.lr > 0, "lr must be > 0"),
            (self.noise >= 0, "noise must be >= 0"),
            (self.pushforward >= 0, "pushforward must be >= 0"),
            (self.unroll >= 1, "unroll must be >= 1"),
            (0 <= self.val_fraction < 1, "val_fraction must lie in [0, 1)"),
            (self.val_steps >= 1, "val_steps must be >= 1"),
            (self.patience is None or self.patience >= 1, "patience must be >= 1 or None"),
            (self.samples_per_epoch is None or self.samples_per_epoch >= 1, "samples_per_epoch must be >= 1"),
            (self.lr_schedule in ("constant", "cosine"), "lr_schedule must be 'constant' or 'cosine'"),
            (self.pushforward_sampling in ("fixed", "uniform"), "pushforward_sampling must be 'fixed' or 'uniform'"),
            (self.grad_clip is None or self.grad_clip > 0, "grad_clip must be > 0 or None"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValidationError(f"{message} (TrainConfig)")

    @property
    def horizon(self) -> int:
        """Target frames a training window needs after its history."""
        return self.pushforward + self.unroll

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        return from_known_fields(cls, d, what="training setting")


@dataclasses.dataclass
class TrainResult:
    """What a fit did: one record per epoch (``epoch``, ``train_loss``, ``val_error``, ``lr``,
    ``teacher_forcing``, ``seconds``), the best epoch and its validation error, the split."""

    history: list[dict[str, Any]]
    best_epoch: int | None
    best_val: float | None
    stopped_early: bool
    train_index: list[int]
    val_index: list[int]
    resumed_from: int = 0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def split_trajectories(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of ``n`` trajectories: ``(train, val)`` index arrays (at least one in each
    when ``val_fraction > 0``)."""
    if val_fraction <= 0:
        return np.arange(n), np.arange(0)
    if n < 2:
        raise ValidationError(f"a validation split needs >= 2 trajectories, the data has {n}; set val_fraction=0")
    n_val = min(max(1, int(round(val_fraction * n))), n - 1)
    perm = np.random.default_rng([seed, 7919]).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def _epoch_seed(seed: int, epoch: int) -> int:
    return int(np.random.default_rng([seed, epoch, 104729]).integers(2**62))


class RolloutTrainer:
    """Fits a :class:`~dynlearn.fields.models.FieldModel` to a :class:`~dynlearn.fields.Fields`
    with the strategies of :class:`TrainConfig` (see the module doc)::

        trainer = RolloutTrainer(TrainConfig(epochs=30, noise=0.01, pushforward=1))
        result = trainer.fit(model, data, checkpoint="runs/unet")   # model is trained in place
    """

    def __init__(self, config: TrainConfig | dict[str, Any] | None = None, **overrides: Any):
        if config is None:
            config = TrainConfig(**overrides)
        elif isinstance(config, dict):
            config = TrainConfig.from_dict({**config, **overrides})
        elif overrides:
            config = dataclasses.replace(config, **overrides)
        self.config = config

    # -- one gradient step's loss ----------------------------------------------------------
    def loss(
        self,
        model,
        history: torch.Tensor,
        targets: torch.Tensor,
        params: torch.Tensor | None,
        mask: torch.Tensor | None,
        *,
        epoch: int,
        generator: torch.Generator,
    ) -> torch.Tensor:
        """The training loss of one batch: ``history (B, Th, C, *space)``, ``targets (B, K, C, *space)``
        with ``K = pushforward + unroll``; randomness (noise, pushforward length, teacher forcing
        coins) from ``generator``."""
        c = self.config
        scale = model.field_std.view(1, 1, -1, *([1] * (history.ndim - 3)))
        window = history
        j = c.pushforward
        if c.pushforward and c.pushforward_sampling == "uniform":
            j = int(torch.randint(0, c.pushforward + 1, (1,), generator=generator))
        if j:
            with torch.no_grad():
                for _ in range(j):
                    nxt = model(window, params, mask)
                    window = torch.cat([window[:, 1:], nxt[:, None]], dim=1)
        if c.noise > 0:
            noise = torch.randn(window.shape, generator=generator, dtype=window.dtype) * (c.noise * scale)
            window = window + noise
        p_tf = c.teacher_forcing.value(epoch, c.epochs)
        total = history.new_zeros(())
        for i in range(c.unroll):
            pred = model(window, params, mask)
            true = targets[:, j + i]
            total = total + (((pred - true) / scale[:, 0]) ** 2).mean()
            if i + 1 < c.unroll:
                if p_tf >= 1.0:
                    fed = true
                elif p_tf <= 0.0:
                    fed = pred
                else:
                    coin = torch.rand(pred.shape[0], generator=generator) < p_tf
                    fed = torch.where(coin.view(-1, *([1] * (pred.ndim - 1))), true, pred)
                window = torch.cat([window[:, 1:], fed[:, None]], dim=1)
        return total / c.unroll

    # -- the fit ---------------------------------------------------------------------------
    def fit(
        self,
        model,
        fields,
        *,
        val=None,
        params: tuple[str, ...] | None = None,
        checkpoint: str | os.PathLike | None = None,
        progress: Callable[[str], None] | None = None,
        callback: Callable[[dict[str, Any]], None] | None = None,
    ) -> TrainResult:
        """Train ``model`` in place on ``fields`` (validation: ``val`` if given, else a split of
        ``fields`` by trajectory). ``params``: the data's parameters the model reads, in order (all,
        sorted, by default). ``checkpoint``: a folder to write after every epoch and to resume
        from. ``callback(record)`` is called after each epoch's checkpoint is written."""
        c = self.config
        spec = model.spec
        names = _windows.param_names(fields, spec, params)
        if val is None:
            tr_idx, va_idx = split_trajectories(len(fields), c.val_fraction, c.seed)
            train_f = fields.subset(tr_idx)
            val_f = fields.subset(va_idx) if len(va_idx) else None
        else:
            tr_idx, va_idx = np.arange(len(fields)), np.arange(0)
            train_f, val_f = fields, val
        n_frames = train_f.values.shape[1]
        if n_frames < spec.history + c.horizon:
            raise ValidationError(
                f"training windows need history {spec.history} + pushforward {c.pushforward} + unroll {c.unroll} = "
                f"{spec.history + c.horizon} frames, the data has {n_frames}; lower them or save more frames"
            )
        data = _windows.Tensors(train_f, spec, names)
        val_data = _windows.Tensors(val_f, spec, names) if val_f is not None else None
        val_steps = 0
        if val_data is not None:
            val_steps = min(c.val_steps, val_f.values.shape[1] - spec.history)
            if val_steps < 1:
                raise ValidationError(f"validation trajectories need more than {spec.history} frames")
        fm, fs, pm, ps = _windows.normalization(train_f, names)
        model.set_normalization(fm, fs, pm, ps)

        # every (trajectory, start) window of the training data
        starts = n_frames - spec.history - c.horizon + 1
        windows = torch.stack(
            torch.meshgrid(torch.arange(len(data)), torch.arange(starts), indexing="ij"), dim=-1
        ).reshape(-1, 2)
        per_epoch = c.samples_per_epoch or len(windows)

        if not any(p.requires_grad for p in model.parameters()):
            raise ValidationError(f"{model.name} has no trainable parameters; evaluate it without fitting")
        opt = torch.optim.Adam(model.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        fingerprint = {
            "config": c.to_json(),
            "model": model.name,
            "spec": spec.to_json(),
            "model_config": dataclasses.asdict(model.config),
            "model_seed": model.seed,
            "data": [list(map(int, fields.values.shape)), float(np.asarray(fields.values[:, :2], dtype=float).sum())],
            "params": list(names),
        }
        state = {"epoch": 0, "history": [], "best_epoch": None, "best_val": None, "stopped_early": False}
        best: dict[str, torch.Tensor] | None = None
        ckpt = Path(checkpoint) if checkpoint is not None else None
        resumed_from = 0
        if ckpt is not None and (ckpt / CHECKPOINT).is_file():
            state, best = _load_checkpoint(ckpt, model, opt, fingerprint)
            resumed_from = state["epoch"]
            if progress and resumed_from:
                progress(f"resuming {ckpt} after epoch {resumed_from}")

        say = progress or (lambda _m: None)
        epoch = state["epoch"]
        while epoch < c.epochs and not state["stopped_early"]:
            t0 = time.perf_counter()
            seed = _epoch_seed(c.seed, epoch)
            gen = torch.Generator().manual_seed(seed)
            torch.manual_seed(seed)  # a model's own randomness (dropout), reproducible per epoch
            lr = c.lr
            if c.lr_schedule == "cosine":
                s = epoch / max(c.epochs - 1, 1)
                lr = c.lr * (c.lr_min_factor + (1 - c.lr_min_factor) * 0.5 * (1 + math.cos(math.pi * s)))
            for group in opt.param_groups:
                group["lr"] = lr
            order = torch.randperm(len(windows), generator=gen)
            if per_epoch > len(windows):
                extra = torch.randint(0, len(windows), (per_epoch - len(windows),), generator=gen)
                order = torch.cat([order, extra])
            order = order[:per_epoch]
            model.train()
            losses = []
            for b in range(0, per_epoch, c.batch_size):
                pick = windows[order[b : b + c.batch_size]]
                traj, t = pick[:, 0], pick[:, 1]
                offs = torch.arange(spec.history + c.horizon)
                frames = data.values[traj[:, None], t[:, None] + offs[None, :]]
                p, m = data.take(traj)
                loss = self.loss(
                    model, frames[:, : spec.history], frames[:, spec.history :], p, m, epoch=epoch, generator=gen
                )
                if not torch.isfinite(loss):
                    raise TrainingError(
                        f"the training loss became {loss.item()} at epoch {epoch}; lower lr or noise, or set grad_clip"
                    )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if c.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
                opt.step()
                losses.append(float(loss.detach()))
            record: dict[str, Any] = {
                "epoch": epoch,
                "train_loss": float(np.mean(losses)),
                "lr": lr,
                "teacher_forcing": c.teacher_forcing.value(epoch, c.epochs),
            }
            if val_data is not None:
                err = validation_error(model, val_data, spec.history, val_steps)
                record["val_error"] = err
                if state["best_val"] is None or err < state["best_val"]:
                    state["best_val"], state["best_epoch"] = err, epoch
                    best = {k: v.detach().clone() for k, v in model.state_dict().items()}
                elif c.patience is not None and epoch - state["best_epoch"] >= c.patience:
                    state["stopped_early"] = True
            record["seconds"] = round(time.perf_counter() - t0, 3)
            state["history"].append(record)
            epoch += 1
            state["epoch"] = epoch
            if ckpt is not None:
                _save_checkpoint(ckpt, model, opt, best, state, fingerprint)
            say(
                f"epoch {epoch}/{c.epochs}: loss {record['train_loss']:.4g}"
                + (f", val rollout rel. L2 {record['val_error']:.4g}" if "val_error" in record else "")
                + (" (stopping early)" if state["stopped_early"] else "")
            )
            if callback is not None:
                callback(record)
        if best is not None:
            model.load_state_dict(best)
        model.eval()
        result = TrainResult(
            history=state["history"],
            best_epoch=state["best_epoch"],
            best_val=state["best_val"],
            stopped_early=state["stopped_early"],
            train_index=[int(i) for i in tr_idx],
            val_index=[int(i) for i in va_idx],
            resumed_from=resumed_from,
        )
        if ckpt is not None:
            model.save(ckpt / "model")
            atomic_write_text(ckpt / "result.json", json.dumps(result.to_json(), indent=1))
        return result


@torch.no_grad()
def validation_error(model, data: _windows.Tensors, history: int, steps: int, batch_size: int = 32) -> float:
    """Mean relative L2 over a ``steps``-step rollout from the first ``history`` frames."""
    model.eval()
    errs = []
    for b in range(0, len(data), batch_size):
        idx = torch.arange(b, min(b + batch_size, len(data)))
        p, m = data.take(idx)
        true = data.values[idx, history : history + steps]
        pred = model.rollout(data.values[idx, :history], p, m, steps=steps)
        axes = tuple(range(2, true.ndim))
        err = ((pred - true) ** 2).sum(axes).sqrt() / (true**2).sum(axes).sqrt().clamp_min(1e-12)
        errs.append(err.mean(1))
    model.train()
    value = float(torch.cat(errs).mean())
    return value if math.isfinite(value) else float("inf")


def _save_checkpoint(folder: Path, model, opt, best, state, fingerprint) -> None:
    from safetensors.torch import save as st_save

    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
    if best is not None:
        tensors.update({f"best.{k}": v.contiguous() for k, v in best.items()})
    opt_state = opt.state_dict()
    slots: dict[str, Any] = {}
    for pid, entry in opt_state["state"].items():
        for name, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"opt.{pid}.{name}"] = value.detach().contiguous()
            else:
                slots[f"{pid}.{name}"] = value
    header = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "state": state,
        "fingerprint": fingerprint,
        "opt_groups": opt_state["param_groups"],
        "opt_slots": slots,
    }
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / CHECKPOINT, st_save(tensors, metadata={"dynlearn": json.dumps(header)}))


def _load_checkpoint(folder: Path, model, opt, fingerprint) -> tuple[dict, dict | None]:
    from safetensors import SafetensorError, safe_open

    path = folder / CHECKPOINT
    try:
        with safe_open(str(path), framework="pt") as f:
            header = json.loads((f.metadata() or {}).get("dynlearn", "{}"))
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise FileFormatError(f"{path} cannot be read ({exc}); delete it to start the fit afresh") from None
    if header.get("format") != CHECKPOINT_FORMAT or header.get("version") != CHECKPOINT_VERSION:
        raise FileFormatError(f"{path} is not a dynlearn fields checkpoint of version {CHECKPOINT_VERSION}")
    old = json.loads(json.dumps(header["fingerprint"]))
    new = json.loads(json.dumps(fingerprint))
    if old != new:
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise ValidationError(
            f"{folder} holds a fit with other settings ({', '.join(diff)} differ); resume with the same model, data "
            "and TrainConfig, or use another checkpoint folder"
        )
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")} or None
    opt_state: dict[str, Any] = {"state": {}, "param_groups": header["opt_groups"]}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, pid, name = k.split(".", 2)
            opt_state["state"].setdefault(int(pid), {})[name] = v
    for k, v in header["opt_slots"].items():
        pid, name = k.split(".", 1)
        opt_state["state"].setdefault(int(pid), {})[name] = v
    opt.load_state_dict(opt_state)
    return header["state"], best


def train(model, fields, *, checkpoint=None, progress=None, params=None, val=None, **config: Any) -> TrainResult:
    """``RolloutTrainer(TrainConfig(**config)).fit(model, fields, ...)``."""
    return RolloutTrainer(config).fit(model, fields, val=val, params=params, checkpoint=checkpoint, progress=progress)


__all__ = [
    "RolloutTrainer",
    "TeacherForcing",
    "TrainConfig",
    "TrainResult",
    "split_trajectories",
    "train",
    "validation_error",
]
