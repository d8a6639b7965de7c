"""HyperCRL's hypernetwork and the continual baselines: shapes, embeddings, the output regulariser,
EWC's penalty, and forgetting on a toy two-task problem (fine-tuning forgets, the hypernetwork does not)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dynlearn.control import Transitions  # noqa: E402
from dynlearn.control.continual import (  # noqa: E402
    HyperDynamics,
    HyperNetwork,
    functional_mlp,
    make_continual,
)
from dynlearn.errors import UnknownNameError, ValidationError  # noqa: E402


def _toy(task: int, n: int = 400, seed: int = 0) -> Transitions:
    """s ∈ R², a ∈ R: task 0 moves s by (+a, sin 2 s_0), task 1 by (−a, −sin 2 s_0) (opposite dynamics)."""
    rng = np.random.default_rng(seed + 10 * task)
    s = rng.uniform(-1.5, 1.5, (n, 2))
    a = rng.uniform(-1, 1, (n, 1))
    sign = 1.0 if task == 0 else -1.0
    delta = sign * np.stack([0.5 * a[:, 0], 0.5 * np.sin(2 * s[:, 0])], axis=1)
    return Transitions(s, a, s + delta)


def test_hypernetwork_output_shapes_and_parameter_count():
    shapes = [(4, 8), (8,), (8, 3), (3,)]
    h = HyperNetwork(shapes, embedding_dim=5, hidden=6, layers=2, generator=torch.Generator().manual_seed(0))
    n_target = 4 * 8 + 8 + 8 * 3 + 3
    assert h.n_target == n_target
    # trunk 5 -> 6 -> 6, output layer 6 -> n_target (weights + biases), before any embedding
    assert sum(p.numel() for p in h.parameters()) == (5 * 6 + 6) + (6 * 6 + 6) + (6 * n_target + n_target)
    assert h.add_embedding() == 0 and h.add_embedding() == 1
    assert sum(p.numel() for p in h.parameters()) == (5 * 6 + 6) + (6 * 6 + 6) + (6 * n_target + n_target) + 2 * 5
    assert h(torch.stack(list(h.embeddings))).shape == (2, n_target)
    ws = h.weights(1)
    assert [tuple(w.shape) for w in ws] == shapes
    assert functional_mlp(ws, torch.zeros(7, 4)).shape == (7, 3)
    # different embeddings give different networks
    assert not torch.allclose(h(h.embeddings[0]), h(h.embeddings[1]))


def test_one_embedding_per_task_and_continuing_the_latest_task_adds_none():
    learner = HyperDynamics(hidden=8, hnet_hidden=8, epochs=1)
    learner.learn_task("a", _toy(0, 50))
    assert len(learner.hnet.embeddings) == 1
    learner.learn_task("b", _toy(1, 50))
    learner.learn_task("b", _toy(1, 50), epochs=1)
    assert len(learner.hnet.embeddings) == 2 and learner.tasks_ == ["a", "b"]
    assert len(learner.history_["b"]) == 2 and len(learner.history_["a"]) == 1
    # earlier embeddings are frozen while the current task trains
    e_a = learner.hnet.embeddings[0].detach().clone()
    learner.learn_task("c", _toy(0, 50, seed=3), epochs=2)
    assert torch.equal(learner.hnet.embeddings[0], e_a)


def test_regulariser_is_zero_after_the_snapshot_and_grows_when_weights_move():
    learner = HyperDynamics(hidden=8, hnet_hidden=8, epochs=2)
    learner.learn_task(0, _toy(0, 60))
    learner.snapshot()
    assert learner.regulariser().item() == 0.0
    values = []
    with torch.no_grad():
        for scale in (1e-3, 1e-2, 1e-1):
            saved = {k: v.clone() for k, v in learner.hnet.state_dict().items()}
            gen = torch.Generator().manual_seed(0)
            for p in learner.hnet.out.parameters():
                p.add_(scale * torch.randn(p.shape, generator=gen))
            values.append(learner.regulariser().item())
            learner.hnet.load_state_dict(saved)
    assert 0 < values[0] < values[1] < values[2]
    # a new task snapshots the earlier tasks only: moving its own embedding leaves the regulariser alone
    learner.learn_task(1, _toy(1, 60))
    assert len(learner._targets) == 1
    before = learner.regulariser().item()
    with torch.no_grad():
        learner.hnet.embeddings[1].add_(1.0)
    assert learner.regulariser().item() == before


def test_training_a_task_keeps_the_regulariser_small():
    learner = HyperDynamics(hidden=16, hnet_hidden=16, epochs=20, beta=0.05)
    learner.learn_task(0, _toy(0))
    learner.learn_task(1, _toy(1))
    # the second task was trained against the snapshot of the first task's weights
    assert learner._targets is not None and len(learner._targets) == 1
    assert learner.regulariser().item() < 0.05 * float((learner._targets**2).sum())


def test_ewc_penalty_is_zero_at_the_anchor_and_positive_away_from_it():
    learner = make_continual("ewc", hidden=8, epochs=2, fisher_samples=20)
    learner.learn_task(0, _toy(0, 60))
    assert learner.penalty().item() == 0.0
    fisher, _ = learner._anchors[0]
    assert all(torch.all(f >= 0) for f in fisher.values()) and any(float(f.sum()) > 0 for f in fisher.values())
    with torch.no_grad():
        learner.net_.trunk[0].weight.add_(0.1)
    assert learner.penalty().item() > 0


def test_fine_tuning_forgets_where_the_hypernetwork_does_not():
    tasks = [_toy(0), _toy(1)]
    tests = [_toy(0, 200, seed=99), _toy(1, 200, seed=99)]
    errs = {}
    for name, cfg in (("hnet", {}), ("finetune", {"heads": "single"})):
        learner = make_continual(name, hidden=32, hnet_hidden=32, epochs=40, seed=0, **cfg)
        learner.learn_task(0, tasks[0])
        before = learner.mse(0, tests[0])
        learner.learn_task(1, tasks[1])
        errs[name] = (before, learner.mse(0, tests[0]), learner.mse(1, tests[1]))
    hb, ha, h1 = errs["hnet"]
    fb, fa, f1 = errs["finetune"]
    assert h1 < 0.01 and f1 < 0.1  # both learn the new task
    assert fa > 5 * fb and ha < 3 * hb + 1e-3  # fine-tuning forgets the first task, the hypernetwork keeps it
    assert fa > 20 * ha


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(ValidationError, match="heads"):
        make_continual("hnet", heads="two")
    with pytest.raises(UnknownNameError):
        make_continual("hypernet")
    learner = make_continual("hnet", hidden=8, hnet_hidden=8, epochs=1).learn_task(0, _toy(0, 30))
    bad = Transitions(np.zeros((5, 3)), np.zeros((5, 1)), np.zeros((5, 3)))
    with pytest.raises(ValidationError, match="obs dim 2"):
        learner.learn_task(1, bad)
    with pytest.raises(ValidationError, match="Transitions"):
        learner.learn_task(1, np.zeros((4, 3)))


def test_continuing_the_latest_task_keeps_one_anchor_and_one_copy_of_its_rows():
    ewc = make_continual("ewc", hidden=8, epochs=1, fisher_samples=10)
    ewc.learn_task(0, _toy(0, 40)).learn_task(1, _toy(1, 40)).learn_task(1, _toy(1, 40))
    assert len(ewc._anchors) == 2
    multi = make_continual("multitask", hidden=8, epochs=1)
    multi.learn_task(0, _toy(0, 40)).learn_task(1, _toy(1, 30)).learn_task(1, _toy(1, 30))
    assert len(multi._all_x) == 70 and int((multi._all_t == 1).sum()) == 30
    core = make_continual("coreset", hidden=8, epochs=1, coreset_size=10)
    core.learn_task(0, _toy(0, 40)).learn_task(1, _toy(1, 40)).learn_task(1, _toy(1, 40))
    assert core._core_t.tolist() == [0] * 10 + [1] * 10
