"""Fused forward and backward pass of the (clipped) shPLRNN over a forced window.

One optimiser step of shPLRNN training runs ``T`` (≈ 200) steps of a tiny map
(``M = 3`` latent, ``L = 100`` hidden units). Recorded by autograd, that is
thousands of small tensor operations whose dispatch costs far more than their
arithmetic. Here the whole window is one compiled loop (numba), and so is its
hand-written adjoint; torch sees a single differentiable operation.

The recursion (every regime of :mod:`dynlearn.training` is a choice of ``a_t``):

    s_0 = z0,     z_t = A ⊙ s_{t−1} + W₁ φ(W₂ s_{t−1}) + h₁,     t = 1..T
    s_t[:K] = (1 − a_t) z_t[:K] + a_t ẑ_t,     s_t[K:] = z_t[K:]

with ``φ(u) = relu(u + h₂) − relu(u)`` (clipped) or ``relu(u + h₂)``. The
backward pass runs the adjoint recursion ``g_{t−1} = ∂z_t/∂s_{t−1}ᵀ ḡ_t``,
``ḡ_t = ∂L/∂z_t + ∂s_t/∂z_tᵀ g_t``, and accumulates the parameter gradients
on the way (relu'(0) = 0, as in torch).
"""

from __future__ import annotations

import functools
import importlib.util

import numpy as np
import torch


@functools.cache
def available() -> bool:
    """Whether numba is installed (without it the regimes step through autograd)."""
    return importlib.util.find_spec("numba") is not None


@functools.cache
def _compiled():
    """The kernels (numba is imported only on first use; compiled code is cached on disk)."""
    from dynlearn.models import _plrnn_numba as k

    return k.forward, k.backward, k.jacobian_norms


def _np(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().numpy())


class ForcedRollout(torch.autograd.Function):
    """``Z = rollout(z0, ẑ, a; A, W₁, W₂, h₁, h₂)``, ``(batch, T, M)``, with the adjoint above."""

    @staticmethod
    def forward(ctx, z0, zhat, a, A, W1, W2, h1, h2, clipped):
        W1n, W2T, h2n, An = _np(W1), _np(W2.T), _np(h2), _np(A)
        an = _np(a)
        Z, S, U = _compiled()[0](_np(z0), _np(zhat), an, An, W1n, W2T, _np(h1), h2n, bool(clipped))
        ctx.clipped, ctx.K = bool(clipped), zhat.shape[-1]
        ctx.arrays = (S, U, an, An, W1n, W2T, h2n)
        return torch.from_numpy(Z)

    @staticmethod
    def backward(ctx, dZ):
        S, U, an, An, W1n, W2T, h2n = ctx.arrays
        dz0, dzhat, dA, dW1, dW2T, dh1, dh2 = _compiled()[1](_np(dZ), S, U, an, An, W1n, W2T, h2n, ctx.clipped, ctx.K)
        t = torch.from_numpy
        return t(dz0), t(dzhat), None, t(dA), t(dW1), t(np.ascontiguousarray(dW2T.T)), t(dh1), t(dh2), None


def jacobian_norms(z, A, W1, W2, h2, clipped: bool) -> torch.Tensor:
    """Spectral norms ``||∂F/∂z||₂`` at each row of ``z`` ``(n, M)``: ``(n,)`` float64."""
    f = _compiled()[2]
    d = np.float64
    out = f(
        _np(z).astype(d), _np(A).astype(d), _np(W1).astype(d), _np(W2.T).astype(d), _np(h2).astype(d), bool(clipped)
    )
    return torch.from_numpy(out)


def forced_rollout(z0, zhat, a, A, W1, W2, h1, h2, clipped: bool) -> torch.Tensor:
    """Latent states ``z_1..z_T`` ``(batch, T, M)`` of the forced recursion (module docstring).

    ``z0`` ``(batch, M)``; ``zhat`` ``(batch, T, K)`` the forcing signals ẑ_1..ẑ_T;
    ``a`` ``(T,)`` the forcing weights a_1..a_T. All tensors share one float dtype.
    """
    a = torch.as_tensor(a, dtype=z0.dtype)
    return ForcedRollout.apply(z0, zhat, a, A, W1, W2, h1, h2, clipped)
