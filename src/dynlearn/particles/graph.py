"""The graph core of the particle models, in pure torch: neighbour search, sampling, interpolation.

- :func:`radius` / :func:`radius_graph`: every pair closer than ``r``, by a **cell list** (points are
  bucketed into cells of side ``r``; the bucket keys are sorted once and every query point looks
  up the 3^d cells around its own by binary search). Memory is O(P + E), time O(P log P + E); the
  P x P distance matrix is never built (:func:`radius_graph_brute` does build it: the O(P^2)
  reference the tests compare against).
- :func:`knn` / :func:`knn_graph`: the k nearest points, by cell-list searches with a radius that
  doubles for the query points that have fewer than k neighbours yet.
- :func:`farthest_point_sampling`: m well-spread points of a cloud (greedy, O(m P)).
- :func:`kernel_interpolate` (and :func:`interpolation_weights`): values on sparse nodes -> dense
  points, a normalised Gaussian or inverse-distance kernel over the nodes near each point.

Batches: every function takes one cloud ``(P, d)`` or a batch ``(B, P, d)``; a batch is searched as
B separate clouds (indices into the flattened ``B * P`` points, no pair across scenes).

Edge convention: ``edge_index (2, E)`` holds ``[senders, receivers]`` (row 0 the neighbour ``j``,
row 1 the point ``i`` it sends to), grouped by receiver in increasing order (a fixed order within a
receiver; nearest first for k-NN).
Positions are in physical units; ``r`` and distances in the same units.
"""

from __future__ import annotations

import itertools
import math

import torch

from dynlearn.errors import ValidationError

_UNIT_BALL = {1: 2.0, 2: math.pi, 3: 4.0 * math.pi / 3.0}


def _as_batch(x: torch.Tensor, name: str = "x") -> tuple[torch.Tensor, bool]:
    if not torch.is_tensor(x):
        x = torch.as_tensor(x)
    if x.ndim == 2:
        x, batched = x[None], False
    elif x.ndim == 3:
        batched = True
    else:
        raise ValidationError(f"{name} must have shape (P, d) or (B, P, d), got {tuple(x.shape)}")
    if x.shape[-1] not in (1, 2, 3):
        raise ValidationError(f"{name} holds points in 1, 2 or 3 dimensions (last axis), got {x.shape[-1]}")
    if not torch.is_floating_point(x):
        x = x.float()
    if not torch.isfinite(x).all():
        raise ValidationError(f"{name} contains NaN or inf positions")
    return x, batched


def _check_radius(r: float) -> float:
    r = float(r)
    if not (r > 0 and math.isfinite(r)):
        raise ValidationError(f"the radius must be a positive finite length, got {r}")
    return r


