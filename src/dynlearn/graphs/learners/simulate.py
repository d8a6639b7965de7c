r"""Simulated students: knowledge as a graph-coupled Ornstein-Uhlenbeck process over a prerequisite DAG.

Learner :math:`l` holds a knowledge vector :math:`z(t) \in \mathbb{R}^K` over :math:`K` concepts. Between
interactions it follows the linear SDE

.. math::
    dz = \alpha_l\,[(\gamma_l W^\top - I)\,z + b]\,dt + \sigma\,dB_t ,

where :math:`W_{ij} \ge 0` is the weight of prerequisite :math:`i` for concept :math:`j` (a planted DAG,
incoming weights of each concept summing to 1), :math:`\alpha_l` the learner's forgetting (mean-reversion)
rate, :math:`\gamma_l \in (0, 1)` how strongly knowledge of prerequisites transfers, and :math:`b` the
learner's long-term levels. Concept :math:`j` thus reverts towards :math:`b_j + \gamma_l \sum_i W_{ij} z_i`.
With :math:`F = \alpha_l(\gamma_l W^\top - I)` (eigenvalues :math:`-\alpha_l(1 - \gamma_l \rho)`, all
negative since :math:`\rho(W) \le 1`), a gap :math:`\Delta` of any length is crossed exactly:

.. math::
    z(t+\Delta) \mid z(t) \sim \mathcal{N}\big(\mu^* + e^{F\Delta}(z(t) - \mu^*),\;
    Q(\Delta) = \textstyle\int_0^\Delta e^{Fs}\,\sigma^2 I\,e^{F^\top s}\,ds\big),
    \qquad (I - \gamma_l W^\top)\,\mu^* = b,

with :math:`Q(\Delta)` from Van Loan's block exponential (:func:`ou_transition`). At an interaction with
concept :math:`c` the learner answers correctly with probability :math:`\Phi(z_c - d_c)` (probit link,
or logistic), then practice closes a fraction :math:`\lambda_l` (the learning rate) of the gap to the
ceiling :math:`B`: :math:`z_c \leftarrow z_c + \lambda_l (B - z_c)` and, for long-term retention,
:math:`b_c \leftarrow b_c + \eta \lambda_l (B - b_c)`. Practice times are irregular (log-normal gaps)
and follow a noisy curriculum along a topological order of the DAG.

The generative story follows PSI-KT (Zhou et al., ICLR 2024, "Predictive, scalable and interpretable
knowledge tracing on structured domains"): OU knowledge dynamics with learner-specific traits and a
prerequisite graph through which knowledge transfers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.linalg import expm, solve_continuous_lyapunov
from scipy.special import expit, ndtr

from dynlearn.errors import ValidationError
from dynlearn.graphs.learners.log import InteractionLog

TRAITS = ("forgetting", "transfer", "learning")


def ou_transition(F: np.ndarray, u: np.ndarray, diffusion: np.ndarray, dt: float):
    r"""Exact transition of :math:`dz = (Fz + u)\,dt + G\,dB` over a gap ``dt``, with ``diffusion`` :math:`= GG^\top`.

    Returns ``(Phi, c, Q)`` with :math:`z(t+dt) = \Phi z(t) + c + \mathcal{N}(0, Q)`:
    :math:`\Phi = e^{F dt}`, :math:`c = \int_0^{dt} e^{Fs} ds\,u` (top-right block of
    :math:`\exp\begin{pmatrix}F & u\\ 0 & 0\end{pmatrix}dt`) and
    :math:`Q = \int_0^{dt} e^{Fs} GG^\top e^{F^\top s} ds = C^\top B` from Van Loan's (1978) block exponential
    :math:`\exp\begin{pmatrix}-F & GG^\top\\ 0 & F^\top\end{pmatrix}dt = \begin{pmatrix}\cdot & B\\ 0 & C\end{pmatrix}`.
    No stability or invertibility of :math:`F` is needed; ``dt = 0`` gives the identity."""
    F = np.asarray(F, dtype=np.float64)
    K = F.shape[0]
    if dt < 0:
        raise ValidationError(f"gap dt={dt} is negative; transitions run forward in time")
    aug = np.zeros((K + 1, K + 1))
    aug[:K, :K] = F
    aug[:K, K] = u
    E = expm(aug * dt)
    vl = np.zeros((2 * K, 2 * K))
    vl[:K, :K] = -F
    vl[:K, K:] = diffusion
    vl[K:, K:] = F.T
    V = expm(vl * dt)
    Q = V[K:, K:].T @ V[:K, K:]
    return E[:K, :K], E[:K, K], 0.5 * (Q + Q.T)


@dataclasses.dataclass
class StudentSimConfig:
    """Sizes and ranges of the simulated population (times in days)."""

    n_learners: int = 100
    n_concepts: int = 8
    interactions: int = 100  #: per learner
    edge_prob: float = 0.35  #: chance of each forward edge of the DAG (every non-root concept gets >= 1 parent)
    sigma: float = 0.3  #: diffusion of knowledge per sqrt(day)
    mean_gap: float = 1.0  #: median gap between interactions (days); gaps are log-normal
    gap_spread: float = 1.0  #: standard deviation of log gap
    forgetting: tuple[float, float] = (0.1, 1.0)  #: alpha range (log-uniform), per day
    transfer: tuple[float, float] = (0.2, 0.95)  #: gamma range (uniform)
    learning: tuple[float, float] = (0.05, 0.3)  #: lambda range (uniform), fraction of the gap closed
    retention: float = 0.5  #: eta, share of practice that lifts the long-term level
    base: float = -1.5  #: initial long-term level b of every concept
    ceiling: float = 1.0  #: B
    difficulty_sd: float = 0.5  #: concept difficulties d ~ N(0, sd^2)
    curriculum_width: float = 1.5  #: softness of the curriculum (in topological positions)
    link: str = "probit"  #: "probit" or "logit"


@dataclasses.dataclass
class StudentData:
    """A simulated population with its ground truth.

    ``log``: the interactions; ``graph``: (K, K) planted prerequisite weights W (W[i, j] > 0: i is a
    prerequisite of j); ``traits``: name -> (n_learners,) array (``forgetting`` alpha, ``transfer`` gamma,
    ``learning`` lambda); ``difficulty``: (K,); ``p_correct``: the true probability of each logged answer;
    ``knowledge``: z_c(t) of each logged interaction just before the answer."""

    log: InteractionLog
    graph: np.ndarray
    traits: dict[str, np.ndarray]
    difficulty: np.ndarray
    p_correct: np.ndarray
    knowledge: np.ndarray
    config: StudentSimConfig


def planted_dag(n_concepts: int, edge_prob: float, rng: np.random.Generator) -> np.ndarray:
    """A random DAG over concepts ``0..K-1`` in topological order (edges only i < j), every concept but the
    first with at least one parent; weights 1/(number of parents), so each concept's incoming weights sum to 1."""
    K = n_concepts
    adj = np.triu(rng.random((K, K)) < edge_prob, k=1)
    for j in range(1, K):
        if not adj[:j, j].any():
            adj[rng.integers(0, j), j] = True
    W = adj.astype(np.float64)
    indeg = W.sum(axis=0)
    return W / np.maximum(indeg, 1.0)


