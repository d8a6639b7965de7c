"""The model protocol: scikit-learn-like dynamics models.

A model is configured by a typed dataclass (``Model.Config``), learns in
``fit(trajectories)``, forecasts autonomously in closed loop with
``predict(context, horizon)``, and persists to a directory with ``save`` /
``load`` as JSON plus ``.npz`` (never pickle). Subclasses implement only
``_fit``, ``_predict``, ``_get_state`` and ``_set_state``; this base class
validates every input once, so every model rejects bad data the same way.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dynlearn._validation import check_array, check_positive
from dynlearn.config import ModelConfig, build_config, config_to_dict
from dynlearn.data import Trajectory, as_trajectories
from dynlearn.errors import FileFormatError, NotFittedError, ValidationError
from dynlearn.io_utils import current_umask

FORMAT = "dynlearn.model"
FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What a model supports; the conformance suite picks its checks from these."""

    inputs: bool = False
    probabilistic: bool = False
    continuous_time: bool = False
    needs_uniform_sampling: bool = True


class Model:
    """Base class of every dynamics model. See the module docstring."""

    name: ClassVar[str] = "model"
    Config: ClassVar[type] = ModelConfig
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: how ``_get_state`` arrays are stored: ``"npz"`` or ``"safetensors"`` (torch weights)
    state_format: ClassVar[str] = "npz"

    def __init__(self, config: Any = None, **overrides: Any):
        self.config = build_config(self.Config, config, overrides)
        self.dim_: int | None = None
        self.dt_: float | None = None

    # configuration --------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        return config_to_dict(self.config)

    def set_params(self, **params: Any) -> Model:
        self.config = build_config(self.Config, self.config, params)
        return self

    @property
    def min_context(self) -> int:
        """Number of past states ``predict`` needs."""
        return 1

    @property
    def min_train_length(self) -> int:
        """Shortest training trajectory ``fit`` accepts."""
        return self.min_context + 1

    @property
    def is_fitted(self) -> bool:
        return self.dim_ is not None

    # learning and forecasting ----------------------------------------------
    def fit(self, data, *, dt: float | None = None) -> Model:
        """Learn from a Trajectory, a list/collection of them, or an array
        ``(time, dim)`` / ``(batch, time, dim)`` sampled every ``dt`` (default 1)."""
        trajs = as_trajectories(data, dt=1.0 if dt is None else check_positive(dt, "dt"), name="training data")
        if not trajs:
            raise ValidationError("fit needs at least one trajectory; got an empty collection")
        dims = {t.dim for t in trajs}
        if len(dims) != 1:
            raise ValidationError(f"training trajectories must share one dimension; got {sorted(dims)}")
        steps = set()
        for i, tr in enumerate(trajs):
            if len(tr) < self.min_train_length:
                raise ValidationError(
                    f"{self.name} needs training trajectories of at least {self.min_train_length} steps "
                    f"(with its current config); trajectory {i} has {len(tr)}"
                )
            if self.capabilities.needs_uniform_sampling:
                steps.add(round(tr.require_uniform(f"model {self.name!r}"), 12))
        if len(steps) > 1:
            raise ValidationError(f"{self.name} needs one sampling step across trajectories; got {sorted(steps)}")
        self._fit(trajs)
        self.dim_ = trajs[0].dim
        self.dt_ = steps.pop() if steps else trajs[0].dt
        return self

    def predict(self, context, horizon: int) -> np.ndarray:
        """Closed-loop forecast of the ``horizon`` states following ``context``.

        ``context``: ``(time, dim)`` or ``(batch, time, dim)``, the most recent
        state last. Returns ``(horizon, dim)`` or ``(batch, horizon, dim)``.
        A forecast that diverges is returned as is (non-finite values); it is
        the caller's choice how to score it.
        """
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(...) or load a saved model first")
        if isinstance(context, Trajectory):
            context = context.states
        ctx = check_array(context, "context", ndim=(2, 3))
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
            raise ValidationError(f"horizon must be a whole number of steps, got {horizon!r}")
        if horizon < 0:
            raise ValidationError(f"horizon must be >= 0, got {horizon}")
        single = ctx.ndim == 2
        ctx3 = ctx[None] if single else ctx
        if ctx3.shape[-1] != self.dim_:
            raise ValidationError(
                f"context has dimension {ctx3.shape[-1]} but the model was fitted on dimension {self.dim_}"
            )
        if ctx3.shape[1] < self.min_context:
            raise ValidationError(
                f"{self.name} needs a context of at least {self.min_context} steps; got {ctx3.shape[1]}"
            )
        if horizon == 0:
            out = np.empty((ctx3.shape[0], 0, self.dim_))
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                out = np.asarray(self._predict(ctx3, int(horizon)), dtype=np.float64)
            if out.shape != (ctx3.shape[0], horizon, self.dim_):
                raise AssertionError(f"{type(self).__name__}._predict returned shape {out.shape}")
        return out[0] if single else out

    # persistence --------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``model.json`` and ``state.npz`` into directory ``path``, atomically."""
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted; nothing to save")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: np.asarray(v) for k, v in self._get_state().items()}
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": self.name,
            "config": config_to_dict(self.config),
            "fitted": {"dim": self.dim_, "dt": self.dt_, **self._get_meta()},
            "arrays": sorted(state),
            "state_format": self.state_format,
        }
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            os.chmod(tmp, 0o777 & ~current_umask())
            if self.state_format == "safetensors":
                from safetensors.numpy import save_file

                save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(tmp / "state.safetensors"))
            else:
                np.savez(tmp / "state.npz", **state)
            with open(tmp / "model.json", "w") as fh:
                json.dump(header, fh, indent=2, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Model:
        """Load a model saved by ``save``; on the base class any registered model."""
        header, state = read_model_dir(path)
        from dynlearn.models import MODELS
        from dynlearn.registry import normalize_name

        if cls is Model:
            if header["model"] not in MODELS:
                raise FileFormatError(
                    f"{path} holds a model of unknown type {header['model']!r}; "
                    "import the package that registers it first"
                )
            target = MODELS.get(header["model"])
        elif normalize_name(header["model"]) != normalize_name(cls.name):
            raise FileFormatError(
                f"{path} holds a {header['model']!r} model, not {cls.name!r}; "
                "load it with dynlearn.models.load(path) or the matching class"
            )
        else:
            target = cls
        model = target(header.get("config") or {})
        missing = sorted(set(header.get("arrays", [])) - set(state))
        if missing:
            raise FileFormatError(f"{path}/state.npz lacks arrays {missing}; the directory is incomplete")
        fitted = dict(header.get("fitted") or {})
        try:
            model.dim_, model.dt_ = int(fitted.pop("dim")), fitted.pop("dt")
            model._set_meta(fitted)
            model._set_state(state)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise FileFormatError(f"{path} does not match {target.name}'s architecture: {exc}") from None
        return model

    # subclass hooks -------------------------------------------------------------
    def _fit(self, trajectories: list[Trajectory]) -> None:
        raise NotImplementedError

    def _predict(self, context: np.ndarray, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def _get_state(self) -> dict[str, np.ndarray]:
        return {}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        pass

    def _get_meta(self) -> dict[str, Any]:
        """JSON-able fitted scalars besides dim and dt."""
        return {}

    def _set_meta(self, meta: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def read_model_dir(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and check ``model.json`` and ``state.npz``; FileFormatError on anything amiss."""
    path = Path(path)
    if not path.is_dir():
        raise FileFormatError(f"no model directory at {path}")
    try:
        header = json.loads((path / "model.json").read_text())
    except FileNotFoundError:
        raise FileFormatError(f"{path} has no model.json; it is not a saved dynlearn model") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path}/model.json is corrupt ({exc}); save the model again") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise FileFormatError(f"{path}/model.json is not a dynlearn model header (format {FORMAT!r} expected)")
    if header.get("format_version") != FORMAT_VERSION:
        raise FileFormatError(
            f"{path} was written with model format version {header.get('format_version')}, "
            f"this dynlearn reads version {FORMAT_VERSION}"
        )
    if "model" not in header:
        raise FileFormatError(f"{path}/model.json does not say which model wrote it")
    fmt = header.get("state_format", "npz")
    fname = "state.safetensors" if fmt == "safetensors" else "state.npz"
    try:
        if fmt == "safetensors":
            from safetensors.numpy import load_file

            state = load_file(str(path / fname))
        else:
            with np.load(path / fname, allow_pickle=False) as npz:
                state = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise FileFormatError(f"{path} has no {fname}; the directory is incomplete") from None
    except Exception as exc:  # zip, safetensors and OS errors all mean the same to the user
        raise FileFormatError(f"{path}/{fname} is corrupt or truncated ({exc}); save the model again") from None
    return header, state
