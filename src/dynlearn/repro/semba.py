"""Reproduction of Sharma et al., "Representation Learning in Continuous-Time Dynamic Signed
Networks" (SEMBA, CIKM 2023), CPU-sized, on a planted-faction stream instead of the paper's data.

Claim checked: on a signed temporal network, SEMBA's balance-theory memory predicts the signs of
future links (AUC, accuracy) and recalls the negative links better than unsigned baselines.

Setup (ours): :func:`dynlearn.graphs.planted_factions` (nodes in 3 factions, within-faction links
mostly +1, across mostly -1, sign noise 0.1, within-faction pairs somewhat denser); chronological
70/10/20 split; every model fitted on the training part, then every test event's sign scored with
the history of all earlier events. Models: SEMBA (:mod:`dynlearn.graphs.models.semba`), its
unsigned variant (the same network, memories blind to signs, sign decoder still trained), TGN and
EdgeBank (sign-blind: their sign score is their link score). Every model is thresholded alike:
the top share of test events equal to the training share of +1 is called +1.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.io_utils import atomic_write_text
from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = "SEMBA predicts link signs (AUC) and recalls negative links better than unsigned baselines"
#: (label, registered model, settings beyond the shared ones)
MODELS = (
    ("semba", "semba", {}),
    ("semba-unsigned", "semba", {"signed": False}),
    ("tgn", "tgn", {"k": 8}),
    ("edgebank", "edgebank", None),
)
#: the verdict rule, fixed before the full run. Reproduced: SEMBA's mean sign AUC exceeds each unsigned
#: baseline's by at least AUC_MARGIN, on every seed it is above each baseline's AUC of that seed, and its mean
#: negative-link recall exceeds each baseline's. Partially: its mean AUC exceeds each baseline's (any margin).
AUC_MARGIN = 0.05


@dataclasses.dataclass(frozen=True)
class Sizes:
    seeds: int
    nodes: int
    factions: int
    events: int
    homophily: float
    noise: float
    epochs: int
    defects: tuple[float, ...]


FULL = Sizes(seeds=3, nodes=60, factions=3, events=2000, homophily=0.5, noise=0.1, epochs=8, defects=(0.0, 0.3))
SMOKE = Sizes(seeds=1, nodes=18, factions=3, events=300, homophily=0.5, noise=0.1, epochs=1, defects=(0.0, 0.3))


def _config(label: str, s: Sizes) -> dict[str, Any]:
    extra = next(m[2] for m in MODELS if m[0] == label)
    if extra is None:
        return {"eval_batch": 32}
    return {"epochs": s.epochs, "batch_size": 32, "eval_batch": 32, "neg_per_pos": 5, "lr": 1e-2, "dim": 32, **extra}


def _one(s: Sizes, defect: float, seed: int, label: str, cache: Path) -> dict[str, Any]:
    """One (defection share, seed, model) cell, cached as JSON so a resumed run does not repeat it."""
    from dynlearn.graphs import evaluate_sign_prediction, planted_factions, repeat_ratio
    from dynlearn.graphs import models as gm

    key = (f"d{defect}-seed{seed}-{label}-N{s.nodes}-K{s.factions}-E{s.events}-h{s.homophily}-n{s.noise}-e{s.epochs}.json")
    path = cache / key
    if path.is_file():
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            pass  # a damaged cache entry is recomputed
    stream, truth = planted_factions(num_nodes=s.nodes, num_factions=s.factions, num_events=s.events,
                                     homophily=s.homophily, noise=s.noise, defect=defect, seed=seed)
    train, _, test = stream.split(0.1, 0.2)
    name = next(m[1] for m in MODELS if m[0] == label)
    t0 = time.process_time()
    model = gm.create(name, seed=seed, **_config(label, s)).fit(train)
    res = evaluate_sign_prediction(model, stream, test)
    # the planted ceiling: the sign each test pair would get from the factions, before the noise flips
    exp = truth["expected_sign"][len(stream) - len(test):]
    out = {
        "defect": defect,
        "seed": seed,
        "model": label,
        **res,
        "ceiling_accuracy": float(np.mean(exp == test.sign)),
        "test_negative_share": float(np.mean(test.sign < 0)),
        "test_repeat_ratio": repeat_ratio(test, stream.select(slice(0, len(stream) - len(test)))),
        "final_loss": float(model.loss_history_[-1]) if model.trainable else None,
        "cpu_s": time.process_time() - t0,
    }
    cache.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(out))
    return out


def _figure(ctx: ReproContext, s: Sizes, rows, labels) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nd = len(s.defects)
    fig, axes = plt.subplots(nd, 3, figsize=(10.5, 3.1 * nd), squeeze=False)
    for row, defect in zip(axes, s.defects, strict=True):
        rs = [r for r in rows if r["defect"] == defect]
        for ax, key, title in zip(row, ("auc", "accuracy", "neg_recall"),
                                  ("sign AUC", "sign accuracy", "negative-link recall"), strict=True):
            for i, lab in enumerate(labels):
                v = np.asarray([r[key] for r in rs if r["model"] == lab])
                ax.bar(i, v.mean(), color=f"C{i}", alpha=0.6)
                ax.plot(np.full(len(v), i) + np.linspace(-0.15, 0.15, len(v)), v, "k.", ms=5)
            if key == "auc":
                ax.axhline(0.5, color="k", ls=":", lw=1)
            if key == "accuracy":
                ceil = np.mean([r["ceiling_accuracy"] for r in rs])
                ax.axhline(ceil, color="C3", ls="--", lw=1, label=f"planted ceiling {ceil:.2f}")
                ax.legend(fontsize=7, loc="lower right")
            ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=8)
            ax.set_ylim(0, 1)
            ax.set_title(f"{title} ({defect:.0%} defectors)", fontsize=9)
    fig.suptitle("planted-faction signed stream: sign prediction on future links (bars: mean, dots: seeds)",
                 fontsize=10)
    fig.tight_layout()
    path = ctx.figure_path("semba-signs.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _reading(s: Sizes, m) -> list[str]:
    """The page's reading: measured gaps, and the development history the design came from."""
    lo, hi = min(s.defects), max(s.defects)
    labels_base = [lab for lab, _, _ in MODELS[1:]]
    out = [
        f"- Stationary factions ({lo:.0%} defectors): SEMBA {m('semba', 'auc', lo):.3f} against its sign-blind "
        f"variant {m('semba-unsigned', 'auc', lo):.3f}, TGN {m('tgn', 'auc', lo):.3f}, EdgeBank "
        f"{m('edgebank', 'auc', lo):.3f}. The sign-blind variant keeps a sign decoder trained on the training "
        "links' signs and a fixed identity vector per node, so it can in principle learn each node's faction by "
        "heart, and with factions that never change that shortcut competes with reading signs from the memory; "
        "we read its closeness to SEMBA this way (a hypothesis, not tested here). TGN and EdgeBank have no sign "
        "signal but the denser within-faction links (their sign score is their link score), hence AUC near 0.5-0.6.",
        f"- With {hi:.0%} defectors: SEMBA {m('semba', 'auc', hi):.3f} against {m('semba-unsigned', 'auc', hi):.3f} "
        f"(sign-blind variant), {m('tgn', 'auc', hi):.3f} (TGN), {m('edgebank', 'auc', hi):.3f} (EdgeBank). After "
        "its switch a defector's faction learnt by heart is wrong, while SEMBA's friend and enemy means, decaying "
        "with time scale tau = 20, follow its recent signs; this is where the signed memory pays, as the paper argues "
        "for continuous-time signed models. SEMBA's accuracy stays far below the planted ceiling here, so it follows "
        "the defections only in part.",
        *([f"- Why not fully reproduced: with stationary factions SEMBA's mean AUC lead over the best baseline "
           f"is {m('semba', 'auc', lo) - max(m(b, 'auc', lo) for b in labels_base):.3f}, under the pre-declared "
           f"margin {AUC_MARGIN}."] if m('semba', 'auc', lo) - max(m(b, 'auc', lo) for b in labels_base) < AUC_MARGIN
          else []),
        "- Development history, to weigh the result (one seed, seed 0, which is also seed 0 of this run, "
        "no defectors unless said): a first design with GRU friend/enemy memories (closer to TGN) gave SEMBA AUC 0.648 "
        "against 0.775 for its sign-blind variant after 5 epochs; the memories were then replaced by the "
        "time-decayed balance means and cosine balance features of this module: 0.901 against 0.891. The "
        "defection setting was added after that trial, because stationary factions let a decoder memorise them; "
        "its first trial (30% defectors) gave 0.760 against 0.586 after 5 epochs and 0.719 against 0.614 after 12. "
        f"The full run's settings ({s.epochs} epochs, both settings, 3 seeds) and the verdict rule were fixed after "
        "these trials and before the run.",
    ]
    return out


