"""Importing the library does not load its heavy optional parts (torch, numba, matplotlib).

Each check runs in a fresh interpreter: ``sys.modules`` of the test process already
holds whatever other tests imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "numba", "matplotlib")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_models_loads_no_heavy_dependency():
    assert _loaded_after("import dynlearn.models") == []


def test_model_names_are_listed_without_importing_their_modules():
    code = "from dynlearn import models\nassert {'sindy', 'esn', 'ngrc', 'gru', 'shplrnn'} <= set(models.names())"
    assert _loaded_after(code) == []


@pytest.mark.parametrize("name", ["sindy", "ngrc", "esn"])
def test_classical_models_do_not_import_torch_or_matplotlib(name):
    loaded = _loaded_after(f"from dynlearn import models\nmodels.create({name!r})")
    assert "torch" not in loaded and "matplotlib" not in loaded


def test_a_torch_model_is_loaded_on_first_use():
    assert "torch" in _loaded_after("from dynlearn import models\nmodels.create('gru')")
