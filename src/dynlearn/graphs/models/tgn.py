"""A TGN-style memory model (Rossi et al. 2020, "Temporal Graph Networks for Deep Learning on
Dynamic Graphs"), with the identity embedding module (memory only, as in TGN-id / JODIE).

Every node keeps a memory ``s_n`` (zeros at first). An event ``(u, v, t)`` sends ``u`` the raw
message ``m_u = [s_u, s_v, T2V(t - t_u)]`` (``t_u``: ``u``'s last update) and ``v`` the mirrored
one; per batch each node keeps its last message, and ``s_u <- GRU(m_u, s_u)``. As in TGN, the
messages of a batch update the memory at the start of the next batch, so the GRU learns through
the loss of that batch. The embedding of ``n`` at time ``t`` is ``z_n = MLP([s_n, T2V(t - t_n)])``
and the link score ``MLP([z_s, z_d])``. What a node is lives in its memory, built from whom it
met, which is what lets memory models catch repeated edges.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from dynlearn.graphs.models import register
from dynlearn.graphs.models._neural import NeuralLinkPredictor, Time2Vec, mlp


class _Net(nn.Module):
    def __init__(self, dim: int, time_dim: int):
        super().__init__()
        self.t2v = Time2Vec(time_dim)
        self.gru = nn.GRUCell(2 * dim + time_dim, dim)
        self.embed = mlp(dim + time_dim, dim, dim)
        self.head = mlp(2 * dim, dim, 1)


@register("tgn")
class TGN(NeuralLinkPredictor):
    name = "tgn"

    def _make_net(self) -> nn.Module:
        return _Net(self.config.dim, self.config.time_dim)

    def _begin(self, stream) -> None:
        n = int(stream.num_nodes)
        self._mem = torch.zeros(n, self.config.dim)
        self._last = np.full(n, np.nan)
        self._pending = None

    def _updated(self) -> tuple[torch.Tensor, np.ndarray]:
        """Memory and last-update times after the pending batch's messages."""
        if self._pending is None:
            return self._mem, self._last
        src, dst, t = self._pending
        nodes = np.concatenate([src, dst])
        other = np.concatenate([dst, src])
        tt = np.concatenate([t, t])
        # the last message of each node in the batch
        rev = np.arange(len(nodes))[::-1]
        uniq, first = np.unique(nodes[rev], return_index=True)
        pick = rev[first]
        u, o, tu = nodes[pick], other[pick], tt[pick]
        net, mem = self.net_, self._mem
        dt = torch.as_tensor(tu - self._last[u], dtype=torch.float32)
        msg = torch.cat([mem[u], mem[o], net.t2v(dt)], -1)
        new = mem.index_copy(0, torch.as_tensor(u), net.gru(msg, mem[u]))
        last = self._last.copy()
        last[u] = tu
        return new, last

    def _observe(self, src, dst, t) -> None:
        with torch.no_grad():
            self._mem, self._last = self._updated()
        self._mem = self._mem.detach()
        self._pending = (np.asarray(src), np.asarray(dst), np.asarray(t))

    def _z(self, mem, last, nodes, t) -> torch.Tensor:
        known = nodes < mem.shape[0]
        safe = np.where(known, nodes, 0)
        s = mem[torch.as_tensor(safe)] * torch.as_tensor(known, dtype=torch.float32)[:, None]
        dt = torch.as_tensor(np.where(known, t - last[safe], np.nan), dtype=torch.float32)
        return self.net_.embed(torch.cat([s, self.net_.t2v(dt)], -1))

    def _logits(self, src, dst, t) -> torch.Tensor:
        b, m = dst.shape
        mem, last = self._updated()
        z_s = self._z(mem, last, src, t)
        z_d = self._z(mem, last, dst.reshape(-1), np.repeat(t, m)).reshape(b, m, -1)
        return self.net_.head(torch.cat([z_s[:, None, :].expand(-1, m, -1), z_d], -1))[..., 0]
