r"""Deep Knowledge Tracing (Piech et al., NeurIPS 2015): a recurrent network over a learner's interactions.

The input at step :math:`t` encodes the previous interaction :math:`(c_{t-1}, y_{t-1})` as a one-hot of
size :math:`2K` (:math:`x = e_{c} \otimes (y, 1 - y)`; zeros at :math:`t = 0`), optionally with
:math:`\log(1 + \Delta_t)`, the gap to the current step (``use_time``; not in the original DKT). A GRU
(or LSTM) state :math:`h_t` gives :math:`K` logits and :math:`P(y_t = 1) = \sigma(W h_t + b)_{c_t}`.
Training minimises the binary cross-entropy of every answer (full-batch Adam, ``epochs`` passes).

Multi-step forecast: beyond the history the answers are unknown, so the input of the next step carries
the predicted probability in place of the answer, :math:`x = e_c \otimes (\hat p, 1 - \hat p)`
(the expected one-hot).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.graphs.learners.base import KnowledgeTracer, register
from dynlearn.graphs.learners.log import InteractionLog


@dataclasses.dataclass
class DKTConfig:
    hidden: int = 64
    cell: str = "gru"  #: "gru" or "lstm"
    epochs: int = 200
    lr: float = 1e-2
    weight_decay: float = 1e-5
    dropout: float = 0.1  #: on the recurrent outputs, during training
    use_time: bool = False  #: add log(1 + gap) to the input
    seed: int = 0

    def validate(self):
        if self.cell not in ("gru", "lstm"):
            raise ValidationError(f"cell={self.cell!r} is unknown; use 'gru' or 'lstm'")
        if self.hidden < 1 or self.epochs < 0:
            raise ValidationError("hidden must be >= 1 and epochs >= 0")


class _Net(nn.Module):
    def __init__(self, n_concepts: int, cfg: DKTConfig):
        super().__init__()
        d_in = 2 * n_concepts + (1 if cfg.use_time else 0)
        rnn = nn.GRU if cfg.cell == "gru" else nn.LSTM
        self.rnn = rnn(d_in, cfg.hidden, batch_first=True)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.hidden, n_concepts)


def _inputs(concept: np.ndarray, soft: torch.Tensor, gap: np.ndarray, K: int, use_time: bool) -> torch.Tensor:
    """(N, T, 2K[+1]) inputs: step t carries interaction t-1 with answer ``soft`` (0/1 or a probability)."""
    N, T = concept.shape
    x = torch.zeros(N, T, 2 * K + (1 if use_time else 0), dtype=torch.float32)
    if T > 1:
        c = torch.as_tensor(concept[:, :-1])
        s = soft[:, :-1]
        x[:, 1:].scatter_(2, c.unsqueeze(-1), s.unsqueeze(-1))
        x[:, 1:].scatter_(2, (c + K).unsqueeze(-1), (1 - s).unsqueeze(-1))
    if use_time:
        x[..., -1] = torch.as_tensor(np.log1p(gap), dtype=torch.float32)
    return x


def _gaps(time: np.ndarray, mask: np.ndarray) -> np.ndarray:
    g = np.zeros_like(time)
    g[:, 1:] = np.where(mask[:, 1:], time[:, 1:] - time[:, :-1], 0.0)
    return g


@register("dkt")
class DKT(KnowledgeTracer):
    """Deep Knowledge Tracing with a GRU or LSTM; fitted weights in ``net_``."""

    Config = DKTConfig

    @classmethod
    def conformance_config(cls):
        return {"hidden": 8, "epochs": 2}

    def _build(self, K: int) -> None:
        torch.manual_seed(int(self.config.seed))
        self.net_ = _Net(K, self.config)

    def _logits(self, x: torch.Tensor, train: bool) -> torch.Tensor:
        self.net_.train(train)
        h, _ = self.net_.rnn(x)
        return self.net_.out(self.net_.drop(h))

    def _batch(self, log: InteractionLog):
        pad = log.padded()
        y = torch.as_tensor(pad["correct"], dtype=torch.float32)
        x = _inputs(pad["concept"], y, _gaps(pad["time"], pad["mask"]), log.n_concepts, self.config.use_time)
        return pad, x, y

    def _nll(self, log: InteractionLog, train: bool) -> torch.Tensor:
        pad, x, y = self._batch(log)
        logit = self._logits(x, train).gather(2, torch.as_tensor(pad["concept"]).unsqueeze(-1)).squeeze(-1)
        m = torch.as_tensor(pad["mask"], dtype=torch.float32)
        bce = nn.functional.binary_cross_entropy_with_logits(logit, y, reduction="none")
        return (bce * m).sum() / m.sum()

    def _fit(self, log: InteractionLog) -> None:
        torch.set_num_threads(1)
        self._build(log.n_concepts)
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay)
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(int(self.config.seed) + 1)  # dropout masks: same seed, same model
        try:
            for _ in range(int(self.config.epochs)):
                opt.zero_grad()
                loss = self._nll(log, train=True)
                loss.backward()
                nn.utils.clip_grad_norm_(self.net_.parameters(), 5.0)
                opt.step()
        finally:
            torch.random.set_rng_state(gen_state)

    def _loss(self, log: InteractionLog) -> float:
        with torch.no_grad():
            return float(self._nll(log, train=False))

    def _predict(self, history: InteractionLog, queries: InteractionLog) -> np.ndarray:
        K, use_time = history.n_concepts, self.config.use_time
        both = _concat(history, queries)
        pad = both["pad"]
        N, T = pad["concept"].shape
        observed = pad["mask"] & ~pad["is_query"]
        y = torch.as_tensor(np.where(observed, pad["correct"], 0), dtype=torch.float32)
        gap = _gaps(pad["time"], pad["mask"])
        out = np.zeros((N, T))
        with torch.no_grad():
            self.net_.eval()
            state = None
            soft = y.clone()
            for t in range(T):
                x = _inputs(pad["concept"][:, max(t - 1, 0):t + 1], soft[:, max(t - 1, 0):t + 1],
                            gap[:, max(t - 1, 0):t + 1], K, use_time)[:, -1:]
                h, state = self.net_.rnn(x, state)
                p = torch.sigmoid(self.net_.out(h[:, 0]))
                p_t = p.gather(1, torch.as_tensor(pad["concept"][:, t:t + 1])).squeeze(1)
                out[:, t] = p_t.numpy()
                soft[:, t] = torch.where(torch.as_tensor(observed[:, t]), y[:, t], p_t)
        return _take_queries(both, out)

    def _state(self):
        return {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}

    def _set_state(self, state):
        self._build(int(self.n_concepts_))
        sd = {k[4:]: torch.as_tensor(np.asarray(v)) for k, v in state.items() if k.startswith("net.")}
        self.net_.load_state_dict(sd)


def _concat(history: InteractionLog, queries: InteractionLog) -> dict:
    """History then queries of each learner as one padded sequence, with ``is_query`` marking the queries."""
    n = len(history)
    both = InteractionLog(np.r_[history.learner, queries.learner], np.r_[history.concept, queries.concept],
                          np.r_[history.time, queries.time], np.r_[history.correct, queries.correct],
                          history.n_learners, history.n_concepts)
    # stable sort by learner keeps history rows before the query rows of the same learner
    pad = both.padded()
    pad["is_query"] = pad["mask"] & (pad["index"] >= n)
    return {"pad": pad, "n_history": n, "n_queries": len(queries)}


def _take_queries(both: dict, per_slot: np.ndarray) -> np.ndarray:
    pad = both["pad"]
    out = np.empty(both["n_queries"])
    sel = pad["is_query"]
    out[pad["index"][sel] - both["n_history"]] = per_slot[sel]
    return out
