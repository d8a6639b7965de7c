"""Reproduction of Sieber, Alonso, Didier, Zeilinger & Orvieto (2024, NeurIPS), "Understanding the
differences in Foundation Models: Attention, State Space Models, and Recurrent Neural Networks".

The paper writes all these layers as one Dynamical Systems Framework (DSF),
h_t = Λ_t h_{t-1} + B_t u_t, y_t = C_t h_t (the layers: :mod:`dynlearn.models._dsf_layers`).
Checked here, CPU-sized:

(a) linear attention and the selective SSM (S6) coincide exactly when S6 has no decay (A = 0, so
    Λ_t = I) and one step size Δ_t shared by all channels, under q_t = C_t, k_t = Δ_t B_t, v_t = u_t,
    unnormalised linear attention with φ = identity; each condition relaxed breaks the match, by an
    amount that grows with the violation (a decay A ≠ 0 with a non-selective Δ is matched again
    by linear attention with a fixed decay exp(Δ A), so what S6 adds is the input-dependent Λ_t);
(b) softmax attention is a DSF with an infinite-dimensional state; finite feature maps (Taylor
    polynomials of the exponential kernel, positive random features) make it a recurrent DSF whose
    error falls as the state grows, more slowly the larger the attention logits;
(c) the four layers as forecasters of chaotic flows of the catalog at matched parameter counts
    (valid prediction time, state-space divergence D_stsp), several seeds.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from dynlearn._threads import torch_threads
from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = (
    "Softmax attention, linear attention, selective SSMs and gated RNNs are one time-varying linear system "
    "h_t = Λ_t h_{t-1} + B_t u_t, y_t = C_t h_t; linear attention and S6 coincide exactly when S6 has no decay "
    "and a channel-shared step size; softmax attention is approximated by finite recurrent states with an error "
    "falling as the state grows"
)

MODELS = ("dsf_softmax", "dsf_linear", "dsf_s6", "dsf_qlstm")


@dataclasses.dataclass(frozen=True)
class Sizes:
    eq_length: int
    approx_length: int
    approx_dim: int
    taylor_orders: tuple[int, ...]
    random_features: tuple[int, ...]
    random_draws: int
    systems: tuple[str, ...]
    seeds: int
    n_train: int
    n_test: int
    params: int
    epochs: int
    free_run: int


FULL = Sizes(
    eq_length=128,
    approx_length=128,
    approx_dim=4,
    taylor_orders=(0, 1, 2, 3, 4, 5, 6),
    random_features=(4, 16, 64, 256, 1024, 4096),
    random_draws=5,
    systems=("Lorenz", "Rossler"),
    seeds=3,
    n_train=2000,
    n_test=1500,
    params=6000,
    epochs=10,
    free_run=2000,
)
SMOKE = Sizes(
    eq_length=16,
    approx_length=16,
    approx_dim=2,
    taylor_orders=(0, 1, 2),
    random_features=(4, 16),
    random_draws=2,
    systems=("Lorenz",),
    seeds=1,
    n_train=300,
    n_test=200,
    params=600,
    epochs=1,
    free_run=150,
)

WIDTH, STATE = 8, 4  # channels and state size per channel of the part (a) layers


# --- (a) linear attention and S6 ---------------------------------------------------------------------------
def _rel(a, b) -> float:
    return float((a - b).norm() / b.norm())


def equivalence(length: int, seed: int, n_gamma: int = 501) -> list[dict[str, Any]]:
    """Relative error between S6 and its linear-attention counterpart as each condition is relaxed
    (``n_gamma``: fixed decays γ ∈ [0.5, 1] tried for the best fixed-decay linear attention)."""
    import torch

    from dynlearn.models._dsf_layers import linear_attention, selective_scan

    g = torch.Generator().manual_seed(seed)
    dt = torch.float64
    u = torch.randn(4, length, WIDTH, generator=g, dtype=dt)
    Bm, Cm = (torch.randn(4, length, STATE, generator=g, dtype=dt) for _ in range(2))
    base = torch.rand(4, length, 1, generator=g, dtype=dt) * 0.4 + 0.05  # a selective, shared Δ_t
    noise = torch.randn(4, length, WIDTH, generator=g, dtype=dt)
    rows = []

    def la(delta, decay=None):
        """Linear attention with q = C_t, k = Δ_t B_t, v = u_t; with ``decay`` γ: weights γ^{t-s}."""
        if decay is None:
            return linear_attention(Cm, delta * Bm, u, normalize=False)
        t = torch.arange(length, dtype=dt)
        gamma = torch.as_tensor(decay, dtype=dt)
        w = gamma ** (t[:, None] - t[None, :]).clamp(min=0)
        return (((Cm @ (delta * Bm).transpose(-1, -2)) * w).tril()) @ u

    zeros = torch.zeros(WIDTH, STATE, dtype=dt)
    rows.append(
        {
            "case": "A = 0, Δ_t shared (selective)",
            "violation": 0.0,
            "err_la": _rel(la(base), selective_scan(u, base, zeros, Bm, Cm)),
            "err_best_decay": float("nan"),
        }
    )
    for spread in (0.01, 0.1, 0.5):
        delta = base * torch.exp(spread * noise)  # per-channel step sizes around the shared one
        y = selective_scan(u, delta, zeros, Bm, Cm)
        rows.append(
            {
                "case": "A = 0, Δ_t per channel",
                "violation": spread,
                "err_la": _rel(la(base), y),
                "err_best_decay": float("nan"),
            }
        )
    gammas = np.linspace(0.5, 1.0, n_gamma)
    for a in (0.01, 0.1, 1.0):
        A = -a * torch.ones(WIDTH, STATE, dtype=dt)
        y = selective_scan(u, base, A, Bm, Cm)
        best = min(_rel(la(base, g_), y) for g_ in gammas)
        rows.append(
            {
                "case": "A = −a, Δ_t shared (selective)",
                "violation": a,
                "err_la": _rel(la(base), y),
                "err_best_decay": best,
            }
        )
        const = torch.full_like(base, float(base.mean()))
        y = selective_scan(u, const, A, Bm, Cm)
        rows.append(
            {
                "case": "A = −a, Δ constant (not selective)",
                "violation": a,
                "err_la": _rel(la(const), y),
                "err_best_decay": _rel(la(const, math.exp(-a * float(base.mean()))), y),
            }
        )
    return rows


# --- (b) softmax attention from finite recurrent states -------------------------------------------------
def approximation(s: Sizes, seed: int) -> list[dict[str, Any]]:
    """Relative error of linear attention with Taylor / random features against exact softmax attention."""
    import torch

    from dynlearn.models._dsf_layers import (
        linear_attention,
        positive_random_features,
        softmax_attention,
        taylor_features,
    )

    g = torch.Generator().manual_seed(seed)
    d, dt, rows = s.approx_dim, torch.float64, []
    for scale in (0.5, 1.0, 1.5):
        q, k = (scale * torch.randn(4, s.approx_length, d, generator=g, dtype=dt) for _ in range(2))
        v = torch.randn(4, s.approx_length, d, generator=g, dtype=dt)
        exact = softmax_attention(q, k, v)
        qs, ks = q / d**0.25, k / d**0.25  # exp(q·k/√d) = exp(qs·ks)
        logits = (qs @ ks.transpose(-1, -2)).tril()
        spread = float(logits[logits != 0].std())
        for p in s.taylor_orders:
            fq, fk = taylor_features(qs, p), taylor_features(ks, p)
            approx = linear_attention(fq, fk, v)
            rows.append(
                {
                    "scale": scale,
                    "logit_std": spread,
                    "map": "Taylor",
                    "size": fq.shape[-1],
                    "order": p,
                    "state": fq.shape[-1] * (d + 1),
                    "err": _rel(approx, exact),
                }
            )
        for m in s.random_features:
            errs = []
            for _ in range(s.random_draws):
                W = torch.randn(m, d, generator=g, dtype=dt)
                approx = linear_attention(positive_random_features(qs, W), positive_random_features(ks, W), v)
                errs.append(_rel(approx, exact))
            rows.append(
                {
                    "scale": scale,
                    "logit_std": spread,
                    "map": "random",
                    "size": m,
                    "order": "",
                    "state": m * (d + 1),
                    "err": float(np.mean(errs)),
                    "err_sd": float(np.std(errs)),
                }
            )
    return rows


# --- (c) forecasters at matched parameter counts ------------------------------------------------------------
def forecasting(s: Sizes, seed0: int, progress) -> list[dict[str, Any]]:
    from dynlearn import metrics, models, systems
    from dynlearn.data import Standardizer
    from dynlearn.models.dsf import matched_config, parameter_count

    rows = []
    context, horizon, n_windows = 16, 300 if s.n_test > 300 else 50, 5
    for system in s.systems:
        for seed in range(seed0, seed0 + s.seeds):
            (traj,) = systems.simulate(system, n_points=s.n_train + s.n_test, points_per_period=30, seed=seed)
            scaler = Standardizer().fit(traj[: s.n_train])
            z = scaler.transform(traj)
            train, test = z[: s.n_train], z.states[s.n_train :]
            dim, lyap = traj.dim, traj.lyapunov_time
            for name in MODELS:
                cfg = matched_config(
                    name,
                    s.params,
                    dim,
                    context=context,
                    layers=2,
                    epochs=s.epochs,
                    batch_size=64,
                    lr=3e-3,
                    rollout=4,
                    stride=2,
                    seed=seed,
                )
                t0 = time.perf_counter()
                model = models.create(name, **cfg).fit([train])
                fit_s = time.perf_counter() - t0
                starts = np.linspace(context, len(test) - horizon - 1, n_windows).astype(int)
                ctx = np.stack([test[i - context : i] for i in starts])
                pred = model.predict(ctx, horizon)
                vpt = [
                    metrics.valid_prediction_time(test[i : i + horizon], p, dt=traj.dt, lyapunov_time=lyap)
                    for i, p in zip(starts, pred)
                ]
                gen = model.predict(test[None, :context], s.free_run)[0]
                d_stsp = metrics.state_space_divergence(test, gen) if np.all(np.isfinite(gen)) else float("nan")
                rows.append(
                    {
                        "system": system,
                        "seed": seed,
                        "model": name,
                        "hidden": cfg["hidden"],
                        "params": parameter_count(name, dim, **cfg),
                        "vpt": float(np.mean(vpt)),
                        "d_stsp": float(d_stsp),
                        "fit_s": round(fit_s, 1),
                    }
                )
                progress(
                    f"(c) {system} seed {seed} {name}: hidden {cfg['hidden']}, {rows[-1]['params']} params, "
                    f"VPT {rows[-1]['vpt']:.2f} Λt, D_stsp {d_stsp:.2f}, fit {fit_s:.0f} s"
                )
    return rows


# --- figures, page -------------------------------------------------------------------------------------------
def _figure(ctx: ReproContext, approx_rows) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.6, 4.4))
    colors = {0.5: "C0", 1.0: "C1", 1.5: "C2"}
    for scale, color in colors.items():
        for kind, marker, ls in (("Taylor", "o", "-"), ("random", "s", "--")):
            rs = [r for r in approx_rows if r["scale"] == scale and r["map"] == kind]
            if rs:
                ax.loglog(
                    [r["state"] for r in rs],
                    [r["err"] for r in rs],
                    marker=marker,
                    ls=ls,
                    color=color,
                    label=f"{kind}, q,k entries ~ N(0, {scale}²) (logit sd {rs[0]['logit_std']:.2f})",
                )
    ax.set_xlabel("recurrent state size (numbers per sequence)")
    ax.set_ylabel("relative error vs softmax attention")
    ax.set_title("Softmax attention from a finite recurrent state")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = ctx.figure_path("dsf-softmax-approximation.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if not np.isfinite(v):
            return "—"
        return f"{v:.2e}" if (abs(v) < 1e-3 and v != 0) else f"{v:.3g}"
    return str(v)


def _table(rows, cols) -> str:
    out = "| " + " | ".join(c[1] for c in cols) + " |\n|" + "---|" * len(cols) + "\n"
    for r in rows:
        out += "| " + " | ".join(_fmt(r.get(c[0], "")) for c in cols) + " |\n"
    return out


def _summary_table(fc_rows) -> tuple[str, list[dict]]:
    agg = []
    for system in dict.fromkeys(r["system"] for r in fc_rows):
        for name in MODELS:
            rs = [r for r in fc_rows if r["system"] == system and r["model"] == name]
            vpt, ds = np.array([r["vpt"] for r in rs]), np.array([r["d_stsp"] for r in rs])
            agg.append(
                {
                    "system": system,
                    "model": name,
                    "params": int(np.mean([r["params"] for r in rs])),
                    "hidden": rs[0]["hidden"],
                    "vpt": float(vpt.mean()),
                    "vpt_sd": float(vpt.std()),
                    "d_stsp": float(np.nanmedian(ds)) if np.isfinite(ds).any() else float("nan"),
                    "fit_s": float(np.mean([r["fit_s"] for r in rs])),
                    "seeds": len(rs),
                }
            )
    cols = [
        ("system", "system"),
        ("model", "model"),
        ("hidden", "width"),
        ("params", "params"),
        ("vpt", "VPT (Lyapunov times), mean"),
        ("vpt_sd", "sd over seeds"),
        ("d_stsp", "D_stsp, median"),
        ("fit_s", "fit s"),
    ]
    return _table(agg, cols), agg


@recipe("dsf", title="Attention, State Space Models and RNNs as one Dynamical System (Sieber et al. 2024)", claim=CLAIM)
def run(ctx: ReproContext) -> ReproResult:
    s = SMOKE if ctx.smoke else FULL
    with torch_threads(1):
        t0 = time.perf_counter()
        eq_rows = equivalence(s.eq_length, ctx.seed)
        ctx.progress(f"(a) equivalence: {len(eq_rows)} cases, {time.perf_counter() - t0:.1f} s")
        t1 = time.perf_counter()
        approx_rows = approximation(s, ctx.seed)
        ctx.progress(f"(b) approximation: {len(approx_rows)} rows, {time.perf_counter() - t1:.1f} s")
        t2 = time.perf_counter()
        fc_rows = forecasting(s, ctx.seed, ctx.progress)
        t3 = time.perf_counter()
    fig = _figure(ctx, approx_rows)
    verdicts, summary = _judge(eq_rows, approx_rows)
    table, agg = _summary_table(fc_rows)
    n_held = sum(verdicts.values())
    verdict = "reproduced" if n_held == len(verdicts) else "partially reproduced" if n_held else "not reproduced"
    markdown = _page(s, eq_rows, approx_rows, fc_rows, table, verdicts, (t1 - t0, t2 - t1, t3 - t2))
    metrics = {
        "equivalence": eq_rows,
        "approximation": approx_rows,
        "forecasting": fc_rows,
        "summary": agg,
        "verdicts": verdicts,
    }
    return ReproResult(verdict, summary, markdown, metrics, [fig])


def _judge(eq_rows, approx_rows) -> tuple[dict[str, bool], str]:
    exact = eq_rows[0]["err_la"]
    broken = [r for r in eq_rows[1:] if r["case"] != "A = −a, Δ constant (not selective)"]
    fixed = [r for r in eq_rows if r["case"] == "A = −a, Δ constant (not selective)"]
    growing = all(
        b["err_la"] < c["err_la"]
        for case in {r["case"] for r in broken}
        for b, c in zip([r for r in broken if r["case"] == case], [r for r in broken if r["case"] == case][1:])
    )
    a = (
        exact < 1e-10
        and min(r["err_la"] for r in broken) > 1e-6
        and growing
        and all(r["err_best_decay"] < 1e-10 for r in fixed)
    )
    b_ok = True
    parts = []
    for scale in dict.fromkeys(r["scale"] for r in approx_rows):
        for kind in ("Taylor", "random"):
            rs = [r for r in approx_rows if r["scale"] == scale and r["map"] == kind]
            b_ok &= rs[-1]["err"] < rs[0]["err"]
        tay = [r for r in approx_rows if r["scale"] == scale and r["map"] == "Taylor"]
        parts.append(f"{tay[0]['err']:.2g} → {tay[-1]['err']:.2g} (logit sd {tay[0]['logit_std']:.2f})")
    top_order = max(r["order"] for r in approx_rows if r["map"] == "Taylor")
    summary = (
        f"(a) S6 with A = 0 and a channel-shared Δ_t equals unnormalised linear attention (q = C_t, k = Δ_t B_t, "
        f"v = u_t) to a relative error of {exact:.1e}; per-channel Δ_t or a decay A ≠ 0 break it "
        f"(errors {min(r['err_la'] for r in broken):.1e} to {max(r['err_la'] for r in broken):.2f}, growing with the "
        f"violation), and a non-selective Δ with A ≠ 0 is matched again by linear attention with a fixed decay "
        f"(error ≤ {max(r['err_best_decay'] for r in fixed):.1e}) — {'held' if a else 'not held'}. "
        f"(b) Linear attention with Taylor features of the exponential kernel approaches softmax attention as the "
        f"state grows: relative error {'; '.join(parts)} from Taylor order 0 to {top_order}; positive random "
        f"features converge too, more slowly — {'held' if b_ok else 'not held'}. "
        "(c) the four layers forecast chaotic flows at matched parameter counts: numbers in the table (no claim "
        "of the paper is judged on them)."
    )
    return {"equivalence": bool(a), "approximation": bool(b_ok)}, summary


def _ranking(fc_rows, s) -> str:
    """One computed sentence per system: the best layers and whether their lead exceeds the seed spread."""
    out = []
    for system in dict.fromkeys(r["system"] for r in fc_rows):
        mean = {m: np.mean([r["vpt"] for r in fc_rows if r["system"] == system and r["model"] == m]) for m in MODELS}
        sd = np.mean([np.std([r["vpt"] for r in fc_rows if r["system"] == system and r["model"] == m]) for m in MODELS])
        ds = {
            m: np.nanmedian([r["d_stsp"] for r in fc_rows if r["system"] == system and r["model"] == m]) for m in MODELS
        }
        order = sorted(MODELS, key=lambda m: -mean[m])
        spread = mean[order[0]] - mean[order[-1]]
        out.append(
            f"{system}: the longest mean VPT is {order[0]}'s ({mean[order[0]]:.2f} Λt), the shortest {order[-1]}'s "
            f"({mean[order[-1]]:.2f}); the spread between layers, {spread:.2f} Λt, is "
            f"{'larger' if spread > sd else 'no larger'} than the mean sd over seeds ({sd:.2f}). Lowest median "
            f"D_stsp: {min(MODELS, key=lambda m: ds[m])} ({min(ds.values()):.2f})."
        )
    return (
        " ".join(out)
        + f" The models are small and trained for {s.epochs} epochs to fit the 20-minute budget, so the table "
        "compares the layers under one short, equal budget, not at their best attainable accuracy."
    )


def _page(s, eq_rows, approx_rows, fc_rows, table, verdicts, seconds) -> str:
    held = lambda k: "held" if verdicts[k] else "**not held**"  # noqa: E731
    eq_cols = [
        ("case", "S6 condition"),
        ("violation", "violation (Δ spread σ / decay a)"),
        ("err_la", "rel. error vs linear attention"),
        ("err_best_decay", "vs best fixed-decay linear attention"),
    ]
    ap_cols = [
        ("scale", "q, k entry sd"),
        ("logit_std", "logit sd"),
        ("map", "feature map"),
        ("order", "Taylor order"),
        ("size", "features m"),
        ("state", "state m(d+1)"),
        ("err", "rel. error"),
        ("err_sd", "sd over draws"),
    ]
    fc_cols = [
        ("system", "system"),
        ("seed", "seed"),
        ("model", "model"),
        ("params", "params"),
        ("vpt", "VPT (Λt)"),
        ("d_stsp", "D_stsp"),
        ("fit_s", "fit s"),
    ]
    return f"""
