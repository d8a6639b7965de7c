"""dynlearn.probes.ntk and dynlearn.probes.permutations: kernels against hand-computed values, the NTK-GP limits,
the empirical NTK's convergence to the analytic one, and the permutation task."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynlearn.errors import ValidationError
from dynlearn.probes.ntk import FCKernel, empirical_ntk, fc_network, ntk_gp, sample_ensemble
from dynlearn.probes.permutations import (
    exact_match,
    nonzero_binary_inputs,
    ntk_mean_levels,
    permutation_task,
    round_to_permutation,
)


def test_relu_two_layer_kernels_match_the_arc_cosine_closed_forms():
    # x = e1, x' = (e1 + e2)/sqrt(2) in d = 2, sw2 = 2, sb2 = 0: Sigma^1 = x.x' (2/d = 1), angle pi/4
    x = np.array([[1.0, 0.0], [1 / math.sqrt(2), 1 / math.sqrt(2)]])
    nngp, ntk = FCKernel("relu", 1, 2.0, 0.0)(x)
    th = math.pi / 4
    k12 = 2 * (math.sin(th) + (math.pi - th) * math.cos(th)) / (2 * math.pi)
    kdot12 = 2 * (math.pi - th) / (2 * math.pi)
    assert nngp[0, 0] == pytest.approx(1.0)  # sw2 E[relu(u)^2] = 2 * 1/2
    assert nngp[0, 1] == pytest.approx(k12)
    assert ntk[0, 0] == pytest.approx(1.0 + 1.0 * 1.0)  # Sigma^2 + Theta^1 * SigmaDot^2, SigmaDot(x,x) = 1
    assert ntk[0, 1] == pytest.approx(k12 + math.cos(th) * kdot12)
    # orthogonal inputs: angle pi/2 gives K = 1/pi, Theta = 1/pi + 0 * 1/2
    n2, t2 = FCKernel("relu", 1, 2.0, 0.0)(np.eye(2))
    assert n2[0, 1] == pytest.approx(1 / math.pi) and t2[0, 1] == pytest.approx(1 / math.pi)


def test_erf_kernel_with_bias_matches_the_williams_closed_form():
    x = np.array([[1.0], [-0.5]])  # d = 1
    sw2, sb2 = 1.5, 0.2
    nngp, ntk = FCKernel("erf", 1, sw2, sb2)(x)
    a, b, c = sw2 + sb2, sw2 * 0.25 + sb2, -0.5 * sw2 + sb2
    k = sw2 * (2 / math.pi) * math.asin(2 * c / math.sqrt((1 + 2 * a) * (1 + 2 * b))) + sb2
    kdot = sw2 * (4 / math.pi) / math.sqrt((1 + 2 * a) * (1 + 2 * b) - 4 * c**2)
    assert nngp[0, 1] == pytest.approx(k)
    assert ntk[0, 1] == pytest.approx(k + c * kdot)
    assert nngp[0, 0] == pytest.approx(sw2 * (2 / math.pi) * math.asin(2 * a / (1 + 2 * a)) + sb2)


def test_deep_kernels_are_symmetric_psd_and_depth_adds_layers():
    x = np.random.default_rng(0).standard_normal((12, 4))
    for act in ("relu", "erf"):
        for depth in (1, 3):
            nngp, ntk = FCKernel(act, depth, 1.7, 0.3)(x)
            for m in (nngp, ntk):
                assert np.allclose(m, m.T)
                assert np.linalg.eigvalsh(m).min() > -1e-10 * np.abs(m).max()
    # a ReLU network with sw2 = 2 and no bias keeps the NNGP diagonal at Sigma^1 = 2 |x|^2 / d at every depth
    n3, t3 = FCKernel("relu", 3, 2.0, 0.0)(x)
    assert np.allclose(np.diag(n3), 2 * (x**2).sum(1) / 4)
    # and Theta^{L+1} on the diagonal, with SigmaDot = 1 there, is (L + 1) Sigma^1
    assert np.allclose(np.diag(t3), 4 * 2 * (x**2).sum(1) / 4)


def test_bad_kernel_requests_are_refused_clearly():
    with pytest.raises(ValidationError, match="supported: relu, erf"):
        FCKernel("tanh")
    with pytest.raises(ValidationError, match="depth"):
        FCKernel("relu", depth=0)
    with pytest.raises(ValidationError, match="2-D"):
        FCKernel()(np.ones(3))
    with pytest.raises(ValidationError, match="same input dimension"):
        FCKernel()(np.ones((2, 3)), np.ones((2, 4)))


def test_empirical_ntk_tends_to_the_analytic_one_like_one_over_sqrt_width():
    kern = FCKernel("relu", 1, 2.0, 0.1)
    x = np.random.default_rng(1).standard_normal((6, 3))
    theta = kern.ntk(x)
    widths = [64, 512, 4096]
    errs = []
    for width in widths:
        e = [
            np.linalg.norm(empirical_ntk(fc_network(kern, 3, width, seed=s).double(), x).numpy() - theta)
            for s in range(4)
        ]
        errs.append(np.mean(e) / np.linalg.norm(theta))
    slope = np.polyfit(np.log(widths), np.log(errs), 1)[0]
    assert errs[-1] < 0.08
    assert -0.75 < slope < -0.3, (errs, slope)
    # without the 1/sqrt(d) of the first layer the kernel is that of the inputs scaled by sqrt(d)
    raw = FCKernel("relu", 1, 2.0, 0.1, normalise_inputs=False)
    assert np.allclose(raw.ntk(x), kern.ntk(x * math.sqrt(3)))
    e = empirical_ntk(fc_network(raw, 3, 4096, seed=0).double(), x).numpy()
    assert np.linalg.norm(e - raw.ntk(x)) / np.linalg.norm(raw.ntk(x)) < 0.1


def test_empirical_ntk_full_blocks_and_vmap_chunks_agree():
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2)).double()
    x1, x2 = torch.randn(5, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    full = empirical_ntk(net, x1, x2, reduce="full")
    assert full.shape == (5, 4, 2, 2)
    mean = empirical_ntk(net, x1, x2, chunk_size=2)
    assert torch.allclose(mean, torch.diagonal(full, dim1=2, dim2=3).mean(-1))
    # one entry by hand: the gradients of output 0 at x1[0] and x2[1]
    g = []
    for x in (x1[0], x2[1]):
        net.zero_grad()
        net(x[None])[0, 0].backward()
        g.append(torch.cat([p.grad.reshape(-1) for p in net.parameters()]))
    assert torch.allclose(full[0, 1, 0, 0], g[0] @ g[1])
    with pytest.raises(ValidationError, match="reduce"):
        empirical_ntk(net, x1, reduce="trace")


def test_ntk_gp_limits_prior_at_zero_and_interpolation_at_infinity():
    kern = FCKernel("relu", 2, 2.0, 0.1)
    rng = np.random.default_rng(2)
    xtr, xte = rng.standard_normal((6, 3)), rng.standard_normal((4, 3))
    y = rng.standard_normal((6, 2))
    prior = ntk_gp(kern, xtr, y, xte, t=0.0)
    assert np.allclose(prior.mean, 0) and np.allclose(prior.cov, kern.nngp(xte))
    # at t = inf on the training inputs the network interpolates: mean = y, no variance left
    fit = ntk_gp(kern, xtr, y, xtr)
    assert np.allclose(fit.mean, y, atol=1e-9) and np.abs(fit.cov).max() < 1e-9
    # a long finite time approaches the infinite-time answer; cov is PSD
    late, inf = ntk_gp(kern, xtr, y, xte, t=1e6), ntk_gp(kern, xtr, y, xte)
    assert np.allclose(late.mean, inf.mean) and np.allclose(late.cov, inf.cov, atol=1e-9)
    assert np.linalg.eigvalsh(inf.cov).min() > -1e-10
    with pytest.raises(ValidationError, match="one row per training input"):
        ntk_gp(kern, xtr, y[:3], xte)


def test_ntk_gp_mean_matches_linearised_gradient_flow():
    # gradient flow on the linear model in NTK features: f_t(X) - y = exp(-lr Theta t)(f_0 - y), f_0 = 0 (mean)
    kern = FCKernel("erf", 1, 1.0, 0.5)
    rng = np.random.default_rng(3)
    xtr, y = rng.standard_normal((5, 2)), rng.standard_normal(5)
    th = kern.ntk(xtr)
    lam, v = np.linalg.eigh(th)
    t, lr = 0.7, 0.5
    expected = y - (v * np.exp(-lr * lam * t)) @ v.T @ y
    assert np.allclose(ntk_gp(kern, xtr, y, xtr, t=t, lr=lr).mean[:, 0], expected)


def test_ensemble_samples_have_the_gp_moments_divided_by_members():
    kern = FCKernel("relu", 1, 2.0, 0.0)
    rng = np.random.default_rng(4)
    pred = ntk_gp(kern, rng.standard_normal((4, 3)), rng.standard_normal((4, 1)), rng.standard_normal((3, 3)))
    draws = sample_ensemble(pred, n_members=4, n_draws=20000, seed=0)
    assert draws.shape == (20000, 3, 1)
    assert np.allclose(draws.mean(0), pred.mean, atol=0.03)
    assert np.allclose(np.cov(draws[:, :, 0].T), pred.cov / 4, atol=0.02)
    assert np.array_equal(draws, sample_ensemble(pred, 4, 20000, seed=0))


def test_permutation_task_and_the_closed_form_mean_levels():
    task = permutation_task(5, seed=3)
    assert task.x_test.shape == (31, 5) and task.x_train.shape == (5, 5)
    assert np.array_equal(task.y_test.sum(1), task.x_test.sum(1))
    assert np.array_equal(task.apply(task.x_train), task.y_train)
    assert len({tuple(r) for r in nonzero_binary_inputs(5)}) == 31
    for kern in (FCKernel("relu", 1, 2.0, 0.1), FCKernel("relu", 1, 1.0, 0.0, normalise_inputs=False)):
        pred = ntk_gp(kern, task.x_train, task.y_train, task.x_test)
        lo, hi = ntk_mean_levels(kern, 5, task.x_test.sum(1))
        assert np.allclose(pred.mean, lo[:, None] + (hi - lo)[:, None] * task.y_test)
        assert np.all(hi > lo)
        assert exact_match(round_to_permutation(pred.mean, task.x_test, kern), task.y_test).all()
    with pytest.raises(ValidationError, match="permutation of 0..2"):
        permutation_task(3, perm=[0, 0, 1])
    with pytest.raises(ValidationError, match="integer in"):
        nonzero_binary_inputs(0)


def test_the_docs_example_runs(capsys):
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "probes-ntk.md").read_text()
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    exec(compile(code, "docs/probes-ntk.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "exact on all 63 inputs in 100% of ensembles"
    assert float(out[1]) < 0.1


def test_bad_inputs_to_the_gp_and_the_empirical_ntk_are_refused():
    import torch

    kern = FCKernel()
    pred = ntk_gp(kern, np.eye(3), np.eye(3), np.ones((2, 3)))
    with pytest.raises(ValidationError, match="positive integers"):
        sample_ensemble(pred, n_members=0)
    with pytest.raises(ValidationError, match="singular"):
        ntk_gp(kern, np.ones((2, 3)), np.ones(2), np.ones((1, 3)))
    frozen = torch.nn.Linear(2, 1).requires_grad_(False)
    with pytest.raises(ValidationError, match="no trainable parameters"):
        empirical_ntk(frozen, torch.ones(3, 2))
