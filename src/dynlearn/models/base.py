"""The model protocol: scikit-learn-like dynamics models.

A model is configured by a typed dataclass (``Model.Config``), learns in
``fit(trajectories)``, forecasts autonomously in closed loop with
``predict(context, horizon)``, and persists to a directory with ``save`` /
``load`` as JSON plus ``.npz`` (never pickle). Subclasses implement only
``_fit``, ``_predict``, ``_get_state`` and ``_set_state``; this base class
validates every input once, so every model rejects bad data the same way.

Capabilities add hooks of their own: a model that can use exogenous inputs
(``inputs``) sets ``uses_inputs`` and takes ``inputs=`` in ``_predict``; a
``probabilistic`` model implements ``_sample``; a ``continuous_time`` model
implements ``_vector_field``. ``conformance_config`` gives the conformance
kit (:func:`dynlearn.testing.check_model`) small hyper-parameters; nothing
else in the library calls it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dynlearn._validation import check_array, check_positive
from dynlearn.config import ModelConfig, build_config, config_to_dict
from dynlearn.data import Trajectory, as_trajectories
from dynlearn.errors import DynlearnError, FileFormatError, NotFittedError, OutputExistsError, ValidationError
from dynlearn.io_utils import current_umask, read_npz

FORMAT = "dynlearn.model"
FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What a model supports; the conformance kit picks its checks from these.

    ``inputs``: can be driven by exogenous inputs (``Trajectory.inputs``; see
    ``Model.uses_inputs``); ``probabilistic``: draws forecast samples
    (``Model.sample``); ``continuous_time``: learns a vector field
    (``Model.vector_field``); ``needs_uniform_sampling``: ``fit`` refuses
    irregularly sampled data; ``canonical``: needs a canonical state (q, p) of even
    dimension (Hamiltonian models; the conformance kit gives them a pendulum).
    """

    inputs: bool = False
    probabilistic: bool = False
    continuous_time: bool = False
    needs_uniform_sampling: bool = True
    canonical: bool = False


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
        self.n_inputs_: int = 0

    @classmethod
    def conformance_config(cls, inputs: bool = False) -> dict[str, Any]:
        """Config overrides that make :func:`dynlearn.testing.check_model` fast (tiny networks,
        few epochs). With ``inputs=True`` (asked only of models whose capabilities declare
        ``inputs``) they must also switch the use of inputs on. Only the conformance kit calls
        this; the default is the model's own defaults (plus nothing for inputs)."""
        return {}

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
    def uses_inputs(self) -> bool:
        """Whether ``fit`` and ``predict`` take exogenous inputs under the current config.

        Only a model whose capabilities declare ``inputs`` may return True (usually from a
        config switch); ``fit`` then needs every trajectory to carry ``inputs``."""
        return False

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
        n_inputs = self._check_training_inputs(trajs)
        self._fit(trajs)
        self.dim_ = trajs[0].dim
        self.dt_ = steps.pop() if steps else trajs[0].dt
        self.n_inputs_ = n_inputs
        return self

    def _check_training_inputs(self, trajs: list[Trajectory]) -> int:
        if not self.uses_inputs:
            return 0
        missing = [i for i, t in enumerate(trajs) if t.inputs is None]
        if missing:
            raise ValidationError(
                f"{self.name} is configured to use inputs, but trajectories {missing} have none; "
                "give every Trajectory inputs=(time, n_inputs), or switch the model's inputs off"
            )
        widths = {t.inputs.shape[1] for t in trajs}
        if len(widths) != 1:
            raise ValidationError(f"all trajectories must have the same number of inputs; got {sorted(widths)}")
        return widths.pop()

    def predict(self, context, horizon: int, *, inputs=None) -> np.ndarray:
        """Closed-loop forecast of the ``horizon`` states following ``context``.

        ``context``: ``(time, dim)`` or ``(batch, time, dim)``, the most recent
        state last. Returns ``(horizon, dim)`` or ``(batch, horizon, dim)``.
        A forecast that diverges is returned as is (non-finite values); it is
        the caller's choice how to score it. A model fitted with inputs needs
        ``inputs`` ``(time + horizon, n_inputs)`` (or with a leading batch axis):
        the inputs at every context time and at every forecast time.
        """
        ctx3, horizon, u3, single = self._check_forecast_args(context, horizon, inputs)
        if horizon == 0:
            out = np.empty((ctx3.shape[0], 0, self.dim_))
        else:
            kw = {} if u3 is None else {"inputs": u3}
            with np.errstate(over="ignore", invalid="ignore"):
                out = np.asarray(self._predict(ctx3, horizon, **kw), dtype=np.float64)
            if out.shape != (ctx3.shape[0], horizon, self.dim_):
                raise AssertionError(f"{type(self).__name__}._predict returned shape {out.shape}")
        return out[0] if single else out

    def sample(self, context, horizon: int, n_samples: int, *, seed: int = 0, inputs=None) -> np.ndarray:
        """Draw ``n_samples`` closed-loop forecasts (``probabilistic`` models only).

        Arguments as in :meth:`predict`. Returns ``(n_samples, horizon, dim)``, or
        ``(batch, n_samples, horizon, dim)`` for a batch context. The draws depend only
        on ``seed``: the same seed gives the same samples."""
        if not self.capabilities.probabilistic:
            raise ValidationError(f"{self.name} is not probabilistic and cannot sample; use predict(...) instead")
        ctx3, horizon, u3, single = self._check_forecast_args(context, horizon, inputs)
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValidationError(f"n_samples must be a whole number >= 1, got {n_samples!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValidationError(f"seed must be an integer, got {seed!r}")
        shape = (ctx3.shape[0], int(n_samples), horizon, self.dim_)
        if horizon == 0:
            out = np.empty(shape)
        else:
            kw = {} if u3 is None else {"inputs": u3}
            with np.errstate(over="ignore", invalid="ignore"):
                out = np.asarray(self._sample(ctx3, horizon, int(n_samples), int(seed), **kw), dtype=np.float64)
            if out.shape != shape:
                raise AssertionError(f"{type(self).__name__}._sample returned shape {out.shape}, expected {shape}")
        return out[0] if single else out

    def vector_field(self, states) -> np.ndarray:
        """The learned ``dx/dt`` at ``states`` ``(dim,)`` or ``(batch, dim)`` (``continuous_time`` models).

        ``predict`` follows the solution of this field, one state per forecast step (``dt_`` for
        uniformly sampled training data; a model may document another step, as the neural ODE does)."""
        if not self.capabilities.continuous_time:
            raise ValidationError(f"{self.name} is a discrete-time model; it has no vector field")
        self._check_fitted()
        x = check_array(states, "states", ndim=(1, 2))
        if x.shape[-1] != self.dim_:
            raise ValidationError(
                f"states have dimension {x.shape[-1]} but the model was fitted on dimension {self.dim_}"
            )
        x2 = np.atleast_2d(x)
        out = np.asarray(self._vector_field(x2), dtype=np.float64)
        if out.shape != x2.shape:
            raise AssertionError(f"{type(self).__name__}._vector_field returned shape {out.shape}")
        return out[0] if x.ndim == 1 else out

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(...) or load a saved model first")

    def _check_forecast_args(self, context, horizon, inputs):
        """Validated ``(context (B, T, d), horizon, inputs (B, T + horizon, m) or None, single)``."""
        self._check_fitted()
        if isinstance(context, Trajectory):
            context = context.states
        ctx = check_array(context, "context", ndim=(2, 3))
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
            raise ValidationError(f"horizon must be a whole number of steps, got {horizon!r}")
        if horizon < 0:
            raise ValidationError(f"horizon must be >= 0, got {horizon}")
        single = ctx.ndim == 2
        ctx3 = ctx[None] if single else ctx
        if not ctx3.flags.writeable:  # hooks get writable arrays (torch warns on read-only ones)
            ctx3 = ctx3.copy()
        if ctx3.shape[-1] != self.dim_:
            raise ValidationError(
                f"context has dimension {ctx3.shape[-1]} but the model was fitted on dimension {self.dim_}"
            )
        if ctx3.shape[1] < self.min_context:
            raise ValidationError(
                f"{self.name} needs a context of at least {self.min_context} steps; got {ctx3.shape[1]}"
            )
        return ctx3, int(horizon), self._check_forecast_inputs(inputs, ctx3, int(horizon), single), single

    def _check_forecast_inputs(self, inputs, ctx3: np.ndarray, horizon: int, single: bool):
        batch, steps = ctx3.shape[:2]
        need = steps + horizon
        if not self.n_inputs_:
            if inputs is not None:
                raise ValidationError(
                    f"{self.name} was fitted without inputs, so it takes none; drop inputs=... "
                    "(or fit it on trajectories with inputs, with its inputs switched on)"
                )
            return None
        shape = f"({need}, {self.n_inputs_})" + ("" if single else f" or ({batch}, {need}, {self.n_inputs_})")
        if inputs is None:
            raise ValidationError(
                f"{self.name} was fitted with {self.n_inputs_} input(s); pass inputs=... of shape {shape}: "
                "the inputs at every context time and every forecast time"
            )
        u = check_array(inputs, "inputs", ndim=(2, 3))
        u3 = np.repeat(u[None], batch, axis=0) if u.ndim == 2 else u
        if u3.shape != (batch, need, self.n_inputs_):
            raise ValidationError(
                f"inputs must have shape {shape} (context {steps} + horizon {horizon}); got {u.shape}"
            )
        return u3

    # persistence --------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write ``model.json`` and ``state.npz`` into directory ``path``, atomically.

        ``path`` must be new, an empty folder or a dynlearn model directory
        (which is replaced). Anything else (a file, a folder holding other
        files) is refused unless ``overwrite=True``, so saving never deletes
        what it did not write. The model is written beside ``path`` and
        renamed into place, so ``path`` never holds a half-written model; the
        previous content is moved aside first and removed only after the
        rename (and put back if the rename fails).
        """
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted; nothing to save")
        given = Path(path)
        path = check_save_target(given, overwrite=overwrite, flag="overwrite=True")
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: np.asarray(v) for k, v in self._get_state().items()}
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": self.name,
            "config": config_to_dict(self.config),
            "fitted": {
                "dim": self.dim_,
                "dt": self.dt_,
                **({"n_inputs": self.n_inputs_} if self.n_inputs_ else {}),
                **self._get_meta(),
            },
            "arrays": sorted(state),
            "state_format": self.state_format,
        }
        import shutil  # imported where used (with tempfile, about 10 ms of `import dynlearn.models`)
        import tempfile

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
            _replace_with(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return given

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
        try:
            model = target(header.get("config") or {})
        except ValidationError as exc:
            raise FileFormatError(f"{path}/model.json holds a config this {target.name} cannot use: {exc}") from None
        missing = sorted(set(header.get("arrays", [])) - set(state))
        if missing:
            raise FileFormatError(f"{path}/state.npz lacks arrays {missing}; the directory is incomplete")
        fitted = _Saved(f"{path}/model.json's 'fitted' entry", header.get("fitted") or {})
        dim, dt, n_inputs = fitted.pop("dim"), fitted.pop("dt"), fitted.get("n_inputs", 0)
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise FileFormatError(f"{path}/model.json has dim {dim!r}; a positive integer is expected")
        if dt is not None and (isinstance(dt, bool) or not isinstance(dt, (int, float))):
            raise FileFormatError(f"{path}/model.json has dt {dt!r}; a number or null is expected")
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 0:
            raise FileFormatError(f"{path}/model.json has n_inputs {n_inputs!r}; a whole number is expected")
        model.dim_, model.dt_, model.n_inputs_ = dim, dt, n_inputs
        # A ValueError from the hooks is their documented way to say "these arrays do not fit this
        # config" (a shape check, a failed reshape); any other exception is a bug and propagates.
        try:
            model._set_meta(fitted)
            model._set_state(_Saved(f"{path}'s state", state))
        except ValueError as exc:
            if isinstance(exc, DynlearnError):
                raise
            raise FileFormatError(f"{path} does not match {target.name}'s architecture: {exc}") from None
        return model

    # subclass hooks -------------------------------------------------------------
    def _fit(self, trajectories: list[Trajectory]) -> None:
        raise NotImplementedError

    def _predict(self, context: np.ndarray, horizon: int) -> np.ndarray:
        """``(batch, horizon, dim)`` after ``context`` ``(batch, time, dim)``. A model with
        ``uses_inputs`` also receives ``inputs=`` ``(batch, time + horizon, n_inputs)``."""
        raise NotImplementedError

    def _sample(self, context: np.ndarray, horizon: int, n_samples: int, seed: int) -> np.ndarray:
        """``(batch, n_samples, horizon, dim)`` draws; ``probabilistic`` models implement it."""
        raise NotImplementedError(f"{type(self).__name__} declares probabilistic=True but does not implement _sample")

    def _vector_field(self, states: np.ndarray) -> np.ndarray:
        """``dx/dt`` ``(batch, dim)`` at ``states`` ``(batch, dim)``; ``continuous_time`` models implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} declares continuous_time=True but does not implement _vector_field"
        )

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