## The framework in code

| layer | Λ_t | B_t u_t | C_t | state size |
|---|---|---|---|---|
| softmax attention (`SoftmaxAttention`) | I (on an infinite feature space) | (φ(k_t) v_tᵀ, φ(k_t)) | φ(q_t)ᵀ, then normalise | grows with t (exact form: the key/value cache) |
| linear attention (`LinearAttention`) | I | (φ(k_t) v_tᵀ, φ(k_t)) | φ(q_t)ᵀ, then normalise | d² + d |
| selective SSM, S6 (`SelectiveSSM`) | diag(exp(Δ_t ⊗ A)) | Δ_t ⊗ B_t u_t, B_t = W_B u_t | C_t = W_C u_t | d·N |
| quasi-LSTM (`QLSTM`) | diag(f_t) | i_t ⊙ tanh(W_c u_t) | diag(o_t) | d |

Each layer (`dynlearn/models/_dsf_layers.py`) has a parallel form (masked matrix products; for S6 and the
qLSTM an associative scan in ⌈log₂ T⌉ vectorised levels, no Python loop over time) and the recurrent
form above; `tests/test_dsf.py` checks that they agree to 1e-10 in float64 at lengths 1–33.

## (a) When linear attention and S6 coincide — {held("equivalence")}

S6 channel i: h^i_t = exp(Δ^i_t A_i) h^i_{{t−1}} + Δ^i_t B_t u^i_t, y^i_t = C_t·h^i_t. Unnormalised linear
attention with φ = identity: y_t = Σ_{{s≤t}} (q_t·k_s) v_s. With q_t = C_t, k_t = Δ_t B_t, v_t = u_t the two are
the same map exactly when A = 0 (Λ_t = I) and Δ_t is one number per time step shared by the channels
(otherwise the "key" differs per channel). Random inputs, T = {s.eq_length}, d = {WIDTH} channels, N = {STATE}, float64;
relative error ‖y_S6 − y_LA‖/‖y_LA‖. "Best fixed-decay": the smallest error of linear attention with weights
γ^{{t−s}} over 501 values γ ∈ [0.5, 1] (RetNet-style decay).

