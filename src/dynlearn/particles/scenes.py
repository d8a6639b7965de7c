"""Particle datasets on demand: registered MPM scenes, simulated and cached on disk.

:func:`simulate` builds a scene's initial particles (:func:`setup`), steps them with
:class:`~dynlearn.particles.mpm.MPM` and returns a :class:`~dynlearn.particles.data.Particles`. As
:func:`dynlearn.fields.simulate` does for grids, the result is cached under
``$DYNLEARN_CACHE_DIR/particles`` (else ``~/.cache/dynlearn/particles``) by a hash of the full
configuration (every default resolved) and of :data:`SCENE_VERSION`; a damaged cache file is recomputed,
and a diverged run raises and leaves nothing behind.

Shapes (:data:`SHAPES`: box, disk, ring, triangle, L) are filled on a jittered square lattice whose
spacing is chosen per scene so that it holds at least ``n_particles`` points (then exactly
``n_particles`` are kept at random): with the defaults the spacing is about half a cell (about four
particles per cell, the usual MPM density). Each particle's volume is the shapes' area over the count.

Scenes (:data:`SCENES`):

- ``sand_column``: a rectangular sand column of ``width`` and height ``aspect * width`` against the left
  wall, released at rest on a frictional floor (the granular column collapse); ``aspect`` may hold one
  value per scene;
- ``sand_drop``: one to ``max_shapes`` random sand shapes falling with random initial velocities;
- ``elastic_drop``: random elastic shapes (``fixed_corotated`` or ``neo_hookean``) falling and bouncing,
  with a log-uniform random Young's modulus per scene in ``[E_min, E_max]``.

Every scene's random draws come from ``numpy.random.default_rng((seed, scene_index))``, so scene ``i``
does not depend on ``n_scenes``. ``Particles.params`` hold the material constants per scene;
``Particles.meta`` the scene name, the configuration, the simulator's and the law's configurations and
the per-scene particle spacing and volume. :func:`setup` returns the initial state without simulating
(what a differentiable-simulation learner needs to start from the same particles).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dynlearn._threads import torch_threads
from dynlearn.errors import FileFormatError, UnknownNameError, ValidationError
from dynlearn.particles.data import Particles

#: bump when a scene's numbers change, so cached datasets are regenerated
SCENE_VERSION = 2

SHAPES = ("box", "disk", "ring", "triangle", "L")


# -- shapes ------------------------------------------------------------------------------------------


def _inside(shape: str, p: np.ndarray, size: float, aspect: float = 1.0) -> np.ndarray:
    """Whether points ``p (n, 2)`` (in the shape's own frame, centred at 0) lie in ``shape`` of
    half-size ``size``."""
    x, y = p[:, 0], p[:, 1]
    if shape == "box":
        return (np.abs(x) <= size) & (np.abs(y) <= size * aspect)
    if shape == "disk":
        return x * x + y * y <= size * size
    if shape == "ring":
        r2 = x * x + y * y
        return (r2 <= size * size) & (r2 >= (0.5 * size) ** 2)
    if shape == "triangle":  # equilateral, circumradius size
        out = np.ones(len(p), bool)
        for k in range(3):
            a = -math.pi / 2 + 2 * math.pi * k / 3  # the outward normals of the three edges
            n = np.array([math.cos(a), math.sin(a)])
            out &= p @ n <= 0.5 * size
        return out
    if shape == "L":
        box = (np.abs(x) <= size) & (np.abs(y) <= size)
        notch = (x > 0) & (y > 0)
        return box & ~notch
    raise UnknownNameError("shape", shape, SHAPES)


def _lattice(lo: np.ndarray, hi: np.ndarray, spacing: float, rng: np.random.Generator, jitter: float) -> np.ndarray:
    xs = np.arange(lo[0] + spacing / 2, hi[0], spacing)
    ys = np.arange(lo[1] + spacing / 2, hi[1], spacing)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    pts = np.stack([X.ravel(), Y.ravel()], -1)
    return pts + rng.uniform(-0.5, 0.5, pts.shape) * jitter * spacing


@dataclasses.dataclass
class Shape:
    """A shape placed in the box: ``kind`` (:data:`SHAPES`), ``centre``, half-size ``size`` (m), an
    ``aspect`` (boxes: height over width), a rotation ``angle`` (rad) and an initial ``velocity``."""

    kind: str
    centre: tuple[float, float]
    size: float
    aspect: float = 1.0
    angle: float = 0.0
    velocity: tuple[float, float] = (0.0, 0.0)

    def contains(self, p: np.ndarray) -> np.ndarray:
        c, s = math.cos(self.angle), math.sin(self.angle)
        q = p - np.asarray(self.centre)
        local = np.stack([c * q[:, 0] + s * q[:, 1], -s * q[:, 0] + c * q[:, 1]], -1)
        return _inside(self.kind, local, self.size, self.aspect)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        r = self.size * max(1.0, self.aspect) * math.sqrt(2)
        c = np.asarray(self.centre)
        return c - r, c + r

    def area(self) -> float:
        """The area (m^2), counted on a fine lattice."""
        lo, hi = self.bounds()
        h = (hi[0] - lo[0]) / 400
        pts = _lattice(lo, hi, h, np.random.default_rng(0), 0.0)
        return float(self.contains(pts).sum()) * h * h


def fill(shapes: list[Shape], n_particles: int, rng: np.random.Generator, jitter: float = 0.5):
    """Exactly ``n_particles`` points filling ``shapes`` on a jittered lattice; returns the positions
    ``(n, 2)``, their initial velocities ``(n, 2)``, the lattice spacing and each particle's volume."""
    area = sum(s.area() for s in shapes)
    spacing = math.sqrt(area / n_particles)
    for _ in range(200):
        pts, vel = [], []
        for s in shapes:
            lo, hi = s.bounds()
            cand = _lattice(lo, hi, spacing, rng, jitter)
            keep = cand[s.contains(cand)]
            pts.append(keep)
            vel.append(np.broadcast_to(np.asarray(s.velocity, float), keep.shape))
        x, v = np.concatenate(pts), np.concatenate(vel)
        if len(x) >= n_particles:
            break
        spacing *= 0.98
    else:  # pragma: no cover - the loop shrinks the spacing geometrically
        raise ValidationError("could not fill the shapes with enough particles")
    pick = np.sort(rng.choice(len(x), n_particles, replace=False))
    return x[pick], np.ascontiguousarray(v[pick]), spacing, area / n_particles


# -- scenes -------------------------------------------------------------------------------------------


@dataclasses.dataclass
class SceneSetup:
    """A scene's initial state before simulation: the simulator, the law (constants per scene), the
    positions and velocities ``(B, P, 2)`` (numpy), density and volume ``(B,)``, the per-scene
    material ``params`` and the ``shapes`` of each scene."""

    sim: Any
    law: Any
    positions: np.ndarray
    velocities: np.ndarray
    density: np.ndarray
    volume: np.ndarray
    spacing: np.ndarray
    params: dict[str, np.ndarray]
    shapes: list[list[Shape]]

    def state(self, dtype=None):
        """The :class:`~dynlearn.particles.mpm.MPMState` at the first frame."""
        import torch

        dtype = dtype or torch.get_default_dtype()
        return self.sim.init(
            torch.as_tensor(self.positions, dtype=dtype),
            torch.as_tensor(self.velocities, dtype=dtype),
            density=torch.as_tensor(self.density, dtype=dtype),
            volume=torch.as_tensor(self.volume, dtype=dtype),
        )


@dataclasses.dataclass(frozen=True)
class Scene:
    name: str
    defaults: dict[str, Any]
    build: Callable[[dict[str, Any], int, int], SceneSetup]
    description: str


_COMMON = {
    "n_particles": 1000,
    "grid": 64,
    "dt": 2e-4,
    "save_every": 50,
    "wall": 3,
    "jitter": 0.5,
    "dtype": "float32",
}


def _per_scene(c: dict[str, Any], key: str, n: int) -> np.ndarray:
    arr = np.asarray(c[key], dtype=float)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValidationError(f"{key} has {arr.size} values for {n} scenes; give one value or one per scene")
    return arr


def _sim(c: dict[str, Any], boundary: str, friction: float):
    from dynlearn.particles.mpm import MPM

    return MPM(
        grid=c["grid"], dt=c["dt"], gravity=(0.0, c["gravity"]), boundary=boundary, wall=c["wall"], friction=friction
    )


def _finish(c, sim, law, shapes_per_scene, rngs, params) -> SceneSetup:
    xs, vs, sp, vol = [], [], [], []
    lo, hi = sim.interior
    for shapes, rng in zip(shapes_per_scene, rngs):
        x, v, spacing, volume = fill(shapes, c["n_particles"], rng, c["jitter"])
        if x.min() < lo or x.max() > hi:
            raise ValidationError(
                f"a shape reaches outside the simulator's interior [{lo:.3g}, {hi:.3g}]^2; make the shapes smaller"
            )
        if spacing > sim.dx:
            raise ValidationError(
                f"{c['n_particles']} particles give a lattice spacing of {spacing:.3g} m, more than a grid cell "
                f"({sim.dx:.3g} m); raise n_particles or lower grid (MPM wants about 4 particles per cell)"
            )
        xs.append(x)
        vs.append(v)
        sp.append(spacing)
        vol.append(volume)
    n = len(xs)
    return SceneSetup(
        sim=sim,
        law=law,
        positions=np.stack(xs),
        velocities=np.stack(vs),
        density=_per_scene(c, "density", n),
        volume=np.asarray(vol),
        spacing=np.asarray(sp),
        params=params,
        shapes=shapes_per_scene,
    )


def _build_sand_column(c: dict[str, Any], n: int, seed: int) -> SceneSetup:
    from dynlearn.particles.materials import LAWS

    aspect = _per_scene(c, "aspect", n)
    phi = float(c["friction_angle"])
    friction = math.tan(math.radians(phi)) if c["floor_friction"] is None else float(c["floor_friction"])
    sim = _sim(c, "slip", friction)
    lo, hi = sim.interior
    width = float(c["width"])
    shapes = []
    for a in aspect:
        height = a * width
        if lo + height > hi or lo + width > hi:
            raise ValidationError(f"a column of width {width} and aspect {a} does not fit the box's interior")
        # a box flush with the left wall and the floor (half a lattice step of margin is left by fill)
        shapes.append([Shape("box", (lo + width / 2, lo + height / 2), width / 2, aspect=a)])
    rngs = [np.random.default_rng((seed, i)) for i in range(n)]
    law = LAWS.get("drucker_prager")(E=c["E"], nu=c["nu"], friction_angle=phi)
    params = {"aspect": aspect, "E": np.full(n, c["E"]), "nu": np.full(n, c["nu"]), "friction_angle": np.full(n, phi)}
    params["density"] = _per_scene(c, "density", n)
    return _finish(c, sim, law, shapes, rngs, params)


def _random_shapes(c: dict[str, Any], rng: np.random.Generator, sim) -> list[Shape]:
    lo, hi = sim.interior
    kinds = [k for k in c["shapes"].split(",") if k]
    for k in kinds:
        if k not in SHAPES:
            raise UnknownNameError("shape", k, SHAPES)
    count = int(rng.integers(1, c["max_shapes"] + 1))
    slot = (hi - lo) / count
    out = []
    for j in range(count):
        kind = str(rng.choice(kinds))
        size = float(rng.uniform(c["size_min"], c["size_max"]))
        aspect = float(rng.uniform(0.6, 1.6)) if kind == "box" else 1.0
        reach = size * max(1.0, aspect) * math.sqrt(2)
        if 2 * reach > slot:
            size *= slot / (2 * reach) * 0.95
            reach = size * max(1.0, aspect) * math.sqrt(2)
        cx = lo + slot * (j + 0.5) + rng.uniform(-1, 1) * max(0.0, slot / 2 - reach)
        y_lo, y_hi = lo + reach + c["height_min"] * (hi - lo), hi - reach
        cy = float(rng.uniform(min(y_lo, y_hi), y_hi))
        speed, direction = rng.uniform(0, c["velocity"]), rng.uniform(0, 2 * math.pi)
        out.append(
            Shape(
                kind,
                (float(cx), cy),
                size,
                aspect=aspect,
                angle=float(rng.uniform(0, 2 * math.pi)),
                velocity=(float(speed * math.cos(direction)), float(speed * math.sin(direction))),
            )
        )
    return out


def _build_drop(material: str):
    def build(c: dict[str, Any], n: int, seed: int) -> SceneSetup:
        from dynlearn.particles.materials import LAWS

        rngs = [np.random.default_rng((seed, i)) for i in range(n)]
        if material == "sand":
            phi = float(c["friction_angle"])
            friction = math.tan(math.radians(phi)) if c["floor_friction"] is None else float(c["floor_friction"])
            sim = _sim(c, "slip", friction)
            law = LAWS.get("drucker_prager")(E=c["E"], nu=c["nu"], friction_angle=phi)
            params = {"E": np.full(n, c["E"]), "nu": np.full(n, c["nu"]), "friction_angle": np.full(n, phi)}
        else:
            import torch

            if c["law"] not in ("fixed_corotated", "neo_hookean"):
                raise ValidationError(f"elastic_drop: law must be fixed_corotated or neo_hookean, got {c['law']!r}")
            if not 0 < c["E_min"] <= c["E_max"]:
                raise ValidationError(f"elastic_drop: need 0 < E_min <= E_max, got {c['E_min']}, {c['E_max']}")
            sim = _sim(c, "slip", float(c["floor_friction"] or 0.0))
            E = np.array([math.exp(r.uniform(math.log(c["E_min"]), math.log(c["E_max"]))) for r in rngs])
            law = LAWS.get(c["law"])(E=torch.as_tensor(E, dtype=torch.float64), nu=c["nu"])
            params = {"E": E, "nu": np.full(n, c["nu"])}
        params["density"] = _per_scene(c, "density", n)
        shapes = [_random_shapes(c, rng, sim) for rng in rngs]
        return _finish(c, sim, law, shapes, rngs, params)

    return build


_RANDOM_SHAPES = {
    "shapes": ",".join(SHAPES),
    "max_shapes": 2,
    "size_min": 0.06,
    "size_max": 0.12,
    "height_min": 0.1,  # the lowest start, as a fraction of the interior height above the floor
    "velocity": 1.0,  # the largest initial speed (m/s), in a random direction per shape
}

SCENES: dict[str, Scene] = {
    "sand_column": Scene(
        "sand_column",
        {
            **_COMMON,
            "aspect": 2.0,
            "width": 0.1,
            "friction_angle": 35.0,
            "E": 2e5,
            "nu": 0.3,
            "density": 1500.0,
            "floor_friction": None,
            "gravity": -9.81,
        },
        _build_sand_column,
        "granular column collapse: a Drucker-Prager sand column of height aspect * width against the left wall",
    ),
    "sand_drop": Scene(
        "sand_drop",
        {
            **_COMMON,
            **_RANDOM_SHAPES,
            "friction_angle": 35.0,
            "E": 2e5,
            "nu": 0.3,
            "density": 1500.0,
            "floor_friction": None,
            "gravity": -9.81,
        },
        _build_drop("sand"),
        "random Drucker-Prager sand shapes falling with random initial velocities",
    ),
    "elastic_drop": Scene(
        "elastic_drop",
        {
            **_COMMON,
            **_RANDOM_SHAPES,
            "law": "fixed_corotated",
            "E_min": 2e4,
            "E_max": 1e5,
            "nu": 0.3,
            "density": 1000.0,
            "floor_friction": 0.0,
            "gravity": -9.81,
        },
        _build_drop("elastic"),
        "random elastic shapes falling and bouncing (Young's modulus log-uniform per scene)",
    ),
}

_LIST_KEYS = ("aspect", "density")


def scenes() -> list[str]:
    return sorted(SCENES)


def resolve(scene: str, **settings: Any) -> dict[str, Any]:
    """The full configuration of ``scene`` (defaults filled in); unknown names and keys are refused."""
    if scene not in SCENES:
        raise UnknownNameError("particle scene", scene, scenes())
    defaults = SCENES[scene].defaults
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise UnknownNameError(f"setting of {scene}", unknown[0], sorted(defaults))
    c = {**defaults, **settings}
    for key in _LIST_KEYS:
        if isinstance(c.get(key), (list, tuple, np.ndarray)):
            c[key] = [float(x) for x in np.asarray(c[key]).ravel()]
    for key in ("n_particles", "grid", "save_every", "wall", "max_shapes"):
        if key in c and (int(c[key]) != c[key] or c[key] < 1):
            raise ValidationError(f"{scene}: {key} must be a positive integer, got {c[key]!r}")
        if key in c:
            c[key] = int(c[key])
    if c["dtype"] not in ("float32", "float64"):
        raise ValidationError(f"dtype must be 'float32' or 'float64', got {c['dtype']!r}")
    return c


def setup(scene: str, n_scenes: int = 4, seed: int = 0, **settings: Any) -> SceneSetup:
    """The initial state of ``n_scenes`` scenes of ``scene`` (see :data:`SCENES`), without simulating."""
    if int(n_scenes) != n_scenes or n_scenes < 1:
        raise ValidationError(f"n_scenes must be a positive integer, got {n_scenes!r}")
    c = resolve(scene, **settings)
    return SCENES[scene].build(c, int(n_scenes), int(seed))


def cache_key(scene: str, n_scenes: int, seed: int, frames: int, config: dict[str, Any]) -> str:
    blob = json.dumps(
        {"scene": scene, "n_scenes": n_scenes, "seed": seed, "frames": frames, "config": config, "v": SCENE_VERSION},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def cache_path(scene: str, n_scenes: int, seed: int, frames: int, config: dict[str, Any]):
    from dynlearn.systems._cache import cache_root

    return cache_root() / "particles" / f"{scene}-{cache_key(scene, n_scenes, seed, frames, config)}.npz"


def simulate(
    scene: str,
    n_scenes: int = 4,
    seed: int = 0,
    frames: int = 100,
    *,
    cache: bool = True,
    chunk: int = 8,
    threads: int | None = 1,
    **settings: Any,
) -> Particles:
    """Simulate ``n_scenes`` scenes of ``scene`` and return ``frames`` saved frames (the first is the
    initial state; ``save_every`` MPM steps apart) as :class:`Particles`; cached on disk. Scenes are
    stepped ``chunk`` at a time (batched); the numbers do not depend on ``chunk``. ``threads``: torch
    threads while stepping (one by default: the MPM's operations are too small for more, see
    :mod:`dynlearn._threads`; None keeps the caller's setting)."""
    import torch

    if int(frames) != frames or frames < 1:
        raise ValidationError(f"frames must be a positive integer, got {frames!r}")
    c = resolve(scene, **settings)
    frames, n_scenes = int(frames), int(n_scenes)
    path = cache_path(scene, n_scenes, int(seed), frames, c)
    if cache and path.is_file():
        try:
            return Particles.load(path)
        except FileFormatError:
            pass  # a damaged cache entry is recomputed and replaced
    s = setup(scene, n_scenes, seed, **settings)
    dtype = torch.float64 if c["dtype"] == "float64" else torch.float32
    outs = []
    with torch.no_grad(), torch_threads(threads):
        for start in range(0, n_scenes, int(chunk)):
            sl = slice(start, min(n_scenes, start + int(chunk)))
            law = _law_slice(s.law, sl)
            state = s.sim.init(
                torch.as_tensor(s.positions[sl], dtype=dtype),
                torch.as_tensor(s.velocities[sl], dtype=dtype),
                density=torch.as_tensor(s.density[sl], dtype=dtype),
                volume=torch.as_tensor(s.volume[sl], dtype=dtype),
            )
            x = s.sim.rollout(state, law, steps=(frames - 1) * c["save_every"], save_every=c["save_every"])
            outs.append(x.cpu().numpy())
    positions = np.concatenate(outs).astype(c["dtype"])
    dx = s.sim.dx
    face = max(c["wall"] - 1, 1) * dx
    particles = Particles(
        positions=positions,
        times=np.arange(frames) * c["save_every"] * c["dt"],
        kind=np.zeros(c["n_particles"], dtype=np.int64),
        # the walls' faces: the first wall node on each side, where the particles stop (measured: the
        # lowest particle of every scene rests just above it), not the clamp at dx a particle only reaches
        # by crossing the wall band in one step; models' wall features and clamp use this box
        domain=((face, face), (s.sim.domain - face, s.sim.domain - face)),
        params=s.params,
        meta={
            "scene": scene,
            "config": c,
            "n_scenes": n_scenes,
            "seed": int(seed),
            "mpm": s.sim.config(),
            "law": s.law.name,
            "law_config": s.law.config(),
            "walls": list(s.sim.interior),
            "spacing": s.spacing.tolist(),
            "volume": s.volume.tolist(),
            "density": s.density.tolist(),
            "scene_version": SCENE_VERSION,
        },
    )
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        particles.save(path)
    return particles


def _law_slice(law, sl: slice):
    """The law with its per-scene constants cut to the scenes ``sl``."""
    config = law.config()
    sliced = {k: (v[sl] if isinstance(v, list) else v) for k, v in config.items()}
    if sliced == config:
        return law
    import torch

    return type(law)(
        **{k: (torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v) for k, v in sliced.items()}
    )


def deposit_front(final: np.ndarray, grid: int, width: float, min_thickness: float | None = None) -> float:
    """The normalised run-out ``(L_inf - L0) / L0`` of a collapsed column's final positions ``(P, 2)``
    (lattice spacing dx/2, walls of 3 cells, ``L0 = width``): ``L_inf`` is the far edge of the last grid
    column whose deposit (its particles' area over dx) is at least ``min_thickness`` thick (m; default
    one cell), so stray grains and the thinnest sheet are not the front."""
    dx = 1.0 / grid
    lo = 3 * dx
    area = (dx / 2) ** 2
    cells = np.clip(np.floor((final[:, 0] - lo) / dx).astype(int), 0, None)  # grains in the wall band: column 0
    thickness = np.bincount(cells) * area / dx
    thick = np.where(thickness >= (dx if min_thickness is None else min_thickness) - 1e-12)[0]
    front = (thick.max() + 1) * dx if len(thick) else 0.0
    return float((front - width) / width)


def column_runout(
    aspect: float,
    grid: int = 64,
    width: float = 0.1,
    friction_angle: float = 30.0,
    E: float = 2e5,
    density: float = 1500.0,
    dt: float | None = None,
    floor: str = "friction",
    min_thickness: float | None = None,
) -> tuple[float, np.ndarray]:
    """The granular column collapse as a validation: a Drucker-Prager column of width ``L0 = width`` and
    height ``H0 = aspect * L0`` (a regular lattice of spacing dx/2) released at rest against the left wall on
    a floor of Coulomb friction ``tan(friction_angle)``, run for ``4 sqrt(H0 / g) + 0.3`` s (the front has
    stopped by then). ``floor="sticky"`` makes the floor no-slip instead (the limit of a rough bed; the
    side wall stays a Coulomb-friction slip wall). Returns the normalised run-out ``(L_inf - L0) / L0``
    (see :func:`deposit_front`: the front is where the deposit thins below ``min_thickness``, default one
    cell) and the final positions ``(P, 2)``. Experiments (Lajeunesse et al. 2004, Lube et al. 2005)
    give about ``1.2 a`` for ``a`` below ~2 and ``1.9 a^(2/3)`` beyond ~3."""
    import torch

    from dynlearn.particles.materials import LAWS
    from dynlearn.particles.mpm import MPM

    dx = 1.0 / grid
    s = dx / 2
    if floor not in ("friction", "sticky"):
        raise ValidationError(f"floor must be 'friction' or 'sticky', got {floor!r}")
    sim = MPM(
        grid=grid,
        dt=dt or 2e-4 * 64 / grid,
        boundary="slip" if floor == "friction" else "sticky_floor",
        friction=math.tan(math.radians(friction_angle)),
    )
    lo, hi = sim.interior
    if lo + aspect * width > hi:
        raise ValidationError(f"a column of aspect {aspect} and width {width} does not fit the unit box")
    xs, ys = np.arange(lo + s / 2, lo + width, s), np.arange(lo + s / 2, lo + aspect * width, s)
    X, Y = np.meshgrid(xs, ys)
    x = torch.tensor(np.stack([X.ravel(), Y.ravel()], -1), dtype=torch.float32)[None]
    law = LAWS.get("drucker_prager")(E=E, nu=0.3, friction_angle=friction_angle)
    steps = int((4 * math.sqrt(aspect * width / 9.81) + 0.3) / sim.dt)
    with torch.no_grad():
        out = sim.rollout(sim.init(x, density=density, volume=s * s), law, steps=steps, save_every=steps)
    final = out[0, -1].numpy()
    return deposit_front(final, grid, width, min_thickness), final


__all__ = [
    "SCENES",
    "SCENE_VERSION",
    "SHAPES",
    "Scene",
    "SceneSetup",
    "Shape",
    "cache_key",
    "cache_path",
    "column_runout",
    "deposit_front",
    "fill",
    "resolve",
    "scenes",
    "setup",
    "simulate",
]
