"""Hypercube-condition tasks and image augmentation of dynlearn.probes."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.errors import ValidationError
from dynlearn.probes import geometry as g
from dynlearn.probes.tasks import augment_images, hypercube_task, two_views


@pytest.mark.parametrize("c", [0.0, 0.3, 0.7, 1.0])
def test_hypercube_alignment_is_the_requested_one(c):
    t = hypercube_task(alignment=c, seed=3)
    assert t.alignment == pytest.approx(c, abs=1e-9)
    # the same number straight from the patterns: linear CKA of condition patterns with condition targets
    assert g.linear_cka(t.patterns, t.latent[:, list(t.target_vars)]) == pytest.approx(c, abs=1e-9)


def test_hypercube_structure():
    t = hypercube_task(n_latent=3, target_vars=(0, 2), alignment=1.0, n_inputs=20, samples_per_condition=5,
                       noise=0.0, seed=0)
    assert t.inputs.shape == (40, 20) and t.targets.shape == (40, 2) and t.n_conditions == 8
    assert set(np.unique(t.targets)) == {-1.0, 1.0}
    assert np.linalg.matrix_rank(t.patterns, tol=1e-8) == 2  # c = 1: the inputs are the target geometry
    assert np.mean(np.sum(t.patterns**2, axis=1)) == pytest.approx(20.0)  # unit variance per input
    assert t.dichotomy(0) == [0, 1, 2, 3]  # latent vertices in binary order: variable 0 is the slowest bit
    # c = 1 and no noise: every target variable is perfectly abstract in the inputs
    assert g.parallelism_score(t.inputs, t.conditions, t.dichotomy(0)) == pytest.approx(1.0)
    t0 = hypercube_task(alignment=0.0, input_rank=2, seed=0)
    assert np.linalg.matrix_rank(t0.patterns, tol=1e-8) == 2


def test_hypercube_same_seed_same_task_and_bad_input():
    a, b = hypercube_task(seed=7), hypercube_task(seed=7)
    assert np.array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.inputs, hypercube_task(seed=8).inputs)
    with pytest.raises(ValidationError, match="alignment"):
        hypercube_task(alignment=1.5)
    with pytest.raises(ValidationError, match="target_vars"):
        hypercube_task(target_vars=(0, 3))
    # 4 conditions, both variables as targets: the inputs' only other direction is the XOR one
    assert hypercube_task(n_latent=2, target_vars=(0, 1), alignment=0.5).alignment == pytest.approx(0.5)
    with pytest.raises(ValidationError, match="n_inputs"):
        hypercube_task(n_inputs=4)


def test_augment_images():
    rng = np.random.default_rng(0)
    imgs = rng.random((6, 8, 8))
    out = augment_images(imgs, seed=1)
    assert out.shape == imgs.shape and out.min() >= 0.0 and out.max() <= 1.0
    assert np.array_equal(out, augment_images(imgs, seed=1))
    # with only translation, each view is the image shifted by at most crop_pad pixels, zeros shifted in
    img = np.zeros((1, 5, 5))
    img[0, 2, 2] = 1.0
    shifted = augment_images(np.repeat(img, 50, 0), seed=2, crop_pad=1, brightness=0, contrast=0, noise=0)
    pos = np.array([np.argwhere(s == 1.0)[0] for s in shifted])
    assert shifted.sum(axis=(1, 2)) == pytest.approx(np.ones(50))
    assert set(map(tuple, pos - 2)) == {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    v1, v2 = two_views(imgs, seed=0)
    assert not np.array_equal(v1, v2)
    with pytest.raises(ValidationError, match="rank 3"):
        augment_images(np.ones((8, 8)))
