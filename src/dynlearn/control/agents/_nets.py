"""Small torch networks shared by the RL agents: E independent MLPs evaluated with one batched matmul.

Twin critics (E = 2) cost one ``baddbmm`` per layer instead of two ``addmm``;
weights are drawn from a caller's ``torch.Generator`` (no global seed), with
PyTorch's ``nn.Linear`` scheme U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

Spectral normalisation (Miyato et al. 2018, "Spectral Normalization for Generative
Adversarial Networks") of chosen layers divides each member's weight by an estimate
of its largest singular value, W_sn = W / sigma(W), sigma(W) ~ v^T W u with unit vectors
u, v refined by one power iteration per call of :meth:`BatchedMLP.power_iteration_`
(the critic calls it once per update), so ||W_sn||_2 <= 1 up to the estimate's error.
A ReLU network whose every layer has ||W||_2 <= 1 is 1-Lipschitz; the layers left free
set the scale.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class BatchedMLP(nn.Module):
    """``n_members`` MLPs with layer sizes ``sizes`` and ReLU between layers.

    ``forward(x)`` takes ``(B, in)`` (shared by every member) or ``(E, B, in)``
    and returns ``(E, B, out)``. ``params`` replaces the weights for one call
    (e.g. detached ones, so an actor's loss does not fill the critic's grads)."""

    def __init__(self, n_members: int, sizes: list[int] | tuple[int, ...], generator: torch.Generator,
                 spectral_norm: tuple[int, ...] = ()):
        super().__init__()
        self.n_members = int(n_members)
        self.sizes = tuple(int(s) for s in sizes)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            w = (torch.rand(self.n_members, fan_in, fan_out, generator=generator) * 2 - 1) * bound
            b = (torch.rand(self.n_members, 1, fan_out, generator=generator) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b))
        n = len(self.weights)
        self.spectral_norm = tuple(sorted({int(i) % n for i in spectral_norm}))
        for i in self.spectral_norm:  # power-iteration vectors, part of the state dict (checkpoints keep them)
            u = torch.randn(self.n_members, self.sizes[i + 1], generator=generator)
            self.register_buffer(f"sn_u{i}", u / u.norm(dim=-1, keepdim=True))
        self.power_iteration_(30)  # start from converged singular vectors; then one iteration per update tracks them

    @torch.no_grad()
    def power_iteration_(self, iterations: int = 1) -> None:
        """Refine the singular-vector estimate of every normalised layer (u <- W^T W u, normalised)."""
        for i in self.spectral_norm:
            w, u = self.weights[i].detach(), getattr(self, f"sn_u{i}")
            for _ in range(int(iterations)):
                v = torch.nn.functional.normalize(torch.bmm(w, u.unsqueeze(-1)).squeeze(-1), dim=-1)
                u = torch.nn.functional.normalize(torch.bmm(w.transpose(1, 2), v.unsqueeze(-1)).squeeze(-1), dim=-1)
            getattr(self, f"sn_u{i}").copy_(u)

    def effective_weights(self, ws: list[torch.Tensor]) -> list[torch.Tensor]:
        """The weights the forward pass multiplies by: ``W / sigma(W)`` on the normalised layers.
        sigma = ||W u|| with the stored right singular vector u (gradient flows through W)."""
        if not self.spectral_norm:
            return ws
        out = list(ws)
        for i in self.spectral_norm:
            u = getattr(self, f"sn_u{i}").detach()
            sigma = torch.bmm(ws[i], u.unsqueeze(-1)).squeeze(-1).norm(dim=-1)  # (E,)
            out[i] = ws[i] / sigma.clamp_min(1e-12)[:, None, None]
        return out

    def forward(self, x: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        n = len(self.weights)
        ws = params[:n] if params is not None else list(self.weights)
        bs = params[n:] if params is not None else list(self.biases)
        ws = self.effective_weights(ws)
        h = x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = torch.baddbmm(b, h, w)
            if i < n - 1:
                h = torch.relu(h)
        return h

    def flat_params(self) -> list[torch.Tensor]:
        return list(self.weights) + list(self.biases)


class _SquashedGaussian(torch.autograd.Function):
    """``(tanh(u), log pi)`` with ``u = mu + exp(log_std) eps`` and a hand-written backward:
    ``d log pi / d u = 2 tanh(u)`` (the derivative of ``-log(1 - tanh² u)``; the Gaussian part
    ``-eps²/2 - log_std`` has ``eps`` held fixed under the reparameterisation), ``d tanh(u) / d u
    = 1 - tanh² u``, ``d u / d mu = 1``, ``d u / d log_std = exp(log_std) eps`` and
    ``d log pi / d log_std`` adds ``-1``. Six element-wise operations backward instead of autograd's
    graph of a dozen."""

    @staticmethod
    def forward(ctx, mean, log_std, eps):
        std = log_std.exp()
        u = torch.addcmul(mean, std, eps)
        a = torch.tanh(u)
        logp = (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        logp = logp - (2 * (math.log(2.0) - u - torch.nn.functional.softplus(-2 * u))).sum(-1)
        ctx.save_for_backward(a, std, eps)
        return a, logp

    @staticmethod
    def backward(ctx, g_a, g_logp):
        a, std, eps = ctx.saved_tensors
        g_logp = g_logp.unsqueeze(-1)
        g_u = torch.addcmul(g_a * (1 - a * a), g_logp, 2 * a) if g_a is not None else g_logp * (2 * a)
        return g_u, torch.addcmul(-g_logp, g_u, std * eps), None


def squashed_gaussian(mean: torch.Tensor, log_std: torch.Tensor, generator: torch.Generator | None,
                      deterministic: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """A tanh-squashed Gaussian sample ``a = tanh(mu + sigma * eps)`` and its log-density.

    log pi(a|s) = log N(u; mu, sigma) - sum_i log(1 - tanh(u_i)^2), with the
    stable form log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))
    (Haarnoja et al. 2018, appendix C). Differentiable in ``mean`` and ``log_std``
    (through :class:`_SquashedGaussian`'s closed-form backward)."""
    if deterministic:
        eps = torch.zeros_like(mean)
    else:
        eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
    return _SquashedGaussian.apply(mean, log_std, eps)
