"""Small torch networks shared by the RL agents: E independent MLPs evaluated with one batched matmul.

Twin critics (E = 2) cost one ``baddbmm`` per layer instead of two ``addmm``;
weights are drawn from a caller's ``torch.Generator`` (no global seed), with
PyTorch's ``nn.Linear`` scheme U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
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

    def __init__(self, n_members: int, sizes: list[int] | tuple[int, ...], generator: torch.Generator):
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

    def forward(self, x: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        n = len(self.weights)
        ws = params[:n] if params is not None else list(self.weights)
        bs = params[n:] if params is not None else list(self.biases)
        h = x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = torch.baddbmm(b, h, w)
            if i < n - 1:
                h = torch.relu(h)
        return h

    def flat_params(self) -> list[torch.Tensor]:
        return list(self.weights) + list(self.biases)


def squashed_gaussian(mean: torch.Tensor, log_std: torch.Tensor, generator: torch.Generator | None,
                      deterministic: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """A tanh-squashed Gaussian sample ``a = tanh(mu + sigma * eps)`` and its log-density.

    log pi(a|s) = log N(u; mu, sigma) - sum_i log(1 - tanh(u_i)^2), with the
    stable form log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))
    (Haarnoja et al. 2018, appendix C)."""
    std = log_std.exp()
    if deterministic:
        u = mean
        eps = torch.zeros_like(mean)
    else:
        eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
        u = mean + std * eps
    logp = (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
    logp = logp - (2 * (math.log(2.0) - u - torch.nn.functional.softplus(-2 * u))).sum(-1)
    return torch.tanh(u), logp
