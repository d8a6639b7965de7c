"""Knowledge-tracing metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynlearn.errors import ValidationError
from dynlearn.graphs.learners import accuracy, auc, graph_auroc, multistep_scores, trait_correlation


def test_accuracy_by_hand():
    assert accuracy([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.5]) == 0.5  # 0.5 counts as predicting correct
    assert accuracy([1, 0], [0.6, 0.6], threshold=0.7) == 0.5


def test_auc_by_hand_with_ties():
    # positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4 -> 1/2) (0.4>0.1) = 3.5 / 4
    assert auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(0.875)
    assert auc([1, 0], [0.3, 0.3]) == 0.5
    assert auc([0, 1], [0.9, 0.1]) == 0.0
    assert math.isnan(auc([1, 1], [0.2, 0.3]))
    with pytest.raises(ValidationError, match="only 0 and 1"):
        auc([2, 0], [0.1, 0.2])


def test_graph_auroc_by_hand():
    W = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    S = np.array([[9, 0.9, 0.2], [0.5, 9, 0.6], [0.1, 0.6, 9]])  # diagonal ignored
    # edges 0->1 (0.9), 1->2 (0.6); non-edges 0.2, 0.5, 0.1, 0.6: 0.9 beats all 4; 0.6 beats 3, ties 1 -> 7.5/8
    assert graph_auroc(W, S) == pytest.approx(7.5 / 8)
    assert graph_auroc(W, S.T) == pytest.approx(4.5 / 8)  # direction matters: the reversed scores rank worse
    with pytest.raises(ValidationError, match="square"):
        graph_auroc(W, S[:2])


def test_trait_correlation_by_hand():
    r = trait_correlation([1, 2, 3, 4], [2, 4, 6, 100])
    assert r["spearman"] == pytest.approx(1.0)
    assert r["pearson"] == pytest.approx(np.corrcoef([1, 2, 3, 4], [2, 4, 6, 100])[0, 1])
    assert trait_correlation([1, 2, 3], [3, 2, 1])["pearson"] == pytest.approx(-1.0)


def test_multistep_scores_group_by_steps_ahead():
    out = multistep_scores([1, 0, 1, 1], [0.9, 0.4, 0.2, 0.7], [1, 1, 2, 2])
    assert list(out["steps"]) == [1, 2] and list(out["count"]) == [2, 2]
    assert list(out["accuracy"]) == [1.0, 0.5]
    assert out["auc"][0] == 1.0 and math.isnan(out["auc"][1])
