r"""PSI-KT-style knowledge tracing: a hierarchical state-space model with learner traits and a learned
prerequisite graph, fitted by amortised variational inference (after Zhou, Bamler, Wu and
Tejero-Cantero, ICLR 2024, "Predictive, scalable and interpretable knowledge tracing on structured
domains"; CPU-sized, written from the paper's description, not its code).

Generative model. Learner :math:`l` has traits :math:`s_l = (\log\alpha_l, \operatorname{logit}\gamma_l,
\operatorname{logit}\lambda_l) \sim \mathcal{N}(\mu_s, \operatorname{diag}\sigma_s^2)` (a learned population
prior): forgetting rate :math:`\alpha`, prerequisite transfer :math:`\gamma` and learning rate :math:`\lambda`.
The graph is :math:`S_{ij} = \sigma(\theta_{ij})` (:math:`i \ne j`), normalised per target,
:math:`A_{ij} = S_{ij} / \max(1, \sum_k S_{kj})`, so :math:`\rho(A) \le 1` and the dynamics are stable.
Knowledge :math:`z \in \mathbb{R}^K` follows :math:`dz = \alpha[(\gamma A^\top - I)z + b]\,dt + \sigma dB`
between interactions, crossed exactly over each gap :math:`\Delta` (mean
:math:`\mu^* + e^{F\Delta}(m - \mu^*)`, covariance :math:`P_\infty + e^{F\Delta}(P - P_\infty)e^{F^\top\Delta}`
with :math:`P_\infty` the stationary covariance, solving :math:`FP_\infty + P_\infty F^\top + \sigma^2 I = 0`).
An answer on concept :math:`c` is correct with probability :math:`\Phi(z_c - d_c)`; practice then closes a
fraction :math:`\lambda` of the gap to the ceiling :math:`B` (:math:`z_c` and, by :math:`\eta`, the level
:math:`b_c`).

Inference. Given traits, the knowledge state is filtered exactly in its linear-Gaussian part and by
assumed-density filtering (moment matching of the probit likelihood, closed form) at each answer, which
yields the one-step predictive :math:`\log p(y_t \mid y_{<t}, s_l)`. A GRU encoder reads a learner's
history and outputs :math:`q_\phi(s_l) = \mathcal{N}(m_l, \operatorname{diag} v_l)` (amortised inference:
a new learner costs one encoder pass). Training maximises the ELBO
:math:`\sum_l \mathbb{E}_{q}[\sum_t \log p(y_t \mid y_{<t}, s_l)] - \mathrm{KL}(q_\phi(s_l)\,\|\,p(s_l))`
(one reparameterised sample per learner per step) with a small L1 penalty on :math:`S`.

Multi-step forecast: traits from the encoder's mean on the history; beyond it, the filter crosses the gaps
and applies practice but no answer updates. Interpretable outputs: :meth:`PSIKT.edge_scores` (S) and
:meth:`PSIKT.infer_traits`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.graphs.learners.base import KnowledgeTracer, register
from dynlearn.graphs.learners.dkt import _concat, _gaps, _take_queries
from dynlearn.graphs.learners.log import InteractionLog

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


@dataclasses.dataclass
class PSIKTConfig:
    epochs: int = 150
    lr: float = 0.03
    encoder_hidden: int = 32
    graph_l1: float = 0.05  #: weight of mean(S) in the loss (sparse graphs)
    kl_weight: float = 1.0
    seed: int = 0

    def validate(self):
        if self.epochs < 0 or self.encoder_hidden < 1 or self.lr <= 0:
            raise ValidationError("epochs must be >= 0, encoder_hidden >= 1 and lr > 0")


class _Params(nn.Module):
    def __init__(self, K: int, hidden: int, gen: torch.Generator):
        super().__init__()
        dt = torch.float64
        self.edge_logits = nn.Parameter(-1.0 + 0.01 * torch.randn(K, K, generator=gen, dtype=dt))
        self.difficulty = nn.Parameter(torch.zeros(K, dtype=dt))
        self.base = nn.Parameter(torch.full((K,), -1.0, dtype=dt))
        self.log_sigma = nn.Parameter(torch.tensor(math.log(0.3), dtype=dt))
        self.ceiling = nn.Parameter(torch.tensor(1.0, dtype=dt))
        self.retention_logit = nn.Parameter(torch.tensor(0.0, dtype=dt))
        init = torch.tensor([math.log(0.2), 0.0, math.log(0.3 / 0.7)], dtype=dt)
        self.prior_mean = nn.Parameter(init.clone())
        self.prior_logvar = nn.Parameter(torch.zeros(3, dtype=dt))
        self.encoder = nn.GRU(2 * K + 1, hidden, batch_first=True, dtype=dt)
        self.head = nn.Linear(hidden, 6, dtype=dt)
        with torch.no_grad():
            self.head.weight.copy_(0.02 * torch.randn(self.head.weight.shape, generator=gen, dtype=dt))
            self.head.bias.copy_(torch.cat([init, torch.full((3,), -2.0, dtype=dt)]))
        for name, p in self.encoder.named_parameters():  # seeded init of the GRU
            with torch.no_grad():
                p.copy_(0.2 * torch.randn(p.shape, generator=gen, dtype=dt) if "weight" in name else torch.zeros_like(p))


class _GraphExp:
    r"""Batched :math:`\exp(x\,G)` for one matrix :math:`G` (with :math:`\|G\|_\infty \le 1`) and many scalars
    :math:`x \ge 0`: exact exponentials on a grid :math:`x_g = g h` (one batched ``matrix_exp``), and between
    grid points :math:`\exp(x G) = \exp(x_g G)\,\exp(rG)` with :math:`\exp(rG)` by its Taylor series to
    order 4 (:math:`r < h = 1/8`: truncation error below :math:`h^5 e^h / 120 < 3\cdot 10^{-7}`).
    Gradients flow to :math:`G` and :math:`x`. A filter pass costs about half the CPU time of one ``matrix_exp`` per
    learner and step (benchmarks/bench_learners.py)."""

    h = 0.125

    def __init__(self, G: torch.Tensor, x_max: torch.Tensor):
        n = int(float(x_max.detach().max()) / self.h) + 2
        grid = torch.arange(n, dtype=G.dtype) * self.h
        self.E = torch.linalg.matrix_exp(grid[:, None, None] * G)
        eye = torch.eye(G.shape[0], dtype=G.dtype)
        self.powers = [eye, G]
        for k in (2, 3, 4):
            self.powers.append(self.powers[-1] @ G / k)  # G^k / k!

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        g = torch.clamp((x.detach() / self.h).floor().long(), 0, self.E.shape[0] - 1)
        r = (x - g.to(x.dtype) * self.h)[:, None, None]
        taylor = self.powers[0] + r * (self.powers[1] + r * (self.powers[2] + r * (self.powers[3] + r * self.powers[4])))
        return self.E[g] @ taylor


@register("psikt")
class PSIKT(KnowledgeTracer):
    """PSI-KT-style hierarchical state-space knowledge tracing (see the module docstring)."""

    Config = PSIKTConfig

    @classmethod
    def conformance_config(cls):
        return {"epochs": 2, "encoder_hidden": 4}

    def _build(self, K: int) -> None:
        gen = torch.Generator().manual_seed(int(self.config.seed))
        self.params = _Params(K, int(self.config.encoder_hidden), gen)

    # --- pieces -------------------------------------------------------------------------------
    def _graph(self) -> tuple[torch.Tensor, torch.Tensor]:
        K = self.params.edge_logits.shape[0]
        S = torch.sigmoid(self.params.edge_logits) * (1 - torch.eye(K, dtype=torch.float64))
        return S, S / torch.clamp(S.sum(0, keepdim=True), min=1.0)

    def _encode(self, pad: dict, observed: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        K = self.n_concepts_
        N, T = pad["concept"].shape
        obs = torch.as_tensor(observed, dtype=torch.float64)
        y = torch.as_tensor(pad["correct"], dtype=torch.float64) * obs
        x = torch.zeros(N, T, 2 * K + 1, dtype=torch.float64)
        c = torch.as_tensor(pad["concept"]).unsqueeze(-1)
        x.scatter_(2, c, y.unsqueeze(-1))
        x.scatter_(2, c + K, (obs - y).unsqueeze(-1))
        x[..., -1] = torch.as_tensor(np.log1p(_gaps(pad["time"], pad["mask"])), dtype=torch.float64) * obs
        h, _ = self.params.encoder(x)
        pooled = (h * obs.unsqueeze(-1)).sum(1) / obs.sum(1, keepdim=True).clamp(min=1.0)
        out = self.params.head(pooled)
        return out[:, :3], out[:, 3:].clamp(-10.0, 5.0)

    def _filter(self, pad: dict, observed: np.ndarray, traits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass of the exact-transition / ADF filter. Returns (log p(y_t | y_<t), P(correct)) per slot."""
        pr = self.params
        K = self.n_concepts_
        N, T = pad["concept"].shape
        dt64 = torch.float64
        alpha = torch.exp(traits[:, 0].clamp(-8.0, 4.0))
        gamma = torch.sigmoid(traits[:, 1])
        lam = torch.sigmoid(traits[:, 2])
        eta = torch.sigmoid(pr.retention_logit)
        B = pr.ceiling
        _, A = self._graph()
        eye = torch.eye(K, dtype=dt64)
        M = eye - gamma[:, None, None] * A.T
        Minv = torch.linalg.inv(M)
        F = -alpha[:, None, None] * M
        sig2 = torch.exp(2 * pr.log_sigma)
        lyap = (torch.einsum("nik,jl->nijkl", F, eye) + torch.einsum("ik,njl->nijkl", eye, F)).reshape(N, K * K, K * K)
        Pinf = torch.linalg.solve(lyap, (-sig2 * eye).reshape(1, K * K, 1).expand(N, -1, -1)).reshape(N, K, K)
        Pinf = 0.5 * (Pinf + Pinf.transpose(1, 2))
        b = pr.base.expand(N, K)
        mu = (Minv @ b.unsqueeze(-1)).squeeze(-1)  # the fixed point, kept in step with b
        m = mu
        P = Pinf
        gaps = torch.as_tensor(_gaps(pad["time"], pad["mask"]), dtype=dt64)
        concepts = torch.as_tensor(pad["concept"])
        onehot = nn.functional.one_hot(concepts, K).to(dt64)
        ys = torch.as_tensor(pad["correct"], dtype=dt64)
        obs_t = torch.as_tensor(observed)
        live_t = torch.as_tensor(pad["mask"], dtype=dt64)
        rows = torch.arange(N)
        expm = _GraphExp(A.T, alpha * gamma * gaps.max(1).values)
        logps, ps = [], []
        for t in range(T):
            c = concepts[:, t]
            if t:
                Phi = torch.exp(-alpha * gaps[:, t])[:, None, None] * expm(alpha * gamma * gaps[:, t])
                m = mu + (Phi @ (m - mu).unsqueeze(-1)).squeeze(-1)
                P = Pinf + Phi @ (P - Pinf) @ Phi.transpose(1, 2)
            e = onehot[:, t]
            Pc = P[rows, :, c]
            v = Pc[rows, c].clamp(min=0.0)
            sq = torch.sqrt(1 + v)
            kappa = (m[rows, c] - pr.difficulty[c]) / sq
            s = 2 * ys[:, t] - 1
            logp = torch.special.log_ndtr(s * kappa)
            logps.append(logp)
            ps.append(torch.special.ndtr(kappa))
            # assumed-density filtering: moment matching of N(m, P) times the probit likelihood
            o = obs_t[:, t]
            r = torch.exp(-0.5 * kappa**2 - _LOG_SQRT_2PI - logp)
            g1 = torch.where(o, s * r / sq, 0.0)
            g2 = torch.where(o, r * (r + s * kappa) / (1 + v), 0.0)
            m = m + Pc * g1[:, None]
            P = P - g2[:, None, None] * Pc[:, :, None] * Pc[:, None, :]
            # practice: close a fraction lambda of the gap to the ceiling (an affine map of the Gaussian)
            lam_t = lam * live_t[:, t]
            m = m + e * (lam_t * (B - m[rows, c]))[:, None]
            scale = 1 - lam_t[:, None] * e
            P = P * scale[:, :, None] * scale[:, None, :]
            db = eta * lam_t * (B - b[rows, c])
            b = b + e * db[:, None]
            mu = mu + Minv[rows, :, c] * db[:, None]
        return torch.stack(logps, 1), torch.stack(ps, 1)

    def _kl(self, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        pm, plv = self.params.prior_mean, self.params.prior_logvar
        return 0.5 * (((logvar.exp() + (mean - pm) ** 2) / plv.exp()) - 1 + plv - logvar).sum()

    # --- protocol -----------------------------------------------------------------------------
    def _fit(self, log: InteractionLog) -> None:
        torch.set_num_threads(1)
        self._build(log.n_concepts)
        pad = log.padded()
        observed = pad["mask"]
        n_obs = float(observed.sum())
        gen = torch.Generator().manual_seed(int(self.config.seed) + 1)
        opt = torch.optim.Adam(self.params.parameters(), lr=self.config.lr)
        self.history_ = []
        for _ in range(int(self.config.epochs)):
            opt.zero_grad()
            mean, logvar = self._encode(pad, observed)
            eps = torch.randn(mean.shape, generator=gen, dtype=torch.float64)
            traits = mean + torch.exp(0.5 * logvar) * eps
            logp, _ = self._filter(pad, observed, traits)
            nll = -(logp * torch.as_tensor(observed, dtype=torch.float64)).sum()
            S, _ = self._graph()
            loss = (nll + self.config.kl_weight * self._kl(mean, logvar)) / n_obs + self.config.graph_l1 * S.mean()
            loss.backward()
            nn.utils.clip_grad_norm_(self.params.parameters(), 10.0)
            opt.step()
            self.history_.append(loss.item())

    def _loss(self, log: InteractionLog) -> float:
        pad = log.padded()
        with torch.no_grad():
            mean, _ = self._encode(pad, pad["mask"])
            logp, _ = self._filter(pad, pad["mask"], mean)
        return float(-(logp.numpy() * pad["mask"]).sum() / max(pad["mask"].sum(), 1))

    def _predict(self, history: InteractionLog, queries: InteractionLog) -> np.ndarray:
        both = _concat(history, queries)
        pad = both["pad"]
        observed = pad["mask"] & ~pad["is_query"]
        with torch.no_grad():
            mean, _ = self._encode(pad, observed)
            _, p = self._filter(pad, observed, mean)
        return _take_queries(both, p.numpy())

    def edge_scores(self) -> np.ndarray:
        """(K, K) learned prerequisite scores S[i, j] in [0, 1] (i a prerequisite of j), zero diagonal."""
        self._require_fitted()
        with torch.no_grad():
            return self._graph()[0].numpy().copy()

    def infer_traits(self, log: InteractionLog) -> dict[str, np.ndarray]:
        """Posterior-mean traits of every learner from the encoder: ``forgetting`` alpha, ``transfer`` gamma,
        ``learning`` lambda, each (n_learners,)."""
        self._require_fitted()
        self._check_log(log, "log")
        pad = log.padded()
        with torch.no_grad():
            mean, _ = self._encode(pad, pad["mask"])
        mean = mean.numpy()
        return {"forgetting": np.exp(mean[:, 0]), "transfer": 1 / (1 + np.exp(-mean[:, 1])),
                "learning": 1 / (1 + np.exp(-mean[:, 2]))}

    def _state(self):
        return {k: v.detach().cpu().numpy() for k, v in self.params.state_dict().items()}

    def _set_state(self, state):
        self._build(int(self.n_concepts_))
        self.params.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in state.items()})
