"""Suites: systems x protocol x methods x seeds, declared in TOML or JSON files.

Built-in suites live in ``dynlearn/bench/suites/*.toml``; any path to a
``.toml`` or ``.json`` file with the same fields works too. A suite may also
name data files (``data = [...]``, see :mod:`dynlearn.bench.userdata`), so
methods are ranked on a user's own series.

A suite may name a system set instead of a list (``systems =
"dysts-chaotic-flows"``, :mod:`dynlearn.bench.system_sets`), tune each
method on a validation split of the training data (``tune`` and
``tune_budget`` of a method, :mod:`dynlearn.bench.tuning`), and vary
protocol fields over several runs (``vary = {train_points = [...]}``: a
sweep, one run per value, every run's stored spec carrying ``sweep``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import tomllib
from pathlib import Path
from typing import Any

from dynlearn.bench.userdata import DataSpec, data_spec
from dynlearn.config import build_config
from dynlearn.errors import FileFormatError, UnknownNameError, ValidationError

SUITE_DIR = Path(__file__).parent / "suites"


#: where forecasts start (``Protocol.origin``)
ORIGINS = ("test", "train_end")


@dataclasses.dataclass(frozen=True)
class Protocol:
    """How data is generated and how forecasts are scored (all counts in samples).

    ``origin = "test"``: ``n_windows`` forecasts spread over the test trajectory, each
    from the ``context`` test states before it. ``origin = "train_end"``: one forecast
    from the end of the training data (its last ``context`` states), scored on the
    first ``horizon`` test states: the dysts protocol (Gilpin 2023). ``univariate``:
    models see and forecast coordinate 0 only. ``history_points``: samples simulated
    before the test part (0: ``train_points``); training is their last
    ``train_points``, so runs that shrink ``train_points`` share the series and the
    test window. ``validation_fraction``: the end of the training part a tuned method
    is validated on (:mod:`dynlearn.bench.tuning`).
    """

    points_per_period: float = 30.0
    train_points: int = 3000
    test_points: int = 3000
    context: int = 32
    horizon: int = 200
    n_windows: int = 20
    long_horizon: int = 2000
    noise: float = 0.0
    standardize: bool = True
    origin: str = "test"
    univariate: bool = False
    history_points: int = 0
    validation_fraction: float = 0.2

    @property
    def history(self) -> int:
        """Samples before the test part (the training data is the last ``train_points`` of them)."""
        return self.history_points or self.train_points

    def validate(self) -> None:
        for f in ("points_per_period", "train_points", "test_points", "context", "horizon", "n_windows"):
            if getattr(self, f) <= 0:
                raise ValidationError(f"protocol.{f} must be > 0, got {getattr(self, f)}")
        if self.long_horizon < 0 or self.noise < 0:
            raise ValidationError("protocol.long_horizon and protocol.noise must be >= 0")
        if self.origin not in ORIGINS:
            raise UnknownNameError("protocol.origin", self.origin, ORIGINS)
        if self.history_points < 0 or (self.history_points and self.history_points < self.train_points):
            raise ValidationError(
                f"protocol.history_points = {self.history_points} must be 0 or >= train_points = {self.train_points}"
            )
        if not 0 < self.validation_fraction < 1:
            raise ValidationError(f"protocol.validation_fraction must be in (0, 1), got {self.validation_fraction}")
        if self.origin == "train_end":
            self._validate_train_end()
            return
        if self.context + self.horizon > self.test_points:
            raise ValidationError(
                f"protocol: context + horizon = {self.context + self.horizon} exceeds test_points = {self.test_points}"
            )
        if self.long_horizon > self.test_points - self.context:
            raise ValidationError(
                f"protocol.long_horizon = {self.long_horizon} exceeds test_points - context = "
                f"{self.test_points - self.context}"
            )

    def _validate_train_end(self) -> None:
        if self.n_windows != 1:
            raise ValidationError(
                f"protocol.n_windows = {self.n_windows}, but origin = 'train_end' makes one forecast from the end "
                "of the training data; set n_windows = 1"
            )
        if self.context > self.train_points:
            raise ValidationError(
                f"protocol.context = {self.context} exceeds train_points = {self.train_points}; the context of "
                "origin = 'train_end' is the training tail, so lower context"
            )
        for f in ("horizon", "long_horizon"):
            if getattr(self, f) > self.test_points:
                raise ValidationError(
                    f"protocol.{f} = {getattr(self, f)} exceeds test_points = {self.test_points}; "
                    f"raise test_points or lower {f}"
                )


#: protocol fields added after suites were first stored, with their defaults: a suite that leaves
#: them at the default keeps its run key (and so its stored results)
ADDED_PROTOCOL_DEFAULTS = {"origin": "test", "univariate": False, "history_points": 0, "validation_fraction": 0.2}


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A named model configuration; ``name`` is what the leaderboard shows."""

    name: str
    model: str
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: candidate config overrides tried on the validation split (empty: no tuning), at most ``tune_budget``
    tune: tuple[dict[str, Any], ...] = ()
    tune_budget: int = 0


