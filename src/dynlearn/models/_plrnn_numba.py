"""The numba kernels of :mod:`dynlearn.models._plrnn_kernel` (imported only when used)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath=True)
def forward(z0, zhat, a, A, W1, W2T, h1, h2, clipped):
    # loops over the L hidden units are innermost and contiguous, so they vectorise
    B, M = z0.shape
    T, K = zhat.shape[1], zhat.shape[2]
    L = W2T.shape[1]
    dt = z0.dtype
    Z = np.empty((B, T, M), dtype=dt)
    S = np.empty((B, T, M), dtype=dt)
    U = np.empty((B, T, L), dtype=dt)
    s = np.empty(M, dtype=dt)
    u = np.empty(L, dtype=dt)
    act = np.empty(L, dtype=dt)
    for b in range(B):
        s[:] = z0[b]
        for t in range(T):
            S[b, t] = s
            u[:] = 0
            for m in range(M):
                sm = s[m]
                for j in range(L):
                    u[j] += W2T[m, j] * sm
            for j in range(L):  # comparisons as factors keep float32 arithmetic in float32
                v = u[j] + h2[j]
                act[j] = v * (v > 0) - u[j] * (clipped and u[j] > 0)
            U[b, t] = u
            at = a[t]
            for m in range(M):
                acc = A[m] * s[m] + h1[m]
                for j in range(L):
                    acc += W1[m, j] * act[j]
                Z[b, t, m] = acc
            for m in range(M):
                zm = Z[b, t, m]
                s[m] = zm + at * (zhat[b, t, m] - zm) if m < K else zm
    return Z, S, U


@njit(cache=True, nogil=True, fastmath=True)
def backward(dZ, S, U, a, A, W1, W2T, h2, clipped, K):
    B, T, M = dZ.shape
    L = W2T.shape[1]
    dt = dZ.dtype
    dz0 = np.zeros((B, M), dtype=dt)
    dzhat = np.zeros((B, T, K), dtype=dt)
    dA = np.zeros(M, dtype=dt)
    dW1 = np.zeros((M, L), dtype=dt)
    dW2T = np.zeros((M, L), dtype=dt)
    dh1 = np.zeros(M, dtype=dt)
    dh2 = np.zeros(L, dtype=dt)
    gs = np.zeros(M, dtype=dt)
    gz = np.zeros(M, dtype=dt)
    act = np.empty(L, dtype=dt)
    dact = np.empty(L, dtype=dt)
    du = np.empty(L, dtype=dt)
    for b in range(B):
        gs[:] = 0
        for t in range(T - 1, -1, -1):
            at = a[t]
            for m in range(M):
                if m < K:
                    gz[m] = dZ[b, t, m] + gs[m] - at * gs[m]
                    dzhat[b, t, m] = at * gs[m]
                else:
                    gz[m] = dZ[b, t, m] + gs[m]
                dh1[m] += gz[m]
                dA[m] += gz[m] * S[b, t, m]
            dact[:] = 0
            for j in range(L):
                uj = U[b, t, j]
                v = uj + h2[j]
                p = v > 0
                q = clipped and uj > 0
                act[j] = v * p - uj * q
                du[j] = p  # φ'(u) = p - q, multiplied by ∂L/∂act below
                du[j] -= q
            for m in range(M):
                gm = gz[m]
                for j in range(L):
                    dW1[m, j] += gm * act[j]
                    dact[j] += W1[m, j] * gm
            for j in range(L):
                dh2[j] += dact[j] * (U[b, t, j] + h2[j] > 0)
                du[j] *= dact[j]
            for m in range(M):
                sm = S[b, t, m]
                acc = A[m] * gz[m]
                for j in range(L):
                    dW2T[m, j] += du[j] * sm
                    acc += W2T[m, j] * du[j]
                gs[m] = acc
        dz0[b] = gs
    return dz0, dzhat, dA, dW1, dW2T, dh1, dh2


@njit(cache=True, nogil=True)
def _sym_max_eig(G, M):
    """Largest eigenvalue of a symmetric ``M × M`` matrix, ``M ≤ 3``, in closed form
    (the trigonometric solution of the characteristic cubic)."""
    if M == 1:
        return G[0, 0]
    if M == 2:
        h = 0.5 * (G[0, 0] + G[1, 1])
        return h + np.sqrt(0.25 * (G[0, 0] - G[1, 1]) ** 2 + G[0, 1] ** 2)
    p1 = G[0, 1] ** 2 + G[0, 2] ** 2 + G[1, 2] ** 2
    q = (G[0, 0] + G[1, 1] + G[2, 2]) / 3.0
    p2 = (G[0, 0] - q) ** 2 + (G[1, 1] - q) ** 2 + (G[2, 2] - q) ** 2 + 2.0 * p1
    if p2 <= 1e-300:
        return q
    p = np.sqrt(p2 / 6.0)
    b00, b11, b22 = (G[0, 0] - q) / p, (G[1, 1] - q) / p, (G[2, 2] - q) / p
    b01, b02, b12 = G[0, 1] / p, G[0, 2] / p, G[1, 2] / p
    r = 0.5 * (b00 * (b11 * b22 - b12 * b12) - b01 * (b01 * b22 - b12 * b02) + b02 * (b01 * b12 - b11 * b02))
    r = min(1.0, max(-1.0, r))
    return q + 2.0 * p * np.cos(np.arccos(r) / 3.0)


@njit(cache=True, nogil=True)
def _power_iteration(G, v, w):
    """Largest eigenvalue of a symmetric positive semi-definite ``G`` (Rayleigh quotient, to 1e-12)."""
    M = G.shape[0]
    for m in range(M):
        v[m] = 1.0 + 0.1 * m
    lam = 0.0
    for _ in range(500):
        nv = np.sqrt(np.sum(v * v))
        if nv == 0.0:
            return 0.0
        v /= nv
        new = 0.0
        for m in range(M):
            acc = 0.0
            for k in range(M):
                acc += G[m, k] * v[k]
            w[m] = acc
            new += v[m] * acc
        v[:] = w
        if abs(new - lam) <= 1e-12 * abs(new):
            return new
        lam = new
    return lam


@njit(cache=True, nogil=True, fastmath=True)
def jacobian_norms(z, A, W1, W2T, h2, clipped):
    """``||J(z_p)||₂`` for each row of ``z`` ``(P, M)``, ``J = diag(A) + W₁ diag(φ'(W₂z)) W₂``:
    the square root of the largest eigenvalue of ``JᵀJ`` (closed form for ``M ≤ 3``, else
    power iteration)."""
    P, M = z.shape
    L = W2T.shape[1]
    out = np.empty(P, dtype=np.float64)
    d = np.empty(L, dtype=np.float64)
    wd = np.empty(L, dtype=np.float64)
    J = np.empty((M, M), dtype=np.float64)
    G = np.empty((M, M), dtype=np.float64)
    v = np.empty(M, dtype=np.float64)
    w = np.empty(M, dtype=np.float64)
    for p in range(P):
        for j in range(L):
            u = 0.0
            for m in range(M):
                u += W2T[m, j] * z[p, m]
            d[j] = (1.0 if u + h2[j] > 0 else 0.0) - (1.0 if clipped and u > 0 else 0.0)
        for m in range(M):
            for j in range(L):
                wd[j] = W1[m, j] * d[j]
            for k in range(M):
                acc = A[m] if m == k else 0.0
                for j in range(L):
                    acc += wd[j] * W2T[k, j]
                J[m, k] = acc
        for m in range(M):
            for k in range(M):
                acc = 0.0
                for i in range(M):
                    acc += J[i, m] * J[i, k]
                G[m, k] = acc
        if M <= 3:
            lam = _sym_max_eig(G, M)
        else:
            lam = _power_iteration(G, v, w)
        out[p] = np.sqrt(max(lam, 0.0))
    return out