@recipe("semba", title="Representation Learning in Continuous-Time Dynamic Signed Networks (SEMBA, Sharma et al.)",
        claim=CLAIM)
def run(ctx: ReproContext) -> ReproResult:
    s = SMOKE if ctx.smoke else FULL
    cache = ctx.out_dir / "runs"
    labels = [m[0] for m in MODELS]
    rows = []
    total = len(s.defects) * s.seeds * len(labels)
    for defect in s.defects:
        for seed in range(s.seeds):
            for lab in labels:
                rows.append(_one(s, defect, ctx.seed + seed, lab, cache))
                r = rows[-1]
                ctx.progress(f"[{len(rows)}/{total}] defect={defect} seed={seed} {lab}: AUC {r['auc']:.3f}, "
                             f"neg recall {r['neg_recall']:.3f} ({r['cpu_s']:.1f} s CPU)")
    fig = _figure(ctx, s, rows, labels)

    table = []
    for defect in s.defects:
        for lab in labels:
            rs = [r for r in rows if r["model"] == lab and r["defect"] == defect]
            row = {"defect": defect, "model": lab, "cpu_s": float(sum(r["cpu_s"] for r in rs)),
                   "ceiling_accuracy": float(np.mean([r["ceiling_accuracy"] for r in rs]))}
            for k in ("auc", "accuracy", "neg_recall"):
                v = np.asarray([r[k] for r in rs])
                row[f"{k}_mean"], row[f"{k}_sd"] = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
            table.append(row)

    def m(lab, k, defect):
        return next(r[f"{k}_mean"] for r in table if r["model"] == lab and r["defect"] == defect)

    def cell(lab, seed, k, defect):
        return next(r[k] for r in rows if r["model"] == lab and r["seed"] == seed and r["defect"] == defect)

    base = labels[1:]
    seeds = sorted({r["seed"] for r in rows})
    checks, above = {}, {}
    for d in s.defects:
        checks[f"defect{d}_auc_margin_over_each_baseline"] = all(
            m("semba", "auc", d) >= m(b, "auc", d) + AUC_MARGIN for b in base)
        checks[f"defect{d}_auc_above_on_every_seed"] = all(
            cell("semba", sd, "auc", d) > cell(b, sd, "auc", d) for b in base for sd in seeds)
        checks[f"defect{d}_neg_recall_above_each_baseline"] = all(
            m("semba", "neg_recall", d) > m(b, "neg_recall", d) for b in base)
        above[d] = all(m("semba", "auc", d) > m(b, "auc", d) for b in base)
    if all(checks.values()):
        verdict = "reproduced"
    elif any(above.values()):
        verdict = "partially reproduced"
    else:
        verdict = "not reproduced"

    def best(d):
        return max(base, key=lambda b: m(b, "auc", d))

    summary = (
        f"Sign prediction on the future links of a planted-faction stream ({s.seeds} seed(s)): "
        + "; ".join(
            f"with {d:.0%} defectors SEMBA AUC {m('semba', 'auc', d):.3f} (negative-link recall "
            f"{m('semba', 'neg_recall', d):.3f}) against the best unsigned baseline, {best(d)}, "
            f"{m(best(d), 'auc', d):.3f} ({m(best(d), 'neg_recall', d):.3f})" for d in s.defects)
        + ". Checks: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in checks.items()) + "."
    )
    lines = [
        "## Setup: the paper's and ours",
        "",
        "| | SEMBA (paper) | here |",
        "|---|---|---|",
        "| data | 4 real signed temporal networks (Bitcoin-OTC, Bitcoin-Alpha, Epinions, Wiki-RfA) |"
        f" `planted_factions`: {s.nodes} nodes in {s.factions} factions, {s.events} events over 100 time units,"
        f" within-faction share {s.homophily} (uniform pairs would give {(s.nodes / s.factions - 1) / (s.nodes - 1):.2f}),"
        f" sign noise {s.noise}; two settings: stationary factions, and {max(s.defects):.0%} of the nodes defecting"
        " to another faction at a time uniform in [60, 80] (training ends near 70, the test part starts near 80) |",
        "| tasks | dynamic link existence, sign prediction, signed link (3-class) prediction; AUC, F1, macro-F1 |"
        " sign prediction on every test link: AUC, accuracy, negative-link recall (one threshold rule for all) |",
        "| models | SEMBA (balanced aggregation of friend/enemy memories) vs JODIE, DyRep, TGN, TGAT, SGCN, SiGAT, ... |"
        f" SEMBA-style memory (`dynlearn.graphs.models.semba`), its sign-blind variant, TGN, EdgeBank; {s.epochs}"
        " epochs, dim 32 |",
        f"| seeds | several runs | {s.seeds} seeds (stream and weights) per setting |",
        "",
        "Verdict rule, fixed before the run: in each setting, SEMBA's mean sign AUC must exceed that of every "
        f"unsigned baseline by at least {AUC_MARGIN}, be above each baseline's on every seed, and its mean "
        "negative-link recall must exceed each baseline's. *Reproduced* when this holds in both settings; "
        "*partially* when SEMBA's mean AUC exceeds each baseline's (any margin) in at least one setting; else "
        "*not reproduced*.",
        "",
        "Threshold rule: sign-blind models have no natural sign threshold, so every model calls +1 the top share of "
        "test links equal to the training share of +1; accuracy and negative-link recall follow from it.",
        "",
        "## Measured",
        "",
        "| defectors | model | sign AUC (mean ± sd) | accuracy | negative-link recall | CPU s |",
        "|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(
            f"| {r['defect']:.0%} | {r['model']} | {r['auc_mean']:.3f} ± {r['auc_sd']:.3f} | {r['accuracy_mean']:.3f} ± "
            f"{r['accuracy_sd']:.3f} | {r['neg_recall_mean']:.3f} ± {r['neg_recall_sd']:.3f} | {r['cpu_s']:.1f} |"
        )
    lines += [
        "",
        "Planted ceiling (accuracy of each test link's planted sign, from both ends' factions at its time, before the "
        "noise flips): " + ", ".join(
            f"{next(r['ceiling_accuracy'] for r in table if r['defect'] == d):.3f} with {d:.0%} defectors"
            for d in s.defects)
        + f". Test links that are negative: {np.mean([r['test_negative_share'] for r in rows]):.2f}; test links "
        f"whose pair occurred before: {np.mean([r['test_repeat_ratio'] for r in rows]):.2f}.",
        "",
        "Checks: " + ", ".join(f"`{k}` = {'yes' if v else 'no'}" for k, v in checks.items()) + ".",
        "",
        f"![sign AUC, accuracy and negative-link recall per model and setting]({fig.name})",
        "",
        "## Reading",
        "",
        *_reading(s, m),
        "",
        "Timings were taken on a shared machine (about 8 jobs on 2 cores) and are only indicative. Each cell is "
        "cached as JSON in the output folder and a rerun reads it, so the wall time at the foot of this page is that "
        f"of the run that wrote the page; the cells' total CPU time was {sum(r['cpu_s'] for r in rows):.0f} s.",
    ]
    return ReproResult(
        verdict=verdict, summary=summary, markdown="\n".join(lines),
        metrics={"table": table, "checks": checks}, figures=[fig],
    )
