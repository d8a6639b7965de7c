"""The graph core: cell-list radius graphs against brute force, k-NN, farthest-point sampling and
kernel interpolation."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from dynlearn.errors import ValidationError  # noqa: E402
from dynlearn.particles.graph import (  # noqa: E402
    farthest_point_sampling,
    interpolation_weights,
    kernel_interpolate,
    knn,
    knn_graph,
    radius,
    radius_graph,
    radius_graph_brute,
)


def _edges(e):
    return set(map(tuple, e.T.tolist()))


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("r", [0.03, 0.1, 0.3])
def test_radius_graph_matches_brute_force(dim, r):
    x = torch.rand(2, 200, dim, generator=torch.Generator().manual_seed(dim))
    fast, slow = radius_graph(x, r), radius_graph_brute(x, r)
    assert _edges(fast) == _edges(slow)
    assert fast.shape[1] == len(_edges(fast)), "no duplicate edges"
    s, t = fast
    assert (s // 200 == t // 200).all(), "no edge across scenes"
    assert (s != t).all()
    assert (t[1:] >= t[:-1]).all(), "grouped by receiver"


def test_radius_graph_loops_and_single_cloud():
    x = torch.rand(100, 2, generator=torch.Generator().manual_seed(0))
    with_loops = radius_graph(x, 0.2, loop=True)
    assert _edges(with_loops) == _edges(radius_graph_brute(x, 0.2, loop=True))
    assert _edges(with_loops) - _edges(radius_graph(x, 0.2)) == {(i, i) for i in range(100)}


def test_radius_graph_far_apart_and_degenerate_inputs():
    x = torch.tensor([[0.0, 0.0], [100.0, 100.0], [0.05, 0.0], [0.05, 0.0]])
    assert _edges(radius_graph(x, 0.1)) == _edges(radius_graph_brute(x, 0.1))
    with pytest.raises(ValidationError, match="radius"):
        radius_graph(x, 0.0)
    with pytest.raises(ValidationError, match="NaN"):
        radius_graph(torch.tensor([[0.0, float("nan")]]), 0.1)
    with pytest.raises(ValidationError, match="shape"):
        radius_graph(torch.zeros(2, 3, 4, 2), 0.1)


def test_max_neighbors_keeps_the_nearest():
    x = torch.rand(400, 2, generator=torch.Generator().manual_seed(1))
    k = 5
    s, t = radius_graph(x, 0.15, max_neighbors=k)
    assert torch.bincount(t, minlength=400).max() <= k
    d = torch.cdist(x, x)
    d.fill_diagonal_(float("inf"))
    d = torch.where(d <= 0.15, d, torch.full_like(d, float("inf")))
    for i in range(0, 400, 37):
        expect = set(torch.topk(d[i], k, largest=False).indices[torch.topk(d[i], k, largest=False).values < 1].tolist())
        assert set(s[t == i].tolist()) == expect


def test_bipartite_radius_search():
    g = torch.Generator().manual_seed(2)
    src, dst = torch.rand(200, 2, generator=g), torch.rand(50, 2, generator=g)
    qi, si = radius(src, dst, 0.1)
    d = torch.cdist(dst, src)
    assert set(zip(qi.tolist(), si.tolist())) == set(map(tuple, torch.nonzero(d <= 0.1).tolist()))


def test_knn_graph_matches_brute_force():
    x = torch.rand(2, 200, 3, generator=torch.Generator().manual_seed(3))
    s, t = knn_graph(x, 6)
    assert torch.equal(torch.bincount(t, minlength=400), torch.full((400,), 6))
    for b in range(2):
        d = torch.cdist(x[b], x[b])
        d.fill_diagonal_(float("inf"))
        nn = d.topk(6, largest=False).indices + 200 * b
        for i in range(0, 200, 23):
            assert set(s[t == i + 200 * b].tolist()) == set(nn[i].tolist())
    s2, t2 = knn_graph(x, 3, loop=True)
    assert ((s2 == t2).sum()) == 400, "with loops every point is its own nearest neighbour"
    with pytest.raises(ValidationError, match="at least"):
        knn(torch.rand(3, 2), torch.rand(4, 2), 5)


def test_farthest_point_sampling_spreads_points():
    g = torch.Generator().manual_seed(4)
    x = torch.rand(1000, 2, generator=g)
    idx = farthest_point_sampling(x, 50)
    assert idx.shape == (50,) and len(set(idx.tolist())) == 50 and idx[0] == 0
    # covering radius of FPS is within 2x of the optimum; compare with a random subset
    cover = torch.cdist(x, x[idx]).min(1).values.max()
    rand = torch.randperm(1000, generator=g)[:50]
    assert cover < torch.cdist(x, x[rand]).min(1).values.max()
    # the separation of the chosen points is at least the covering radius (greedy property)
    d = torch.cdist(x[idx], x[idx])
    d.fill_diagonal_(float("inf"))
    assert d.min() >= cover - 1e-6
    batch = farthest_point_sampling(torch.stack([x, x.flip(0)]), 10, start=None, seed=1)
    assert batch.shape == (2, 10)
    assert torch.equal(batch, farthest_point_sampling(torch.stack([x, x.flip(0)]), 10, start=None, seed=1))
    with pytest.raises(ValidationError, match="picks"):
        farthest_point_sampling(x, 0)


@pytest.mark.parametrize("kernel", ["gaussian", "inverse_distance"])
def test_kernel_interpolation(kernel):
    g = torch.Generator().manual_seed(5)
    dense = torch.rand(3, 600, 2, generator=g)
    nodes = torch.stack([d[farthest_point_sampling(d, 80)] for d in dense])
    const = torch.ones(3, 80, 2) * torch.tensor([2.0, -1.0])
    out = kernel_interpolate(nodes, const, dense, k=4, kernel=kernel)
    assert out.shape == (3, 600, 2) and torch.allclose(out, torch.tensor([2.0, -1.0]).expand(3, 600, 2), atol=1e-5)

    def f(p):
        return torch.sin(3 * p[..., :1]) + p[..., 1:] ** 2

    out = kernel_interpolate(nodes, f(nodes), dense, k=4, kernel=kernel)
    assert (out - f(dense)).abs().mean() < 0.05
    out_r = kernel_interpolate(nodes, f(nodes), dense, radius=0.15, kernel=kernel)
    assert (out_r - f(dense)).abs().mean() < 0.08
    # at a node itself, the gaussian with a small bandwidth returns the node's value
    at_nodes = kernel_interpolate(nodes[0], f(nodes[0]), nodes[0], k=3, bandwidth=1e-4)
    assert torch.allclose(at_nodes, f(nodes[0]), atol=1e-5)
    qi, si, w = interpolation_weights(nodes, dense, k=4, kernel=kernel)
    assert torch.allclose(torch.zeros(1800).index_add_(0, qi, w), torch.ones(1800), atol=1e-6)
    assert (si // 80 == qi // 600).all(), "interpolation never mixes scenes"


def test_interpolation_is_differentiable_and_checks_input():
    nodes = torch.rand(20, 2, generator=torch.Generator().manual_seed(6))
    vals = torch.randn(20, 3, requires_grad=True)
    kernel_interpolate(nodes, vals, torch.rand(50, 2), k=3).sum().backward()
    assert vals.grad is not None and torch.isfinite(vals.grad).all()
    with pytest.raises(ValidationError, match="exactly one"):
        kernel_interpolate(nodes, vals, torch.rand(5, 2))
    with pytest.raises(ValidationError, match="kernel"):
        kernel_interpolate(nodes, vals, torch.rand(5, 2), k=2, kernel="cubic")
    # a point far from every node still gets its nearest node's value under a radius search
    far = kernel_interpolate(nodes, vals.detach(), torch.tensor([[5.0, 5.0]]), radius=0.1)
    nearest = torch.cdist(torch.tensor([[5.0, 5.0]]), nodes).argmin()
    assert torch.allclose(far[0], vals.detach()[nearest])


def _sorted_pairs(e, n):
    key = e[1] * n + e[0]
    return torch.sort(key).values


def test_clustered_points_take_the_ragged_path_with_the_same_result():
    """A dense clump makes the padded candidate layout wasteful; the ragged one must agree."""
    g = torch.Generator().manual_seed(7)
    clump = torch.full((400, 2), 0.5) + 1e-4 * torch.rand(400, 2, generator=g)
    x = torch.cat([clump, torch.rand(2000, 2, generator=g)])
    fast, slow = radius_graph(x, 0.02), radius_graph_brute(x, 0.02)
    assert torch.equal(_sorted_pairs(fast, 2400), _sorted_pairs(slow, 2400))
    capped = radius_graph(x, 0.02, max_neighbors=5)
    assert torch.bincount(capped[1], minlength=2400).max() == 5
    d = ((x[capped[0]] - x[capped[1]]) ** 2).sum(1)
    # the clump's points keep neighbours from the clump (the nearest), never the far ones
    assert d[capped[1] < 400].max() < 1e-7
