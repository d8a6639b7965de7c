"""GIOROM: a reduced-order graph simulator that runs on a sparse subset of the particles and
interpolates back (after Viswanath et al., "Reduced-order neural operators: learning Lagrangian
dynamics on highly sparse graphs", 2024).

One step for a window ``(B, H+1, P, d)``:

1. **sparse nodes**: ``m`` particles by farthest-point sampling of the current positions
   (:func:`~dynlearn.particles.graph.farthest_point_sampling`, deterministic start), with ``m =
   n_nodes`` if set (a fixed budget, the reduced order) else ``ceil(ratio * P)``. During
   :meth:`GIOROM.rollout` the nodes are chosen once, from the first window, and followed (they are
   material points), so a rolled-out step never pays the O(m P) sampling;
2. **processor**: the GNS encoder and message passing (:mod:`dynlearn.particles.models.gns`) on the
   sparse nodes only, with the connectivity radius scaled by ``(P / m)^(1/d)`` (the sparse spacing
   grows by that factor; ``sqrt`` in 2-D) so the sparse graph has about as many neighbours as the
   dense one. Node features are the sparse particles' own velocity history, wall distances, kind
   and parameters;
3. **interpolation to every particle**: each particle takes the ``interp_k`` nearest sparse nodes with
   normalised Gaussian weights (bandwidth half the distance to the k-th node,
   :func:`~dynlearn.particles.graph.knn_interpolation_weights`) and receives (a) the interpolated
   decoded acceleration (the fixed-kernel interpolation) and (b) the interpolated latent of the
   nodes;
4. **learned refinement** (``refine=True``): a small MLP per particle on ``[interpolated latent,
   the particle's own standardised velocity history, its kind embedding, its weighted mean offset
   to the nodes / radius]`` adds a correction to (a). This is our stand-in for the paper's learned
   neural-operator interpolation (an integral-kernel layer from sparse to dense points): the kernel
   is fixed, the refinement of the interpolated features is learned.

Cost per rolled-out step: the processor is O(m) (a cell-list graph on m nodes, m x latent MLPs), the
interpolation and the refinement O(P k) with a small constant; the dense GNS pays its full
processor on P particles.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from dynlearn.errors import ValidationError
from dynlearn.particles.graph import farthest_point_sampling, knn_interpolation_weights, radius_graph
from dynlearn.particles.models.base import register_particle_model
from dynlearn.particles.models.gns import GNS, GNSConfig, mlp


@dataclasses.dataclass
class GIOROMConfig(GNSConfig):
    """GNS's settings (``radius`` is the *dense* connectivity radius) plus: ``ratio``: sparse nodes
    per particle when ``n_nodes`` is None; ``n_nodes``: a fixed number of sparse nodes (capped at P);
    ``interp_k``: sparse nodes each particle interpolates from; ``refine``: the learned refinement of
    the interpolation (False: fixed-kernel interpolation of the sparse accelerations only)."""

    ratio: float = 0.125
    n_nodes: int | None = None
    interp_k: int = 4
    refine: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.ratio <= 1:
            raise ValidationError(f"ratio must lie in (0, 1] (sparse nodes per particle), got {self.ratio}")
        if self.n_nodes is not None and self.n_nodes < 1:
            raise ValidationError(f"n_nodes must be >= 1 or None, got {self.n_nodes}")
        if self.interp_k < 1:
            raise ValidationError(f"interp_k must be >= 1, got {self.interp_k}")


@register_particle_model("giorom")
class GIOROM(GNS):
    """Reduced-order GNS on farthest-point-sampled nodes, interpolated to every particle (see the
    module doc)."""

    Config = GIOROMConfig

    def __init__(self, spec, config=None, *, seed: int = 0, **overrides):
        super().__init__(spec, config, seed=seed, **overrides)
        c = self.config
        if c.refine:
            n_in = c.latent + spec.history * spec.dim + c.kind_embedding + spec.dim
            self.refiner = mlp(n_in, c.latent, spec.dim, 1, norm=False)
            # start as the fixed-kernel interpolation: the correction's last layer begins at zero
            torch.nn.init.zeros_(self.refiner[-1].weight)
            torch.nn.init.zeros_(self.refiner[-1].bias)
        self._nodes: torch.Tensor | None = None

    def n_nodes(self, n_particles: int) -> int:
        """Sparse nodes for ``n_particles`` particles."""
        c = self.config
        m = c.n_nodes if c.n_nodes is not None else math.ceil(c.ratio * n_particles)
        return max(1, min(int(m), n_particles))

    def select_nodes(self, positions: torch.Tensor) -> torch.Tensor:
        """The sparse nodes of ``positions (B, P, d)``: indices ``(B, m)`` (farthest-point sampling)."""
        with torch.no_grad():
            return farthest_point_sampling(positions.detach(), self.n_nodes(positions.shape[1]), start=0)

    def step(self, window, velocities, kind, p):
        c, s = self.config, self.spec
        b, _, n, d = window.shape
        pos = window[:, -1]
        nodes = self._nodes
        if nodes is None or nodes.shape[0] != b or int(nodes.max()) >= n:
            nodes = self.select_nodes(pos)
        m = nodes.shape[1]
        r_s = c.radius * (n / m) ** (1.0 / d)
        rows = torch.arange(b)[:, None]
        pos_s = pos[rows, nodes]  # (B, m, d)
        vel_s = velocities[rows[:, :, None], torch.arange(velocities.shape[1])[None, :, None], nodes[:, None, :]]
        kind_s = kind[rows, nodes]
        with torch.no_grad():
            edge_index = radius_graph(pos_s.detach(), r_s, max_neighbors=c.max_neighbors)
        feats = self.features.nodes(pos_s, vel_s, kind_s, p, r_s)
        edges = self.features.edges(pos_s.reshape(b * m, d), edge_index, r_s)
        h = self.net(feats, edges, edge_index)  # (B*m, latent)
        acc_s = self.decoder(h)  # (B*m, d)
        idx, w = knn_interpolation_weights(pos_s.detach(), pos.detach(), min(c.interp_k, m))
        w = w.to(h.dtype)[..., None]
        acc = (acc_s[idx] * w).sum(1)  # (B*P, d)
        if c.refine:
            z = (h[idx] * w).sum(1)
            offset = (pos.reshape(b * n, 1, d) - pos_s.reshape(b * m, d)[idx]) / r_s
            own = velocities.permute(0, 2, 1, 3).reshape(b * n, -1)
            extra = [z, own, self.features.kind_emb(kind).reshape(b * n, -1), (offset * w).sum(1)]
            acc = acc + self.refiner(torch.cat(extra, dim=-1))
        return acc.reshape(b, n, s.dim)

    def rollout(self, window, kind=None, params=None, *, steps: int):
        """As the base class, with the sparse nodes chosen once from ``window``'s last positions
        and followed through the rollout."""
        self._check(window, kind, params)
        self._nodes = self.select_nodes(window[:, -1])
        try:
            return super().rollout(window, kind, params, steps=steps)
        finally:
            self._nodes = None

    @classmethod
    def conformance_config(cls):
        return {"radius": 0.25, "latent": 16, "layers": 1, "mp_steps": 2, "max_neighbors": 8, "ratio": 0.25}


__all__ = ["GIOROM", "GIOROMConfig"]
