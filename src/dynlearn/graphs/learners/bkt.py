r"""Bayesian Knowledge Tracing (Corbett & Anderson, 1995), one two-state hidden Markov model per concept.

Each (learner, concept) pair is a chain over the learner's practices of that concept: the concept is
unknown (0) or known (1); it starts known with probability :math:`p_{L_0}`, becomes known after a practice
with probability :math:`p_T` (and is forgotten with :math:`p_F`, 0 unless ``forgetting=True``); an answer
is correct with probability :math:`1 - p_S` when known (slip) and :math:`p_G` when not (guess). The four
parameters per concept are fitted by expectation-maximisation (Baum-Welch, the forward-backward pass
vectorised over learners), with guess and slip capped at ``max_guess_slip`` to keep "known" meaning known.

Multi-step forecast: after filtering the history, each later practice of a concept moves the belief
through the transition only, :math:`P(L) \leftarrow P(L)(1 - p_F) + (1 - P(L))\,p_T`, and predicts
:math:`P(\text{correct}) = P(L)(1 - p_S) + (1 - P(L))\,p_G`. Time gaps play no part in BKT.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dynlearn.graphs.learners.base import KnowledgeTracer, register
from dynlearn.graphs.learners.log import InteractionLog

_PARAMS = ("p_init", "p_learn", "p_guess", "p_slip", "p_forget")


@dataclasses.dataclass
class BKTConfig:
    em_iters: int = 50  #: EM iterations (0: keep the initial guesses)
    tol: float = 1e-6  #: stop when the log-likelihood improves by less (per answer)
    forgetting: bool = False  #: learn p_forget too
    max_guess_slip: float = 0.45
    seed: int = 0  #: unused (EM is deterministic); kept for the common interface


@register("bkt")
class BKT(KnowledgeTracer):
    """Per-concept Bayesian Knowledge Tracing fitted by EM. Learned: ``params_`` (5, K) rows p_init,
    p_learn, p_guess, p_slip, p_forget."""

    Config = BKTConfig

    @classmethod
    def conformance_config(cls):
        return {"em_iters": 3}

    def _fit(self, log: InteractionLog) -> None:
        K = log.n_concepts
        self.params_ = np.tile(np.array([[0.3], [0.2], [0.2], [0.1], [0.0]]), (1, K))
        for c in range(K):
            seqs = log.select(log.concept == c).padded()
            if seqs["mask"].any():
                self.params_[:, c] = self._em(seqs["correct"], seqs["mask"], self.params_[:, c])

    def _em(self, Y: np.ndarray, M: np.ndarray, theta: np.ndarray) -> np.ndarray:
        cfg = self.config
        keep = M.any(axis=1)
        Y, M = Y[keep].astype(np.float64), M[keep]
        prev = -np.inf
        for _ in range(int(cfg.em_iters)):
            ll, post, xi_01, xi_10, from0, from1 = _forward_backward(Y, M, theta)
            if ll - prev < cfg.tol * M.sum():
                break
            prev = ll
            g0, g1 = post[..., 0] * M, post[..., 1] * M
            init = float(post[:, 0, 1].mean())
            learn = xi_01 / max(from0, 1e-12)
            forget = xi_10 / max(from1, 1e-12) if cfg.forgetting else 0.0
            guess = float((g0 * Y).sum() / max(g0.sum(), 1e-12))
            slip = float((g1 * (1 - Y)).sum() / max(g1.sum(), 1e-12))
            cap = cfg.max_guess_slip
            theta = np.array([init, learn, min(guess, cap), min(slip, cap), forget])
            theta = np.clip(theta, [1e-4, 1e-4, 1e-4, 1e-4, 0.0], [1 - 1e-4, 1 - 1e-4, cap, cap, 1 - 1e-4])
        return theta

    def _beliefs(self, history: InteractionLog) -> tuple[np.ndarray, np.ndarray]:
        """P(known) of every (learner, concept) after the history (transition of the last practice applied),
        and the one-step predictive probability of each history answer."""
        p0, pt, pg, ps, pf = self.params_
        belief = np.tile(p0, (history.n_learners, 1))
        pred = np.empty(len(history))
        for r in range(len(history)):
            lr, c, y = history.learner[r], history.concept[r], history.correct[r]
            b = belief[lr, c]
            pc = b * (1 - ps[c]) + (1 - b) * pg[c]
            pred[r] = pc
            post = b * (1 - ps[c]) / pc if y else b * ps[c] / (1 - pc)
            belief[lr, c] = post * (1 - pf[c]) + (1 - post) * pt[c]
        return belief, pred

    def _predict(self, history: InteractionLog, queries: InteractionLog) -> np.ndarray:
        p0, pt, pg, ps, pf = self.params_
        belief, _ = self._beliefs(history)
        out = np.empty(len(queries))
        for r in range(len(queries)):
            lr, c = queries.learner[r], queries.concept[r]
            b = belief[lr, c]
            out[r] = b * (1 - ps[c]) + (1 - b) * pg[c]
            belief[lr, c] = b * (1 - pf[c]) + (1 - b) * pt[c]
        return out

    def _loss(self, log: InteractionLog) -> float:
        _, pred = self._beliefs(log)
        p = np.clip(pred, 1e-9, 1 - 1e-9)
        y = log.correct
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def _state(self):
        return {"params": self.params_}

    def _set_state(self, state):
        self.params_ = np.asarray(state["params"], dtype=np.float64)


def _forward_backward(Y: np.ndarray, M: np.ndarray, theta: np.ndarray):
    """Scaled forward-backward of the two-state chain over padded sequences ``Y`` (N, T) with mask ``M``.

    Returns the log-likelihood, the state posteriors (N, T, 2), the expected 0->1 and 1->0 transitions and
    the expected number of transitions out of state 0 and 1 (practices followed by another one)."""
    p0, pt, pg, ps, pf = theta
    A = np.array([[1 - pt, pt], [pf, 1 - pf]])
    N, T = Y.shape
    emit = np.stack([np.where(Y == 1, pg, 1 - pg), np.where(Y == 1, 1 - ps, ps)], axis=-1)  # (N, T, 2)
    emit = np.where(M[..., None], emit, 1.0)
    alpha = np.zeros((N, T, 2))
    scale = np.ones((N, T))
    a = np.array([1 - p0, p0]) * emit[:, 0]
    scale[:, 0] = a.sum(-1)
    alpha[:, 0] = a / scale[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * emit[:, t]
        a = np.where(M[:, t, None], a, alpha[:, t - 1])  # padding carries the last belief unchanged
        scale[:, t] = np.where(M[:, t], a.sum(-1), 1.0)
        alpha[:, t] = a / scale[:, t, None]
    beta = np.ones((N, T, 2))
    xi01 = xi10 = 0.0
    from0 = from1 = 0.0
    for t in range(T - 2, -1, -1):
        live = M[:, t + 1]
        nb = (A @ (emit[:, t + 1] * beta[:, t + 1]).T).T / scale[:, t + 1, None]
        beta[:, t] = np.where(live[:, None], nb, beta[:, t + 1])
        joint = alpha[:, t, :, None] * A[None] * (emit[:, t + 1] * beta[:, t + 1])[:, None, :]
        joint = joint / scale[:, t + 1, None, None]
        joint = joint[live]
        xi01 += joint[:, 0, 1].sum()
        xi10 += joint[:, 1, 0].sum()
        from0 += joint[:, 0, :].sum()
        from1 += joint[:, 1, :].sum()
    post = alpha * beta
    post /= post.sum(-1, keepdims=True)
    ll = float(np.log(np.where(M, scale, 1.0)).sum())
    return ll, post, xi01, xi10, from0, from1