@dataclasses.dataclass(frozen=True)
class Suite:
    name: str
    systems: tuple[str, ...]
    methods: tuple[MethodSpec, ...]
    seeds: tuple[int, ...]
    metrics: tuple[str, ...]
    protocol: Protocol = Protocol()
    description: str = ""
    data: tuple[DataSpec, ...] = ()
    #: protocol field -> values: a sweep, one run per combination (see :meth:`members`)
    vary: dict[str, tuple] = dataclasses.field(default_factory=dict)
    #: the sweep this run belongs to (its suite's name), "" for an ordinary suite
    sweep: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def members(self) -> tuple[Suite, ...]:
        """The runs this suite makes: itself, or for a sweep one suite per combination of the
        ``vary`` values (in file order), each with ``vary = {}`` and ``sweep`` = this suite's name."""
        if not self.vary:
            return (self,)
        fields = list(self.vary)
        out = []
        for values in itertools.product(*(self.vary[f] for f in fields)):
            proto = build_config(Protocol, dataclasses.asdict(self.protocol), dict(zip(fields, values)))
            out.append(dataclasses.replace(self, protocol=proto, vary={}, sweep=self.name))
        return tuple(out)

    @functools.cached_property
    def key(self) -> str:
        """Name plus a hash of everything that changes results: a changed suite is a new run,
        and so is a change of a system's definition or invariants (which set the sampling)."""
        from dynlearn import systems

        spec = self.to_dict()
        spec.pop("description")
        # fields added later are left out at their defaults: older suites keep the keys (and stored
        # results) they had
        for f in ("data", "vary", "sweep"):
            if not spec[f]:
                spec.pop(f)
        for f, default in ADDED_PROTOCOL_DEFAULTS.items():
            if spec["protocol"][f] == default:
                spec["protocol"].pop(f)
        for m in spec["methods"]:
            if not m["tune"]:
                m.pop("tune")
                m.pop("tune_budget")
        spec["system_fingerprints"] = [systems.fingerprint(s) for s in self.systems]
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
        return f"{self.name}-{digest}"

    @property
    def series(self) -> tuple[str, ...]:
        """What methods are scored on: the catalog systems, then the data files by name."""
        return (*self.systems, *(d.name for d in self.data))

    def cells(self) -> list[tuple[str, str, int]]:
        """(system, method, seed) triples in a fixed order (of every run, for a sweep)."""
        one = [(s, m.name, seed) for s in self.series for seed in self.seeds for m in self.methods]
        return one * len(self.members())

    def dataset(self, name: str) -> DataSpec | None:
        """The data file named ``name``, or None for a catalog system."""
        return next((d for d in self.data if d.name == name), None)

    def method(self, name: str) -> MethodSpec:
        for m in self.methods:
            if m.name == name:
                return m
        raise UnknownNameError("method", name, [m.name for m in self.methods])


def builtin_suites() -> list[str]:
    return sorted(p.stem for p in SUITE_DIR.glob("*.toml"))


def suite_file(name_or_path: str | Path, *, required: bool = True) -> Path | None:
    """The file a suite argument names: a ``.toml``/``.json`` path, or a built-in suite's name.

    A path with a suite suffix that does not exist is a :class:`FileFormatError`; any other
    unknown name is an :class:`UnknownNameError` (suggesting built-in names), or ``None``
    when ``required`` is false (the caller then treats it as the name of a suite run before).
    """
    path = Path(name_or_path)
    if path.suffix in (".toml", ".json"):
        if not path.exists():
            raise FileFormatError(f"no suite file at {path}")
        return path
    builtin = SUITE_DIR / f"{name_or_path}.toml"
    if builtin.exists():
        return builtin
    if required:
        raise UnknownNameError("suite", str(name_or_path), builtin_suites())
    return None


