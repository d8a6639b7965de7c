"""The catalog's layout (families, shared right-hand sides, no cross-imports), adding a
system from outside the package exactly as docs/systems.md says, and check_system
telling a user what is wrong with a broken system."""

from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dynlearn import systems
from dynlearn.cli.main import main
from dynlearn.errors import ValidationError
from dynlearn.systems import System
from dynlearn.systems.catalog import CATALOG, flow
from dynlearn.testing import check_system
from dynlearn.testing.checks import ConformanceError

ROOT = Path(__file__).resolve().parents[1]
CATALOG_DIR = ROOT / "src" / "dynlearn" / "systems" / "catalog"
FAMILIES = {
    "lorenz",
    "sprott",
    "hyperchaotic",
    "forced",
    "circuits",
    "biology",
    "fluids",
    "mechanics",
    "other",
    "maps",
    "delays",
}


def docs_code_block(heading: str) -> str:
    """The first ```python block after ``heading`` in docs/systems.md."""
    text = (ROOT / "docs" / "systems.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, f"no python code block after {heading!r} in docs/systems.md"
    return match.group(1)


# ------------------------------------------------------------------------------------------ the docs
def test_docs_recipe_adds_a_system_from_outside_the_package():
    code = docs_code_block("## Declaring a system")
    namespace = {"__name__": "users_own_module"}
    try:
        exec(compile(code, "docs/systems.md", "exec"), namespace)  # exactly what the docs say, nothing added
        declared = namespace["MyRossler"]
        assert isinstance(declared, System)
        assert systems.get("myrossler") is declared and declared.family == "other"
        traj = namespace["traj"]
        assert traj.states.shape == (1000, 3) and np.all(np.isfinite(traj.states))
        assert "MyRossler" not in {s.name for s in CATALOG}  # a user's system is not part of the package catalog
    finally:
        if "MyRossler" in systems.SYSTEMS:
            systems.SYSTEMS.unregister("MyRossler")


def test_register_names_the_decorator_when_given_a_plain_function():
    def rhs(x, t, p):
        return -x

    with pytest.raises(ValidationError, match="@flow"):
        systems.register(rhs)


# ------------------------------------------------------------------------------------------ the layout
def test_every_system_belongs_to_the_family_of_its_module():
    assert {s.family for s in CATALOG} == FAMILIES
    for s in CATALOG:
        module = s.rhs.__module__.rsplit(".", 1)[-1]
        assert module == s.family, f"{s.name} is declared in {module}.py but has family {s.family!r}"
        assert systems.get(s.name).family == s.family
    assert {p.stem for p in CATALOG_DIR.glob("[!_]*.py")} == FAMILIES


def test_the_family_table_in_the_docs_counts_what_the_catalog_holds():
    text = (ROOT / "docs" / "systems.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \|.*\| (\d+) \|$", text, flags=re.M))
    counts = {f: sum(s.family == f for s in CATALOG) for f in FAMILIES}
    assert {f: int(n) for f, n in rows.items()} == counts


def test_no_catalog_module_imports_another():
    for path in CATALOG_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dynlearn.systems.catalog"):
                assert node.module == "dynlearn.systems.catalog._declare", f"{path.name} imports from {node.module}"


def test_shared_right_hand_sides_are_written_once():
    shared = [("DequanLi", "PanXuZhou", "Tsucs2"), ("Sakarya", "LiuChen"), ("Arneodo", "Coullet")]
    shared += [("Thomas", "ThomasLabyrinth"), ("IkedaDelay", "SprottDelay")]
    for names in shared:
        rhs = {systems.get(n).rhs for n in names}
        assert len(rhs) == 1, f"{names} should share one right-hand side"
    bodies = {}
    for s in CATALOG:  # no two distinct functions with the same body (a duplicated right-hand side)
        fn = ast.parse(textwrap.dedent(inspect.getsource(s.rhs))).body[0]
        body = ast.dump(ast.Module(body=fn.body, type_ignores=[]))
        other = bodies.setdefault(body, s)
        assert other.rhs is s.rhs, f"{s.name} repeats the right-hand side of {other.name}: declare both from one"


def test_systems_list_filters_by_family(capsys):
    with pytest.raises(SystemExit) as done:
        main(["systems", "list", "--json", "--family", "circuits"])
    assert done.value.code in (0, None)
    records = json.loads(capsys.readouterr().out)
    assert {r["family"] for r in records} == {"circuits"} and "Chua" in {r["name"] for r in records}
    with pytest.raises(SystemExit) as failed:
        main(["systems", "list", "--family", "circuit"])
    assert failed.value.code == 2
    assert "lorenz" in capsys.readouterr().err  # the error lists the families


# ------------------------------------------------------------------------------------------ check_system
def _declare(**overrides):
    def rhs(x, t, p):
        out = np.empty_like(x)
        out[:, 0] = -x[:, 1] - x[:, 2]
        out[:, 1] = x[:, 0] + p.a * x[:, 1]
        out[:, 2] = p.b + x[:, 2] * (x[:, 0] - p.c)
        return out

    kw = dict(
        params={"a": 0.2, "b": 0.2, "c": 5.7},
        x0=(6.5, 0.5, 0.3),
        reference="test",
        description="test system",
        dt=0.01,
        period=5.9,
        max_lyapunov=0.07,
        name="CheckMe",
    )
    rhs = overrides.pop("rhs", rhs)
    kw.update(overrides)
    return flow(**kw)(rhs)


def test_check_system_passes_a_good_system_and_lists_what_it_ran():
    ran = check_system(_declare())
    assert {"check_record", "check_rhs_batched", "check_jacobian", "check_simulation_bounded"} <= set(ran)
    assert "check_time_per_trajectory" not in ran  # autonomous: that check does not apply


def test_check_system_names_a_wrong_jacobian_and_a_missing_lyapunov_exponent():
    wrong = _declare(jacobian=lambda x, t, p: np.zeros((len(x), 3, 3)), max_lyapunov=None)
    with pytest.raises(ConformanceError) as info:
        check_system(wrong)
    failed = {name for name, _ in info.value.failures}
    assert failed == {"check_jacobian", "check_lyapunov_on_record"}
    assert "compute-invariants" in str(info.value) and "jacobian='fd'" in str(info.value)
    check_system(wrong, chaotic=False, select=["check_lyapunov_on_record"])  # a non-chaotic system may have none


def test_check_system_catches_a_right_hand_side_that_mixes_the_batch():
    def mixes(x, t, p):
        out = np.empty_like(x)
        out[:, 0] = -x[:, 1] - x[:, 2]
        out[:, 1] = x[:, 0] + p.a * x[:, 1]
        out[:, 2] = p.b + x[:, 2] * (x[:, 0].mean() - p.c)  # a batch statistic: rows depend on each other
        return out

    with pytest.raises(ConformanceError, match="check_rhs_batched"):
        check_system(_declare(rhs=mixes), select=["check_rhs_batched"])


def test_check_system_catches_a_blow_up_and_a_matrix_product_over_parameters():
    def blows_up(x, t, p):
        return p.a * x**2

    with pytest.raises(ConformanceError, match="check_simulation_bounded"):
        check_system(_declare(rhs=blows_up, x0=(1.0, 1.0, 1.0)), select=["check_simulation_bounded"])

    def matrix(x, t, p):
        return x @ np.array([[0.0, p.a, 0.0], [-p.a, 0.0, 0.0], [0.0, 0.0, -p.b]])

    with pytest.raises(ConformanceError, match="check_params_per_trajectory"):
        check_system(_declare(rhs=matrix), select=["check_params_per_trajectory"])
