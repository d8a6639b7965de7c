"""Field datasets on demand: :func:`simulate` runs a registered solver and caches the result on disk.

The cache key is a hash of the equation's full configuration (every default resolved) and of the
solver version, so a changed setting or solver never reads a stale file. Files live under
``$DYNLEARN_CACHE_DIR/fields`` (else ``~/.cache/dynlearn/fields``), are written atomically and are
only written after the solver finished with finite values (a diverged run raises
:class:`~dynlearn.errors.DivergenceError` and leaves nothing behind). A damaged cache file is
recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.errors import FileFormatError, UnknownNameError, ValidationError
from dynlearn.fields.data import Fields, Grid

#: bump when a solver's numbers change, so cached datasets are regenerated
SOLVER_VERSION = 2  # 2: computed in the dataset's precision (float32 by default)


@dataclasses.dataclass(frozen=True)
class Equation:
    name: str
    defaults: dict[str, Any]
    run: Callable[[dict[str, Any], Callable | None], Fields]
    description: str


def _smooth_1d(batch: int, n: int, modes: int, seed: int, amplitude: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 2 * np.pi * np.arange(n) / n
    k = np.arange(1, modes + 1)
    a = rng.standard_normal((batch, modes)) / k
    phase = rng.uniform(0, 2 * np.pi, (batch, modes))
    u = np.einsum("bk,bkx->bx", a, np.cos(k[None, :, None] * x[None, None, :] + phase[:, :, None]))
    return amplitude * u / np.abs(u).max(axis=1, keepdims=True)


def _run_ns(c: dict[str, Any], progress) -> Fields:
    from dynlearn.fields import spectral

    n, batch = c["n"], c["batch"]
    w0 = spectral.random_vorticity(batch, n, peak=c["ic_peak"], rms=c["ic_rms"], seed=c["seed"], length=c["length"])
    forcing = None
    if c["forcing"] == "kolmogorov":
        forcing = spectral.kolmogorov_forcing(
            n, wavenumber=c["forcing_wavenumber"], amplitude=c["forcing_amplitude"], length=c["length"]
        )
    elif c["forcing"] != "none":
        raise ValidationError(f"forcing must be 'kolmogorov' or 'none', got {c['forcing']!r}")
    nu = np.asarray(c["nu"], dtype=float)
    times, w = spectral.navier_stokes_2d(
        w0,
        nu=nu,
        drag=c["drag"],
        dt=c["dt"],
        n_steps=c["steps"],
        save_every=c["save_every"],
        length=c["length"],
        forcing=forcing,
        with_velocity=c["velocity"],
        progress=progress,
        dtype=c["dtype"],
    )
    values = w if c["velocity"] else w[:, :, None]
    channels = ("vorticity", "u", "v") if c["velocity"] else ("vorticity",)
    return Fields(
        values=values.astype(c["dtype"]),
        times=times,
        channels=channels,
        grid=Grid((n, n), (c["length"], c["length"]), (True, True)),
        bc="periodic",
        params={"nu": np.broadcast_to(nu, (batch,)), "drag": np.full(batch, c["drag"])},
        meta={"equation": "navier_stokes_2d", "config": c},
    )


def _run_1d(name: str):
    def run(c: dict[str, Any], progress) -> Fields:
        from dynlearn.fields import spectral

        n, batch = c["n"], c["batch"]
        u0 = _smooth_1d(batch, n, c["ic_modes"], c["seed"], c["ic_amplitude"])
        if name == "burgers_1d":
            nu = np.asarray(c["nu"], dtype=float)
            times, u = spectral.burgers_1d(
                u0,
                nu=nu,
                dt=c["dt"],
                n_steps=c["steps"],
                save_every=c["save_every"],
                length=c["length"],
                dtype=c["dtype"],
            )
            params = {"nu": np.broadcast_to(nu, (batch,))}
        else:
            times, u = spectral.kuramoto_sivashinsky_1d(
                u0, dt=c["dt"], n_steps=c["steps"], save_every=c["save_every"], length=c["length"], dtype=c["dtype"]
            )
            params = {}
        return Fields(
            values=u[:, :, None].astype(c["dtype"]),
            times=times,
            channels=("u",),
            grid=Grid((n,), (c["length"],), (True,)),
            bc="periodic",
            params=params,
            meta={"equation": name, "config": c},
        )

    return run


_COMMON = {"batch": 4, "seed": 0, "dtype": "float32"}
EQUATIONS: dict[str, Equation] = {
    "navier_stokes_2d": Equation(
        "navier_stokes_2d",
        {
            **_COMMON,
            "n": 64,
            "length": 2 * math.pi,
            "nu": 1e-2,  # resolved at 64²: see docs/fields.md (1e-3 piles enstrophy at the cutoff)
            "drag": 0.1,
            "forcing": "kolmogorov",
            "forcing_wavenumber": 4,
            "forcing_amplitude": 1.0,
            "ic_peak": 4.0,
            "ic_rms": 1.0,
            "dt": 0.01,
            "steps": 2000,
            "save_every": 50,
            "velocity": False,
        },
        _run_ns,
        "2-D incompressible Navier-Stokes (vorticity, periodic), Kolmogorov forcing, pseudo-spectral ETDRK4",
    ),
    "kuramoto_sivashinsky_1d": Equation(
        "kuramoto_sivashinsky_1d",
        {
            **_COMMON,
            "n": 128,
            "length": 32 * math.pi,
            "dt": 0.25,
            "steps": 800,
            "save_every": 4,
            "ic_modes": 8,
            "ic_amplitude": 1.0,
        },
        _run_1d("kuramoto_sivashinsky_1d"),
        "1-D Kuramoto-Sivashinsky (periodic, L = 32 pi), pseudo-spectral ETDRK4",
    ),
    "burgers_1d": Equation(
        "burgers_1d",
        {
            **_COMMON,
            "n": 256,
            "length": 2 * math.pi,
            "nu": 0.01,
            "dt": 1e-3,
            "steps": 2000,
            "save_every": 20,
            "ic_modes": 4,
            "ic_amplitude": 1.0,
        },
        _run_1d("burgers_1d"),
        "1-D viscous Burgers (periodic), pseudo-spectral ETDRK4",
    ),
}


# -- projection-method Navier-Stokes in a box (dynlearn.fields.projection) --------------------------

#: settings that may hold one value per trajectory (a list, or comma-separated text on the CLI)
_LIST_KEYS = ("nu", "lid_velocity", "width", "height", "inflow_velocity")


def _members(c: dict[str, Any], keys: tuple[str, ...]) -> tuple[int, dict[str, np.ndarray]]:
    """One value per trajectory of each of ``keys``: scalars are broadcast; lists must have ``batch``
    entries (with ``batch`` left at 1, the lists' common length is the batch)."""
    lengths = {len(c[k]) for k in keys if isinstance(c[k], list)}
    batch = int(c["batch"])
    if batch == 1 and len(lengths) == 1:
        batch = lengths.pop()
    if batch < 1:
        raise ValidationError(f"batch must be >= 1, got {batch}")
    out = {}
    for k in keys:
        arr = np.asarray(c[k], dtype=float)
        if arr.ndim == 0:
            arr = np.full(batch, float(arr))
        if arr.shape != (batch,):
            raise ValidationError(
                f"{k} has {arr.size} values for {batch} trajectories; give one value, or one per trajectory "
                f"(and batch to match)"
            )
        out[k] = arr
    return batch, out


def _run_cavity(c: dict[str, Any], progress) -> Fields:
    from dynlearn.fields.projection import ProjectionSolver, resample

    batch, p = _members(c, ("lid_velocity", "nu", "width", "height"))
    n, save = c["n"], c["save_n"]
    if save < 2:
        raise ValidationError(f"save_n must be >= 2 points per side, got {save}")
    solver = ProjectionSolver(
        n,
        n,
        p["width"],
        p["height"],
        nu=p["nu"],
        batch=batch,
        lid_velocity=p["lid_velocity"],
        advection=c["advection"],
        dtype=c["dtype"],
    )
    times, frames, _ = solver.run(
        c["dt"],
        c["steps"],
        c["save_every"],
        progress=progress,
        what="cavity",
        frame=lambda x: resample(x, (save, save)),
    )
    one_box = len(np.unique(p["width"])) == 1 and len(np.unique(p["height"])) == 1
    bc = "no-slip walls; the top wall (y = height) slides at lid_velocity along +x"
    if not one_box:
        bc += "; boxes differ per trajectory (params width, height): coordinates scaled to the unit square"
    return Fields(
        values=frames.astype(c["dtype"]),
        times=times,
        channels=("u", "v", "vorticity"),
        grid=Grid((save, save), (p["width"][0], p["height"][0]) if one_box else (1.0, 1.0), (False, False)),
        bc=bc,
        params={**p, "re": p["lid_velocity"] * p["width"] / p["nu"]},
        meta={"equation": "cavity", "config": c},
    )


def _run_channel(name: str):
    def run(c: dict[str, Any], progress) -> Fields:
        from dynlearn.fields.projection import ProjectionSolver, obstacle_mask, resample

        batch, p = _members(c, ("inflow_velocity", "nu"))
        nx, ny, lx, ly = c["nx"], c["ny"], c["length"], c["height"]
        save = (c["save_nx"], c["save_ny"])
        if min(save) < 2:
            raise ValidationError(f"save_nx and save_ny must be >= 2, got {save}")
        solid = None
        if name == "obstacle":
            solid = obstacle_mask(
                nx, ny, lx, ly, shape=c["shape"], centre=(c["obstacle_x"], c["obstacle_y"]), size=c["size"]
            )
        solver = ProjectionSolver(
            nx,
            ny,
            lx,
            ly,
            nu=p["nu"],
            batch=batch,
            inflow_velocity=p["inflow_velocity"],
            profile=c["profile"],
            outflow=c["outflow"],
            solid=solid,
            advection=c["advection"],
            dtype=c["dtype"],
        )
        times, frames, _ = solver.run(
            c["dt"], c["steps"], c["save_every"], progress=progress, what=name, frame=lambda x: resample(x, save)
        )
        length_scale = c["size"] if name == "obstacle" else ly
        bc = (
            f"inflow on the left (x = 0, {c['profile']} profile of mean inflow_velocity), {c['outflow']} outflow on "
            f"the right, no-slip walls at y = 0 and y = {ly:g}"
        )
        if solid is not None:
            bc += f"; a no-slip {c['shape']} obstacle (mask)"
        return Fields(
            values=frames.astype(c["dtype"]),
            times=times,
            channels=("u", "v", "vorticity"),
            grid=Grid(save, (lx, ly), (False, False)),
            bc=bc,
            params={**p, "re": p["inflow_velocity"] * length_scale / p["nu"]},
            mask=None if solid is None else resample(solver.node_mask().astype(float), save) > 0.5,
            meta={"equation": name, "config": c},
        )

    return run


_BOX_COMMON = {"batch": 1, "dtype": "float32"}
_CHANNEL = {
    **_BOX_COMMON,
    "nx": 127,  # 128 x 32 nodes, walls included: saved without resampling by default
    "ny": 31,
    "length": 4.0,
    "height": 1.0,
    "save_nx": 128,
    "save_ny": 32,
    "inflow_velocity": 1.0,
    "outflow": "zero_gradient",
}
EQUATIONS.update(
    {
        "cavity": Equation(
            "cavity",
            {
                **_BOX_COMMON,
                "n": 63,  # cells per side: 64 x 64 nodes, walls included, saved without resampling
                "save_n": 64,
                "width": 1.0,
                "height": 1.0,
                "lid_velocity": 1.0,
                "nu": 0.01,  # Re = lid_velocity * width / nu = 100
                "advection": "central",
                "dt": 0.003,  # stable up to lid_velocity 2.5 at nu 0.01 on 63 cells
                "steps": 3000,
                "save_every": 60,
            },
            _run_cavity,
            "lid-driven cavity from rest (projection method, MAC grid); per trajectory: lid_velocity, nu, width, height",
        ),
        "channel": Equation(
            "channel",
            {
                **_CHANNEL,
                "nu": 0.05,
                "profile": "uniform",
                "advection": "central",
                "dt": 0.01,
                "steps": 1000,
                "save_every": 20,
            },
            _run_channel("channel"),
            "channel flow from a uniform or parabolic inflow (projection method); per trajectory: inflow_velocity, nu",
        ),
        "obstacle": Equation(
            "obstacle",
            {
                **_CHANNEL,
                "nu": 0.0025,  # Re = inflow_velocity * size / nu = 100: a vortex street
                "profile": "parabolic",
                "shape": "circle",
                "obstacle_x": 1.0,
                "obstacle_y": 0.52,  # slightly off the axis, so the wake's symmetry breaks within the run
                "size": 0.25,
                "advection": "quick",  # central differences wiggle ahead of the body at this cell Reynolds number
                "dt": 0.005,
                "steps": 4000,
                "save_every": 40,
            },
            _run_channel("obstacle"),
            "channel flow past a masked circle or square (projection method); per trajectory: inflow_velocity, nu",
        ),
    }
)


# -- D2Q9 lattice Boltzmann: flow past a cylinder (dynlearn.fields.lbm) ------------------------------

_LIST_KEYS = (*_LIST_KEYS, "u_in", "radius", "cx", "cy")


def _run_cylinder(c: dict[str, Any], progress) -> Fields:
    from dynlearn.fields import lbm

    batch, rng = c["batch"], np.random.default_rng(c["seed"])

    def member(key: str, shift: bool = False) -> np.ndarray:
        # a list is used as given; a scalar is jittered per member by +-jitter (relative, or in radii)
        value = c[key]
        if isinstance(value, list):
            if len(value) != batch:
                raise ValidationError(f"cylinder: {key} has {len(value)} values for batch {batch}; give one or {batch}")
            return np.asarray(value, dtype=float)
        draw = rng.uniform(-1, 1, batch) * c["jitter"]
        return value + draw * c["radius"] if shift else value * (1 + draw)

    u_in, nu, radius = member("u_in"), member("nu"), member("radius")
    cx, cy = member("cx", shift=True), member("cy", shift=True)
    out = lbm.cylinder_flow(
        u_in=u_in,
        nu=nu,
        radius=radius,
        cx=cx,
        cy=cy,
        n=c["n"],
        aspect=c["aspect"],
        refine=c["refine"],
        height=c["height"],
        u_lattice=c["u_lattice"],
        steps=c["steps"],
        save_every=c["save_every"],
        collision=c["collision"],
        dtype=c["dtype"],
        progress=progress,
    )
    # the lattice stores (y, x); datasets use the (x, y) axis order of every other solver
    return Fields(
        values=np.swapaxes(out["values"], -1, -2),
        times=out["times"],
        channels=("u", "v"),
        grid=Grid((c["n"], c["n"]), (out["length"], c["height"]), (False, False)),
        bc="channel: parabolic velocity inlet (x = 0), pressure outlet, no-slip walls and cylinder",
        params=out["params"],
        mask=np.swapaxes(out["mask"], -1, -2),
        meta={"equation": "cylinder", "config": c, "lattice": list(out["lattice"]), "tau": out["tau"].tolist()},
    )


EQUATIONS["cylinder"] = Equation(
    "cylinder",
    {
        **_COMMON,
        "n": 64,
        "aspect": 2,
        "refine": 1,
        "height": 1.0,
        "u_in": 1.0,
        "nu": 2e-3,
        "radius": 0.1,
        "cx": 0.5,
        "cy": 0.5,
        "jitter": 0.2,
        "u_lattice": 0.1,
        "steps": 1600,
        "save_every": 40,
        "collision": "trt",
    },
    _run_cylinder,
    "flow past a cylinder in a channel (u, v and a mask per member; inflow, viscosity, radius, position), D2Q9 "
    "lattice Boltzmann",
)


def equations() -> list[str]:
    return sorted(EQUATIONS)


def resolve(equation: str, **config: Any) -> dict[str, Any]:
    """The full configuration of ``equation`` (defaults filled in); unknown names and keys are refused
    with suggestions."""
    if equation not in EQUATIONS:
        raise UnknownNameError("equation", equation, equations())
    eq = EQUATIONS[equation]
    unknown = sorted(set(config) - set(eq.defaults))
    if unknown:
        raise UnknownNameError(f"setting of {equation}", unknown[0], sorted(eq.defaults))
    c = {**eq.defaults, **{k: _coerce(equation, k, v, eq.defaults[k]) for k, v in config.items()}}
    for key in _LIST_KEYS:
        if isinstance(c.get(key), (list, tuple, np.ndarray)):
            c[key] = [float(x) for x in np.asarray(c[key]).ravel()]
    return c


def _coerce(equation: str, key: str, value: Any, default: Any) -> Any:
    """A setting given as text (the CLI's ``--set key=value``) in the type of its default; ``nu`` (and
    the other per-trajectory parameters of :data:`_LIST_KEYS`) may also be a comma-separated list (one
    value per trajectory)."""
    if not isinstance(value, str) or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        if key in _LIST_KEYS and "," in value:
            return [float(x) for x in value.split(",")]
        if isinstance(default, int):
            number = float(value)
            if not number.is_integer():
                raise ValueError(value)
            return int(number)
        return type(default)(value)
    except ValueError:
        raise ValidationError(
            f"setting {key!r} of {equation} must be of type {type(default).__name__} (default {default!r}), got {value!r}"
        ) from None


def cache_key(equation: str, config: dict[str, Any]) -> str:
    blob = json.dumps({"equation": equation, "config": config, "solver": SOLVER_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def cache_path(equation: str, config: dict[str, Any]) -> Path:
    from dynlearn.systems._cache import cache_root

    return cache_root() / "fields" / f"{equation}-{cache_key(equation, config)}.npz"


def simulate(equation: str, *, cache: bool = True, progress: Callable | None = None, **config: Any) -> Fields:
    """Run ``equation`` (see :data:`EQUATIONS`) with ``config`` over its defaults; cached on disk."""
    c = resolve(equation, **config)
    path = cache_path(equation, c)
    if cache and path.is_file():
        try:
            return Fields.load(path)
        except FileFormatError:
            pass  # a damaged cache entry is recomputed and replaced
    fields = EQUATIONS[equation].run(c, progress)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        fields.save(path)
    return fields


__all__ = ["EQUATIONS", "Equation", "cache_key", "cache_path", "equations", "resolve", "simulate"]
