"""Suites: systems x protocol x methods x seeds, declared in TOML or JSON files.

Built-in suites live in ``dynlearn/bench/suites/*.toml``; any path to a
``.toml`` or ``.json`` file with the same fields works too. A suite may also
name data files (``data = [...]``, see :mod:`dynlearn.bench.userdata`), so
methods are ranked on a user's own series.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from dynlearn.bench.userdata import DataSpec, data_spec
from dynlearn.config import build_config
from dynlearn.errors import FileFormatError, UnknownNameError, ValidationError

SUITE_DIR = Path(__file__).parent / "suites"


@dataclasses.dataclass(frozen=True)
class Protocol:
    """How data is generated and how forecasts are scored (all counts in samples)."""

    points_per_period: float = 30.0
    train_points: int = 3000
    test_points: int = 3000
    context: int = 32
    horizon: int = 200
    n_windows: int = 20
    long_horizon: int = 2000
    noise: float = 0.0
    standardize: bool = True

    def validate(self) -> None:
        for f in ("points_per_period", "train_points", "test_points", "context", "horizon", "n_windows"):
            if getattr(self, f) <= 0:
                raise ValidationError(f"protocol.{f} must be > 0, got {getattr(self, f)}")
        if self.long_horizon < 0 or self.noise < 0:
            raise ValidationError("protocol.long_horizon and protocol.noise must be >= 0")
        if self.context + self.horizon > self.test_points:
            raise ValidationError(
                f"protocol: context + horizon = {self.context + self.horizon} exceeds test_points = {self.test_points}"
            )
        if self.long_horizon > self.test_points - self.context:
            raise ValidationError(
                f"protocol.long_horizon = {self.long_horizon} exceeds test_points - context = "
                f"{self.test_points - self.context}"
            )


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A named model configuration; ``name`` is what the leaderboard shows."""

    name: str
    model: str
    config: dict[str, Any] = dataclasses.field(default_factory=dict)


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

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @functools.cached_property
    def key(self) -> str:
        """Name plus a hash of everything that changes results: a changed suite is a new run,
        and so is a change of a system's definition or invariants (which set the sampling)."""
        from dynlearn import systems

        spec = self.to_dict()
        spec.pop("description")
        if not spec["data"]:
            spec.pop("data")  # suites without data files keep the keys (and stored results) they had
        spec["system_fingerprints"] = [systems.fingerprint(s) for s in self.systems]
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
        return f"{self.name}-{digest}"

    @property
    def series(self) -> tuple[str, ...]:
        """What methods are scored on: the catalog systems, then the data files by name."""
        return (*self.systems, *(d.name for d in self.data))

    def cells(self) -> list[tuple[str, str, int]]:
        """(system, method, seed) triples in a fixed order."""
        return [(s, m.name, seed) for s in self.series for seed in self.seeds for m in self.methods]

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
    from dynlearn import metrics, models, systems

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
    sys_names = tuple(systems.SYSTEMS.canonical(s) for s in data.get("systems", ()))
    datasets = tuple(
        data_spec(d, i, source=source, base=base, check=check_models) for i, d in enumerate(data.get("data", ()))
    )
    taken = [*sys_names, *(d.name for d in datasets)]
    if len(set(taken)) != len(taken):
        raise ValidationError(f"{source}: system and data names must be unique (set name = ... on data); got {taken}")
    methods = []
    for i, m in enumerate(data["methods"]):
        if not isinstance(m, dict) or "model" not in m:
            raise ValidationError(f"{source}: methods[{i}] needs at least a 'model' field")
        extra = sorted(set(m) - {"name", "model", "config"})
        if extra:
            raise ValidationError(f"{source}: methods[{i}] has unknown field(s) {extra}")
        cfg = dict(m.get("config", {}))
        name = str(m.get("name", m["model"]))
        if not check_models:
            methods.append(MethodSpec(name=name, model=str(m["model"]), config=cfg))
            continue
        cls = models.model_class(m["model"])
        # Type-check now, not in a worker an hour later; store the coerced values so
        # `lags = 8` and `lags = "8"` are the same suite.
        typed = build_config(cls.Config, cfg)
        cfg = {k: getattr(typed, k) for k in cfg}
        need = cls(typed).min_context
        if sys_names and need > protocol.context:
            raise ValidationError(
                f"{source}: method {name!r} needs a context of {need} steps but protocol.context is "
                f"{protocol.context}; raise protocol.context or shrink the model's lags"
            )
        methods.append(MethodSpec(name=name, model=cls.name, config=cfg))
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValidationError(f"{source}: method names must be unique; got {names}")
    for metric in data["metrics"]:
        metrics.get(metric)
    seeds = tuple(int(s) for s in data["seeds"])
    if not ((sys_names or datasets) and methods and seeds and data["metrics"]):
        raise ValidationError(f"{source}: systems (or data), methods, seeds and metrics must each be non-empty")
    return Suite(
        name=str(data["name"]),
        systems=sys_names,
        methods=tuple(methods),
        seeds=seeds,
        metrics=tuple(data["metrics"]),
        protocol=protocol,
        description=str(data.get("description", "")),
        data=datasets,
    )
