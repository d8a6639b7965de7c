"""The Model base class: inputs in predict, load's error narrowing, and the registries' duplicate names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dynlearn import models
from dynlearn.bench.suite import load_suite, suite_file
from dynlearn.data import Trajectory
from dynlearn.errors import DuplicateNameError, DynlearnError, FileFormatError, UnknownNameError, ValidationError
from dynlearn.models.baselines import LinearAR, Mean
from dynlearn.registry import Registry


class Buggy(Mean):
    """A model whose _set_state has a bug (an IndexError that is no file problem)."""

    name = "mean"

    def _set_state(self, state):
        [][0]


def test_load_reports_a_real_mismatch_as_file_format_error(lorenz_traj, tmp_path):
    d = LinearAR(lags=3).fit(lorenz_traj[:300]).save(tmp_path / "ar")
    header = json.loads((d / "model.json").read_text())
    (d / "model.json").write_text(json.dumps({**header, "config": {**header["config"], "lags": 4}}))
    with pytest.raises(FileFormatError, match="does not match linear_ar's architecture"):
        models.load(d)
    fitted = {k: v for k, v in header["fitted"].items() if k != "dim"}
    (d / "model.json").write_text(json.dumps({**header, "fitted": fitted}))
    with pytest.raises(FileFormatError, match="lacks 'dim'"):
        models.load(d)
    (d / "model.json").write_text(json.dumps({**header, "fitted": {**header["fitted"], "dim": "three"}}))
    with pytest.raises(FileFormatError, match="dim 'three'"):
        models.load(d)
    (d / "model.json").write_text(json.dumps({**header, "config": {**header["config"], "lags": 0}}))
    with pytest.raises(FileFormatError, match="config this linear_ar cannot use"):
        models.load(d)


def test_load_lets_a_bug_in_a_hook_propagate(lorenz_traj, tmp_path):
    d = Mean().fit(lorenz_traj[:100]).save(tmp_path / "mean")
    with pytest.raises(IndexError):
        Buggy.load(d)


def test_a_missing_saved_meta_field_is_named(lorenz_traj, tmp_path):
    d = models.create("sindy").fit(lorenz_traj[:300]).save(tmp_path / "s")
    header = json.loads((d / "model.json").read_text())
    del header["fitted"]["n_substeps"]
    (d / "model.json").write_text(json.dumps(header))
    with pytest.raises(FileFormatError, match="lacks 'n_substeps'"):
        models.load(d)


def test_predict_checks_inputs_against_the_fit(lorenz_traj):
    t = lorenz_traj.times[:300]
    u = np.sin(t)[:, None]
    data = Trajectory(t, lorenz_traj.states[:300], inputs=u)
    m = models.create("sindy", use_inputs=True, threshold=0.05).fit(data)
    assert m.n_inputs_ == 1
    ctx = lorenz_traj.states[290:300]
    with pytest.raises(ValidationError, match=r"shape \(15, 1\)"):
        m.predict(ctx, 5)
    with pytest.raises(ValidationError, match="inputs must have shape"):
        m.predict(ctx, 5, inputs=np.zeros((14, 1)))
    assert m.predict(ctx, 5, inputs=np.zeros((15, 1))).shape == (5, 3)
    with pytest.raises(ValidationError, match="trajectories \\[0\\] have none"):
        models.create("sindy", use_inputs=True).fit(lorenz_traj[:300])
    # a model without inputs ignores the data's inputs and refuses inputs to predict
    ar = LinearAR().fit(data)
    assert ar.n_inputs_ == 0
    with pytest.raises(ValidationError, match="fitted without inputs"):
        ar.predict(ctx, 5, inputs=np.zeros((15, 1)))


def test_vector_field_of_sindy_is_its_rhs(lorenz_traj):
    m = models.create("sindy").fit(lorenz_traj[:600])
    x = lorenz_traj.states[600:605]
    np.testing.assert_array_equal(m.vector_field(x), m.rhs(x))
    with pytest.raises(ValidationError, match="map"):
        models.create("sindy", discrete_time=True).fit(lorenz_traj[:600]).vector_field(x)


def test_registering_a_taken_name_is_a_one_line_dynlearn_error():
    reg: Registry[object] = Registry("widget")
    reg.register("Foo", Mean)
    reg.register("foo", Mean)  # the same object again is fine
    with pytest.raises(DuplicateNameError, match="widget name 'f-o-o' is already taken by .*Mean") as info:
        reg.register("f-o-o", LinearAR)
    assert isinstance(info.value, DynlearnError) and isinstance(info.value, ValueError)
    assert "\n" not in str(info.value) and "overwrite=True" in str(info.value)
    reg.register("foo", LinearAR, overwrite=True)
    assert reg.get("FOO") is LinearAR
    with pytest.raises(ValidationError, match="no letters or digits"):
        reg.register("--", Mean)


def test_suite_file_resolves_names_and_paths_once(tmp_path):
    assert suite_file("quick").name == "quick.toml"
    assert load_suite("quick").name == "quick"
    with pytest.raises(FileFormatError, match="no suite file"):
        suite_file(tmp_path / "missing.toml")
    with pytest.raises(UnknownNameError, match="quick"):
        suite_file("quik")
    assert suite_file("a-run-stored-earlier", required=False) is None


def test_models_import_training_only_inside_fit():
    """ARCHITECTURE.md: models import training regimes lazily (inside fit); training imports no model."""
    code = "import sys, dynlearn.models; print(sorted(m for m in sys.modules if m.startswith('dynlearn.training')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
    training = Path(models.__file__).parents[1] / "training"
    for f in training.rglob("*.py"):
        assert "dynlearn.models" not in f.read_text(), f"{f.name} imports a model"
