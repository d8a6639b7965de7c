"""Splits of field datasets: random (in distribution) and by a parameter's range (out of distribution)."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.errors import ValidationError
from dynlearn.fields import Fields, Grid
from dynlearn.fields.splits import random_split, split_by_parameter


def _fields(nu):
    n = len(nu)
    return Fields(
        values=np.arange(n, dtype=float)[:, None, None, None, None] * np.ones((n, 2, 1, 8, 8)),
        times=np.array([0.0, 0.1]),
        channels=("w",),
        grid=Grid((8, 8), (1.0, 1.0), (True, True)),
        params={"nu": np.asarray(nu, float), "lid": np.ones(n)},
    )


def test_split_by_parameter_holds_out_one_end_or_the_middle():
    f = _fields([0.5, 0.1, 0.4, 0.2, 0.3, 0.6, 0.8, 0.7])
    train, test = split_by_parameter(f, "nu", test_fraction=0.25, side="high")
    assert sorted(test.params["nu"]) == [0.7, 0.8] and train.params["nu"].max() == 0.6
    # the values travel with their trajectories
    assert np.array_equal(test.values[:, 0, 0, 0, 0], [6.0, 7.0])
    _, low = split_by_parameter(f, "nu", test_fraction=0.25, side="low")
    assert sorted(low.params["nu"]) == [0.1, 0.2]
    tr, mid = split_by_parameter(f, "nu", test_fraction=0.25, side="middle")
    assert sorted(mid.params["nu"]) == [0.4, 0.5] and len(tr) == 6


def test_ties_stay_on_one_side():
    train, test = split_by_parameter(_fields([0.1, 0.2, 0.3, 0.3, 0.3, 0.4]), "nu", test_fraction=0.34)
    assert not set(train.params["nu"]) & set(test.params["nu"])


def test_random_split_is_seeded_and_a_partition():
    f = _fields(np.linspace(0, 1, 12))
    a, b = random_split(f, test_fraction=0.25, seed=3)
    a2, b2 = random_split(f, test_fraction=0.25, seed=3)
    assert np.array_equal(b.params["nu"], b2.params["nu"]) and len(b) == 3 and len(a) == 9
    assert sorted(np.concatenate([a.params["nu"], b.params["nu"]])) == sorted(f.params["nu"])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda f: split_by_parameter(f, "re"), "no parameter 're'"),
        (lambda f: split_by_parameter(f, "lid"), "takes one value"),
        (lambda f: split_by_parameter(f, "nu", side="top"), "side must be"),
        (lambda f: split_by_parameter(f, "nu", test_fraction=0.01), "empty train or test"),
        (lambda f: random_split(f, test_fraction=1.5), r"in \(0, 1\)"),
    ],
)
def test_bad_splits_are_refused(call, match):
    with pytest.raises(ValidationError, match=match):
        call(_fields([0.1, 0.2, 0.3, 0.4]))
