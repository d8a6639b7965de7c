"""Reproduction of Yi et al., "TGB-Seq Benchmark: Challenging Temporal GNNs with Complex Sequential
Dynamics" (ICLR 2025), CPU-sized, on a planted stream instead of the paper's downloads.

Claim checked: as repeated edges vanish from a stream whose new edges follow a simple sequential
rule, EdgeBank and memory-based temporal GNNs (TGN) collapse in MRR against 100 negatives, while a
sequential recommender (GRU4Rec) holds. GraphMixer and DyGFormer are reported beside them (the
paper's other subjects: they too cannot learn "after item a comes item b").

Setup (ours): :func:`dynlearn.graphs.planted_sequence` (users walk a hidden item cycle, re-visiting
a past item with probability ``repeat``), swept over ``repeat``; chronological 70/10/20 split; each
model fitted on the training part, then every test event ranked against 100 seeded random
negatives (filtered), the history being all events before the query; MRR with the average tie rule.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = (
    "as repeated edges vanish, EdgeBank and memory-based TGNNs (TGN) collapse in MRR against 100 negatives, "
    "while the sequential model (GRU4Rec) holds"
)
MODELS = ("edgebank", "tgn", "gru4rec", "graphmixer", "dygformer")
#: the verdict rule, fixed before the full run: "collapse" = MRR at repeat 0 at most half of that at the
#: highest repeat; "holds" = at least half of it, and at repeat 0 at least twice EdgeBank's and TGN's
COLLAPSE, HOLD, MARGIN = 0.5, 0.5, 2.0


@dataclasses.dataclass(frozen=True)
class Sizes:
    repeats: tuple[float, ...]
    seeds: int
    users: int
    items: int
    events_per_user: int
    negatives: int
    epochs: int


FULL = Sizes(repeats=(0.0, 0.3, 0.6, 0.9), seeds=3, users=60, items=200, events_per_user=30, negatives=100,
             epochs=8)
SMOKE = Sizes(repeats=(0.0, 0.9), seeds=1, users=15, items=60, events_per_user=12, negatives=20, epochs=2)


def _config(name: str, s: Sizes) -> dict[str, Any]:
    if name == "edgebank":
        return {"eval_batch": 32}
    common = {"epochs": s.epochs, "batch_size": 32, "eval_batch": 32, "neg_per_pos": 5, "lr": 1e-2, "dim": 32}
    if name in ("graphmixer", "dygformer"):  # neighbour-sequence models: smaller, as they score per pair
        return {**common, "epochs": max(1, s.epochs // 2), "lr": 3e-3, "dim": 16, "k": 8}
    if name == "tgn":
        return {**common, "k": 8}
    return common


def _one(ctx: ReproContext, s: Sizes, repeat: float, seed: int, name: str) -> dict[str, Any]:
    """One (repeat, seed, model) cell, cached as JSON so a resumed run does not repeat it."""
    key = f"r{repeat}-seed{seed}-{name}-U{s.users}-I{s.items}-L{s.events_per_user}-n{s.negatives}-e{s.epochs}"
    return ctx.cached(key, lambda: _compute_one(s, repeat, seed, name))


def _compute_one(s: Sizes, repeat: float, seed: int, name: str) -> dict[str, Any]:
    from dynlearn.graphs import evaluate_link_prediction, planted_sequence, repeat_ratio, sample_negatives, surprise
    from dynlearn.graphs import models as gm

    stream, _ = planted_sequence(
        num_users=s.users, num_items=s.items, events_per_user=s.events_per_user, repeat=repeat, seed=seed
    )
    train, val, test = stream.split(0.1, 0.2)
    neg = sample_negatives(test, s.negatives, history=train, seed=10_000 + seed)
    t0 = time.process_time()
    model = gm.create(name, seed=seed, **_config(name, s)).fit(train)
    res = evaluate_link_prediction(model, stream, test, neg)
    return {
        "repeat": repeat,
        "seed": seed,
        "model": name,
        **res,
        "test_repeat_ratio": repeat_ratio(test, _cat(train, val)),
        "surprise": surprise(train, test),
        "final_loss": float(model.loss_history_[-1]) if model.trainable else None,
        "test_queries": len(test),
        "cpu_s": time.process_time() - t0,
    }


def _cat(a, b):
    from dynlearn.graphs import TemporalEventStream

    return TemporalEventStream(
        np.concatenate([a.src, b.src]), np.concatenate([a.dst, b.dst]), np.concatenate([a.t, b.t]), num_nodes=a.num_nodes
    )


def _figure(ctx: ReproContext, s: Sizes, rows) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    styles = {"edgebank": ("C3", "s"), "tgn": ("C1", "^"), "gru4rec": ("C0", "o"), "graphmixer": ("C2", "v"),
              "dygformer": ("C4", "D")}
    for name in MODELS:
        xs, ms, sds = [], [], []
        for r in s.repeats:
            v = np.asarray([x["mrr"] for x in rows if x["model"] == name and x["repeat"] == r])
            ms.append(v.mean())
            sds.append(v.std(ddof=1) if len(v) > 1 else 0.0)
            xs.append(np.mean([x["test_repeat_ratio"] for x in rows if x["model"] == name and x["repeat"] == r]))
        color, marker = styles[name]
        ax.errorbar(xs, ms, yerr=sds, color=color, marker=marker, capsize=3, label=name)
    chance = _chance(s.negatives)
    ax.axhline(chance, color="k", ls=":", lw=1, label=f"random scorer ({chance:.3f})")
    ax.set_xlabel("repeat ratio of the test events (share of edges seen before)")
    ax.set_ylabel(f"MRR against {s.negatives} negatives")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("planted-sequence stream: MRR as repeated edges vanish")
    fig.tight_layout()
    path = ctx.figure_path("tgb-seq-mrr.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _chance(n: int) -> float:
    """MRR of a scorer whose ranks are uniform on 1..n+1: H(n+1) / (n+1)."""
    return float(np.sum(1.0 / np.arange(1, n + 2)) / (n + 1))


@recipe("tgb-seq", title="TGB-Seq Benchmark: Challenging Temporal GNNs with Complex Sequential Dynamics (Yi et al.)",
        claim=CLAIM)
def run(ctx: ReproContext) -> ReproResult:
    s = SMOKE if ctx.smoke else FULL
    rows = []
    total = len(s.repeats) * s.seeds * len(MODELS)
    for repeat in s.repeats:
        for seed in range(s.seeds):
            for name in MODELS:
                rows.append(_one(ctx, s, repeat, ctx.seed + seed, name))
                r = rows[-1]
                ctx.progress(f"[{len(rows)}/{total}] repeat={repeat} seed={seed} {name}: MRR {r['mrr']:.3f} "
                             f"({r['cpu_s']:.1f} s CPU)")
    fig = _figure(ctx, s, rows)

    table = []
    for repeat in s.repeats:
        for name in MODELS:
            rs = [r for r in rows if r["repeat"] == repeat and r["model"] == name]
            v = np.asarray([r["mrr"] for r in rs])
            table.append({
                "repeat": repeat,
                "model": name,
                "test_repeat_ratio": float(np.mean([r["test_repeat_ratio"] for r in rs])),
                "surprise": float(np.mean([r["surprise"] for r in rs])),
                "mrr_mean": float(v.mean()),
                "mrr_sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                "hits10_mean": float(np.mean([r["hits@10"] for r in rs])),
                "cpu_s": float(sum(r["cpu_s"] for r in rs)),
            })

    def m(name, repeat):
        return next(r["mrr_mean"] for r in table if r["model"] == name and r["repeat"] == repeat)

    lo, hi = min(s.repeats), max(s.repeats)
    eb_collapse = m("edgebank", lo) <= COLLAPSE * m("edgebank", hi)
    tgn_collapse = m("tgn", lo) <= COLLAPSE * m("tgn", hi)
    gru_holds = m("gru4rec", lo) >= HOLD * m("gru4rec", hi)
    gru_beats = m("gru4rec", lo) >= MARGIN * max(m("edgebank", lo), m("tgn", lo))
    if eb_collapse and tgn_collapse and gru_holds and gru_beats:
        verdict = "reproduced"
    elif gru_holds and gru_beats and (eb_collapse or tgn_collapse):
        verdict = "partially reproduced"
    else:
        verdict = "not reproduced"
    checks = {"edgebank_collapses": eb_collapse, "tgn_collapses": tgn_collapse, "gru4rec_holds": gru_holds,
              "gru4rec_beats_at_repeat_0": gru_beats}

    summary = (
        f"On the planted-sequence stream swept from repeat {hi} down to {lo}, MRR against {s.negatives} negatives "
        f"(mean of {s.seeds} seed(s)) goes for EdgeBank from {m('edgebank', hi):.3f} to {m('edgebank', lo):.3f}, "
        f"for TGN from {m('tgn', hi):.3f} to {m('tgn', lo):.3f}, and for GRU4Rec from {m('gru4rec', hi):.3f} to "
        f"{m('gru4rec', lo):.3f} (a random scorer: {_chance(s.negatives):.3f}). Checks: "
        + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in checks.items()) + "."
    )
    lines = [
        "## Setup: the paper's and ours",
        "",
        "| | TGB-Seq (paper) | here |",
        "|---|---|---|",
        "| data | 8 real datasets (e-commerce, ratings, reviews, social, citations, web) curated to few repeated edges |"
        f" planted stream: {s.users} users, {s.items} items, {s.events_per_user} events per user; new edges follow a"
        " hidden item cycle, a past item is re-visited with probability `repeat` (swept) |",
        "| models | JODIE, DyRep, TGAT, TGN, CAWN, TCL, GraphMixer, DyGFormer, SGNN-HN, EdgeBank, ... |"
        " EdgeBank, TGN (GRU memory + graph-sum over 8 recent neighbours), GraphMixer, DyGFormer, GRU4Rec"
        " (`dynlearn.graphs.models`, ids and times only) |",
        f"| metric | MRR against 100 sampled negatives | MRR against {s.negatives} seeded random negatives, filtered;"
        " average tie rule |",
        f"| seeds | 3-5 runs | {s.seeds} seeds (stream, negatives and weights) |",
        "",
        "Verdict rule, fixed before the run: a model *collapses* when its MRR at the lowest repeat is at most "
        f"{COLLAPSE} x its MRR at the highest; GRU4Rec *holds* when its MRR at the lowest repeat is at least {HOLD} x"
        f" its MRR at the highest and at least {MARGIN} x the MRR of EdgeBank and of TGN there. Reproduced: EdgeBank"
        " and TGN collapse and GRU4Rec holds; partially: GRU4Rec holds and one of the two collapses.",
        "",
        "## Measured",
        "",
        "| repeat (generator) | test repeat ratio | surprise | model | MRR (mean ± sd) | Hits@10 | CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(
            f"| {r['repeat']} | {r['test_repeat_ratio']:.2f} | {r['surprise']:.2f} | {r['model']} | "
            f"{r['mrr_mean']:.3f} ± {r['mrr_sd']:.3f} | {r['hits10_mean']:.3f} | {r['cpu_s']:.1f} |"
        )
    lines += [
        "",
        "Checks: " + ", ".join(f"`{k}` = {'yes' if v else 'no'}" for k, v in checks.items()) + ".",
        "",
        f"![MRR against the test repeat ratio]({fig.name})",
        "",
        "## Reading",
        "",
        f"- At the lowest repeat ratio GRU4Rec ranks the true item at MRR {m('gru4rec', lo):.3f}, about "
        f"{m('gru4rec', lo) / max(m('edgebank', lo), m('tgn', lo)):.0f}x the better of EdgeBank and TGN there; "
        f"EdgeBank is then near the constant-scorer MRR 2/(n+2) = {2 / (s.negatives + 2):.3f} by construction (the "
        "true pair is unseen, so it ties with the unseen negatives).",
        f"- GRU4Rec does *not* profit from repeats: at repeat {hi} its MRR is {m('gru4rec', hi):.3f}, below EdgeBank's "
        f"{m('edgebank', hi):.3f}. Its dot-product decoder over the last 10 items is a poor memory of *all* past items, "
        "and interleaved repeats push the frontier item (from which the planted rule continues) out of its window. The "
        "claim checked is only that it holds as repeats vanish.",
        f"- DyGFormer behaves like the repeat-driven models (MRR {m('dygformer', hi):.3f} at repeat {hi}, "
        f"{m('dygformer', lo):.3f} at {lo}): its co-occurrence encoding sees shared neighbours, not item order, as the "
        f"paper argues. GraphMixer, which sees no identities at all, stays between {min(m('graphmixer', r) for r in s.repeats):.3f} "
        f"and {max(m('graphmixer', r) for r in s.repeats):.3f}.",
        "- Deviation to weigh: TGN's design here (fixed random node features, the product term in its decoder, the "
        "graph-sum embedding) was chosen after one-seed trials on this generator at repeats 0.8 and 0.0 (seed 0, "
        "which is also seed 0 of this run), because without them it learnt no repeats at all (MRR 0.05 at repeat 0.8). "
        "The other models' settings were not tuned beyond a first trial.",
        "",
        "The test repeat ratio is the share of test events whose pair occurred before (in train or validation); the "
        "surprise index (Poursafaei et al. 2022) the share of distinct test pairs never in train. Timings were taken "
        "on a shared machine (about 8 jobs on 2 cores) and are only indicative. Each cell is cached as JSON in the "
        "output folder and a rerun reads it, so the wall time at the foot of this page is that of the run that wrote "
        f"the page; the cells' total CPU time was {sum(r['cpu_s'] for r in rows):.0f} s.",
    ]
    return ReproResult(
        verdict=verdict, summary=summary, markdown="\n".join(lines),
        metrics={"table": table, "checks": checks}, figures=[fig],
    )
