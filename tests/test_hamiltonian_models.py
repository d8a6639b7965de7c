"""Hamiltonian models (hnn, graph_hnn): bad input, learned energy, graph layout."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import models
from dynlearn.data import Trajectory
from dynlearn.errors import ValidationError
from dynlearn.systems import hamiltonian as ham


@pytest.fixture(scope="module")
def pendulum():
    return ham.simulate("pendulum", n_traj=4, n_points=150, dt=0.15, seed=0)


def test_odd_dimension_is_refused():
    x = np.random.default_rng(0).normal(size=(50, 3))
    with pytest.raises(ValidationError, match="even dimension; got dimension 3"):
        models.create("hnn", epochs=1).fit(x)


def test_system_without_energy_is_refused_by_name():
    # a 4-D flow of the catalog that is not Hamiltonian, as systems.simulate would label it
    trajs = Trajectory(np.arange(50.0), np.random.default_rng(0).normal(size=(50, 4)), meta={"system": "Lorenz"})
    with pytest.raises(ValidationError, match="'Lorenz' has no energy function.*henon_heiles"):
        models.create("graph_hnn", epochs=1).fit(trajs)


def test_graph_layout_must_divide_the_positions(pendulum):
    with pytest.raises(ValidationError, match="particle_dim to a divisor"):
        models.create("graph_hnn", particle_dim=2, epochs=1).fit(pendulum)


def test_bad_config():
    with pytest.raises(ValidationError, match="separable"):
        models.create("hnn", method="leapfrog")
    with pytest.raises(ValidationError, match="edges"):
        models.create("graph_hnn", edges="ring")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "extra"), [("hnn", {"separable": True}), ("graph_hnn", {})])
def test_learned_energy_tracks_the_true_energy(pendulum, name, extra):
    """Across states of different energies the learned H orders and scales like the true H."""
    m = models.create(name, hidden=32, epochs=30, seed=0, **extra).fit(pendulum)
    x = ham.get("pendulum").sample_states(64, seed=5)
    true, learned = ham.energy("pendulum", x), m.energy(x)
    assert np.corrcoef(true, learned)[0, 1] > 0.98
    ctx = pendulum[0].states[-1:]
    pred = m.predict(ctx, 60)
    e = ham.energy("pendulum", pred)
    assert np.ptp(e) < 0.05 * abs(e[0]) + 0.02


@pytest.mark.slow
def test_the_worked_example_in_the_docs_prints_what_it_says():
    """docs/models-hamiltonian.md shows the output of its example; run it and compare."""
    import contextlib
    import io
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "models-hamiltonian.md").read_text()
    code, printed = re.search(
        r"## A worked example.*?```python\n(.*?)```\n\nprints\n\n```\n(.*?)```", doc, re.S
    ).groups()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "models-hamiltonian.md", "exec"), {})
    assert out.getvalue() == printed
