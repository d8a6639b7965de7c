"""A GRU4Rec-style sequential recommender (Hidasi et al. 2016, "Session-based Recommendations
with Recurrent Neural Networks").

Each source node ``s`` (a user) has the sequence of its last ``seq_len`` destinations
``d_1..d_L`` (items, most recent last). A GRU over their embeddings gives the user state
``h_s = GRU(E[d_1], ..., E[d_L])`` and the score of a candidate ``d`` is ``<W h_s, E'[d]> + b_d``
with a learned output embedding ``E'`` and bias ``b``. The item embeddings are what carries "after
item a comes item b" across users: this is the sequential model of TGB-Seq's argument. Ids are
transductive: nodes not seen at fit time share one "unknown" embedding.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import nn

from dynlearn.graphs.models import register
from dynlearn.graphs.models._neural import NeuralLinkConfig, NeuralLinkPredictor


@dataclasses.dataclass
class GRU4RecConfig(NeuralLinkConfig):
    seq_len: int = 10


class _Net(nn.Module):
    def __init__(self, num_nodes: int, dim: int):
        super().__init__()
        self.emb = nn.Embedding(num_nodes + 1, dim, padding_idx=num_nodes)  # last row: padding/unknown
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.proj = nn.Linear(dim, dim)
        self.out = nn.Embedding(num_nodes + 1, dim)
        self.bias = nn.Embedding(num_nodes + 1, 1)
        with torch.no_grad():
            self.bias.weight.zero_()


@register("gru4rec")
class GRU4Rec(NeuralLinkPredictor):
    name = "gru4rec"
    Config = GRU4RecConfig

    @classmethod
    def conformance_config(cls):
        return {**super().conformance_config(), "seq_len": 4}

    def _make_net(self) -> nn.Module:
        return _Net(int(self.meta_["num_nodes"]), self.config.dim)

    def _ids(self, nodes: np.ndarray) -> np.ndarray:
        n = int(self.meta_["num_nodes"])
        return np.where((nodes >= 0) & (nodes < n), nodes, n)

    def _begin(self, stream) -> None:
        self._buf = np.full((int(stream.num_nodes), int(self.config.seq_len)), -1, dtype=np.int64)

    def _observe(self, src, dst, t) -> None:
        buf = self._buf
        for s, d in zip(src.tolist(), dst.tolist(), strict=True):
            buf[s, :-1] = buf[s, 1:]
            buf[s, -1] = d

    def _logits(self, src, dst, t) -> torch.Tensor:
        net = self.net_
        inside = src < len(self._buf)
        seq = np.where(inside[:, None], self._buf[np.where(inside, src, 0)], -1)
        x = net.emb(torch.as_tensor(self._ids(seq)))
        _, h = net.gru(x)
        h = net.proj(h[0])  # (B, dim)
        d = torch.as_tensor(self._ids(dst))
        return (net.out(d) * h[:, None, :]).sum(-1) + net.bias(d)[..., 0]