{_table(eq_rows, eq_cols)}
A decay with a constant Δ is a fixed γ = exp(−aΔ), which decayed linear attention reproduces to rounding; with
a selective Δ_t the decay exp(−aΔ_t) changes with the input, which no fixed γ reproduces: the input-dependent
Λ_t is what S6 has and linear attention lacks. Normalised linear attention divides by
η_t = φ(q_t)·Σ_{{s≤t}} φ(k_s), a function of the whole past, which S6's C_t = W_C u_t (a function of u_t only)
cannot express.

## (b) Softmax attention from a finite recurrent state — {held("approximation")}

exp(q·k/√d) = φ(q̃)·φ(k̃) (q̃ = q/d^{{1/4}}) for the infinite feature map of the exponential kernel; a finite map
turns softmax attention into normalised linear attention, a DSF with state m(d + 1). Taylor: φ_p(x) =
[1, x, x^{{⊗2}}/√2!, …, x^{{⊗p}}/√p!], m = Σ_{{j≤p}} d^j; random: positive random features (FAVOR+,
Choromanski et al. 2021), mean over {s.random_draws} draws. Random q, k, v with d = {s.approx_dim}, T = {s.approx_length};
larger q, k entries give larger attention logits, which need more state.
The Taylor polynomial Σ_{{j≤p}} x^j/j! of odd order p has a negative real root, so for large logits the
normaliser φ(q)·Σφ(k) can approach zero and the error jumps (the zigzag at the largest logits); the
polynomials of even order are positive everywhere. Not measured here: recurrent layers *trained* to
mimic softmax attention (distillation).

{_table(approx_rows, ap_cols)}
![softmax approximation](dsf-softmax-approximation.png)

## (c) The layers as forecasters of chaotic flows at matched parameter counts

Each model: embed → 2 pre-norm residual blocks (mixer + MLP) → the last position's increment, trained on
{s.n_train} standardised points (30 per period; {s.epochs} epochs, Adam lr 3e-3, 4-step closed-loop loss, context 16),
width chosen by `dynlearn.models.dsf.matched_config` for ≈{s.params} parameters. VPT: valid prediction time
(NRMSE > 0.4) in Lyapunov times, mean over 5 test windows of {s.n_test} test points; D_stsp: state-space divergence
of a {s.free_run}-step free run from the first test window against the test orbit.

{table}
{_ranking(fc_rows, s)}

Per seed:

{_table(fc_rows, fc_cols)}
## Wall time

(a) {seconds[0]:.0f} s, (b) {seconds[1]:.0f} s, (c) {seconds[2]:.0f} s, one torch thread, on a shared machine (2 cores,
several other jobs running).
"""