def load_suite(name_or_path: str | Path) -> Suite:
    """A built-in suite by name, or a suite file (``.toml`` / ``.json``)."""
    path = suite_file(name_or_path)
    raw = path.read_bytes()
    try:
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode())
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"suite file {path} is not valid {path.suffix[1:].upper()}: {exc}") from None
    return suite_from_dict(data, source=str(path), base=path.parent)


def suite_from_dict(
    data: dict[str, Any], *, source: str = "suite", check_models: bool = True, base: Path | None = None
) -> Suite:
    """Build and fully validate a suite: names resolve, configs type-check, and
    each method's context requirement fits the protocol.

    ``check_models=False`` rebuilds a stored suite for display (leaderboards,
    reports) without needing its models registered in this process (or its
    data files present). Relative data paths are taken from ``base``.
    """
    from dynlearn import metrics, systems
    from dynlearn.bench.system_sets import resolve_systems

    allowed = {f.name for f in dataclasses.fields(Suite)}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"{source}: unknown suite field(s) {unknown}; allowed: {sorted(allowed)}")
    for f in ("name", "methods", "seeds", "metrics"):
        if f not in data:
            raise ValidationError(f"{source}: missing required field {f!r}")
    if "systems" not in data and "data" not in data:
        raise ValidationError(f"{source}: name catalog systems (systems = [...]) or data files (data = [...])")
    protocol = build_config(Protocol, data.get("protocol", {}))
    vary = _vary(data.get("vary", {}), protocol, source)
    sys_names = tuple(systems.SYSTEMS.canonical(s) for s in resolve_systems(data.get("systems", ()), source))
    datasets = tuple(
        data_spec(d, i, source=source, base=base, check=check_models) for i, d in enumerate(data.get("data", ()))
    )
    taken = [*sys_names, *(d.name for d in datasets)]
    if len(set(taken)) != len(taken):
        raise ValidationError(f"{source}: system and data names must be unique (set name = ... on data); got {taken}")
    # every run of a sweep must fit each method's context; the smallest context is the binding one
    contexts = [protocol.context, *(c for f, vals in vary.items() if f == "context" for c in vals)]
    methods = [
        _method(m, i, source, min(contexts) if sys_names else None, check_models, str(data["name"]))
        for i, m in enumerate(data["methods"])
    ]
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValidationError(f"{source}: method names must be unique; got {names}")
    for metric in data["metrics"]:
        metrics.get(metric)
    seeds = tuple(int(s) for s in data["seeds"])
    if not ((sys_names or datasets) and methods and seeds and data["metrics"]):
        raise ValidationError(f"{source}: systems (or data), methods, seeds and metrics must each be non-empty")
    if vary and datasets:
        raise ValidationError(f"{source}: vary (a sweep of the protocol) applies to catalog systems, not data files")
    if datasets and any(m.tune for m in methods):
        raise ValidationError(
            f"{source}: tune applies to catalog systems; data files are scored by rolling origin without tuning, "
            "so drop tune or move the data files to a suite of their own"
        )
    return Suite(
        name=str(data["name"]),
        systems=sys_names,
        methods=tuple(methods),
        seeds=seeds,
        metrics=tuple(data["metrics"]),
        protocol=protocol,
        description=str(data.get("description", "")),
        data=datasets,
        vary=vary,
        sweep=str(data.get("sweep", "")),
    )


def _vary(raw: Any, protocol: Protocol, source: str) -> dict[str, tuple]:
    """``{protocol field: (values, ...)}``, each value type-checked and each run's protocol validated."""
    if not isinstance(raw, dict):
        raise ValidationError(f"{source}: vary must be a table of protocol fields to lists of values")
    fields = {f.name for f in dataclasses.fields(Protocol)}
    out: dict[str, tuple] = {}
    for field, values in raw.items():
        if field not in fields:
            raise UnknownNameError("protocol field in vary", field, sorted(fields))
        if not isinstance(values, (list, tuple)) or not values:
            raise ValidationError(f"{source}: vary.{field} must be a non-empty list of values")
        typed = [getattr(build_config(Protocol, dataclasses.asdict(protocol), {field: v}), field) for v in values]
        if len(set(typed)) != len(typed):
            raise ValidationError(f"{source}: vary.{field} repeats a value: {typed}")
        out[field] = tuple(typed)
    for combo in itertools.product(*out.values()):  # every run's protocol must be consistent
        build_config(Protocol, dataclasses.asdict(protocol), dict(zip(out, combo)))
    return out


