"""Reproduction of Viswanath et al., "Reduced-order neural operators: learning Lagrangian dynamics on
highly sparse graphs" (GIOROM, 2024), CPU-sized.

GIOROM runs a graph network on a sparse subset of the particles and interpolates its output to every
particle, so its step cost follows the (fixed) number of sparse nodes, not the particle count; the
paper reports rollout errors close to the dense graph-network simulator (GNS) at a fraction of the
cost. Here: MPM data from :func:`dynlearn.particles.scenes.simulate`, ``sand_drop`` (Drucker-Prager
sand) and ``elastic_drop`` (fixed-corotated elastic shapes, random stiffness), random shapes with
random initial velocities falling in a box. One model of each kind is trained on both materials at
once (particle kind 0 = sand, 1 = elastic; no parameter input) with :mod:`dynlearn.particles.training`
(one-step loss with random-walk input noise, Adam, the same step budget and batch for both models),
for several seeds:

- ``gns``: the dense encode-process-decode network on all P particles;
- ``giorom``: the same processor on ``n_nodes`` farthest-point-sampled particles (1/8 of the training
  scenes' particles; a fixed count, the reduced order), Gaussian k-NN interpolation back to every
  particle plus a learned per-particle refinement (:mod:`dynlearn.particles.models.giorom`).

Measured: the position MSE of full rollouts of unseen test scenes (per material, mean over steps,
scenes and seeds) for both models and the constant-velocity baseline; the wall time of one rollout
step (median of several, after a warm-up, both models in the same process, one thread) on MPM scenes
with P = 2,000, 4,000 and 8,000 particles (GIOROM's sparse nodes chosen once per rollout, as in its
rollouts; the one-off sampling time is reported separately).

Pre-declared verdict rule (fixed before the full run): (1) **error**: for each material, GIOROM's
rollout MSE is at most 2x GNS's; (2) **speed**: GNS's step time is at least 5x GIOROM's at every P;
(3) **flat**: GIOROM's step time at the largest P is at most 2x its time at the smallest (a cost
linear in P grows 4x; 2x is half of that growth). All three: reproduced; one or two: partially;
none: not reproduced. (Disclosure: the 2x flatness threshold was written after a development
micro-benchmark on random clouds had shown GIOROM's step time growing about 1.9x over that range;
the error and speed thresholds are the claim's own.) Every (model, seed) training cell and the timing
cell are cached as JSON under the output folder, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from dynlearn._threads import torch_threads
from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = (
    "on MPM sand and elastic scenes with 2,000-8,000 particles, the sparse reduced-order operator's rollout error is "
    "within 2x of the dense GNS, it is at least 5x faster per step, and its step time stays flat as the particle "
    "count grows"
)
MATERIALS = {"sand": ("sand_drop", 0), "elastic": ("elastic_drop", 1)}
MODELS = ("gns", "giorom")
#: input noise (random walk; the last velocity's std) in units of the mean per-frame displacement
NOISE = 0.1
#: interleaved rounds of the step-time measurement
TIMING_ROUNDS = 3
#: baselines without training: each particle keeps its velocity; or adds the data's mean acceleration (gravity)
BASELINES = ("constant_velocity", "mean_acceleration")


@dataclasses.dataclass(frozen=True)
class Sizes:
    n_particles: int  # particles per training / test scene
    n_train: int  # training scenes per material
    n_test: int  # test scenes per material
    frames: int
    save_every: int  # MPM steps per saved frame
    grid: int
    history: int
    seeds: int
    steps: int  # gradient steps per model
    batch_size: int
    timing_p: tuple[int, ...]
    timing_repeats: int
    model: dict[str, Any]  # shared by both models (radius is set from the data)
    n_nodes: int  # GIOROM's sparse nodes
    radius_spacings: float  # connectivity radius in particle spacings
    wall_reach: float  # wall features saturate at this many radii


FULL = Sizes(
    n_particles=2000,
    n_train=6,
    n_test=2,
    frames=50,
    save_every=25,
    grid=64,
    history=3,
    seeds=3,
    steps=600,
    batch_size=1,
    timing_p=(2000, 4000, 8000),
    timing_repeats=5,
    model={"latent": 48, "layers": 2, "mp_steps": 3, "max_neighbors": 20, "kind_embedding": 8},
    n_nodes=250,
    radius_spacings=2.5,
    wall_reach=3.0,
)
SMOKE = Sizes(
    n_particles=200,
    n_train=2,
    n_test=1,
    frames=8,
    save_every=10,
    grid=32,
    history=2,
    seeds=1,
    steps=3,
    batch_size=1,
    timing_p=(200, 400),
    timing_repeats=2,
    model={"latent": 8, "layers": 1, "mp_steps": 1, "max_neighbors": 8, "kind_embedding": 2},
    n_nodes=32,
    radius_spacings=2.5,
    wall_reach=3.0,
)


def _simulate(material: str, s: Sizes, *, n_scenes: int, seed: int, frames: int, n_particles: int):
    """MPM scenes of one material, relabelled with the material's particle kind and without parameters
    (one model learns both materials from the motion alone)."""
    from dynlearn.particles import scenes

    scene, kind = MATERIALS[material]
    data = scenes.simulate(
        scene,
        n_scenes=n_scenes,
        seed=seed,
        frames=frames,
        n_particles=n_particles,
        grid=s.grid,
        save_every=s.save_every,
    )
    return dataclasses.replace(data, kind=np.full(n_particles, kind, dtype=np.int64), params={})


def _spacing(datasets) -> float:
    """The median particle spacing of the datasets (from the scenes' metadata, else estimated)."""
    values = []
    for d in datasets:
        spacing = d.meta.get("spacing")
        if spacing is not None:
            values.extend(np.atleast_1d(spacing).tolist())
        else:  # the mean nearest-neighbour distance of the first frame
            import torch

            from dynlearn.particles.graph import knn_graph

            x = torch.as_tensor(d.positions[:, 0])
            s_, r_ = knn_graph(x, 1)
            values.append(float((x.reshape(-1, 2)[s_] - x.reshape(-1, 2)[r_]).norm(dim=1).mean()))
    return float(np.median(values))


def _walls(datasets) -> tuple[tuple[float, float], tuple[float, float]]:
    """The box the particles stop at, for the models' wall features and clamp: MPM walls act on grid
    nodes, so particles stop between the scenes' box and the wall band: at the floor's deepest penetration
    in the training data, or the band's edge if no particle went that deep (the box is square and
    symmetric: the same margin on every side)."""
    lo, hi = datasets[0].domain[0][0], datasets[0].domain[1][0]
    a = float(min(d.positions.min() for d in datasets))
    walls = datasets[0].meta.get("walls")  # the simulator's wall band, where its boundary condition starts
    if walls is not None:
        a = min(a, float(walls[0]))
    a = min(max(a, lo), (lo + hi) / 2 - 1e-6)
    return ((a, a), (lo + hi - a, lo + hi - a))


def _model_config(name: str, s: Sizes, radius: float) -> dict[str, Any]:
    config = {**s.model, "radius": radius, "wall_reach": s.wall_reach}
    if name == "giorom":
        config.update(n_nodes=s.n_nodes, interp_k=4, refine=True)
    return config


def _cell(ctx: ReproContext, s: Sizes, name: str, seed: int, train, test, spec, radius: float) -> dict[str, Any]:
    key = f"{name}-seed{seed}-{'smoke' if s is SMOKE else 'full'}"
    return ctx.cached(key, lambda: _train_and_test(s, name, seed, train, test, spec, radius), folder="cells")


def _train_and_test(s: Sizes, name: str, seed: int, train, test, spec, radius: float) -> dict[str, Any]:
    """Train one model on both materials and roll it out on every test scene."""

    from dynlearn.particles.metrics import chamfer_distance, position_mse_per_step
    from dynlearn.particles.models import build_particle_model
    from dynlearn.particles.training import rollout
    from dynlearn.particles.training import train as fit

    if name == "mean_acceleration":
        model = _mean_acceleration(spec)
    else:
        config = _model_config(name, s, radius) if name in MODELS else {}
        model = build_particle_model(name, spec, seed=seed, **config)
    t0 = time.perf_counter()
    out: dict[str, Any] = {"parameters": model.n_parameters()}
    if name in MODELS:
        noise = NOISE * float(np.median([np.abs(np.diff(d.positions, axis=1)).mean() for d in train.values()]))
        result = fit(
            model,
            list(train.values()),
            steps=s.steps,
            batch_size=s.batch_size,
            lr=1e-3,
            lr_final=0.1,
            noise_std=noise,
            seed=seed,
            log_every=max(1, s.steps // 10),
        )
        out["loss"] = [r["loss"] for r in result.history]
        out["noise_std"] = noise
    else:
        model.fit_normalization(list(train.values()))
    out["train_seconds"] = time.perf_counter() - t0
    for material, data in test.items():
        t1 = time.perf_counter()
        pred = rollout(model, data)
        true = data.positions[:, spec.window :]
        out[f"mse_{material}"] = position_mse_per_step(pred, true).tolist()
        out[f"chamfer_last_{material}"] = chamfer_distance(pred[:, -1], true[:, -1])
        out[f"onestep_{material}"] = _one_step_mse(model, data, every=3)
        out[f"rollout_seconds_{material}"] = time.perf_counter() - t1
        if seed == 0 or name not in MODELS:
            out[f"example_{material}"] = pred[:, :: max(1, pred.shape[1] // 4)].round(5).tolist()
    return out


def _mean_acceleration(spec):
    """The baseline that adds the training data's mean per-frame acceleration (gravity) to every
    particle's velocity: what a learned model gets for free from its normalisation."""
    import torch

    from dynlearn.particles.models import ParticleModel

    class MeanAcceleration(ParticleModel):
        name = "mean_acceleration"

        def step(self, window, velocities, kind, p):
            return torch.zeros_like(window[:, -1])

    return MeanAcceleration(spec)


def _one_step_mse(model, data, every: int) -> float:
    """The position MSE of one step from true windows (teacher forcing), every ``every`` frames."""
    import torch

    w = model.spec.window
    starts = range(0, data.positions.shape[1] - w, every)
    errs = []
    with torch.no_grad():
        for t in starts:
            window = torch.as_tensor(data.positions[:, t : t + w], dtype=torch.float32)
            pred = model(window, torch.as_tensor(data.kinds(), dtype=torch.long)).numpy()
            errs.append(float(np.mean((pred - data.positions[:, t + w]) ** 2)))
    return float(np.mean(errs))


def _timing(s: Sizes, spec, radius: float, seed: int) -> dict[str, Any]:
    """Median wall time of one rollout step of each model at every particle count (untrained weights:
    the cost does not depend on their values), one thread, in one process. The (P, model) cases are
    timed in ``TIMING_ROUNDS`` interleaved rounds of ``timing_repeats`` steps each (after a warm-up),
    so a burst of load on the shared machine spreads over every case instead of landing on one."""
    import torch

    from dynlearn.particles.graph import radius_graph
    from dynlearn.particles.models import build_particle_model

    out: dict[str, Any] = {"p": list(s.timing_p), "gns": [], "giorom": [], "giorom_sampling": [], "edges_gns": []}
    cases = []
    for p in s.timing_p:
        data = _simulate("sand", s, n_scenes=1, seed=seed + 5000, frames=spec.window, n_particles=p)
        window = torch.as_tensor(data.positions[:, : spec.window], dtype=torch.float32)
        kind = torch.as_tensor(data.kinds(), dtype=torch.long)
        models = {}
        for name in MODELS:
            model = build_particle_model(name, spec, seed=0, **_model_config(name, s, radius)).eval()
            if name == "giorom":
                t0 = time.perf_counter()
                model._nodes = model.select_nodes(window[:, -1])  # as its rollout does, once
                out["giorom_sampling"].append(time.perf_counter() - t0)
            models[name] = model
        out["edges_gns"].append(int(radius_graph(window[:, -1], radius, s.model["max_neighbors"]).shape[1]))
        cases.append((window, kind, models))
    samples: dict[tuple[int, str], list[float]] = {}
    with torch.no_grad():
        for _ in range(TIMING_ROUNDS):
            for k, (window, kind, models) in enumerate(cases):
                for name, model in models.items():
                    model(window, kind)  # warm-up
                    for _ in range(s.timing_repeats):
                        t0 = time.perf_counter()
                        model(window, kind)
                        samples.setdefault((k, name), []).append(time.perf_counter() - t0)
    for name in MODELS:
        out[name] = [float(np.median(samples[(k, name)])) for k in range(len(cases))]
    return out


def _reading(cells, ratios, speedups, growth) -> list[str]:
    """Bullets computed from the run: how close each criterion came to its threshold, the spread over
    seeds, and whether the learned models beat the gravity baseline."""
    out = []
    near = []
    for label, value, limit, better in (
        *((f"the {m} error ratio", r, 2.0, "below") for m, r in ratios.items()),
        ("the smallest speed-up", min(speedups), 5.0, "above"),
        ("GIOROM's step-time growth", growth, 2.0, "below"),
    ):
        margin = (limit - value) / limit if better == "below" else (value - limit) / limit
        if abs(margin) < 0.15:
            near.append(f"{label} ({value:.2f} against {limit:g})")
    if near:
        out.append(
            "- Within 15% of its threshold: " + "; ".join(near) + ". Another seed set or another load on the shared "
            "machine could move it to the other side; the verdict is not a wide-margin one."
        )
    n_seeds = min(len(cells["gns"]), len(cells["giorom"]))
    for m in MATERIALS:
        per = [np.mean(cells["giorom"][k][f"mse_{m}"]) / np.mean(cells["gns"][k][f"mse_{m}"]) for k in range(n_seeds)]
        out.append(
            f"- {m}: GIOROM / GNS rollout MSE per seed {', '.join(f'{r:.2f}' for r in per)} "
            f"(<= 2 in {sum(r <= 2 for r in per)} of {n_seeds}); the rule compares the means over seeds."
        )
    gravity = {m: np.mean(cells["mean_acceleration"][0][f"mse_{m}"]) for m in MATERIALS}
    for name in MODELS:
        wins = [(k, m) for k, c in enumerate(cells[name]) for m in MATERIALS if np.mean(c[f"mse_{m}"]) < gravity[m]]
        total = len(cells[name]) * len(MATERIALS)
        out.append(
            f"- {name} beats the gravity-only baseline (`mean_acceleration`) in {len(wins)} of {total} (seed, material) "
            "rollouts (a model that does not beat it adds nothing to what its normalisation gives it)."
        )
    return out


@recipe(
    "giorom",
    title="Reduced-order neural operators: learning Lagrangian dynamics on highly sparse graphs (GIOROM, "
    "Viswanath, Chang, Berner, Chen and Bera, 2024)",
    claim=CLAIM,
)
def run(ctx: ReproContext) -> ReproResult:
    with torch_threads(1):  # small tensors: one thread is fastest; the caller's setting is restored after
        return _run(ctx)


def _run(ctx: ReproContext) -> ReproResult:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dynlearn.particles.models import ParticleSpec
    from dynlearn.particles.plot import plot_rollouts

    s = SMOKE if ctx.smoke else FULL
    t0 = time.perf_counter()
    train, test = {}, {}
    for material in MATERIALS:
        train[material] = _simulate(
            material, s, n_scenes=s.n_train, seed=ctx.seed, frames=s.frames, n_particles=s.n_particles
        )
        test[material] = _simulate(
            material, s, n_scenes=s.n_test, seed=ctx.seed + 1000, frames=s.frames, n_particles=s.n_particles
        )
    gen_seconds = time.perf_counter() - t0
    ctx.progress(f"data: {gen_seconds:.0f} s")
    spec = ParticleSpec(dim=2, domain=_walls(list(train.values())), history=s.history, n_kinds=2, n_params=0)
    spacing = _spacing(list(train.values()))
    radius = s.radius_spacings * spacing

    cells: dict[str, list[dict[str, Any]]] = {m: [] for m in (*MODELS, *BASELINES)}
    for name in BASELINES:
        cells[name].append(_cell(ctx, s, name, 0, train, test, spec, radius))
    for seed in range(s.seeds):
        for name in MODELS:
            cells[name].append(_cell(ctx, s, name, ctx.seed + seed, train, test, spec, radius))
            ctx.progress(f"{name} seed {seed}: trained in {cells[name][-1]['train_seconds']:.0f} s")
    timing = ctx.cached(
        f"timing-{'smoke' if ctx.smoke else 'full'}", lambda: _timing(s, spec, radius, ctx.seed), folder="cells"
    )

    # the verdict ---------------------------------------------------------------------------------
    def mse(name, material):
        return float(np.mean([np.mean(c[f"mse_{material}"]) for c in cells[name]]))

    def curve(name, material):
        return np.mean([c[f"mse_{material}"] for c in cells[name]], axis=0)

    ratios = {m: mse("giorom", m) / max(mse("gns", m), 1e-30) for m in MATERIALS}
    speedups = [g / r for g, r in zip(timing["gns"], timing["giorom"])]
    growth = timing["giorom"][-1] / timing["giorom"][0]
    gns_growth = timing["gns"][-1] / timing["gns"][0]
    ok_error = all(r <= 2.0 for r in ratios.values())
    ok_speed = all(x >= 5.0 for x in speedups)
    ok_flat = growth <= 2.0
    held = int(ok_error) + int(ok_speed) + int(ok_flat)
    verdict = "reproduced" if held == 3 else "partially reproduced" if held else "not reproduced"

    # figures ---------------------------------------------------------------------------------
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for name, style in (("gns", "o-"), ("giorom", "s-")):
        ax[0].loglog(timing["p"], np.array(timing[name]) * 1e3, style, label=name)
    ax[0].set(xlabel="particles P", ylabel="ms per rollout step", title="step time (median, 1 thread)")
    ax[0].set_xticks(timing["p"], [str(p) for p in timing["p"]])
    ax[0].legend()
    steps = np.arange(1, len(curve("gns", "sand")) + 1)
    for material, ls in (("sand", "-"), ("elastic", "--")):
        for name in (*MODELS, *BASELINES):
            ax[1].semilogy(steps, curve(name, material), ls, label=f"{name}, {material}")
    ax[1].set(xlabel="rollout step", ylabel="position MSE", title="rollout error on unseen scenes")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    timing_png = ctx.figure_path("giorom-time-and-error.png")
    fig.savefig(timing_png, dpi=100)
    plt.close(fig)
    figures = [timing_png]
    for material in MATERIALS:
        data = test[material]
        # the test scene that comes closest to the floor (the most contact) is the one pictured
        scene = int(np.argmin(data.positions[:, -1, :, 1].min(axis=1)))
        true = data.positions[scene, spec.window :]
        idx = np.arange(0, true.shape[0], max(1, true.shape[0] // 4))[:5]
        preds = {n: np.asarray(cells[n][0][f"example_{material}"])[scene] for n in MODELS}
        n_frames = min(len(idx), *(len(p) for p in preds.values()))
        path = ctx.figure_path(f"giorom-rollout-{material}.png")
        plot_rollouts(
            true[idx[:n_frames]],
            {n: p[:n_frames] for n, p in preds.items()},
            path,
            domain=data.domain,
            kind=data.kinds()[0],
            times=(data.times[spec.window :][idx[:n_frames]]).tolist(),
            frames=n_frames,
            title=f"{material}: test scene {scene} (the one nearest the floor at the end), truth and rollouts (seed 0)",
        )
        figures.append(path)

    # page ------------------------------------------------------------------------------------------
    n_steps = len(steps)
    lines = [
        "## Setup",
        "",
        "| | paper | here |",
        "|---|---|---|",
        "| data | simulations of elastic solids, Newtonian and non-Newtonian fluids, Drucker-Prager sand and von Mises "
        "plasticity; dense clouds up to ~100,000 points | "
        f"dynlearn's MLS-MPM ({s.grid}² grid): `sand_drop` (Drucker-Prager) and `elastic_drop` (fixed-corotated), "
        f"{s.n_train} training and {s.n_test} test scenes each of {s.n_particles:,} particles, {s.frames} frames "
        f"{s.save_every} MPM steps apart |",
        "| dense baseline | GNS (Sanchez-Gonzalez et al. 2020) | `gns`: latent "
        f"{s.model['latent']}, {s.model['mp_steps']} message-passing steps, radius {s.radius_spacings} particle "
        f"spacings ({radius:.4f}), at most {s.model['max_neighbors']} neighbours |",
        "| reduced order | a graph neural-operator time-stepper on a farthest-point-sampled sparse graph (~1,000 nodes; "
        "6.6-32x fewer points) and a learned kernel interpolating to any query point | `giorom`: "
        f"the same processor on {s.n_nodes} farthest-point nodes (1/{s.n_particles // s.n_nodes} of the training "
        "particles, fixed count), radius scaled by sqrt(P/m), Gaussian 4-NN interpolation + a learned refinement "
        "MLP (instead of the paper's learned integral-kernel interpolation) |",
        f"| training | GPU training | both models: {s.steps} Adam steps of {s.batch_size} window(s), lr 1e-3 decaying "
        f"to 1e-4, random-walk input noise ({NOISE:g} x the mean per-frame displacement = "
        f"{cells['gns'][0].get('noise_std', float('nan')):.2g} on the last velocity; target: the true next velocity, "
        f"as GNS), history {s.history}, {s.seeds} seeds; both materials in one model; wall features saturate at "
        f"{s.wall_reach:g} radii |",
        f"| error | rollout MSE | position MSE over the {n_steps}-step rollout of each test scene (mean over steps, "
        "scenes, seeds); also the one-step MSE from true windows (every third frame) and the Chamfer distance of "
        "the last frame |",
        "| baselines | - | `constant_velocity` (each particle keeps its velocity) and `mean_acceleration` (adds "
        "the training data's mean acceleration, i.e. gravity: what a learned model gets from its normalisation) |",
        f"| speed | ~25x faster than other neural simulators; time nearly unchanged as the query points grow | median of {TIMING_ROUNDS} interleaved rounds x "
        f"{s.timing_repeats} steps (after a warm-up) on "
        f"`sand_drop` scenes of {', '.join(f'{p:,}' for p in timing['p'])} particles, one thread |",
        "",
        f"MPM data generation in this run: {gen_seconds:.0f} s (0 when the scenes were already in the on-disk "
        f"cache of `dynlearn.particles.scenes`). Median particle spacing {spacing:.4f}.",
        "",
        "## Rollout error (unseen scenes)",
        "",
        "| model | parameters | train (s) | rollout MSE sand | elastic | one-step MSE sand | elastic | "
        "Chamfer last frame, sand | elastic |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in (*MODELS, *BASELINES):
        cs = cells[name]
        lines.append(
            f"| {name} | {cs[0]['parameters']:,} | {np.mean([c['train_seconds'] for c in cs]):.0f} | "
            f"{mse(name, 'sand'):.3e} | {mse(name, 'elastic'):.3e} | "
            f"{np.mean([c['onestep_sand'] for c in cs]):.3e} | {np.mean([c['onestep_elastic'] for c in cs]):.3e} | "
            f"{np.mean([c['chamfer_last_sand'] for c in cs]):.3e} | {np.mean([c['chamfer_last_elastic'] for c in cs]):.3e} |"
        )
    per_seed = "; ".join(
        f"{name} seed {k}: sand {np.mean(c['mse_sand']):.2e}, elastic {np.mean(c['mse_elastic']):.2e}"
        for name in MODELS
        for k, c in enumerate(cells[name])
    )
    lines += [
        "",
        f"Per seed: {per_seed}.",
        "",
        "## Step time",
        "",
        "| particles P | GNS (ms) | GIOROM (ms) | GNS / GIOROM | GNS edges | GIOROM node sampling, once per rollout (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for k, p in enumerate(timing["p"]):
        lines.append(
            f"| {p:,} | {timing['gns'][k] * 1e3:.1f} | {timing['giorom'][k] * 1e3:.1f} | {speedups[k]:.1f}x | "
            f"{timing['edges_gns'][k]:,} | {timing['giorom_sampling'][k] * 1e3:.1f} |"
        )
    lines += [
        "",
        f"From P = {timing['p'][0]:,} to {timing['p'][-1]:,} the step time grows {gns_growth:.2f}x for GNS and "
        f"{growth:.2f}x for GIOROM (its processor is fixed at {s.n_nodes} nodes; what grows is the O(P) "
        "interpolation, refinement and velocity features).",
        "",
        "## Verdict by the pre-declared rule",
        "",
        "| criterion | measured | holds |",
        "|---|---|---|",
        "| (1) GIOROM rollout MSE <= 2x GNS, each material | "
        + ", ".join(f"{m} {r:.2f}x" for m, r in ratios.items())
        + f" | **{ok_error}** |",
        f"| (2) GNS / GIOROM step time >= 5 at every P | {', '.join(f'{x:.1f}x' for x in speedups)} | **{ok_speed}** |",
        f"| (3) GIOROM step time at P = {timing['p'][-1]:,} <= 2x at {timing['p'][0]:,} | {growth:.2f}x | "
        f"**{ok_flat}** |",
        "",
        "Reading (not part of the rule):",
        "",
        *_reading(cells, ratios, speedups, growth),
        "",
        "Notes: the flatness threshold (2x) is half the growth of a cost linear in P; it was written after a "
        "development micro-benchmark on random clouds had shown GIOROM's step time growing about 1.9x over this range "
        "(the error and speed thresholds are the claim's own). The rollout error is measured at the training particle "
        "count only (the models are not asked to "
        "generalise across resolutions); the timings are of untrained models of the same architecture (the cost "
        "does not depend on the weights) and of one step inside a rollout; the machine is shared, so absolute "
        "times vary by tens of percent between runs, ratios less.",
        "",
        "![step time and rollout error](giorom-time-and-error.png)",
        "",
        "![sand rollout](giorom-rollout-sand.png)",
        "",
        "![elastic rollout](giorom-rollout-elastic.png)",
    ]
    summary = (
        f"GIOROM's rollout MSE was {', '.join(f'{r:.2f}x' for r in ratios.values())} GNS's (sand, elastic); "
        f"it was {', '.join(f'{x:.1f}x' for x in speedups)} faster per step at P = "
        f"{', '.join(f'{p:,}' for p in timing['p'])}, and its step time grew {growth:.2f}x over that range "
        f"(GNS: {gns_growth:.2f}x). {held} of 3 criteria held; wall {time.perf_counter() - t0:.0f} s."
    )
    metrics = {
        "mse": {n: {m: mse(n, m) for m in MATERIALS} for n in (*MODELS, *BASELINES)},
        "error_ratio": ratios,
        "speedup": speedups,
        "step_seconds": {n: timing[n] for n in MODELS},
        "p": timing["p"],
        "giorom_growth": growth,
        "gns_growth": gns_growth,
        "criteria": {"error": ok_error, "speed": ok_speed, "flat": ok_flat},
    }
    return ReproResult(verdict=verdict, summary=summary, markdown="\n".join(lines), metrics=metrics, figures=figures)
