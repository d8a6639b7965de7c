"""Spectral tools of dynlearn.probes against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynlearn.errors import ValidationError
from dynlearn.probes import spectral as s


def test_eigen_spectra_sorted_per_step():
    mats = np.stack([np.diag([1.0, 3.0, 2.0]), np.diag([0.0, -1.0, 5.0])])
    assert s.eigen_spectra(mats) == pytest.approx(np.array([[3.0, 2.0, 1.0], [5.0, 0.0, -1.0]]))
    rot = np.array([[[0.0, -1.0], [1.0, 0.0]]])  # eigenvalues ±i
    ev = s.eigen_spectra(rot, symmetric=False)
    assert np.sort(ev[0].imag) == pytest.approx([-1.0, 1.0]) and ev[0].real == pytest.approx([0.0, 0.0])
    with pytest.raises(ValidationError, match="square"):
        s.eigen_spectra(np.ones((2, 2, 3)))


def test_eigenvector_alignment():
    A = np.diag([3.0, 2.0, 1.0])
    assert s.eigenvector_alignment(A, 10 * A) == pytest.approx(np.eye(3))
    B = np.diag([1.0, 2.0, 3.0])  # same eigenvectors, reversed order
    assert s.eigenvector_alignment(A, B) == pytest.approx(np.fliplr(np.eye(3)))
    c = math.cos(math.pi / 6)
    R = np.array([[c, -0.5, 0.0], [0.5, c, 0.0], [0.0, 0.0, 1.0]])  # rotation by 30 degrees in the (1,2) plane
    C = s.eigenvector_alignment(A, R @ A @ R.T, k=2)
    assert C == pytest.approx(np.array([[c, 0.5], [0.5, c]]))


def test_asymmetry():
    assert s.asymmetry(np.array([[1.0, 2.0], [2.0, 1.0]])) == 0.0
    assert s.asymmetry(np.array([[0.0, 1.0], [-1.0, 0.0]])) == pytest.approx(1.0)
    assert s.asymmetry(np.array([[0.0, 1.0], [0.0, 0.0]])) == pytest.approx(math.sqrt(2) / 2)
    assert s.asymmetry(np.zeros((3, 3))) == 0.0


def test_principal_angles():
    e1, e2, e3 = np.eye(3)
    assert s.principal_angles(e1[:, None], (e1 + e2)[:, None]) == pytest.approx([math.pi / 4])
    A = np.stack([e1, e2], 1)
    B = np.stack([e1 + e2, e3], 1)
    assert s.principal_angles(A, B) == pytest.approx([0.0, math.pi / 2], abs=1e-7)
    # rank: duplicate columns span one direction
    assert s.principal_angles(np.stack([e1, 2 * e1], 1), A) == pytest.approx([0.0], abs=1e-7)
    with pytest.raises(ValidationError, match="no subspace"):
        s.principal_angles(np.zeros((3, 1)), A)