class _Saved(dict):
    """A dict read from a model directory: a missing key is a FileFormatError naming the file, not a KeyError."""

    def __init__(self, where: str, items):
        super().__init__(items)
        self.where = where

    def __missing__(self, key):
        raise FileFormatError(
            f"{self.where} lacks {key!r}; the model was saved by another version or the file was edited"
        )

    def pop(self, key, *default):
        if key not in self and not default:
            return self[key]
        return super().pop(key, *default)


# data.json: what the CLI fitted on (dynlearn.cli.data_cmd), written beside the model
MODEL_FILES = frozenset({"model.json", "state.npz", "state.safetensors", "data.json"})


def is_model_dir(path: str | os.PathLike) -> bool:
    """True if ``path`` is a folder holding a dynlearn model header and nothing but model files."""
    path = Path(path)
    if not path.is_dir() or path.is_symlink():
        return False
    names = {p.name for p in path.iterdir()}
    if "model.json" not in names or not names <= MODEL_FILES:
        return False
    try:
        header = json.loads((path / "model.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(header, dict) and header.get("format") == FORMAT


def check_save_target(path: str | os.PathLike, *, overwrite: bool = False, flag: str = "--force") -> Path:
    """The resolved folder a model may be saved to, or OutputExistsError naming the problem.

    Accepted: a new path, an empty folder, a dynlearn model directory. Any
    other existing path only with ``overwrite`` (spelled ``flag`` in the
    message), and never the current folder or one of its parents."""
    from dynlearn.io_utils import _is_current_or_parent, describe_existing

    given = Path(path)
    real = given.resolve()
    if _is_current_or_parent(real):
        raise OutputExistsError(
            f"will not save a model over {given} (the current folder, a parent of it, or your home); "
            "name a new folder, e.g. -o my-model"
        )
    if not real.exists() and not given.is_symlink():
        return real
    if real.is_dir() and (not any(real.iterdir()) or is_model_dir(real)):
        return real
    if overwrite:
        return real
    raise OutputExistsError(
        f"{given} exists and is not a dynlearn model directory ({describe_existing(given)}); "
        f"pass {flag} to replace it, or choose a new folder"
    )


def _replace_with(new: Path, path: Path) -> None:
    """Rename folder ``new`` to ``path``; whatever was at ``path`` is moved aside first, then removed."""
    if not path.exists() and not path.is_symlink():
        os.replace(new, path)
        return
    import shutil
    import tempfile

    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
    aside = old / "previous"
    os.replace(path, aside)
    try:
        os.replace(new, path)
    except BaseException:
        os.replace(aside, path)  # put the previous content back
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


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
            state = read_npz(path / fname, what="model state")
    except FileNotFoundError:
        raise FileFormatError(f"{path} has no {fname}; the directory is incomplete") from None
    except FileFormatError:
        raise
    except Exception as exc:  # zip, safetensors and OS errors all mean the same to the user
        raise FileFormatError(f"{path}/{fname} is corrupt or truncated ({exc}); save the model again") from None
    return header, state
