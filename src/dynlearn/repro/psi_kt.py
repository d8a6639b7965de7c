"""Reproduction of Zhou, Bamler, Wu and Tejero-Cantero (ICLR 2024), "Predictive, scalable and interpretable
knowledge tracing on structured domains" (PSI-KT), CPU-sized, on simulated students.

The paper evaluates on three online-learning datasets (downloads); here every run uses
:func:`dynlearn.graphs.learners.simulate_students`, whose planted prerequisite graph and learner traits
let us check what the models recover. Per seed: one population (learners practising concepts at
irregular times), each learner's first 80 % of interactions as history, the last 20 % as the multi-step
future (concepts and times known, answers not). Models: BKT (EM), DKT (GRU), PSI-KT-style
(``dynlearn.graphs.learners.psikt``). Measured: accuracy and AUC on the future, per steps ahead; graph
AUROC of PSI-KT's edge scores against the planted DAG; Spearman correlation of PSI-KT's inferred traits
with the true ones.

Verdict rule (declared before the full run):

1. prediction: PSI-KT's mean future accuracy and mean future AUC over seeds are both at least those of
   BKT and of DKT;
2. graph: PSI-KT's mean graph AUROC over seeds is >= 0.75;
3. traits: the mean Spearman correlation over seeds is >= 0.5 for at least two of the three traits.

``reproduced`` if all three hold, ``partially reproduced`` if one or two hold, ``not reproduced`` if none.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time

import numpy as np

from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = ("PSI-KT forecasts learners' future answers (multi-step) at least as well as BKT and DKT, while its "
         "learned prerequisite graph and per-learner traits recover the planted ones (graph AUROC, trait "
         "correlation)")
MODELS = ("bkt", "dkt", "psikt")
TRAIT_LABELS = {"forgetting": "forgetting rate alpha", "transfer": "prerequisite transfer gamma",
                "learning": "learning rate lambda"}


def _sizes(ctx: ReproContext) -> dict:
    if ctx.smoke:
        return {"seeds": 1, "sim": {"n_learners": 16, "n_concepts": 4, "interactions": 20},
                "models": {"bkt": {"em_iters": 10}, "dkt": {"epochs": 5, "hidden": 8},
                           "psikt": {"epochs": 5, "encoder_hidden": 8}}}
    return {"seeds": 5 if ctx.full else 3, "sim": {"n_learners": 150, "n_concepts": 8, "interactions": 100},
            "models": {"bkt": {"em_iters": 50}, "dkt": {"epochs": 200, "hidden": 32},
                       "psikt": {"epochs": 80, "encoder_hidden": 32}}}


HISTORY = 0.8


def _run_seed(seed: int, sz: dict) -> dict:
    import torch

    from dynlearn.graphs.learners import (
        TRAITS,
        accuracy,
        auc,
        create,
        graph_auroc,
        multistep_scores,
        simulate_students,
        trait_correlation,
    )

    torch.set_num_threads(1)
    data = simulate_students(seed=seed, **sz["sim"])
    hist, fut = data.log.split(HISTORY)
    pos = data.log.position()
    n_hist = np.bincount(hist.learner, minlength=hist.n_learners)
    fut_mask = pos >= n_hist[data.log.learner]
    ahead = pos[fut_mask] - n_hist[data.log.learner[fut_mask]] + 1
    y = fut.correct
    out = {"seed": seed, "sizes": json.dumps(sz, sort_keys=True), "models": {}}
    preds = {"true p": data.p_correct[fut_mask]}
    for name in MODELS:
        t0 = time.process_time()
        model = create(name, seed=seed, **sz["models"][name]).fit(hist)
        fit_s = time.process_time() - t0
        preds[name] = model.predict_proba(hist, fut)
        out["models"][name] = {"fit_cpu_s": fit_s, "train_nll": model.loss(hist)}
        if name == "psikt":
            out["graph_auroc"] = graph_auroc(data.graph, model.edge_scores())
            out["edge_scores"] = model.edge_scores().tolist()
            inferred = model.infer_traits(hist)
            out["traits"] = {k: trait_correlation(data.traits[k], inferred[k]) for k in TRAITS}
            out["trait_pairs"] = {k: [data.traits[k].tolist(), inferred[k].tolist()] for k in TRAITS}
            out["psikt_loss_curve"] = model.history_
    for name, p in preds.items():
        ms = multistep_scores(y, p, ahead)
        out.setdefault("scores", {})[name] = {"accuracy": accuracy(y, p), "auc": auc(y, p),
                                              "acc_by_step": ms["accuracy"].tolist(), "auc_by_step": ms["auc"].tolist()}
    out["graph"] = data.graph.tolist()
    out["future_base_rate"] = float(y.mean())
    out["n_future"] = int(len(fut))
    return out


def _figure(ctx: ReproContext, runs: list[dict]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=(22, 4.2))
    colors = {"bkt": "C0", "dkt": "C1", "psikt": "C2", "true p": "0.5"}
    ax = axes[0]
    for name, col in colors.items():
        curves = np.array([r["scores"][name]["auc_by_step"] for r in runs], float)
        steps = np.arange(1, curves.shape[1] + 1)
        ax.plot(steps, np.nanmean(curves, 0), color=col, marker="o", ms=3,
                ls="--" if name == "true p" else "-", label=name if name != "true p" else "true P (reference)")
    ax.set_xlabel("steps ahead of the history")
    ax.set_ylabel(f"AUC (mean over {len(runs)} seeds)")
    ax.set_title("multi-step forecast of answers")
    ax.legend(fontsize=8)
    r0 = runs[0]
    for ax, mat, title in ((axes[1], r0["graph"], f"planted graph (seed {r0['seed']})"),
                           (axes[2], r0["edge_scores"], f"PSI-KT edge scores, AUROC {r0['graph_auroc']:.2f}")):
        im = ax.imshow(np.asarray(mat), cmap="viridis", vmin=0)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("concept j (target)")
        ax.set_ylabel("concept i (prerequisite)")
        fig.colorbar(im, ax=ax, fraction=0.046)
    for ax, trait in zip(axes[3:], ("learning", "forgetting"), strict=True):
        true, inf = (np.asarray(v) for v in r0["trait_pairs"][trait])
        ax.scatter(true, inf, s=8, alpha=0.7, color="C2")
        rho = r0["traits"][trait]["spearman"]
        ax.set_xlabel(f"true {TRAIT_LABELS[trait]}")
        ax.set_ylabel("PSI-KT posterior mean")
        ax.set_title(f"{trait}: Spearman {rho:.2f} (seed {r0['seed']})", fontsize=10)
        if trait == "forgetting":
            ax.set_xscale("log")
            ax.set_yscale("log")
    fig.tight_layout()
    path = ctx.figure_path("psi-kt.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _ms(vals) -> str:
    v = np.asarray(vals, float)
    return f"{v.mean():.3f} ± {v.std(ddof=1):.3f}" if v.size > 1 else f"{v.mean():.3f}"


def _reading(runs: list[dict], rho: dict[str, float]) -> list[str]:
    """What the measured numbers say about the traits that were not recovered (no ablation was run)."""
    weak = [k for k, v in rho.items() if v < 0.5]
    if not weak:
        return []
    out = ["## Reading", ""]
    for k in weak:
        spans = []
        for r in runs:
            true, inf = (np.asarray(v, float) for v in r["trait_pairs"][k])
            spans.append((true.min(), true.max(), inf.min(), inf.max()))
        t0, t1, i0, i1 = np.mean(spans, axis=0)
        out.append(f"- {TRAIT_LABELS[k]}: the inferred values span {i0:.3f}-{i1:.3f} while the true ones span "
                   f"{t0:.3f}-{t1:.3f} (means over seeds): the posterior means vary little across learners.")
    out += ["", "Our hypothesis (not tested here): with about 80 answers per learner at gaps of about a day, an answer "
            "depends on these traits only weakly next to the learning rate (which sets how much each practice "
            "raises knowledge, visible in every answer); more interactions per learner, wider gap ranges or a "
            "less amortised posterior (per-learner refinement after the encoder) are the obvious next checks.", ""]
    return out


@recipe("psi-kt", title="Predictive, scalable and interpretable knowledge tracing on structured domains",
        claim=CLAIM)
def run(ctx: ReproContext) -> ReproResult:
    from dynlearn.graphs.learners import TRAITS, StudentSimConfig

    sz = _sizes(ctx)
    # one cell per seed, cached in the output folder under the sizes' hash: an interrupted run resumes
    tag = hashlib.sha1(json.dumps(sz, sort_keys=True).encode()).hexdigest()[:10]
    runs = []
    computed = 0
    for i in range(sz["seeds"]):
        seed = ctx.seed + i

        def compute(seed=seed):
            nonlocal computed
            t0 = time.perf_counter()
            r = _run_seed(seed, sz)
            r["wall_s"] = time.perf_counter() - t0
            computed += 1
            ctx.progress(
                f"seed {seed}: AUC "
                + ", ".join(f"{m} {r['scores'][m]['auc']:.3f}" for m in MODELS)
                + f"; graph AUROC {r['graph_auroc']:.3f}; wall {r['wall_s']:.0f} s"
            )
            return r

        runs.append(ctx.cached(f"seed{seed}-{tag}", compute))
    fig = _figure(ctx, runs)

    def mean(name, what):
        return float(np.mean([r["scores"][name][what] for r in runs]))

    metrics: dict = {m: {"accuracy": round(mean(m, "accuracy"), 4), "auc": round(mean(m, "auc"), 4)}
                     for m in (*MODELS, "true p")}
    g_auroc = float(np.mean([r["graph_auroc"] for r in runs]))
    rho = {k: float(np.mean([r["traits"][k]["spearman"] for r in runs])) for k in TRAITS}
    pred_ok = all(metrics["psikt"][w] >= metrics[b][w] for b in ("bkt", "dkt") for w in ("accuracy", "auc"))
    graph_ok = g_auroc >= 0.75
    traits_ok = sum(v >= 0.5 for v in rho.values()) >= 2
    n_held = int(pred_ok) + int(graph_ok) + int(traits_ok)
    verdict = "reproduced" if n_held == 3 else "partially reproduced" if n_held else "not reproduced"
    metrics.update({"graph_auroc": round(g_auroc, 4), "trait_spearman": {k: round(v, 4) for k, v in rho.items()},
                    "prediction_held": pred_ok, "graph_held": graph_ok, "traits_held": traits_ok})
    rows = []
    for m in (*MODELS, "true p"):
        acc = [r["scores"][m]["accuracy"] for r in runs]
        au = [r["scores"][m]["auc"] for r in runs]
        cpu = (f"{np.mean([r['models'][m]['fit_cpu_s'] for r in runs]):.1f}" if m in MODELS else "-")
        label = m if m != "true p" else "true P(correct) (reference: reads the simulated knowledge)"
        rows.append(f"| {label} | {_ms(acc)} | {_ms(au)} | {cpu} |")
    trait_rows = [f"| {TRAIT_LABELS[k]} | {_ms([r['traits'][k]['spearman'] for r in runs])} | "
                  f"{_ms([r['traits'][k]['pearson'] for r in runs])} |" for k in TRAITS]
    steps = len(runs[0]["scores"]["psikt"]["acc_by_step"])
    step_rows = []
    for k in (0, 4, 9, steps - 1):
        if k < steps:
            cells = " | ".join(f"{np.nanmean([r['scores'][m]['acc_by_step'][k] for r in runs]):.3f}"
                               for m in (*MODELS, "true p"))
            step_rows.append(f"| {k + 1} | {cells} |")
    cfg = StudentSimConfig(**sz["sim"])
    sim_desc = ", ".join(f"`{f.name}={getattr(cfg, f.name)}`" for f in dataclasses.fields(cfg))
    summary = (
        f"Over {len(runs)} seeds of simulated students, PSI-KT's multi-step forecast of the last "
        f"{100 - round(100 * HISTORY)} % of each learner's answers reaches accuracy {metrics['psikt']['accuracy']:.3f} "
        f"/ AUC {metrics['psikt']['auc']:.3f}, against BKT {metrics['bkt']['accuracy']:.3f} / "
        f"{metrics['bkt']['auc']:.3f} and DKT {metrics['dkt']['accuracy']:.3f} / {metrics['dkt']['auc']:.3f} "
        f"(prediction claim {'held' if pred_ok else 'did not hold'}). Its graph AUROC is {g_auroc:.3f} "
        f"({'>=' if graph_ok else '<'} 0.75) and the trait Spearman correlations are "
        + ", ".join(f"{k} {v:.2f}" for k, v in rho.items())
        + f" ({'at least two' if traits_ok else 'fewer than two'} >= 0.5).")
    md = [
        "## Setup", "",
        "| | paper (Zhou et al. 2024) | here |", "|---|---|---|",
        "| data | three online-learning datasets (Assist12, Junyi15, EdNet) | simulated students "
        "(`dynlearn.graphs.learners.simulate_students`), planted DAG and traits |",
        f"| learners x interactions | thousands of learners, long histories | {cfg.n_learners} x "
        f"{cfg.interactions}, {cfg.n_concepts} concepts |",
        f"| seeds | several | {len(runs)} |",
        "| PSI-KT | hierarchical OU state-space model, learned graph, amortised variational inference, "
        "continual learning | same ingredients, CPU-sized: exact OU transitions, ADF filter with probit answers, "
        "GRU encoder of traits, free edge logits (`psikt`) |",
        "| baselines | BKT, DKT and other deep KT models | BKT (EM per concept), DKT (GRU) |",
        "| task | multi-step prediction (future answers without feedback) | same: last 20 % of each learner |",
        "", f"Simulator settings: {sim_desc}. Model settings: "
        + "; ".join(f"{m}: " + ", ".join(f"`{k}={v}`" for k, v in sz["models"][m].items()) for m in MODELS)
        + f". Seeds: {len(runs)} ({computed} computed in this call, the rest reused from the cells (`runs/*.json`) of an earlier "
        f"call with the same sizes); their own wall times sum to {sum(r['wall_s'] for r in runs):,.0f} s. "
        "The simulator and PSI-KT share one model family (OU knowledge, probit answers, practice closing a "
        "fraction of the gap to a ceiling), so PSI-KT is well specified here and the baselines are not: this "
        "favours PSI-KT and is the main caveat of this page. DKT and BKT ignore time gaps, as published.",
        "", "## Results", "",
        "Multi-step forecast of the future answers (mean ± sd over seeds):", "",
        "| model | accuracy | AUC | fit CPU s |", "|---|---|---|---|", *rows, "",
        "Accuracy by steps ahead (mean over seeds):", "",
        "| steps ahead | " + " | ".join((*MODELS, "true P")) + " |", "|---" * 5 + "|", *step_rows, "",
        f"Graph recovery: PSI-KT edge-score AUROC against the planted DAG {_ms([r['graph_auroc'] for r in runs])} "
        "(0.5 = chance; per seed "
        + ", ".join(f"{r['graph_auroc']:.3f}" for r in runs) + ").", "",
        "Trait recovery (PSI-KT posterior means against the simulated traits, over learners):", "",
        "| trait | Spearman | Pearson |", "|---|---|---|", *trait_rows, "",
        f"![forecast, graph and traits]({fig.name})", "",
        "## Verdict", "",
        "Rule declared in the recipe before the full run: (1) PSI-KT's mean accuracy and AUC >= BKT's and "
        "DKT's; (2) mean graph AUROC >= 0.75; (3) mean trait Spearman >= 0.5 for at least two of three traits. "
        "All three: reproduced; one or two: partially; none: not reproduced.", "",
        f"- (1) prediction: **{'held' if pred_ok else 'did not hold'}**",
        f"- (2) graph AUROC {g_auroc:.3f}: **{'held' if graph_ok else 'did not hold'}**",
        f"- (3) traits: **{'held' if traits_ok else 'did not hold'}** ("
        + ", ".join(f"{k} {v:.2f}" for k, v in rho.items()) + ")", "",
        *_reading(runs, rho),
        "Fit times were measured as process CPU time on a shared machine (about eight other jobs on 2 cores); "
        "their ratios between models of one run are the meaningful figure.",
    ]
    return ReproResult(verdict, summary, "\n".join(md), metrics, [fig])
