"""Importing the library does not load its heavy optional parts (torch, numba, matplotlib).

The checks run in a fresh interpreter: ``sys.modules`` of the test process already
holds whatever other tests imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "numba", "matplotlib")

PROBE = f"""
import json, sys
heavy = lambda: [m for m in {HEAVY!r} if m in sys.modules]
seen = {{}}
import dynlearn.models
seen["import"] = heavy()
from dynlearn import models
assert {{"sindy", "esn", "ngrc", "gru", "shplrnn"}} <= set(models.names())
seen["names"] = heavy()
for name in ("sindy", "ngrc", "esn"):
    models.create(name)
    seen[name] = heavy()
print(json.dumps(seen))
"""


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    return out.stdout.strip().splitlines()[-1]


def test_models_are_listed_and_classical_ones_created_without_heavy_imports():
    seen = json.loads(_run(PROBE))
    assert seen["import"] == [] and seen["names"] == []  # names are read, modules not imported
    for name in ("sindy", "ngrc", "esn"):
        assert seen[name] == [], (name, seen[name])  # numba, too, is loaded on first compiled use


@pytest.mark.slow  # importing torch takes seconds
def test_a_torch_model_is_loaded_on_first_use():
    code = "import sys\nfrom dynlearn import models\nmodels.create('gru')\nprint('torch' in sys.modules)"
    assert _run(code) == "True"


def test_the_three_packages_import_without_torch_numba_scipy_or_matplotlib():
    code = (
        "import sys\nfrom dynlearn import systems, models, metrics\n"
        "print([m for m in ('torch', 'numba', 'scipy', 'matplotlib', 'rich', 'dynlearn.symbolic', 'tempfile', 'difflib')"
        " if m in sys.modules])"
    )
    assert _run(code) == "[]"  # the last three: imported where used (saving, error messages, PROSE)


def test_help_imports_neither_numpy_nor_the_library():
    code = (
        "import sys\nfrom dynlearn.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('numpy', 'torch', 'numba', 'scipy', 'matplotlib', 'dynlearn.systems', 'dynlearn.models')"
        " if m in sys.modules])"
    )
    assert _run(code) == "[]"
