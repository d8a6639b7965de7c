"""PROSE: one multimodal transformer that predicts operators and symbolic expressions
(Liu, Sun & Schaeffer 2023, "PROSE: Predicting Operators and Symbolic Expressions using Multimodal
Transformers", arXiv:2309.16816), CPU-sized.

Given samples ``{(t_j, u(t_j))}_{j<n}`` of a trajectory on ``[0, T/2]`` and a (possibly corrupted)
equation ``f̃`` of its ODE ``u' = f(u)`` as tokens, PROSE learns both the *operator*
``(u|[0,T/2], f̃) ↦ u(t_q)`` for query times ``t_q`` and the *symbolic map* ``(u|[0,T/2], f̃) ↦ f``:

* data encoder: each sample ``(t_j, û(t_j))`` (states standardised per trajectory by the observed
  window's mean and standard deviation, zero-padded to ``max_dim`` with a mask of the present
  dimensions) → linear embedding → transformer encoder;
* symbol encoder: token embedding + learned positions → transformer encoder over ``f̃``'s tokens
  (prefix notation, numbers as sign–mantissa–exponent: :mod:`dynlearn.symbolic.tokens`);
* fusion: both feature sequences, each with a modality embedding, concatenated and passed through a
  joint transformer encoder (self-attention across modalities);
* operator decoder: embeddings of the query times cross-attend to the fused features; a linear
  head gives ``û(t_q) − û(t_last)`` in standardised units (the change from the last observed
  state, so a prediction starts where the data ends), mapped back to physical units;
* symbolic decoder: a causal transformer decoder over output tokens, cross-attending to the fused
  features, trained by teacher forcing and decoded greedily (or by a small beam).

Training minimises ``Huber(û(t_q), u(t_q)) + λ · CE(tokens)`` (states in standardised units). With ``multimodal=False`` the symbol
encoder is absent and fusion sees the data only (the paper's data-only comparison).

Why this is not registered in :mod:`dynlearn.models`: the shared protocol is ``fit(trajectories)`` then
``predict(context, horizon)``, one dynamical system learned from its own trajectories. PROSE is a
multi-task model: it is trained once over *families* of ODEs with their equations, and at inference
needs an input equation besides the context and returns equations besides states. Forcing it into
the protocol would drop the symbolic modality (its whole point) and train a transformer over a
single trajectory, which the conformance suite would test but no one would use. So it has its own
small API (:meth:`Prose.train_step`, :meth:`Prose.predict`, :meth:`Prose.generate`,
:meth:`Prose.save` / :meth:`Prose.load`); the training loop over sampled ODE families is in
:mod:`dynlearn.repro.prose`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.symbolic.tokens import Vocabulary


@dataclasses.dataclass
class ProseConfig:
    """Hyper-parameters (defaults are CPU-sized; the paper uses d_model 512 and more layers)."""

    max_dim: int = 3
    d_model: int = 64
    n_heads: int = 4
    data_layers: int = 1
    symbol_layers: int = 1
    fusion_layers: int = 1
    operator_layers: int = 1
    symbolic_layers: int = 1
    ff: int = 128
    dropout: float = 0.0
    max_tokens: int = 96
    precision: int = 3
    multimodal: bool = True
    symbol_weight: float = 1.0
    lr: float = 1e-3
    seed: int = 0


def _torch():
    import torch

    return torch


def _build(cfg: ProseConfig, vocab_size: int):
    torch = _torch()
    nn = torch.nn

    def enc(layers):
        layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.n_heads, cfg.ff, cfg.dropout, batch_first=True)
        return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def dec(layers):
        layer = nn.TransformerDecoderLayer(cfg.d_model, cfg.n_heads, cfg.ff, cfg.dropout, batch_first=True)
        return nn.TransformerDecoder(layer, layers)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            d = cfg.d_model
            self.data_in = nn.Linear(1 + 2 * cfg.max_dim, d)
            self.data_enc = enc(cfg.data_layers)
            if cfg.multimodal:
                self.sym_embed = nn.Embedding(vocab_size, d, padding_idx=0)
                self.sym_pos = nn.Embedding(cfg.max_tokens, d)
                self.sym_enc = enc(cfg.symbol_layers)
            self.modality = nn.Embedding(2, d)
            self.fusion = enc(cfg.fusion_layers)
            self.query_in = nn.Sequential(nn.Linear(1, d), nn.GELU(), nn.Linear(d, d))
            self.op_dec = dec(cfg.operator_layers)
            self.op_out = nn.Linear(d, cfg.max_dim)
            self.out_embed = nn.Embedding(vocab_size, d, padding_idx=0)
            self.out_pos = nn.Embedding(cfg.max_tokens, d)
            self.sym_dec = dec(cfg.symbolic_layers)
            self.sym_out = nn.Linear(d, vocab_size)

        def fuse(self, data, sym):
            h = self.data_enc(self.data_in(data)) + self.modality.weight[0]
            if not cfg.multimodal:
                return self.fusion(h), None
            pos = torch.arange(sym.shape[1], device=sym.device)
            pad = sym == 0
            s = self.sym_enc(self.sym_embed(sym) + self.sym_pos(pos), src_key_padding_mask=pad)
            s = s + self.modality.weight[1]
            mask = torch.cat([torch.zeros(h.shape[:2], dtype=torch.bool), pad], 1)
            return self.fusion(torch.cat([h, s], 1), src_key_padding_mask=mask), mask

        def operator(self, mem, mask, tq):
            q = self.query_in(tq[..., None])
            return self.op_out(self.op_dec(q, mem, memory_key_padding_mask=mask))

        def symbols(self, mem, mask, tokens):
            L = tokens.shape[1]
            pos = torch.arange(L, device=tokens.device)
            causal = torch.triu(torch.ones(L, L, dtype=torch.bool), 1)
            h = self.sym_dec(
                self.out_embed(tokens) + self.out_pos(pos),
                mem,
                tgt_mask=causal,
                tgt_key_padding_mask=tokens == 0,
                memory_key_padding_mask=mask,
            )
            return self.sym_out(h)

    return Net()


class Prose:
    """The PROSE network with its data preparation, losses, decoding and persistence.

    Arrays: observed states ``(batch, n_obs, dim)`` at times ``t_obs`` ``(n_obs,)``; query times
    ``t_query`` ``(n_query,)``; time is rescaled by ``t_scale`` (the length of the full window) so
    the network sees times in ``[0, 1]``."""

    def __init__(self, config: ProseConfig | None = None, **overrides):
        self.config = dataclasses.replace(config or ProseConfig(), **overrides)
        self.vocab = Vocabulary(self.config.max_dim, self.config.precision)
        torch = _torch()
        with torch.random.fork_rng(devices=[]):  # seeded weights without touching the caller's global RNG
            torch.manual_seed(self.config.seed)
            self.net = _build(self.config, len(self.vocab))
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=self.config.lr, weight_decay=1e-4)

    # --- inputs -------------------------------------------------------------------------------
    def _data(self, states, t_obs, t_scale):
        torch = _torch()
        X = np.asarray(states, dtype=np.float64)
        if X.ndim != 3 or X.shape[2] > self.config.max_dim:
            raise ValidationError(f"states must be (batch, time, dim ≤ {self.config.max_dim}), got {X.shape}")
        B, n, d = X.shape
        mu = X.mean(1, keepdims=True)
        sd = X.std(1, keepdims=True)
        # a component nearly constant on the window (a slow variable) would blow up its future when divided by
        # its own std: floor each component's scale at a fifth of the largest one's
        sd = np.maximum(sd, 0.2 * sd.max(2, keepdims=True)) + 1e-6 * (np.abs(mu) + 1.0)
        Z = np.zeros((B, n, 1 + 2 * self.config.max_dim), dtype=np.float32)
        Z[:, :, 0] = np.asarray(t_obs) / t_scale
        Z[:, :, 1 : 1 + d] = (X - mu) / sd
        Z[:, :, 1 + self.config.max_dim : 1 + self.config.max_dim + d] = 1.0
        return torch.from_numpy(Z), mu, sd, torch.from_numpy(((X[:, -1] - mu[:, 0]) / sd[:, 0]).astype(np.float32))

    def encode_tokens(self, token_lists, bos: bool = False) -> np.ndarray:
        """Token lists → padded id array ``(batch, L)`` (``<bos> … <eos>`` around them when ``bos``)."""
        ids = [
            ([self.vocab.bos] if bos else []) + self.vocab.encode(t) + ([self.vocab.eos] if bos else [])
            for t in token_lists
        ]
        L = max(len(i) for i in ids)
        if L > self.config.max_tokens:
            raise ValidationError(f"an equation has {L} tokens, more than max_tokens={self.config.max_tokens}")
        out = np.zeros((len(ids), L), dtype=np.int64)
        for k, i in enumerate(ids):
            out[k, : len(i)] = i
        return out

    def _fuse(self, states, t_obs, t_scale, symbol_tokens):
        torch = _torch()
        data, mu, sd, last = self._data(states, t_obs, t_scale)
        sym = None
        if self.config.multimodal:
            if symbol_tokens is None:
                raise ValidationError("a multimodal PROSE needs the input equations (symbol_tokens)")
            sym = torch.from_numpy(self.encode_tokens(symbol_tokens))
        mem, mask = self.net.fuse(data, sym)
        return mem, mask, mu, sd, last

    # --- training -----------------------------------------------------------------------------
    def train_step(self, states, t_obs, t_scale, symbol_tokens, t_query, target, target_tokens) -> tuple[float, float]:
        """One AdamW step on a batch; returns (operator MSE in standardised units, token cross-entropy)."""
        torch = _torch()
        self.net.train()
        mem, mask, mu, sd, last = self._fuse(states, t_obs, t_scale, symbol_tokens)
        d = target.shape[2]
        B = target.shape[0]
        tq = torch.from_numpy(np.broadcast_to(np.asarray(t_query, np.float32) / t_scale, (B, len(t_query))).copy())
        pred = self.net.operator(mem, mask, tq)[:, :, :d] + last[:, None, :]
        y = torch.from_numpy(((target - mu) / sd).astype(np.float32))
        mse = torch.mean((pred - y) ** 2)
        # Huber for the gradient: a chaotic sample far off in standardised units would otherwise dominate the batch
        huber = torch.nn.functional.smooth_l1_loss(pred, y)
        ids = torch.from_numpy(self.encode_tokens(target_tokens, bos=True))
        logits = self.net.symbols(mem, mask, ids[:, :-1])
        ce = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), ignore_index=0
        )
        loss = huber + self.config.symbol_weight * ce
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        self.opt.step()
        return float(mse.detach()), float(ce.detach())

    def set_lr(self, lr: float) -> None:
        for g in self.opt.param_groups:
            g["lr"] = lr

    # --- inference ----------------------------------------------------------------------------
    def predict(self, states, t_obs, t_scale, t_query, symbol_tokens=None) -> np.ndarray:
        """States at ``t_query``: ``(batch, n_query, dim)`` in physical units."""
        torch = _torch()
        self.net.eval()
        with torch.no_grad():
            mem, mask, mu, sd, last = self._fuse(states, t_obs, t_scale, symbol_tokens)
            B, d = len(states), np.shape(states)[2]
            tq = torch.from_numpy(np.broadcast_to(np.asarray(t_query, np.float32) / t_scale, (B, len(t_query))).copy())
            pred = (self.net.operator(mem, mask, tq)[:, :, :d] + last[:, None, :]).numpy().astype(np.float64)
        return pred * sd + mu

    def generate(self, states, t_obs, t_scale, symbol_tokens=None, beam: int = 1) -> list[list[str]]:
        """Output equations as token lists (without ``<bos>``/``<eos>``), greedy or by beam search of width ``beam``."""
        torch = _torch()
        self.net.eval()
        with torch.no_grad():
            mem, mask, _, _, _ = self._fuse(states, t_obs, t_scale, symbol_tokens)
            if beam <= 1:
                return self._greedy(mem, mask)
            return [
                self._beam(mem[i : i + 1], None if mask is None else mask[i : i + 1], beam) for i in range(len(mem))
            ]

    def _greedy(self, mem, mask) -> list[list[str]]:
        torch = _torch()
        B = mem.shape[0]
        seq = torch.full((B, 1), self.vocab.bos, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        for _ in range(self.config.max_tokens - 1):
            nxt = self.net.symbols(mem, mask, seq)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.zeros_like(nxt), nxt)
            seq = torch.cat([seq, nxt[:, None]], 1)
            done |= nxt == self.vocab.eos
            if bool(done.all()):
                break
        return [self._strip(s) for s in seq.tolist()]

    def _beam(self, mem, mask, width: int) -> list[str]:
        torch = _torch()
        beams = [([self.vocab.bos], 0.0)]
        finished = []
        for _ in range(self.config.max_tokens - 1):
            seqs = torch.tensor([b[0] for b in beams])
            logp = torch.log_softmax(self.net.symbols(mem.expand(len(beams), -1, -1),
                                                      None if mask is None else mask.expand(len(beams), -1),
                                                      seqs)[:, -1], -1)  # fmt: skip
            cand = []
            for k, (s, score) in enumerate(beams):
                top = torch.topk(logp[k], width)
                cand += [(s + [int(i)], score + float(v)) for v, i in zip(top.values, top.indices)]
            cand.sort(key=lambda c: -c[1])
            beams = []
            for s, score in cand:
                (finished if s[-1] == self.vocab.eos else beams).append((s, score))
                if len(beams) == width:
                    break
            if not beams or len(finished) >= width:
                break
        pool = finished or beams
        best = max(pool, key=lambda c: c[1] / len(c[0]))
        return self._strip(best[0])

    def _strip(self, ids) -> list[str]:
        out = []
        for i in ids[1:]:
            if i in (self.vocab.eos, self.vocab.pad):
                break
            out.append(self.vocab.words[i])
        return out

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.net.parameters())

    # --- persistence ----------------------------------------------------------------------------
    def save(self, path) -> None:
        """Weights as safetensors-free ``.npz`` of float32 arrays and the config as JSON (no pickle)."""
        from dynlearn.io_utils import atomic_write_bytes, atomic_write_text

        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        import io

        buf = io.BytesIO()
        np.savez(buf, **{k: v.detach().numpy() for k, v in self.net.state_dict().items()})
        atomic_write_bytes(p / "weights.npz", buf.getvalue())
        atomic_write_text(p / "config.json", json.dumps(dataclasses.asdict(self.config), indent=1))

    @classmethod
    def load(cls, path) -> Prose:
        torch = _torch()
        p = Path(path)
        try:
            cfg = ProseConfig(**json.loads((p / "config.json").read_text()))
            with np.load(p / "weights.npz", allow_pickle=False) as z:
                state = {k: torch.from_numpy(z[k]) for k in z.files}
        except (OSError, TypeError, ValueError) as exc:
            raise FileFormatError(f"{p} is not a saved PROSE model ({exc}); save one with Prose.save(dir)") from None
        model = cls(cfg)
        model.net.load_state_dict(state)
        return model


__all__ = ["Prose", "ProseConfig"]
