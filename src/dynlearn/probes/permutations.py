"""Binary permutation tasks (Giapitzakis, Back de Luca, Fountoulakis 2025, arXiv:2502.16763).

A fixed permutation ``pi`` of ``{0..k-1}`` acts on binary vectors by ``P(x)_j = x_{pi(j)}``. The inputs are
the ``2^k - 1`` nonzero vectors of ``{0, 1}^k``; the training set is the ``k`` standard basis vectors
(logarithmic in the number of possible inputs), whose targets ``P(e_i) = e_{pi^{-1}(i)}`` reveal ``pi``;
every other input is a test input.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dynlearn.errors import ValidationError


def nonzero_binary_inputs(k: int) -> np.ndarray:
    """All ``2^k - 1`` nonzero vectors of ``{0, 1}^k`` (rows; row ``i`` is the binary expansion of ``i + 1``)."""
    _check_k(k, limit=24)
    codes = np.arange(1, 2**k, dtype=np.int64)
    return ((codes[:, None] >> np.arange(k)) & 1).astype(np.float64)


def _check_k(k, limit: int) -> None:
    if int(k) != k or not 1 <= k <= limit:
        raise ValidationError(f"k (the input length) must be an integer in [1, {limit}]; got {k}")


@dataclasses.dataclass(frozen=True)
class PermutationTask:
    """``perm[j]`` is the input index copied to output ``j``; train on the basis, test on all nonzero inputs."""

    perm: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def k(self) -> int:
        return int(self.perm.size)

    def apply(self, x) -> np.ndarray:
        """``P(x)``: the target of each row of ``x``."""
        return np.asarray(x)[..., self.perm]


def permutation_task(k: int, *, seed: int = 0, perm=None, max_test_k: int = 20) -> PermutationTask:
    """A random (or given) permutation of length ``k`` with the basis as training set.

    ``x_test`` holds every nonzero binary input (2^k - 1 rows) when ``k <= max_test_k``; above, it is empty
    (the full set would not fit in memory): draw test inputs yourself and score them with ``task.apply``.
    """
    _check_k(k, limit=10_000)
    if perm is None:
        perm = np.random.default_rng(seed).permutation(k)
    perm = np.asarray(perm)
    if perm.shape != (k,) or not np.array_equal(np.sort(perm), np.arange(k)):
        raise ValidationError(f"perm must be a permutation of 0..{k - 1}; got {perm.tolist()}")
    x_train = np.eye(k)
    x_test = nonzero_binary_inputs(k) if k <= max_test_k else np.zeros((0, k))
    return PermutationTask(perm, x_train, x_train[:, perm], x_test, x_test[:, perm])


def exact_match(pred, target) -> np.ndarray:
    """Per input (last axis = output coordinates): True where every coordinate agrees exactly."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape[-target.ndim :] != target.shape:
        raise ValidationError(f"pred's trailing shape {pred.shape} must end with target's shape {target.shape}")
    return np.all(pred == target, axis=-1)


def ntk_mean_levels(kernel, k: int, weights) -> tuple[np.ndarray, np.ndarray]:
    """The two values ``(lo, hi)`` the converged NTK-GP mean takes at an input with ``w`` ones.

    Trained to ``t = inf`` on the basis ``e_1..e_k`` with targets ``P(e_i)``, the mean at ``x`` is
    ``Theta(x, X) Theta(X, X)^{-1} Y = A(w) P(x) + B(w) 1``: every coordinate is ``hi = A + B`` where the
    target is 1 and ``lo = B`` where it is 0. With ``d = Theta(e_i, e_i)``, ``o = Theta(e_i, e_j)``,
    ``p = Theta(x, e_i)`` for ``x_i = 1`` and ``q`` for ``x_i = 0`` (Sherman-Morrison on ``(d-o) I + o 11^T``)::

        A = (p - q) / (d - o),   B = (q - o (w (p - q) + k q) / (d - o + k o)) / (d - o)

    ``kernel`` is an :class:`~dynlearn.probes.ntk.FCKernel`; ``weights`` an array of ``w`` in 1..k.
    """
    _check_k(k, limit=10_000)
    w = np.asarray(weights, dtype=np.float64)
    if np.any((w < 1) | (w > k)):
        raise ValidationError(f"weights (numbers of ones) must lie in 1..{k}; got {np.unique(w).tolist()}")
    one, s = np.ones(1), (1.0 / k if kernel.normalise_inputs else 1.0)
    _, dd = kernel.from_inner_products(one * s, one * s, np.array([[s]]))
    _, oo = kernel.from_inner_products(one * s, one * s, np.array([[0.0]]))
    _, pp = kernel.from_inner_products(w * s, one * s, s * np.ones((w.size, 1)))
    _, qq = kernel.from_inner_products(w * s, one * s, np.zeros((w.size, 1)))
    d, o, p, q = float(dd[0, 0]), float(oo[0, 0]), pp[:, 0], qq[:, 0]
    a = (p - q) / (d - o)
    b = (q - o * (w * (p - q) + k * q) / (d - o + k * o)) / (d - o)
    return b.reshape(w.shape), (a + b).reshape(w.shape)


def round_to_permutation(outputs, x, kernel) -> np.ndarray:
    """Round (ensemble-averaged) outputs (..., n, k) at inputs ``x`` (n, k) to {0, 1}.

    Each coordinate becomes 1 when it exceeds the midpoint of the two NTK-GP mean levels at that input's
    number of ones (:func:`ntk_mean_levels`): the noise-free mean rounds to ``P(x)`` exactly.
    """
    x = np.asarray(x, dtype=np.float64)
    lo, hi = ntk_mean_levels(kernel, x.shape[1], x.sum(axis=1))
    return (np.asarray(outputs) > (0.5 * (lo + hi))[:, None]).astype(np.float64)
