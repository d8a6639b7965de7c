"""A GraphMixer-style link predictor (Cong et al. 2023, "Do We Really Need Complicated Model
Architectures for Temporal Networks?").

Node ``n`` at time ``t`` is encoded from its ``k`` most recent interactions only: each becomes a
token ``W T2V(t - t_e)`` (the time encoding of the link's age; our streams carry no link
features), an MLP-Mixer block mixes the tokens (across the ``k`` slots) and then the channels,

    X <- X + W_2 relu(W_1 LN(X)^T)^T,   X <- X + V_2 relu(V_1 LN(X)),

and a masked mean over the slots gives ``h_n(t)``. The link score is ``MLP([h_s(t), h_d(t)])``.
As in the original (without node features), the encoder sees no node identities: the source and
the destination are encoded independently, which is why such models cannot learn "after item a
comes item b" (TGB-Seq's argument).
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
class GraphMixerConfig(NeuralLinkConfig):
    k: int = 10


class _Net(nn.Module):
    def __init__(self, k: int, dim: int, time_dim: int):
        super().__init__()
        self.t2v = Time2Vec(time_dim)
        self.inp = nn.Linear(time_dim, dim)
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.tok = mlp(k, 2 * k, k)
        self.chan = mlp(dim, 2 * dim, dim)
        self.head = mlp(2 * dim, dim, 1)

    def encode(self, dt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask[..., None].float()
        x = self.inp(self.t2v(dt)) * m
        x = x + self.tok(self.ln1(x).transpose(-1, -2)).transpose(-1, -2)
        x = x + self.chan(self.ln2(x))
        return (x * m).sum(-2) / m.sum(-2).clamp_min(1.0)


@register("graphmixer")
class GraphMixer(NeuralLinkPredictor):
    name = "graphmixer"
    Config = GraphMixerConfig

    @classmethod
    def conformance_config(cls):
        return {**super().conformance_config(), "k": 4}

    def _make_net(self) -> nn.Module:
        c = self.config
        return _Net(c.k, c.dim, c.time_dim)

    def _begin(self, stream) -> None:
        self._sampler = RecentNeighborSampler(stream, self.config.k)

    def _observe(self, src, dst, t) -> None:
        pass  # the sampler reads the history directly, exactly up to each query's time

    def _node(self, nodes: np.ndarray, t: np.ndarray) -> torch.Tensor:
        _, nt, _, mask = self._sampler.sample(nodes, t)
        return self.net_.encode(dt_tensor(t, nt), torch.as_tensor(mask))

    def _logits(self, src, dst, t) -> torch.Tensor:
        b, m = dst.shape
        h_s = self._node(src, t)
        h_d = self._node(dst.reshape(-1), np.repeat(t, m)).reshape(b, m, -1)
        pair = torch.cat([h_s[:, None, :].expand(-1, m, -1), h_d], dim=-1)
        return self.net_.head(pair)[..., 0]
