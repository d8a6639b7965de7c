"""The knowledge-tracing models' own mathematics: BKT's EM recovers BKT parameters, PSI-KT's matrix
exponential and its filter's transition and answer update against independent computations, and the
docs/learners.md example runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dynlearn.graphs.learners import InteractionLog, create, ou_transition

torch = pytest.importorskip("torch")


def _bkt_log(seed=0, n=300, T=12, p=(0.2, 0.25, 0.15, 0.1)):
    p0, pt, pg, ps = p
    rng = np.random.default_rng(seed)
    rows = []
    for lr in range(n):
        known = rng.random() < p0
        for k in range(T):
            y = rng.random() < ((1 - ps) if known else pg)
            rows.append((lr, 0, float(k), int(y)))
            known = known or rng.random() < pt
    a = np.array(rows)
    return InteractionLog.from_arrays(a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2], a[:, 3].astype(int))


def test_bkt_em_recovers_the_parameters_of_bkt_data():
    m = create("bkt", em_iters=200).fit(_bkt_log())
    p0, pt, pg, ps, pf = m.params_[:, 0]
    assert abs(p0 - 0.2) < 0.07 and abs(pt - 0.25) < 0.05 and abs(pg - 0.15) < 0.04 and abs(ps - 0.1) < 0.04
    assert pf == 0.0


def test_graph_exponential_matches_matrix_exp():
    from dynlearn.graphs.learners.psikt import _GraphExp

    gen = torch.Generator().manual_seed(0)
    S = torch.rand(6, 6, generator=gen, dtype=torch.float64) * (1 - torch.eye(6, dtype=torch.float64))
    A = S / S.sum(0, keepdim=True).clamp(min=1.0)
    x = torch.rand(40, generator=gen, dtype=torch.float64) * 12
    ref = torch.linalg.matrix_exp(x[:, None, None] * A.T)
    assert torch.allclose(_GraphExp(A.T, x.max())(x), ref, rtol=1e-6, atol=1e-9)


def _one_learner_log(times, concepts, answers):
    n = len(times)
    return InteractionLog.from_arrays(np.zeros(n, int), concepts, times, answers, n_learners=1, n_concepts=3)


def test_psikt_filter_transition_is_the_exact_ou_step():
    """With no answers observed, the filter's mean and P(correct) after one gap match ou_transition."""
    log = _one_learner_log([0.0, 2.5], [0, 2], [1, 1])
    m = create("psikt", epochs=0).fit(log)
    pad = log.padded()
    traits = torch.tensor([[np.log(0.4), 0.5, -1.0]], dtype=torch.float64)
    with torch.no_grad():
        _, p = m._filter(pad, np.zeros_like(pad["mask"]), traits)
        _, A = m._graph()
        pr = m.params
        alpha, gamma, lam = 0.4, float(torch.sigmoid(torch.tensor(0.5))), float(torch.sigmoid(torch.tensor(-1.0)))
        A = A.numpy()
        b = pr.base.numpy().copy()
        B, eta = float(pr.ceiling), float(torch.sigmoid(pr.retention_logit))
        sig2 = float(torch.exp(2 * pr.log_sigma))
        d = pr.difficulty.numpy()
    F = alpha * (gamma * A.T - np.eye(3))
    from scipy.linalg import solve_continuous_lyapunov
    from scipy.stats import norm

    mean = np.linalg.solve(np.eye(3) - gamma * A.T, b)
    cov = solve_continuous_lyapunov(F, -sig2 * np.eye(3))
    assert p[0, 0] == pytest.approx(norm.cdf((mean[0] - d[0]) / np.sqrt(1 + cov[0, 0])), abs=1e-7)
    # practice on concept 0, then the exact step over 2.5 days
    mean[0] += lam * (B - mean[0])
    cov[0, :] *= 1 - lam
    cov[:, 0] *= 1 - lam
    b[0] += eta * lam * (B - b[0])
    Phi, c, Q = ou_transition(F, alpha * b, sig2 * np.eye(3), 2.5)
    mean, cov = Phi @ mean + c, Phi @ cov @ Phi.T + Q
    assert p[0, 1] == pytest.approx(norm.cdf((mean[2] - d[2]) / np.sqrt(1 + cov[2, 2])), abs=1e-7)


def test_psikt_answer_update_is_moment_matching():
    """The ADF update equals the mean and variance of N(m, v) times the probit likelihood (by quadrature)."""
    log = _one_learner_log([0.0, 0.0], [1, 1], [0, 1])
    m = create("psikt", epochs=0).fit(log)
    pad = log.padded()
    traits = torch.tensor([[np.log(0.3), 0.0, -30.0]], dtype=torch.float64)  # lambda ~ 0: no practice effect
    with torch.no_grad():
        _, p = m._filter(pad, pad["mask"], traits)
        _, A = m._graph()
        pr = m.params
        gamma, sig2 = 0.5, float(torch.exp(2 * pr.log_sigma))
        b, d = pr.base.numpy(), pr.difficulty.numpy()
    from scipy.linalg import solve_continuous_lyapunov
    from scipy.stats import norm

    F = 0.3 * (gamma * A.numpy().T - np.eye(3))
    mu = np.linalg.solve(np.eye(3) - gamma * A.numpy().T, b)
    v = solve_continuous_lyapunov(F, -sig2 * np.eye(3))[1, 1]
    z = np.linspace(mu[1] - 12 * np.sqrt(v), mu[1] + 12 * np.sqrt(v), 20001)
    w = norm.pdf(z, mu[1], np.sqrt(v)) * (1 - norm.cdf(z - d[1]))  # the first answer was wrong
    w /= w.sum()
    m1, v1 = (w * z).sum(), (w * (z - (w * z).sum()) ** 2).sum()
    assert p[0, 1] == pytest.approx(norm.cdf((m1 - d[1]) / np.sqrt(1 + v1)), abs=1e-6)


@pytest.mark.slow
def test_the_docs_example_runs():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "learners.md").read_text()
    code = re.search(r"<!-- doc-test: run -->\s*```python\n(.*?)```", doc, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "graph AUROC" in out.stdout and "psikt accuracy" in out.stdout