def _candidates(tune: Any, budget: int, where: str, seed_parts: tuple) -> tuple[dict[str, Any], ...]:
    """The candidate overrides of ``tune``: a table of lists is a grid (all combinations), a list
    of tables is the candidates themselves. More than ``budget`` are cut to a seeded random
    subset of ``budget`` (random search), the same in every process."""
    if isinstance(tune, dict):
        keys = sorted(tune)
        for k in keys:
            if not isinstance(tune[k], (list, tuple)) or not tune[k]:
                raise ValidationError(f"{where}: tune.{k} must be a non-empty list of candidate values")
        cands = [dict(zip(keys, vals)) for vals in itertools.product(*(tune[k] for k in keys))]
    elif isinstance(tune, (list, tuple)) and all(isinstance(c, dict) for c in tune):
        cands = [dict(c) for c in tune]
    else:
        raise ValidationError(f"{where}: tune must be a table of value lists (a grid) or a list of config tables")
    if not cands:
        raise ValidationError(f"{where}: tune lists no candidates")
    if budget < 1:
        raise ValidationError(f"{where}: tune_budget must be >= 1, got {budget}")
    if len(cands) > budget:
        import numpy as np

        from dynlearn.bench.datasets import stable_seed

        pick = np.random.default_rng(stable_seed("tune", *seed_parts)).choice(len(cands), budget, replace=False)
        cands = [cands[i] for i in sorted(pick)]
    return tuple(cands)


def _method(m: Any, i: int, source: str, context: int | None, check: bool, suite_name: str) -> MethodSpec:
    """One validated entry of ``methods``: its config (and every tuning candidate) type-checked
    against the model's config, and each one's context requirement checked against ``context``."""
    from dynlearn import models

    if not isinstance(m, dict) or "model" not in m:
        raise ValidationError(f"{source}: methods[{i}] needs at least a 'model' field")
    extra = sorted(set(m) - {"name", "model", "config", "tune", "tune_budget"})
    if extra:
        raise ValidationError(f"{source}: methods[{i}] has unknown field(s) {extra}")
    if m.get("tune_budget") and not m.get("tune"):
        raise ValidationError(f"{source}: methods[{i}] states tune_budget without tune candidates")
    cfg = dict(m.get("config", {}))
    name = str(m.get("name", m["model"]))
    where = f"{source}: method {name!r}"
    tune: tuple[dict[str, Any], ...] = ()
    budget = 0
    if m.get("tune"):  # a stored spec of an untuned method has tune = [] and tune_budget = 0
        raw = m["tune"]
        n = len(raw) if isinstance(raw, (list, tuple)) else 0
        budget = int(m.get("tune_budget", n or _grid_size(raw)))
        tune = _candidates(raw, budget, where, (suite_name, name))
    if not check:
        return MethodSpec(name=name, model=str(m["model"]), config=cfg, tune=tune, tune_budget=budget)
    cls = models.model_class(m["model"])
    # Type-check now, not in a worker an hour later; store the coerced values so
    # `lags = 8` and `lags = "8"` are the same suite.
    typed = build_config(cls.Config, cfg)
    cfg = {k: getattr(typed, k) for k in cfg}
    checked = []
    for j, cand in enumerate(({}, *tune)):
        t = build_config(cls.Config, {**cfg, **cand})
        need = cls(t).min_context
        label = "" if j == 0 else f" with tuning candidate {cand}"
        if context is not None and need > context:
            raise ValidationError(
                f"{where}{label} needs a context of {need} steps but protocol.context is "
                f"{context}; raise protocol.context or shrink the model's lags"
            )
        if j:
            checked.append({k: getattr(t, k) for k in cand})
    return MethodSpec(name=name, model=cls.name, config=cfg, tune=tuple(checked), tune_budget=budget)


def _grid_size(raw: Any) -> int:
    if isinstance(raw, dict):
        size = 1
        for v in raw.values():
            size *= len(v) if isinstance(v, (list, tuple)) else 1
        return size
    return 0
