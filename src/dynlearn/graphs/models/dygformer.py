"""A DyGFormer-style link predictor (Yu et al. 2023, "Towards Better Dynamic Graph Learning: New
Architecture and Unified Library").

For a candidate link ``(s, d, t)`` each endpoint gets a sequence: the node itself followed by its
``k`` most recent neighbours before ``t``. Every token ``x`` of either sequence carries

- the time encoding ``T2V(t - t_x)`` of its interaction's age, and
- the neighbour co-occurrence encoding ``f(c_s(x)) + f(c_d(x))``, where ``c_s(x)`` and ``c_d(x)``
  count how often the id ``x`` occurs in the source's and in the destination's sequence and ``f``
  is a small MLP (this is how DyGFormer sees that ``s`` and ``d`` met before);

the two sequences are concatenated and passed through a Transformer encoder layer; mean pooling
each half gives ``h_s, h_d`` and the score is ``MLP([h_s, h_d])``. Patching is left out (patch
size 1: our sequences are short). Node identities enter only through co-occurrence counts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import nn

from dynlearn.graphs.models import register
from dynlearn.graphs.models._neural import NeuralLinkConfig, NeuralLinkPredictor, Time2Vec, dt_tensor, mlp
from dynlearn.graphs.stream import RecentNeighborSampler


@dataclasses.dataclass
class DyGFormerConfig(NeuralLinkConfig):
    k: int = 10
    heads: int = 2


class _Net(nn.Module):
    def __init__(self, dim: int, time_dim: int, heads: int):
        super().__init__()
        self.t2v = Time2Vec(time_dim)
        self.cooc = mlp(1, dim, dim)
        self.inp = nn.Linear(time_dim + dim, dim)
        self.layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True)
        self.head = mlp(2 * dim, dim, 1)


@register("dygformer")
class DyGFormer(NeuralLinkPredictor):
    name = "dygformer"
    Config = DyGFormerConfig

    @classmethod
    def conformance_config(cls):
        return {**super().conformance_config(), "k": 4}

    def _make_net(self) -> nn.Module:
        c = self.config
        return _Net(c.dim, c.time_dim, c.heads)

    def _begin(self, stream) -> None:
        self._sampler = RecentNeighborSampler(stream, self.config.k)

    def _observe(self, src, dst, t) -> None:
        pass  # the sampler reads the history directly, exactly up to each query's time

    def _seq(self, nodes, t):
        nbr, nt, _, mask = self._sampler.sample(nodes, t)
        ids = np.concatenate([nodes[:, None], nbr], 1)
        times = np.concatenate([t[:, None], nt], 1)
        mask = np.concatenate([np.ones((len(nodes), 1), bool), mask], 1)
        return ids, times, mask

    def _logits(self, src, dst, t) -> torch.Tensor:
        b, m = dst.shape
        s_rep, t_rep = np.repeat(src, m), np.repeat(t, m)
        ids_s, ts_s, ms = self._seq(s_rep, t_rep)
        ids_d, ts_d, md = self._seq(dst.reshape(-1), t_rep)
        ids = np.concatenate([ids_s, ids_d], 1)
        times = np.concatenate([ts_s, ts_d], 1)
        mask = np.concatenate([ms, md], 1)
        L = ids_s.shape[1]
        same = (ids[:, :, None] == ids[:, None, :]) & mask[:, None, :]
        c_s, c_d = same[:, :, :L].sum(-1), same[:, :, L:].sum(-1)
        net = self.net_
        counts = torch.as_tensor(np.stack([c_s, c_d], -1), dtype=torch.float32)[..., None]
        cooc = net.cooc(counts).sum(-2)
        x = net.inp(torch.cat([net.t2v(dt_tensor(t_rep, times)), cooc], -1))
        mt = torch.as_tensor(mask)
        x = net.layer(x, src_key_padding_mask=~mt)
        w = mt[..., None].float()
        h_s = (x[:, :L] * w[:, :L]).sum(1) / w[:, :L].sum(1)
        h_d = (x[:, L:] * w[:, L:]).sum(1) / w[:, L:].sum(1)
        return net.head(torch.cat([h_s, h_d], -1))[..., 0].reshape(b, m)
