"""Train/test splits of field datasets: at random (in distribution) or by a physical parameter (out of it).

A neural simulator that interpolates between the parameter values it saw can still fail on values
beyond them; CFDBench (Luo et al. 2023) measures this with splits by boundary condition, physical
property and geometry. :func:`split_by_parameter` holds out the trajectories at the top, bottom or
middle of one parameter's range, so the test set lies outside (or between) the training values;
:func:`random_split` is its in-distribution counterpart of the same size.
"""

from __future__ import annotations

import numpy as np

from dynlearn.errors import ValidationError
from dynlearn.fields.data import Fields


def _n_test(n: int, fraction: float) -> int:
    if not 0 < fraction < 1:
        raise ValidationError(f"test_fraction must be in (0, 1), got {fraction}")
    k = int(round(n * fraction))
    if k < 1 or k >= n:
        raise ValidationError(
            f"a test fraction of {fraction} of {n} trajectories leaves an empty train or test set; "
            "generate more trajectories or change the fraction"
        )
    return k


def random_split(fields: Fields, *, test_fraction: float = 0.25, seed: int = 0) -> tuple[Fields, Fields]:
    """``(train, test)``: a seeded random partition of the trajectories."""
    n = len(fields)
    k = _n_test(n, test_fraction)
    perm = np.random.default_rng(seed).permutation(n)
    return fields.subset(np.sort(perm[k:])), fields.subset(np.sort(perm[:k]))


def split_by_parameter(
    fields: Fields, name: str, *, test_fraction: float = 0.25, side: str = "high"
) -> tuple[Fields, Fields]:
    """``(train, test)`` with the test trajectories at one end (``side="high"`` or ``"low"``) or in the
    middle (``"middle"``) of the parameter ``name``'s range.

    Trajectories are ordered by the parameter (ties by index, so the split is deterministic); the
    test set is the ``test_fraction`` of them on the chosen side. Parameters equal across the cut
    are kept together on the test side, so no value is in both sets.
    """
    if name not in fields.params:
        raise ValidationError(
            f"the dataset has no parameter {name!r}; it has {sorted(fields.params) or 'none'}: split by one of them"
        )
    if side not in ("high", "low", "middle"):
        raise ValidationError(f"side must be 'high', 'low' or 'middle', got {side!r}")
    values = fields.params[name]
    if np.unique(values).size < 2:
        raise ValidationError(f"parameter {name!r} takes one value in this dataset; nothing to hold out")
    n = len(fields)
    k = _n_test(n, test_fraction)
    order = np.lexsort((np.arange(n), values))
    sorted_vals = values[order]
    if side == "high":
        cut = sorted_vals[n - k]
        test = values >= cut
    elif side == "low":
        cut = sorted_vals[k - 1]
        test = values <= cut
    else:
        start = (n - k) // 2
        lo, hi = sorted_vals[start], sorted_vals[start + k - 1]
        test = (values >= lo) & (values <= hi)
    if test.all() or not test.any():
        raise ValidationError(f"parameter {name!r} has too few distinct values to hold out {test_fraction:.0%} of them")
    idx = np.arange(n)
    return fields.subset(idx[~test]), fields.subset(idx[test])


__all__ = ["random_split", "split_by_parameter"]
