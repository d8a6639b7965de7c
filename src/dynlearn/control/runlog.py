"""Run folders for agents: an append-only log and atomic checkpoints, so training resumes exactly.

A run folder holds three files::

    config.json      the agent's typed config and the environment (a resumed run must match it)
    log.jsonl        one JSON record per line (episodes, evaluations, losses, wall time per step)
    checkpoint.npz   the whole training state (weights, optimisers, replay, random generators)

``checkpoint.npz`` is written atomically (beside the target, then renamed) and
records the byte length of ``log.jsonl`` at that moment. On resume the log is
cut back to that length, so steps taken after the last checkpoint are neither
lost nor duplicated: they are run again from the same state and the same
random streams, and give the same numbers.

Nested state (``state_dict`` of modules and optimisers, generator states) is
flattened by :func:`pack` into numpy arrays plus a JSON skeleton; nothing is
pickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.errors import FileFormatError, ValidationError

CHECKPOINT_VERSION = 2  # 2: SAC keeps one fused optimiser, MBPO the ensemble by get_state (session 5)


# --- flattening nested state without pickle -----------------------------------------------------
def pack(tree: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    """A JSON-able skeleton of ``tree``; its tensors and arrays go into ``arrays`` under ``prefix``."""
    import torch

    if isinstance(tree, torch.Tensor):
        key = f"{prefix}#{len(arrays)}"
        arrays[key] = tree.detach().cpu().numpy().copy()
        return {"__array__": key, "torch": True, "dtype": str(tree.dtype)}
    if isinstance(tree, np.ndarray):
        key = f"{prefix}#{len(arrays)}"
        arrays[key] = tree.copy()
        return {"__array__": key, "torch": False}
    if isinstance(tree, dict):
        return {"__dict__": [[pack(k, arrays, prefix), pack(v, arrays, prefix)] for k, v in tree.items()]}
    if isinstance(tree, (list, tuple)):
        return {"__list__": [pack(v, arrays, prefix) for v in tree], "tuple": isinstance(tree, tuple)}
    if isinstance(tree, (np.integer, np.floating, np.bool_)):
        return tree.item()
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    raise ValidationError(f"cannot checkpoint a value of type {type(tree).__name__}")


def unpack(skel: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`pack`."""
    import torch

    if isinstance(skel, dict):
        if "__array__" in skel:
            a = arrays[skel["__array__"]]
            if skel.get("torch"):
                return torch.from_numpy(np.array(a))
            return np.array(a)
        if "__dict__" in skel:
            return {_hashable(unpack(k, arrays)): unpack(v, arrays) for k, v in skel["__dict__"]}
        if "__list__" in skel:
            items = [unpack(v, arrays) for v in skel["__list__"]]
            return tuple(items) if skel.get("tuple") else items
    return skel


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


