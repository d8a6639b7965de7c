"""GNS: the encode-process-decode graph network simulator (Sanchez-Gonzalez et al., "Learning to
simulate complex physics with graph networks", ICML 2020), in pure torch.

One step, for every particle ``i`` of a window ``(B, H+1, P, d)``:

- **graph**: the particles within the connectivity radius ``R`` (physical units) of each other, by
  the cell list of :func:`dynlearn.particles.graph.radius_graph` (at most ``max_neighbors`` per
  particle, the nearest);
- **encode**: node features = the ``H`` standardised per-frame velocities, the distance to each wall
  of ``spec.domain`` divided by ``wall_reach * R`` and clipped to ``[0, 1]`` (2 d values; GNS has
  ``wall_reach = 1``), a learned embedding of the particle kind and the scene's standardised
  parameters; edge features = the relative displacement ``(x_i - x_j) / R`` and its length. Each
  goes through an MLP + LayerNorm into a latent of size ``latent``;
- **process**: ``mp_steps`` message-passing blocks with separate weights, each residual:
  ``e_ij += MLP([e_ij, h_i, h_j])``, ``h_i += MLP([h_i, sum_j e_ij])`` (MLPs with ``layers`` hidden
  layers of width ``latent``, ReLU, a LayerNorm on the output);
- **decode**: an MLP (no LayerNorm) -> the standardised acceleration ``(d,)``; the base class
  integrates it into the next positions.

:class:`GraphNetwork` (the processor on a given graph) and the encoders are reused by GIOROM
(:mod:`dynlearn.particles.models.giorom`), which runs them on a sparse subset of the particles.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.particles.graph import radius_graph
from dynlearn.particles.models.base import ParticleModel, ParticleModelConfig, register_particle_model


def mlp(n_in: int, width: int, n_out: int, layers: int, *, norm: bool = True) -> nn.Sequential:
    """``layers`` hidden layers of ``width`` with ReLU, a linear output, then LayerNorm if ``norm``."""
    mods: list[nn.Module] = []
    last = n_in
    for _ in range(layers):
        mods += [nn.Linear(last, width), nn.ReLU()]
        last = width
    mods.append(nn.Linear(last, n_out))
    if norm:
        mods.append(nn.LayerNorm(n_out))
    return nn.Sequential(*mods)


class InteractionBlock(nn.Module):
    """One residual message-passing step: edges from their endpoints, nodes from summed messages."""

    def __init__(self, latent: int, layers: int):
        super().__init__()
        self.edge = mlp(3 * latent, latent, latent, layers)
        self.node = mlp(2 * latent, latent, latent, layers)

    def forward(self, h: torch.Tensor, e: torch.Tensor, senders: torch.Tensor, receivers: torch.Tensor):
        e = e + self.edge(torch.cat([e, h[receivers], h[senders]], dim=-1))
        agg = torch.zeros_like(h).index_add_(0, receivers, e)
        h = h + self.node(torch.cat([h, agg], dim=-1))
        return h, e


class GraphNetwork(nn.Module):
    """Encode (node and edge MLPs) -> ``mp_steps`` :class:`InteractionBlock` s -> the latent nodes."""

    def __init__(self, node_in: int, edge_in: int, latent: int, layers: int, mp_steps: int):
        super().__init__()
        self.node_enc = mlp(node_in, latent, latent, layers)
        self.edge_enc = mlp(edge_in, latent, latent, layers)
        self.blocks = nn.ModuleList(InteractionBlock(latent, layers) for _ in range(mp_steps))

    def forward(self, nodes: torch.Tensor, edges: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h, e = self.node_enc(nodes), self.edge_enc(edges)
        senders, receivers = edge_index[0], edge_index[1]
        for block in self.blocks:
            h, e = block(h, e, senders, receivers)
        return h


@dataclasses.dataclass
class GNSConfig(ParticleModelConfig):
    """``radius``: connectivity radius in the data's length unit (about 2-3 particle spacings);
    ``latent``: width of every MLP and latent; ``layers``: hidden layers per MLP; ``mp_steps``:
    message-passing blocks; ``max_neighbors``: cap per particle (the nearest; None: no cap);
    ``kind_embedding``: size of the particle-kind embedding; ``wall_reach``: the wall-distance
    features saturate at ``wall_reach * radius`` (GNS: 1; more lets fast particles see a wall coming)."""

    radius: float = 0.015
    wall_reach: float = 1.0
    latent: int = 64
    layers: int = 2
    mp_steps: int = 5
    max_neighbors: int | None = 24
    kind_embedding: int = 8

    def __post_init__(self) -> None:
        if not self.radius > 0:
            raise ValidationError(f"radius must be > 0 (a length in the data's units), got {self.radius}")
        if self.latent < 1 or self.layers < 0 or self.mp_steps < 0 or self.kind_embedding < 1:
            raise ValidationError("latent and kind_embedding must be >= 1, layers and mp_steps >= 0")
        if not self.wall_reach > 0:
            raise ValidationError(f"wall_reach must be > 0 (in radii), got {self.wall_reach}")
        if self.max_neighbors is not None and self.max_neighbors < 1:
            raise ValidationError(f"max_neighbors must be >= 1 or None, got {self.max_neighbors}")


class ParticleGraphFeatures(nn.Module):
    """The node and edge features of GNS for a set of particles (shared with GIOROM)."""

    def __init__(self, spec, config):
        super().__init__()
        self.spec, self.config = spec, config
        self.kind_emb = nn.Embedding(spec.n_kinds, config.kind_embedding)
        self.register_buffer("lo", torch.tensor(spec.domain[0], dtype=torch.float32), persistent=False)
        self.register_buffer("hi", torch.tensor(spec.domain[1], dtype=torch.float32), persistent=False)

    @property
    def node_size(self) -> int:
        s = self.spec
        return s.history * s.dim + 2 * s.dim + self.config.kind_embedding + s.n_params

    @property
    def edge_size(self) -> int:
        return self.spec.dim + 1

    def nodes(self, pos: torch.Tensor, velocities: torch.Tensor, kind: torch.Tensor, p, r: float) -> torch.Tensor:
        """``pos (B, P, d)``, standardised ``velocities (B, H, P, d)``, ``kind (B, P)``, ``p (B, n)`` ->
        ``(B * P, node_size)``."""
        b, h, n, d = velocities.shape
        vel = velocities.permute(0, 2, 1, 3).reshape(b, n, h * d)
        reach = r * self.config.wall_reach
        walls = torch.cat([(pos - self.lo) / reach, (self.hi - pos) / reach], dim=-1).clamp(0.0, 1.0)
        feats = [vel, walls, self.kind_emb(kind)]
        if p is not None:
            feats.append(p[:, None, :].expand(b, n, p.shape[-1]))
        return torch.cat(feats, dim=-1).reshape(b * n, -1)

    @staticmethod
    def edges(flat_pos: torch.Tensor, edge_index: torch.Tensor, r: float) -> torch.Tensor:
        rel = (flat_pos[edge_index[1]] - flat_pos[edge_index[0]]) / r
        return torch.cat([rel, rel.norm(dim=-1, keepdim=True)], dim=-1)


@register_particle_model("gns")
class GNS(ParticleModel):
    """Encode-process-decode graph network on every particle (see the module doc)."""

    Config = GNSConfig

    def __init__(self, spec, config=None, *, seed: int = 0, **overrides):
        super().__init__(spec, config, seed=seed, **overrides)
        c = self.config
        self.features = ParticleGraphFeatures(spec, c)
        self.net = GraphNetwork(self.features.node_size, self.features.edge_size, c.latent, c.layers, c.mp_steps)
        self.decoder = mlp(c.latent, c.latent, spec.dim, c.layers, norm=False)

    def step(self, window, velocities, kind, p):
        c = self.config
        b, _, n, d = window.shape
        pos = window[:, -1]
        with torch.no_grad():
            edge_index = radius_graph(pos.detach(), c.radius, max_neighbors=c.max_neighbors)
        flat = pos.reshape(b * n, d)
        nodes = self.features.nodes(pos, velocities, kind, p, c.radius)
        edges = self.features.edges(flat, edge_index, c.radius)
        h = self.net(nodes, edges, edge_index)
        return self.decoder(h).reshape(b, n, d)

    @classmethod
    def conformance_config(cls):
        return {"radius": 0.25, "latent": 16, "layers": 1, "mp_steps": 2, "max_neighbors": 8}


__all__ = ["GNS", "GNSConfig", "GraphNetwork", "InteractionBlock", "ParticleGraphFeatures", "mlp"]
