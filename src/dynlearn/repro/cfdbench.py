"""Reproduction of Luo et al., "CFDBench: A Large-Scale Benchmark for Machine Learning Methods in
Fluid Dynamics" (2023), CPU-sized.

CFDBench trains neural surrogates on four flows, each in three subsets that vary one thing: the
boundary condition, a physical property, or the geometry; it tests on held-out values of it and
reports the error against rollout step. Here: two of its flows at 64², from dynlearn's own solvers
(``fields.simulate``): the lid-driven **cavity** (projection method; lid velocity / viscosity / box
width) and the **cylinder** in a channel (D2Q9 lattice Boltzmann; inflow velocity / viscosity /
radius). For each of the six (flow, axis) datasets the trajectories are spread over a range of the
varied parameter; the top quarter of the range is the out-of-distribution (OOD) test set, and a
random fifth of the rest the in-distribution (ID) test set. Models, all autoregressive one-step
surrogates conditioned on the varied parameter (:mod:`dynlearn.fields.models`): the identity
(last frame), DeepONet, U-Net and FNO, trained by :mod:`dynlearn.fields.training` (one-step loss,
Adam), several seeds. Measured: NMSE at each rollout step 1..20 from frame 5, on both test sets.

Pre-declared verdict rule: (1) "models that win at one step degrade by >= 10x over 20 steps": in at
least 4 of the 6 datasets, the learned model with the lowest 1-step NMSE (ID) has NMSE at step 20 at
least 10x its NMSE at step 1; (2) "OOD splits hurt": in at least 4 of the 6 datasets, the mean over
learned models of the 1-step NMSE is higher OOD than ID. Both: reproduced; one: partially; none: not.
Every (dataset, model, seed) cell is cached as JSON under the output folder: an interrupted run
resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = (
    "surrogates that win at one step degrade by an order of magnitude over 20 autoregressive steps, and "
    "held-out boundary conditions, physical properties and geometries hurt them"
)

#: (flow, split axis) -> (equation, varied parameter, range, fixed settings)
AXES: dict[tuple[str, str], tuple[str, str, tuple[float, float]]] = {
    ("cavity", "boundary condition"): ("cavity", "lid_velocity", (0.5, 2.0)),
    ("cavity", "physical property"): ("cavity", "nu", (0.006, 0.024)),
    ("cavity", "geometry"): ("cavity", "width", (0.6, 1.4)),
    ("cylinder", "boundary condition"): ("cylinder", "u_in", (0.6, 1.4)),
    ("cylinder", "physical property"): ("cylinder", "nu", (1.5e-3, 4e-3)),
    ("cylinder", "geometry"): ("cylinder", "radius", (0.07, 0.13)),
}
LEARNED = ("deeponet", "unet", "fno")
MODELS = ("last_frame", *LEARNED)
#: small CPU configurations of the models (the same for every dataset; 150k-250k parameters at 64 x 64)
MODEL_CONFIG: dict[str, dict[str, Any]] = {
    "last_frame": {},
    "deeponet": {"latent": 64, "branch_width": 128, "trunk_width": 128, "pool": 4},
    "unet": {"width": 8, "depth": 3},
    "fno": {"width": 12, "modes": 12, "layers": 3},
}


@dataclasses.dataclass(frozen=True)
class Sizes:
    trajectories: int
    seeds: int
    epochs: int
    samples_per_epoch: int
    steps: int  # rollout steps evaluated
    start: int  # the rollout's first input frame
    cavity: dict[str, Any]
    cylinder: dict[str, Any]
    axes: tuple[tuple[str, str], ...]


FULL = Sizes(
    trajectories=20,
    seeds=2,
    epochs=6,
    samples_per_epoch=256,
    steps=20,
    start=5,
    # solved on 32 x 32 nodes (QUICK advection: the cell Reynolds number reaches 6) and saved at 64 x 64, as
    # CFDBench interpolates its solutions to 64 x 64; the 64-node solve costs ~8x more
    cavity={"n": 31, "save_n": 64, "dt": 0.006, "steps": 1200, "save_every": 40, "advection": "quick"},
    cylinder={"n": 64, "steps": 1600, "save_every": 50},
    axes=tuple(AXES),
)
SMOKE = Sizes(
    trajectories=5,
    seeds=1,
    epochs=1,
    samples_per_epoch=16,
    steps=3,
    start=1,
    cavity={"n": 15, "save_n": 16, "dt": 0.01, "steps": 60, "save_every": 10, "advection": "quick"},
    cylinder={"n": 16, "steps": 60, "save_every": 10},
    axes=(("cavity", "boundary condition"), ("cylinder", "geometry")),
)


def dataset(flow: str, axis: str, s: Sizes, seed: int):
    """The (flow, axis) dataset: ``s.trajectories`` runs with the varied parameter evenly spread."""
    from dynlearn import fields
    from dynlearn.fields.generate import EQUATIONS

    equation, name, (lo, hi) = AXES[(flow, axis)]
    values = np.linspace(lo, hi, s.trajectories).tolist()
    settings = dict(s.cavity if flow == "cavity" else s.cylinder)
    settings.update(batch=s.trajectories, **{name: values})
    if "seed" in EQUATIONS[equation].defaults:  # the cavity starts from rest: nothing random
        settings["seed"] = seed
    if flow == "cylinder":
        settings["jitter"] = 0.0  # only the named parameter varies
    return fields.simulate(equation, **settings), name


def _cell(ctx: ReproContext, s: Sizes, flow: str, axis: str, model_name: str, seed: int, data) -> dict[str, Any]:
    """One (dataset, model, seed) cell, cached in the output folder (a resumed run does not repeat it)."""
    key = f"{flow}-{axis.replace(' ', '_')}-{model_name}-{seed}-{'smoke' if s is SMOKE else 'full'}"
    return ctx.cached(key, lambda: _compute_cell(s, model_name, seed, data), folder="cells")


def _compute_cell(s: Sizes, model_name: str, seed: int, data) -> dict[str, Any]:
    """Train one model on one dataset's training part and measure its NMSE curves on both test sets."""
    from dynlearn.fields.evaluate import rollout
    from dynlearn.fields.metrics import rollout_error
    from dynlearn.fields.models import FieldSpec, build_field_model
    from dynlearn.fields.training import train

    train_set, id_test, ood_test, name = data
    spec = FieldSpec.from_fields(train_set, history=1, params=(name,))
    config = dict(MODEL_CONFIG[model_name])
    if "modes" in config:  # the smoke run's small grid holds fewer Fourier modes
        config["modes"] = min(config["modes"], min(spec.space) // 2)
    model = build_field_model(model_name, spec, seed=seed, **config)
    t0 = time.perf_counter()
    fit = None
    if any(p.requires_grad for p in model.parameters()):
        fit = train(
            model,
            train_set,
            params=(name,),
            epochs=s.epochs,
            samples_per_epoch=s.samples_per_epoch,
            batch_size=16,
            lr=1e-3,
            lr_schedule="cosine",
            val_fraction=0.0,
            patience=None,
            seed=seed,
        )
    else:  # the identity: only the normalisation statistics, which it does not use
        model.eval()
    seconds = time.perf_counter() - t0
    out: dict[str, Any] = {"train_seconds": seconds, "parameters": model.n_parameters()}
    for split, test in (("id", id_test), ("ood", ood_test)):
        pred, true = rollout(model, test, steps=s.steps, start=s.start, params=(name,))
        out[f"nmse_{split}"] = rollout_error(pred, true, metric="nmse").tolist()
        if split == "ood" and seed == 0:
            out["example"] = {"pred": pred[0, :, 0].tolist(), "true": true[0, :, 0].tolist()}
    if fit is not None:
        out["final_train_loss"] = float(fit.history[-1]["train_loss"])
    return out


@recipe(
    "cfdbench",
    title="CFDBench: A Large-Scale Benchmark for Machine Learning Methods in Fluid Dynamics (Luo et al., 2023)",
    claim=CLAIM,
)
def run(ctx: ReproContext) -> ReproResult:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dynlearn.fields.splits import random_split, split_by_parameter

    s = SMOKE if ctx.smoke else FULL
    t0 = time.perf_counter()
    results: dict[tuple[str, str], dict[str, list[dict]]] = {}
    gen_seconds = {}
    for flow, axis in s.axes:
        tg = time.perf_counter()
        fields_, name = dataset(flow, axis, s, ctx.seed)
        gen_seconds[(flow, axis)] = time.perf_counter() - tg
        rest, ood = split_by_parameter(fields_, name, test_fraction=0.25, side="high")
        train_set, id_test = random_split(rest, test_fraction=0.2, seed=ctx.seed)
        data = (train_set, id_test, ood, name)
        results[(flow, axis)] = {m: [] for m in MODELS}
        for seed in range(s.seeds):
            for m in MODELS:
                if m == "last_frame" and seed > 0:  # deterministic: one run is all of it
                    continue
                results[(flow, axis)][m].append(_cell(ctx, s, flow, axis, m, ctx.seed + seed, data))
        ctx.progress(f"{flow} / {axis}: done ({time.perf_counter() - t0:.0f} s)")

    # the verdict ---------------------------------------------------------------------------------
    def curve(flow_axis, m, split):
        return np.mean([c[f"nmse_{split}"] for c in results[flow_axis][m]], axis=0)

    rows, degrade_ok, ood_ok = [], 0, 0
    for fa in s.axes:
        one_step = {m: curve(fa, m, "id")[0] for m in LEARNED}
        best = min(one_step, key=one_step.get)
        c = curve(fa, best, "id")
        ratio = float(c[-1] / max(c[0], 1e-30))
        degrade_ok += ratio >= 10
        id1 = float(np.mean([curve(fa, m, "id")[0] for m in LEARNED]))
        ood1 = float(np.mean([curve(fa, m, "ood")[0] for m in LEARNED]))
        ood_ok += ood1 > id1
        rows.append((fa, best, ratio, id1, ood1))
    need = 4 if len(s.axes) == 6 else len(s.axes)
    a_ok, b_ok = degrade_ok >= need, ood_ok >= need
    verdict = "reproduced" if a_ok and b_ok else "partially reproduced" if a_ok or b_ok else "not reproduced"

    # figures ---------------------------------------------------------------------------------
    fig, axes = plt.subplots(2, 3, figsize=(14, 7), squeeze=False)
    for k, fa in enumerate(s.axes):
        ax = axes[k // 3, k % 3]
        for m in MODELS:
            steps = np.arange(1, s.steps + 1)
            (line,) = ax.semilogy(steps, curve(fa, m, "id"), label=f"{m} ID")
            ax.semilogy(steps, curve(fa, m, "ood"), "--", color=line.get_color(), label=f"{m} OOD")
        ax.set(title=f"{fa[0]}: {fa[1]}", xlabel="rollout step", ylabel="NMSE")
        if k == 0:
            ax.legend(fontsize=6, ncol=2)
    for k in range(len(s.axes), 6):
        axes[k // 3, k % 3].axis("off")
    fig.tight_layout()
    curves_png = ctx.figure_path("cfdbench-nmse.png")
    fig.savefig(curves_png, dpi=100)
    plt.close(fig)
    figures = [curves_png]
    # rollout picture: the best 1-step model on the first OOD trajectory of each flow
    for flow in sorted({fa[0] for fa in s.axes}):
        fa = next(x for x in rows if x[0][0] == flow)
        ex = results[fa[0]][fa[1]][0]["example"]
        pred, true = np.asarray(ex["pred"]), np.asarray(ex["true"])
        cols = [0, len(pred) // 2, len(pred) - 1]
        fig, ax = plt.subplots(3, 3, figsize=(8, 7.5))
        vmax = float(np.abs(true).max()) or 1.0
        for j, t in enumerate(cols):
            for i, (label, img) in enumerate((("true", true[t]), ("predicted", pred[t]), ("error", pred[t] - true[t]))):
                ax[i, j].imshow(img.T, origin="lower", cmap="RdBu_r", vmin=-vmax, vmax=vmax)
                ax[i, j].set_xticks([])
                ax[i, j].set_yticks([])
                if j == 0:
                    ax[i, j].set_ylabel(label)
            ax[0, j].set_title(f"step {t + 1}")
        fig.suptitle(f"{flow} ({fa[0][1]} OOD), {fa[1]}: u")
        fig.tight_layout()
        path = ctx.figure_path(f"cfdbench-{flow}-rollout.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        figures.append(path)

    # page ------------------------------------------------------------------------------------------
    lines = [
        "## Setup",
        "",
        "| | paper | here |",
        "|---|---|---|",
        "| flows | cavity, tube, dam, cylinder (64 x 64 interpolated from FVM solutions) | cavity (projection "
        "method, MAC grid) and cylinder (D2Q9 LBM), both saved at 64 x 64 |",
        "| subsets | vary BC / physical property / geometry, hundreds to thousands of cases each | the same three "
        f"axes, {s.trajectories} cases each; OOD test = top quarter of the range, ID test = random fifth of the rest |",
        "| models | identity, FFN, DeepONet, ResNet, U-Net, FNO, auto-DeepONet... | identity, DeepONet, U-Net, FNO "
        "(autoregressive one-step, conditioned on the varied parameter) |",
        f"| training | 1,000s of steps, tuned per model | {s.epochs} epochs x {s.samples_per_epoch} windows, Adam "
        f"1e-3 cosine, {s.seeds} seeds |",
        f"| metric | NMSE, MSE, MAE at 1 step and over rollouts | NMSE at rollout steps 1..{s.steps} from frame "
        f"{s.start} |",
        "",
        "| flow | axis (parameter, range) | simulate (s) |",
        "|---|---|---|",
    ]
    for fa in s.axes:
        _, pname, (lo, hi) = AXES[fa]
        lines.append(f"| {fa[0]} | {fa[1]} (`{pname}`, {lo:g}–{hi:g}) | {gen_seconds[fa]:.0f} |")
    lines += [
        "",
        "## NMSE at step 1 and at the last step",
        "",
        f"Mean over seeds; ID / OOD test sets. Step {s.steps} is the end of the rollout.",
        "",
        "| flow | axis | model | params | train (s) | NMSE step 1, ID | step 1, OOD | "
        f"step {s.steps}, ID | step {s.steps}, OOD |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fa in s.axes:
        for m in MODELS:
            cells = results[fa][m]
            ci, co = curve(fa, m, "id"), curve(fa, m, "ood")
            lines.append(
                f"| {fa[0]} | {fa[1]} | {m} | {cells[0]['parameters']:,} | "
                f"{np.mean([c['train_seconds'] for c in cells]):.0f} | {ci[0]:.2e} | {co[0]:.2e} | "
                f"{ci[-1]:.2e} | {co[-1]:.2e} |"
            )
    lines += [
        "",
        "## The two claims",
        "",
        f"| flow | axis | best 1-step model (ID) | its NMSE step {s.steps} / step 1 | learned 1-step NMSE ID | OOD |",
        "|---|---|---|---|---|---|",
    ]
    for fa, best, ratio, id1, ood1 in rows:
        lines.append(f"| {fa[0]} | {fa[1]} | {best} | {ratio:.1f}x | {id1:.2e} | {ood1:.2e} |")
    # reading aids (not part of the rule): where the identity wins, how the U-Net trained, OOD per model
    identity_wins = sum(min(MODELS, key=lambda m, fa=fa: curve(fa, m, "id")[-1]) == "last_frame" for fa in s.axes)
    unet_ratio = float(np.median([curve(fa, "unet", "id")[0] / curve(fa, "last_frame", "id")[0] for fa in s.axes]))
    per_model_ood = sum(curve(fa, m, "ood")[0] > curve(fa, m, "id")[0] for fa in s.axes for m in LEARNED)
    identity_ood = sum(curve(fa, "last_frame", "ood")[0] > curve(fa, "last_frame", "id")[0] for fa in s.axes)
    lines += [
        "",
        f"(1) Degradation >= 10x in {degrade_ok} of {len(s.axes)} datasets (need {need}): **{a_ok}**. "
        f"(2) OOD worse than ID at one step in {ood_ok} of {len(s.axes)} (need {need}): **{b_ok}**.",
        "",
        "Reading (not part of the rule):",
        "",
        f"- The identity (last frame) has the lowest NMSE at step {s.steps} in {identity_wins} of {len(s.axes)} "
        f"datasets (persistence is the best model over a rollout there; in the other "
        f"{len(s.axes) - identity_wins} a learned model beats it at this CPU budget of {s.epochs} epochs of "
        f"{s.samples_per_epoch} windows).",
        f"- The U-Net's one-step NMSE is a median {unet_ratio:.1f}x the identity's: it is under-trained here, and its "
        "large errors dominate the mean over learned models that criterion (2) uses.",
        f"- Per model, OOD is worse than ID at one step in {per_model_ood} of {len(s.axes) * len(LEARNED)} "
        f"(dataset, learned model) pairs; for the identity, which learns nothing, in {identity_ood} of {len(s.axes)}: "
        "where the held-out top of a range means faster dynamics (a faster lid or inflow), the OOD test set is "
        "harder in itself, not only unseen.",
        "",
        "![NMSE against rollout step](cfdbench-nmse.png)",
        "",
    ]
    lines += [f"![{p.stem}]({p.name})" for p in figures[1:]]
    summary = (
        f"Over {len(s.axes)} datasets, the best one-step learned model's NMSE grew >= 10x over {s.steps} steps in "
        f"{degrade_ok} and out-of-distribution tests were worse at one step in {ood_ok}; wall "
        f"{time.perf_counter() - t0:.0f} s."
    )
    metrics = {
        "rows": [
            {"flow": fa[0], "axis": fa[1], "best": b, "ratio": r, "id_1step": i, "ood_1step": o}
            for fa, b, r, i, o in rows
        ],
        "degrade_ok": int(degrade_ok),
        "ood_ok": int(ood_ok),
    }
    return ReproResult(verdict=verdict, summary=summary, markdown="\n".join(lines), metrics=metrics, figures=figures)