# --- the run folder --------------------------------------------------------------------------------
class RunLog:
    """The run folder ``run_dir`` of one training run with the JSON-able ``config``.

    Opening an existing folder checks that the config matches (a resumed run
    must be the same run) and cuts ``log.jsonl`` back to the last checkpoint."""

    def __init__(self, run_dir: str | os.PathLike, config: dict[str, Any]):
        from dynlearn.io_utils import atomic_write_text

        self.dir = Path(run_dir)
        self.config = json.loads(json.dumps(config))
        self.dir.mkdir(parents=True, exist_ok=True)
        cfg_path = self.dir / "config.json"
        if cfg_path.exists():
            try:
                old = json.loads(cfg_path.read_text())
            except (OSError, json.JSONDecodeError):
                raise FileFormatError(f"{cfg_path} is not valid JSON; delete the run folder to start again") from None
            if old != self.config:
                diff = sorted(k for k in set(old) | set(self.config) if old.get(k) != self.config.get(k))
                raise ValidationError(
                    f"{self.dir} holds a run with a different config (differs in {', '.join(diff)}); "
                    "use another run folder, or the same settings to resume it")
        else:
            atomic_write_text(cfg_path, json.dumps(self.config, indent=2, sort_keys=True) + "\n")
        self.log_path = self.dir / "log.jsonl"
        self.ckpt_path = self.dir / "checkpoint.npz"
        self._resume = self._read_checkpoint()
        offset = self._resume[1]["log_bytes"] if self._resume else 0
        with open(self.log_path, "a+b") as fh:
            fh.truncate(offset)

    # checkpoint ----------------------------------------------------------------------------------
    def _read_checkpoint(self):
        from dynlearn.io_utils import read_npz

        if not self.ckpt_path.exists():
            return None
        try:
            arrays = read_npz(self.ckpt_path, what="checkpoint")
            meta = json.loads(bytes(arrays.pop("__meta__")).decode("utf-8"))
        except FileFormatError:
            raise
        except Exception as exc:
            raise FileFormatError(f"{self.ckpt_path} is corrupt ({exc}); delete it to restart the run") from None
        if meta.get("version") != CHECKPOINT_VERSION:
            raise FileFormatError(f"{self.ckpt_path} has checkpoint version {meta.get('version')}, this dynlearn "
                                  f"reads {CHECKPOINT_VERSION}; delete it to restart the run")
        return arrays, meta

    @property
    def resume(self) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """``(arrays, meta)`` of the last checkpoint, or ``None`` for a fresh run."""
        return self._resume

    def checkpoint(self, state: Any) -> None:
        """Write ``state`` (nested dicts of tensors/arrays/JSON values) as the new checkpoint, atomically."""
        from dynlearn.io_utils import atomic_savez

        arrays: dict[str, np.ndarray] = {}
        skel = pack(state, arrays, "s")
        meta = {"version": CHECKPOINT_VERSION, "log_bytes": self.log_path.stat().st_size, "state": skel}
        arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
        atomic_savez(self.ckpt_path, **arrays)

    def restored_state(self) -> Any:
        """The state passed to the last :meth:`checkpoint` (``None`` if there is none)."""
        if self._resume is None:
            return None
        arrays, meta = self._resume
        return unpack(meta["state"], arrays)

    # log -----------------------------------------------------------------------------------------
    def append(self, record: dict[str, Any]) -> None:
        """Append one record as a JSON line with a single write (flushed to disk)."""
        line = (json.dumps(record, sort_keys=True, allow_nan=True) + "\n").encode("utf-8")
        with open(self.log_path, "ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def records(self, kind: str | None = None) -> list[dict[str, Any]]:
        return read_log(self.dir, kind)


def read_log(run_dir: str | os.PathLike, kind: str | None = None) -> list[dict[str, Any]]:
    """The records of ``run_dir/log.jsonl`` (of one ``kind`` if given); a torn last line is skipped."""
    path = Path(run_dir) / "log.jsonl"
    if not path.exists():
        raise FileFormatError(f"{run_dir} has no log.jsonl; is it a dynlearn run folder?")
    out = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if kind is None or rec.get("kind") == kind:
            out.append(rec)
    return out


def plot_learning_curve(run_dirs: dict[str, str | os.PathLike] | str | os.PathLike, path: str | os.PathLike,
                        *, title: str = "") -> Path:
    """A PNG of episode return against environment steps (evaluation means as markers) for each run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dynlearn.io_utils import atomic_write_bytes

    runs = run_dirs if isinstance(run_dirs, dict) else {Path(run_dirs).name: run_dirs}
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, (label, d) in enumerate(runs.items()):
        eps = [r for r in read_log(d, "episode") if r.get("complete", True)]  # a cut-off episode's sum misleads
        ev = read_log(d, "eval")
        c = f"C{i}"
        if eps:
            ax.plot([r["step"] for r in eps], [r["return"] for r in eps], color=c, alpha=0.35, lw=1)
        if ev:
            ax.plot([r["step"] for r in ev], [r["return_mean"] for r in ev], "o-", color=c, ms=3, label=label)
        elif eps:
            ax.plot([], [], color=c, label=label)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return")
    ax.set_title((title + "\n" if title else "") + "thin line: training episodes; dots: evaluation mean", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
