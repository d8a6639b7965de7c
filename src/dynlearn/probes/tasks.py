"""Task generators of track D: hypercube-condition tasks and augmentation of small grey images.

:func:`hypercube_task` builds the family of tasks of Alleman, Lindsey & Fusi (2024, ICLR): conditions
are the 2ᵏ vertices of a hypercube of binary latent variables; the targets are some of those variables;
the inputs are noisy patterns whose geometry (their condition-by-condition kernel) has a chosen centred
kernel alignment with the targets' geometry. :func:`augment_images` / :func:`two_views` make the random
views self-supervised methods train on.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from dynlearn._validation import check_array
from dynlearn.errors import ValidationError

__all__ = ["HypercubeTask", "augment_images", "hypercube_task", "two_views"]


@dataclasses.dataclass(frozen=True)
class HypercubeTask:
    """One sampled hypercube task. Arrays of samples are ordered condition by condition.

    ``inputs`` (n, n_inputs), ``targets`` (n, r) in {−1, +1}, ``conditions`` (n,) condition index,
    ``latent`` (2ᵏ, k) the ±1 vertex of each condition, ``patterns`` (2ᵏ, n_inputs) the noise-free input
    of each condition, ``input_kernel`` / ``target_kernel`` (2ᵏ, 2ᵏ) the centred condition kernels,
    ``alignment`` their centred kernel alignment (equal to the requested value up to rounding).
    """

    inputs: np.ndarray
    targets: np.ndarray
    conditions: np.ndarray
    latent: np.ndarray
    patterns: np.ndarray
    target_vars: tuple[int, ...]
    input_kernel: np.ndarray
    target_kernel: np.ndarray
    alignment: float

    @property
    def n_conditions(self) -> int:
        return int(self.latent.shape[0])

    def dichotomy(self, var: int) -> list[int]:
        """The conditions where latent variable ``var`` is −1 (one side of its dichotomy)."""
        if not 0 <= int(var) < self.latent.shape[1]:
            raise ValidationError(f"var must be a latent variable index in [0, {self.latent.shape[1]}); got {var}")
        return np.flatnonzero(self.latent[:, int(var)] < 0).tolist()


def _orth_basis(M: np.ndarray) -> np.ndarray:
    U, s, _ = np.linalg.svd(M, full_matrices=False)
    return U[:, s > 1e-10 * max(1.0, s.max(initial=0.0))]


def hypercube_task(
    *,
    n_latent: int = 3,
    target_vars: tuple[int, ...] = (0, 1),
    alignment: float = 0.5,
    n_inputs: int = 64,
    samples_per_condition: int = 16,
    noise: float = 0.1,
    input_rank: int | None = None,
    seed: int = 0,
) -> HypercubeTask:
    """A hypercube-condition task with input/target kernel alignment ``alignment`` = c ∈ [0, 1].

    Conditions: the 2ᵏ vertices z ∈ {−1, +1}ᵏ (k = ``n_latent``). Targets: y = z[target_vars] (r outputs).
    Geometry: with H = I − 11ᵀ/2ᵏ, the centred target kernel K_y = H Y Yᵀ H. The input kernel is

        K_x = c · K_y/‖K_y‖_F + √(1 − c²) · B,

    where B is a unit-norm PSD kernel supported on the centred complement of the targets' span (so
    ⟨B, K_y⟩_F = 0): the projector onto that complement (``input_rank=None``: the inputs use every
    remaining direction) or a random rank-``input_rank`` kernel inside it. Then the centred kernel
    alignment ⟨K_x, K_y⟩/(‖K_x‖‖K_y‖) = c exactly: c = 1 gives inputs that *are* the target geometry
    (low-dimensional, linearly separable), c = 0 inputs whose geometry is orthogonal to the targets' (the
    targets are then not linear in the inputs). This follows the construction Alleman et al. (2024)
    describe (inputs sampled at a set kernel alignment with the labels, turned into patterns by an
    eigendecomposition); their exact sampler is not public in the text we had.

    Patterns: K_x = U Λ Uᵀ, condition c gets U Λ^{1/2} rotated into ``n_inputs`` dimensions by a random
    orthonormal map, scaled so the mean squared pattern norm is ``n_inputs`` (unit variance per input).
    Samples: ``samples_per_condition`` copies of each pattern plus N(0, ``noise``²) per input.
    """
    k = int(n_latent)
    if not 2 <= k <= 8:
        raise ValidationError(f"n_latent must be between 2 and 8 (2^k conditions); got {n_latent}")
    tv = tuple(int(v) for v in target_vars)
    if not tv or len(set(tv)) != len(tv) or any(not 0 <= v < k for v in tv):
        raise ValidationError(f"target_vars must be distinct latent indices in [0, {k}); got {target_vars}")
    c = float(alignment)
    if not 0.0 <= c <= 1.0:
        raise ValidationError(f"alignment must be in [0, 1]; got {alignment}")
    n_cond = 2**k
    if int(n_inputs) < n_cond:
        raise ValidationError(f"n_inputs must be at least the number of conditions ({n_cond}); got {n_inputs}")
    if int(samples_per_condition) < 1 or float(noise) < 0:
        raise ValidationError("samples_per_condition must be >= 1 and noise >= 0")
    rng = np.random.default_rng(seed)

    latent = np.array(list(itertools.product((-1.0, 1.0), repeat=k)))
    Y = latent[:, list(tv)]
    H = np.eye(n_cond) - 1.0 / n_cond
    Ky = H @ Y @ Y.T @ H
    A = Ky / np.linalg.norm(Ky)
    Q = _orth_basis(H @ Y)
    P_perp = H - Q @ Q.T
    free = n_cond - 1 - Q.shape[1]
    if c < 1.0 and free < 1:
        raise ValidationError("the targets use every direction of the conditions: only alignment=1 is possible")
    if input_rank is None or c == 1.0:
        B = P_perp
    else:
        r = int(input_rank)
        if not 1 <= r <= free:
            raise ValidationError(f"input_rank must be between 1 and {free} for this task; got {input_rank}")
        R = P_perp @ rng.standard_normal((n_cond, r))
        B = R @ R.T
    B = B / np.linalg.norm(B) if np.linalg.norm(B) > 0 else B
    Kx = c * A + np.sqrt(max(0.0, 1.0 - c * c)) * B
    Kx = 0.5 * (Kx + Kx.T)

    lam, U = np.linalg.eigh(Kx)
    lam[lam < 1e-10 * lam.max()] = 0.0  # rounding noise in the null directions stays out of the inputs
    M = U * np.sqrt(lam)
    rot = np.linalg.qr(rng.standard_normal((int(n_inputs), n_cond)))[0].T  # (n_cond, n_inputs), orthonormal rows
    patterns = M @ rot
    patterns *= np.sqrt(int(n_inputs) / np.mean(np.sum(patterns**2, axis=1)))

    m = int(samples_per_condition)
    conditions = np.repeat(np.arange(n_cond), m)
    inputs = patterns[conditions] + float(noise) * rng.standard_normal((conditions.size, int(n_inputs)))
    Kx_c = H @ patterns @ patterns.T @ H
    measured = float(np.sum(Kx_c * Ky) / (np.linalg.norm(Kx_c) * np.linalg.norm(Ky)))
    return HypercubeTask(
        inputs=inputs,
        targets=Y[conditions].copy(),
        conditions=conditions,
        latent=latent,
        patterns=patterns,
        target_vars=tv,
        input_kernel=Kx_c,
        target_kernel=Ky,
        alignment=measured,
    )


# --- augmentation of small grey images -------------------------------------------------------------
def augment_images(
    images,
    *,
    seed: int | np.random.Generator = 0,
    crop_pad: int = 2,
    flip: bool = False,
    brightness: float = 0.1,
    contrast: float = 0.2,
    noise: float = 0.05,
) -> np.ndarray:
    """One random view of each image of a batch (n, H, W) of grey images with values in [0, 1].

    Per image, independently: a random translation by up to ``crop_pad`` pixels (pad with zeros, crop back
    to H × W), a horizontal flip with probability 1/2 if ``flip`` (off by default: digits are not
    mirror-symmetric), contrast x ↦ m + (1 + a)(x − m) with a ~ U[−contrast, contrast] and m the image
    mean, brightness x ↦ x + b with b ~ U[−brightness, brightness], additive N(0, noise²) pixel noise; the
    result is clipped to [0, 1]. ``seed`` may be a Generator, to draw successive views from one stream.
    """
    X = check_array(images, "images", ndim=3)
    n, h, w = X.shape
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    p = int(crop_pad)
    if p < 0:
        raise ValidationError(f"crop_pad must be >= 0; got {crop_pad}")
    out = np.empty_like(X)
    if p:
        padded = np.pad(X, ((0, 0), (p, p), (p, p)))
        dy, dx = rng.integers(0, 2 * p + 1, n), rng.integers(0, 2 * p + 1, n)
        rows = dy[:, None] + np.arange(h)[None, :]
        cols = dx[:, None] + np.arange(w)[None, :]
        out[:] = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    else:
        out[:] = X
    if flip:
        f = rng.random(n) < 0.5
        out[f] = out[f, :, ::-1]
    mean = out.mean(axis=(1, 2), keepdims=True)
    a = rng.uniform(-contrast, contrast, (n, 1, 1))
    b = rng.uniform(-brightness, brightness, (n, 1, 1))
    out = mean + (1.0 + a) * (out - mean) + b
    if noise > 0:
        out = out + noise * rng.standard_normal(out.shape)
    return np.clip(out, 0.0, 1.0)


def two_views(images, *, seed: int = 0, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Two independent random views (:func:`augment_images`) of every image, for SSL pairs."""
    rng = np.random.default_rng(seed)
    return augment_images(images, seed=rng, **kwargs), augment_images(images, seed=rng, **kwargs)