class _CellList:
    """Sources bucketed into cells of side ``r`` (keys sorted once); looks up the 3^d cells around
    query points. ``candidates`` returns, per query, the padded slots of those cells."""

    def __init__(self, src: torch.Tensor, dst: torch.Tensor, r: float, sb: torch.Tensor, db: torch.Tensor):
        d = src.shape[1]
        self.src, self.dst, self.sb, self.db = src, dst, sb, db
        lo = torch.minimum(src.min(0).values, dst.min(0).values)
        sc = torch.floor((src - lo) / r).long()
        self.dc = torch.floor((dst - lo) / r).long()
        self.ncell = torch.maximum(sc.max(0).values, self.dc.max(0).values) + 1
        self.stride = torch.ones(d, dtype=torch.long)
        for k in range(d - 2, -1, -1):
            self.stride[k] = self.stride[k + 1] * self.ncell[k + 1]
        self.per_batch = int(self.stride[0] * self.ncell[0])
        n_batch = int(max(sb.max(), db.max())) + 1
        if self.per_batch * n_batch >= 2**62:
            raise ValidationError(
                f"radius {r} is too small for the extent of the points ({self.per_batch} cells per scene); "
                "use a larger radius"
            )
        skey = sb * self.per_batch + (sc * self.stride).sum(1)
        self.order = torch.argsort(skey, stable=True)
        self.sorted_keys = skey[self.order]
        self.cell_keys, self.cell_count = torch.unique_consecutive(self.sorted_keys, return_counts=True)
        self.cell_start = torch.cumsum(self.cell_count, 0) - self.cell_count
        srt = src[self.order]
        self.src_sorted_coords = [srt[:, k].contiguous() for k in range(d)]
        self.dst_sorted_coords = [dst[:, k].contiguous() for k in range(d)]
        self.offsets = torch.tensor(list(itertools.product((-1, 0, 1), repeat=d)), dtype=torch.long)

    def around(self, queries: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(start, count) (Q', 3^d)`` into ``order`` of the cells around the queries (indices into dst)."""
        nc = self.dc[queries][:, None, :] + self.offsets[None]
        valid = ((nc >= 0) & (nc < self.ncell)).all(-1)
        key = self.db[queries][:, None] * self.per_batch + (nc * self.stride).sum(-1)
        pos = torch.searchsorted(self.cell_keys, key).clamp_max(self.cell_keys.numel() - 1)
        hit = valid & (self.cell_keys[pos] == key)
        return self.cell_start[pos], torch.where(hit, self.cell_count[pos], torch.zeros_like(pos))

    def padded(self, queries: torch.Tensor, start=None, count=None):
        """``(slot, valid, d2)``, each ``(Q', 3^d * c_max)``: every source in the cells around each
        query, padded to the fullest cell, as slots into ``order`` (``order[slot]`` is the source
        index), with the squared distances."""
        if start is None:
            start, count = self.around(queries)
        c_max = int(self.cell_count.max())
        q = queries.numel()
        slot = (start[..., None] + torch.arange(c_max)).reshape(q, -1)
        valid = (torch.arange(c_max) < count[..., None]).reshape(q, -1)
        slot = slot.clamp_max(self.order.numel() - 1)
        flat = slot.reshape(-1)
        d2 = None
        for k in range(self.src.shape[1]):
            diff = self.dst_sorted_coords[k][queries][:, None] - self.src_sorted_coords[k].index_select(0, flat).view(
                q, -1
            )
            d2 = diff * diff if d2 is None else d2 + diff * diff
        return slot, valid, d2

    def padded_size(self, n_queries: int) -> int:
        return n_queries * self.offsets.shape[0] * int(self.cell_count.max())


def radius(
    src: torch.Tensor,
    dst: torch.Tensor,
    r: float,
    *,
    src_batch: torch.Tensor | None = None,
    dst_batch: torch.Tensor | None = None,
    max_neighbors: int | None = None,
    exclude_self: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every pair ``(i, j)`` with ``|dst_i - src_j| <= r``, by a cell list.

    ``src (S, d)``, ``dst (Q, d)``: flat point sets; ``src_batch (S,)`` / ``dst_batch (Q,)``: the scene
    of each point (pairs only within a scene; None: one scene). ``max_neighbors``: keep the nearest
    ``k`` of each query point. ``exclude_self``: drop ``i == j`` (for ``src is dst``).

    Returns ``(dst_index, src_index)``, each ``(E,)`` long, grouped by query in increasing order (in a
    fixed order within a query: the same input gives the same output).

    The candidates of each query (the sources in the 3^d cells around its own) are laid out padded
    to the fullest cell, ``Q x 3^d x c_max``, so the search is a few dense tensor operations; when
    the padding would exceed four times the ragged candidate count plus 2^20 (strongly clustered
    points), the ragged layout is used instead.
    """
    r = _check_radius(r)
    if src.ndim != 2 or dst.ndim != 2 or src.shape[1] != dst.shape[1]:
        raise ValidationError(
            f"src and dst must be (S, d) and (Q, d) point sets, got {tuple(src.shape)}, {tuple(dst.shape)}"
        )
    if max_neighbors is not None and int(max_neighbors) < 1:
        raise ValidationError(f"max_neighbors must be >= 1 or None, got {max_neighbors}")
    empty = torch.zeros(0, dtype=torch.long, device=src.device)
    n_src, n_dst = src.shape[0], dst.shape[0]
    if n_src == 0 or n_dst == 0:
        return empty, empty
    sb = torch.zeros(n_src, dtype=torch.long) if src_batch is None else src_batch.long()
    db = torch.zeros(n_dst, dtype=torch.long) if dst_batch is None else dst_batch.long()
    dtype = torch.promote_types(src.dtype, dst.dtype)
    src, dst = src.to(dtype), dst.to(dtype)
    cells = _CellList(src, dst, r, sb, db)
    queries = torch.arange(n_dst)
    start, count = cells.around(queries)
    total = int(count.sum())
    if total == 0:
        return empty, empty
    if cells.padded_size(n_dst) <= 4 * total + 2**20:
        slot, valid, d2 = cells.padded(queries, start, count)
        valid &= d2 <= r * r
        if exclude_self:
            valid &= cells.order[slot] != queries[:, None]
        k = None if max_neighbors is None else int(max_neighbors)
        crowded = None
        if k is not None and k < slot.shape[1]:
            crowded = torch.nonzero(valid.sum(1) > k).squeeze(1)
        if crowded is not None and crowded.numel():
            # the nearest k of the queries with more than k neighbours; the rest keep all theirs
            dc = torch.where(valid[crowded], d2[crowded], torch.full_like(d2[crowded], float("inf")))
            _, pick = torch.topk(dc, k, dim=1, largest=False, sorted=True)
            valid[crowded] = False
            valid[crowded[:, None], pick] = True
        qi, col = torch.nonzero(valid, as_tuple=True)
        return qi, cells.order[slot[qi, col]]
    # ragged layout: every candidate pair listed once
    start, count = start.reshape(-1), count.reshape(-1)
    rep = torch.repeat_interleave(torch.arange(count.numel()), count)
    first = torch.cumsum(count, 0) - count
    cand = cells.order[start[rep] + torch.arange(total) - first[rep]]
    qi = rep // cells.offsets.shape[0]
    d2 = ((dst[qi] - src[cand]) ** 2).sum(1)
    keep = d2 <= r * r
    if exclude_self:
        keep &= qi != cand
    qi, cand, d2 = qi[keep], cand[keep], d2[keep]
    if max_neighbors is not None and qi.numel():
        o = torch.argsort(d2, stable=True)
        o = o[torch.argsort(qi[o], stable=True)]
        qi, cand = qi[o], cand[o]
        first_of = torch.searchsorted(qi, qi, side="left")
        keep = (torch.arange(qi.numel()) - first_of) < int(max_neighbors)
        qi, cand = qi[keep], cand[keep]
    return qi, cand


def _flatten(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    b, p, d = x.shape
    return x.reshape(b * p, d), torch.arange(b).repeat_interleave(p)


#: :func:`radius` under a name that functions with a ``radius`` argument can still call
_radius_search = radius


def radius_graph(x: torch.Tensor, r: float, max_neighbors: int | None = None, loop: bool = False) -> torch.Tensor:
    """The radius graph of a cloud ``x (P, d)`` or a batch ``(B, P, d)``: ``edge_index (2, E)`` =
    ``[senders, receivers]`` with ``|x_s - x_r| <= r`` (indices into the flattened ``B * P`` points;
    no edge across scenes). ``max_neighbors``: at most the k nearest senders per receiver;
    ``loop``: include ``i -> i``."""
    x, _ = _as_batch(x)
    flat, batch = _flatten(x)
    recv, send = radius(
        flat, flat, r, src_batch=batch, dst_batch=batch, max_neighbors=max_neighbors, exclude_self=not loop
    )
    return torch.stack([send, recv])


def radius_graph_brute(x: torch.Tensor, r: float, loop: bool = False) -> torch.Tensor:
    """The same graph as :func:`radius_graph` (without a neighbour cap) from the full P x P
    distance matrix: O(P^2) memory, the reference the tests check the cell list against."""
    x, _ = _as_batch(x)
    r = _check_radius(r)
    flat, batch = _flatten(x)
    d2 = ((flat[:, None, :] - flat[None, :, :]) ** 2).sum(-1)
    adj = (d2 <= r * r) & (batch[:, None] == batch[None, :])
    if not loop:
        adj.fill_diagonal_(False)
    recv, send = torch.nonzero(adj, as_tuple=True)
    return torch.stack([send, recv])


def knn(
    src: torch.Tensor,
    dst: torch.Tensor,
    k: int,
    *,
    src_batch: torch.Tensor | None = None,
    dst_batch: torch.Tensor | None = None,
    exclude_self: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` nearest sources of each query point: ``(dst_index, src_index)``, each ``(Q * k,)``,
    grouped by query (nearest first). Flat point sets and scene ids as in :func:`radius`.

    Found on a cell list of side ``h``, a first guess from the density of the sources (about ``2 k``
    expected within ``h``): the candidates are the sources in the 3^d cells around each query, and the
    k nearest of them are exact when the k-th lies within ``h`` (every source closer than ``h`` is a
    candidate). The queries where it does not are searched again with ``h`` doubled."""
    idx, _ = _knn(src, dst, k, src_batch, dst_batch, exclude_self)
    k = idx.shape[1]
    return torch.arange(dst.shape[0]).repeat_interleave(k), idx.reshape(-1)


def _knn(src, dst, k, src_batch, dst_batch, exclude_self) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`knn` as dense ``(Q, k)`` source indices and squared distances (nearest first)."""
    k = int(k)
    if k < 1:
        raise ValidationError(f"k must be >= 1, got {k}")
    n_src, n_dst, d = src.shape[0], dst.shape[0], src.shape[1]
    sb = torch.zeros(n_src, dtype=torch.long) if src_batch is None else src_batch.long()
    db = torch.zeros(n_dst, dtype=torch.long) if dst_batch is None else dst_batch.long()
    if n_dst == 0:
        return torch.zeros(0, k, dtype=torch.long), torch.zeros(0, k, dtype=dst.dtype)
    n_batch = int(max(sb.max() if n_src else 0, db.max())) + 1
    per_scene = torch.bincount(sb, minlength=n_batch)
    need = k + (1 if exclude_self else 0)
    smallest = int(per_scene[torch.unique(db)].min())
    if smallest < need:
        raise ValidationError(
            f"k-NN with k = {k} needs at least {need} source points in every scene, the smallest has {smallest}"
        )
    dtype = torch.promote_types(src.dtype, dst.dtype)
    src, dst = src.to(dtype), dst.to(dtype)
    both = torch.cat([src, dst])
    extent = (both.max(0).values - both.min(0).values).clamp_min(1e-12)
    diameter = float(extent.norm())
    density = float(per_scene.float().mean()) / max(float(extent.prod()), 1e-300)
    h = (2.0 * need / (density * _UNIT_BALL[d])) ** (1.0 / d)
    h = min(max(h, 1e-6 * diameter, 1e-12), 2.0 * diameter + 1e-12)
    for _ in range(2):  # clustered sources: the density of the occupied cells, not of the bounding box
        lo = src.min(0).values
        cell = torch.floor((src - lo) / h).long()
        span = cell.max(0).values + 1
        key = sb.clone()
        for j in range(d):
            key = key * int(span[j]) + cell[:, j]
        occupied = int(torch.unique(key).numel()) * h**d
        h_new = (2.0 * need * n_batch / (n_src / occupied * _UNIT_BALL[d])) ** (1.0 / d) if n_src else h
        if not h_new < h:
            break
        h = max(h_new, 1e-6 * diameter, 1e-12)
    out_q = torch.empty(n_dst, k, dtype=torch.long)
    out_d = torch.empty(n_dst, k, dtype=dtype)
    todo = torch.arange(n_dst)
    while todo.numel():
        cells = _CellList(src, dst, h, sb, db)
        slot, valid, d2 = cells.padded(todo)
        if exclude_self:
            valid &= cells.order[slot] != todo[:, None]
        d2 = torch.where(valid, d2, torch.full_like(d2, float("inf")))
        width = min(k, d2.shape[1])
        best, pick = torch.topk(d2, width, dim=1, largest=False, sorted=True)
        last = h > 2.0 * diameter  # every source of the scene is a candidate
        if width == k:
            done = best[:, -1] <= h * h if not last else torch.isfinite(best[:, -1])
        else:
            done = torch.zeros(todo.numel(), dtype=torch.bool)
        if done.any():
            out_q[todo[done]] = cells.order[torch.gather(slot[done], 1, pick[done])]
            out_d[todo[done]] = best[done]
        todo = todo[~done]
        if last and todo.numel():  # pragma: no cover - excluded by the count check above
            raise ValidationError("k-NN could not find k neighbours")
        h *= 2.0
    return out_q, out_d


def knn_graph(x: torch.Tensor, k: int, loop: bool = False) -> torch.Tensor:
    """The k-NN graph of ``x (P, d)`` or ``(B, P, d)``: ``[senders, receivers]``, each point
    receiving from its ``k`` nearest (itself excluded unless ``loop``), nearest first."""
    x, _ = _as_batch(x)
    flat, batch = _flatten(x)
    recv, send = knn(flat, flat, k, src_batch=batch, dst_batch=batch, exclude_self=not loop)
    return torch.stack([send, recv])


def farthest_point_sampling(x: torch.Tensor, m: int, *, start: int | None = 0, seed: int | None = None) -> torch.Tensor:
    """``m`` well-spread points of ``x (P, d)`` or ``(B, P, d)``: indices ``(m,)`` or ``(B, m)``.

    Greedy farthest-point sampling: begin at particle ``start`` (or a random one drawn with ``seed``
    when ``start`` is None), then repeatedly add the particle farthest from those chosen.
    O(m P) time, O(P) memory; deterministic for a given start."""
    x, batched = _as_batch(x)
    b, p, _ = x.shape
    m = int(m)
    if not 1 <= m <= p:
        raise ValidationError(f"farthest point sampling picks 1 <= m <= P = {p} points, got m = {m}")
    if start is None:
        g = torch.Generator().manual_seed(0 if seed is None else int(seed))
        first = torch.randint(0, p, (b,), generator=g)
    else:
        if not 0 <= int(start) < p:
            raise ValidationError(f"start must index a particle (0..{p - 1}), got {start}")
        first = torch.full((b,), int(start), dtype=torch.long)
    rows = torch.arange(b)
    idx = torch.empty(b, m, dtype=torch.long)
    idx[:, 0] = first
    dist = torch.full((b, p), float("inf"), dtype=x.dtype)
    last = first
    for i in range(1, m):
        dist = torch.minimum(dist, ((x - x[rows, last][:, None, :]) ** 2).sum(-1))
        last = dist.argmax(1)
        idx[:, i] = last
    return idx if batched else idx[0]


def _interp_setup(src_pos, dst_pos, k, radius, kernel):
    if (k is None) == (radius is None):
        raise ValidationError("interpolation needs exactly one of k (nearest nodes) or radius")
    if kernel not in ("gaussian", "inverse_distance"):
        raise ValidationError(f"kernel must be 'gaussian' or 'inverse_distance', got {kernel!r}")
    src, sb_ = _as_batch(src_pos, "src_pos")
    dst, db_ = _as_batch(dst_pos, "dst_pos")
    if src.shape[0] != dst.shape[0] or src.shape[2] != dst.shape[2] or sb_ != db_:
        raise ValidationError(
            f"src_pos and dst_pos must be (m, d) and (P, d) or (B, m, d) and (B, P, d), got "
            f"{tuple(src_pos.shape)} and {tuple(dst_pos.shape)}"
        )
    return src, dst


def knn_interpolation_weights(
    src_pos: torch.Tensor,
    dst_pos: torch.Tensor,
    k: int,
    *,
    kernel: str = "gaussian",
    bandwidth: float | None = None,
    power: float = 2.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The dense form of :func:`interpolation_weights` with ``k`` nearest nodes: ``(src_index,
    weight)``, each ``(B * P, k)`` over the flattened points (rows sum to 1)."""
    src, dst = _interp_setup(src_pos, dst_pos, k, None, kernel)
    fs, sbatch = _flatten(src)
    fd, dbatch = _flatten(dst)
    k = min(int(k), src.shape[1])
    idx, d2 = _knn(fs.detach(), fd.detach(), k, sbatch, dbatch, False)
    if src_pos.requires_grad or dst_pos.requires_grad:  # distances with a gradient
        d2 = ((fd[:, None, :] - fs[idx]) ** 2).sum(-1)
    if kernel == "gaussian":
        if bandwidth is not None:
            h2 = torch.full((fd.shape[0], 1), float(bandwidth) ** 2, dtype=d2.dtype)
        else:
            h2 = d2[:, -1:].detach() / 4.0
        w = torch.softmax(-d2 / (2.0 * h2.clamp_min(1e-30)), dim=1)
    else:
        w = 1.0 / (d2.clamp_min(0).sqrt() ** power + 1e-12)
        w = w / w.sum(1, keepdim=True)
    return idx, w


def interpolation_weights(
    src_pos: torch.Tensor,
    dst_pos: torch.Tensor,
    *,
    k: int | None = None,
    radius: float | None = None,
    kernel: str = "gaussian",
    bandwidth: float | None = None,
    power: float = 2.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The sparse weights of :func:`kernel_interpolate`: ``(dst_index, src_index, weight)`` over the
    flattened points (``src_pos (m, d)`` / ``(B, m, d)``, ``dst_pos (P, d)`` / ``(B, P, d)``); the
    weights of each destination sum to 1.

    Neighbours: the ``k`` nearest nodes, or every node within ``radius`` (a point with none gets its
    nearest node). Kernels: ``"gaussian"`` ``exp(-|x - y|^2 / (2 h^2))`` with ``h = bandwidth`` or, by
    default, half the distance to the k-th neighbour (k-NN, per point) or ``radius / 2``;
    ``"inverse_distance"`` ``1 / (|x - y|^power + eps)`` (Shepard)."""
    if k is not None and radius is None:
        idx, w = knn_interpolation_weights(src_pos, dst_pos, k, kernel=kernel, bandwidth=bandwidth, power=power)
        return torch.arange(idx.shape[0]).repeat_interleave(idx.shape[1]), idx.reshape(-1), w.reshape(-1)
    src, dst = _interp_setup(src_pos, dst_pos, k, radius, kernel)
    fs, sbatch = _flatten(src)
    fd, dbatch = _flatten(dst)
    n = fd.shape[0]
    qi, si = _radius_search(fs.detach(), fd.detach(), radius, src_batch=sbatch, dst_batch=dbatch)
    missing = torch.ones(n, dtype=torch.bool)
    missing[qi] = False
    if missing.any():
        todo = torch.nonzero(missing).squeeze(1)
        q2, s2 = knn(fs.detach(), fd[todo].detach(), 1, src_batch=sbatch, dst_batch=dbatch[todo])
        qi, si = torch.cat([qi, todo[q2]]), torch.cat([si, s2])
        o = torch.argsort(qi, stable=True)
        qi, si = qi[o], si[o]
    d2 = ((fd[qi] - fs[si]) ** 2).sum(1)
    if kernel == "gaussian":
        h = float(bandwidth) if bandwidth is not None else float(radius) / 2.0
        logit = -d2 / (2.0 * max(h * h, 1e-30))
        top = torch.full((n,), -float("inf"), dtype=d2.dtype).scatter_reduce(
            0, qi, logit.detach(), "amax", include_self=True
        )
        w = torch.exp(logit - top[qi])
    else:
        w = 1.0 / (d2.clamp_min(0).sqrt() ** power + 1e-12)
    total = torch.zeros(n, dtype=w.dtype).index_add(0, qi, w)
    return qi, si, w / total[qi]


def kernel_interpolate(
    src_pos: torch.Tensor,
    src_values: torch.Tensor,
    dst_pos: torch.Tensor,
    *,
    k: int | None = None,
    radius: float | None = None,
    kernel: str = "gaussian",
    bandwidth: float | None = None,
    power: float = 2.0,
) -> torch.Tensor:
    """Values on sparse nodes -> dense points: ``src_values (m, C)`` or ``(B, m, C)`` at ``src_pos``
    to ``(P, C)`` or ``(B, P, C)`` at ``dst_pos``, each a normalised kernel average of its nearby
    nodes (see :func:`interpolation_weights` for the neighbours, kernels and bandwidth).
    Differentiable in the values (and the positions)."""
    batched = src_values.ndim == 3
    vals = src_values if batched else src_values[None]
    if vals.ndim != 3 or vals.shape[:2] != (src_pos.shape[0] if batched else 1, src_pos.shape[-2]):
        raise ValidationError(f"src_values must be (m, C) or (B, m, C) matching src_pos, got {tuple(src_values.shape)}")
    b, _, c = vals.shape
    p = dst_pos.shape[-2]
    flat = vals.reshape(-1, c)
    if k is not None and radius is None:
        idx, w = knn_interpolation_weights(src_pos, dst_pos, k, kernel=kernel, bandwidth=bandwidth, power=power)
        out = (flat[idx] * w[..., None].to(flat.dtype)).sum(1)
    else:
        qi, si, w = interpolation_weights(
            src_pos, dst_pos, k=k, radius=radius, kernel=kernel, bandwidth=bandwidth, power=power
        )
        out = torch.zeros(b * p, c, dtype=flat.dtype).index_add(0, qi, flat[si] * w[:, None].to(flat.dtype))
    out = out.reshape(b, p, c)
    return out if batched else out[0]


__all__ = [
    "farthest_point_sampling",
    "interpolation_weights",
    "kernel_interpolate",
    "knn_interpolation_weights",
    "knn",
    "knn_graph",
    "radius",
    "radius_graph",
    "radius_graph_brute",
]