def _check(cfg: StudentSimConfig) -> None:
    for name in ("n_learners", "n_concepts", "interactions"):
        if int(getattr(cfg, name)) < 1:
            raise ValidationError(f"{name}={getattr(cfg, name)} must be >= 1")
    if cfg.n_concepts < 2:
        raise ValidationError(f"n_concepts={cfg.n_concepts} must be >= 2 for a prerequisite graph")
    if cfg.link not in ("probit", "logit"):
        raise ValidationError(f"link={cfg.link!r} is unknown; use 'probit' or 'logit'")
    lo, hi = cfg.transfer
    if not 0.0 <= lo <= hi < 1.0:
        raise ValidationError(f"transfer range {cfg.transfer} must lie in [0, 1) so the dynamics stay stable")
    if not 0.0 < cfg.forgetting[0] <= cfg.forgetting[1]:
        raise ValidationError(f"forgetting range {cfg.forgetting} must be positive and ordered")
    if not 0.0 < cfg.learning[0] <= cfg.learning[1] <= 1.0:
        raise ValidationError(f"learning range {cfg.learning} must lie in (0, 1]")


def simulate_students(config: StudentSimConfig | None = None, *, seed: int = 0, **overrides) -> StudentData:
    """Simulate a population of learners (see the module docstring for the model). Same seed, same data."""
    cfg = dataclasses.replace(config or StudentSimConfig(), **overrides)
    _check(cfg)
    rng = np.random.default_rng(seed)
    K, L, T = int(cfg.n_concepts), int(cfg.n_learners), int(cfg.interactions)
    W = planted_dag(K, cfg.edge_prob, rng)
    # the DAG's nodes are relabelled at random so the concept ids carry no order
    perm = rng.permutation(K)
    Wp = np.zeros_like(W)
    Wp[np.ix_(perm, perm)] = W
    topo = np.empty(K, dtype=np.int64)
    topo[perm] = np.arange(K)  # topological position of each concept id
    alpha = np.exp(rng.uniform(np.log(cfg.forgetting[0]), np.log(cfg.forgetting[1]), L))
    gamma = rng.uniform(*cfg.transfer, L)
    lam = rng.uniform(*cfg.learning, L)
    diff = rng.normal(0.0, cfg.difficulty_sd, K)
    diffusion = cfg.sigma**2 * np.eye(K)
    rows_l, rows_c, rows_t, rows_y, rows_p, rows_z = [], [], [], [], [], []
    B, eta = cfg.ceiling, cfg.retention
    for learner in range(L):
        M = np.eye(K) - gamma[learner] * Wp.T
        F = -alpha[learner] * M
        b = np.full(K, cfg.base)
        mu = np.linalg.solve(M, b)
        P = solve_continuous_lyapunov(F, -diffusion)
        z = rng.multivariate_normal(mu, 0.5 * (P + P.T))
        gaps = np.exp(rng.normal(np.log(cfg.mean_gap), cfg.gap_spread, T))
        gaps[0] = 0.0
        times = np.cumsum(gaps)
        for k in range(T):
            if k:
                # exact step (see ou_transition): with F stable, c = (I - Phi) mu* and Q = P - Phi P Phi^T
                Phi = expm(F * gaps[k])
                mu = np.linalg.solve(M, b)
                Q = P - Phi @ P @ Phi.T
                w, V = np.linalg.eigh(0.5 * (Q + Q.T))  # a tiny gap gives a Q that is PSD only up to rounding
                z = mu + Phi @ (z - mu) + V @ (np.sqrt(np.clip(w, 0.0, None)) * rng.standard_normal(K))
            front = (k + 0.5) / T * K
            w = np.exp(-np.abs(topo + 0.5 - front) / cfg.curriculum_width)
            cpt = int(rng.choice(K, p=w / w.sum()))
            p = ndtr(z[cpt] - diff[cpt]) if cfg.link == "probit" else expit(z[cpt] - diff[cpt])
            y = int(rng.random() < p)
            rows_l.append(learner)
            rows_c.append(cpt)
            rows_t.append(times[k])
            rows_y.append(y)
            rows_p.append(p)
            rows_z.append(z[cpt])
            z[cpt] += lam[learner] * (B - z[cpt])
            b[cpt] += eta * lam[learner] * (B - b[cpt])
    log = InteractionLog.from_arrays(rows_l, rows_c, rows_t, rows_y, n_learners=L, n_concepts=K)
    return StudentData(log=log, graph=Wp, traits={"forgetting": alpha, "transfer": gamma, "learning": lam},
                       difficulty=diff, p_correct=np.asarray(rows_p), knowledge=np.asarray(rows_z), config=cfg)
