"""Symbolic ODE systems: trees, families, number tokens, the parser and the SymPy bridge."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import symbolic as S
from dynlearn.errors import ValidationError
from dynlearn.symbolic.tree import Node, polynomial


# --- numbers --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, tokens",
    [
        (2.7, ["+", "N270", "E-2"]),
        (28.0, ["+", "N280", "E-1"]),
        (-0.208186, ["-", "N208", "E-3"]),
        (10.0, ["+", "N100", "E-1"]),
        (9.996, ["+", "N100", "E-1"]),  # rounds up into the next decade
        (-1.0, ["-", "N100", "E-2"]),
        (0.0, ["+", "N0", "E0"]),
        (1234.0, ["+", "N123", "E1"]),
    ],
)
def test_number_encoding_by_hand(value, tokens):
    assert S.encode_number(value) == tokens


def test_number_round_trip_precision():
    rng = np.random.default_rng(0)
    v = rng.uniform(-1, 1, 500) * 10.0 ** rng.integers(-5, 5, 500)
    back = np.array([S.decode_number(S.encode_number(a)) for a in v])
    assert np.max(np.abs(back - v) / np.abs(v)) <= 0.005 + 1e-12  # 3 significant digits: 0.5 %


def test_number_errors():
    with pytest.raises(ValidationError, match="non-finite"):
        S.encode_number(float("nan"))
    with pytest.raises(ValidationError, match="position 1"):
        S.decode_number(["+", "x0", "E1"])


# --- trees ----------------------------------------------------------------------------------------
def test_evaluate_matches_hand_written_lorenz():
    eqs = S.family("lorenz").equations()
    X = np.random.default_rng(1).normal(size=(7, 3)) * 5
    s, r, b = 10.0, 28.0, 8 / 3
    want = np.stack([s * (X[:, 1] - X[:, 0]), X[:, 0] * (r - X[:, 2]) - X[:, 1], X[:, 0] * X[:, 1] - b * X[:, 2]], 1)
    np.testing.assert_allclose(eqs.rhs(X), want, rtol=1e-12)


def test_batch_of_systems_evaluates_row_by_row():
    fam = S.family("pendulum")
    eqs, x0, p = fam.sample(5, rng=3)
    assert eqs.batch == 5
    full = eqs.rhs(x0)
    for i in range(5):
        np.testing.assert_allclose(eqs.select(i).rhs(x0[i : i + 1])[0], full[i])
    np.testing.assert_allclose(full[:, 1], -p["gamma"] * x0[:, 1] - p["omega2"] * np.sin(x0[:, 0]))


def test_terms_expand_and_compare():
    x0, x1 = S.x(0), S.x(1)
    a = Node("mul", (x0, Node("sub", (x1, S.const(2.0)))))  # x0 (x1 - 2)
    assert S.terms(a) == {("x0", "x1"): 1.0, ("x0",): -2.0}
    sq = Node("pow2", (x0 + x1,))
    assert S.terms(sq) == {("x0", "x0"): 1.0, ("x0", "x1"): 2.0, ("x1", "x1"): 1.0}
    second = polynomial([(1.0, ["x0"])])
    e1 = S.Equations((polynomial([(1.0, ["x1"]), (-2.0, ["x0"])]), second))
    e2 = S.Equations((polynomial([(-2.09, ["x0"]), (1.04, ["x1"])]), second))
    e3 = S.Equations((polynomial([(-2.2, ["x0"]), (1.0, ["x1"])]), second))
    assert S.same_terms(e1, e2, rtol=0.05) and not S.same_terms(e1, e3, rtol=0.05)
    e4 = S.Equations((polynomial([(1.0, ["x1"]), (-2.0, ["x0"]), (0.01, ["x0", "x0"])]), second))
    assert not S.same_terms(e1, e4)


def test_equations_reject_dimension_mismatch():
    with pytest.raises(ValidationError, match="x2 but the system has dimension 2"):
        S.Equations((S.x(0), S.x(2)))


# --- tokens and parser ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(S.FAMILIES))
def test_token_tree_round_trip_every_family(name):
    fam = S.family(name)
    eqs, _, _ = fam.sample(3, rng=0)
    for i in range(3):
        one = eqs.select(i)
        toks = S.tokenize(one)
        back = S.parse(toks, dim=fam.dim)
        assert S.tokenize(back) == toks
        assert S.same_terms(one, back, rtol=0.005 + 1e-9)
        ids = S.Vocabulary(max_dim=3).encode(toks)
        assert S.Vocabulary(max_dim=3).decode(ids) == toks


def test_tokenize_by_hand():
    eqs = S.Equations((polynomial([(2.5, ["x1"])]), polynomial([(-1.0, ["x0", "x1"])])))
    assert S.tokenize(eqs) == ["mul", "+", "N250", "E-2", "x1", "|", "mul", "mul", "-", "N100", "E-2", "x0", "x1"]


@pytest.mark.parametrize(
    "tokens, dim, message",
    [
        (["mul", "+", "N250", "E-2", "foo"], None, "unparseable token 'foo' at position 4"),
        (["add", "x0"], None, "operator 'add' at position 0 needs 2 operands but the equation ends at position 2"),
        (["x0", "x1"], None, "equation 0 is complete at position 1 but token 'x1' follows"),
        (["x0", "|", "x2"], 2, "variable 'x2' at position 2 does not exist in a system of dimension 2"),
        (["x0", "|", "x1"], 3, "dimension mismatch: the tokens hold 2 equation"),
        (["mul", "+", "x0", "E1", "x1"], None, "mantissa token N### at position 2"),
        (["x0", "|"], None, "empty equation at position 2"),
    ],
)
def test_parser_errors_name_token_and_position(tokens, dim, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        S.parse(tokens, dim=dim)


def test_parser_ignores_bos_eos_and_padding():
    toks = ["<bos>", "sin", "x0", "<eos>", "<pad>", "<pad>"]
    assert str(S.parse(toks, dim=1)) == "dx0/dt = sin(x0)"


# --- trajectories from the catalog's integrator ---------------------------------------------------
def test_family_simulation_matches_catalog_lorenz():
    from dynlearn.systems import get
    from dynlearn.systems.integrate import integrate

    fam = S.family("lorenz")
    x0 = np.array([[1.0, 2.0, 20.0], [-3.0, 0.5, 25.0]])
    mine = S.simulate(fam.equations(), x0, t_end=0.5, n_points=26, step=0.005)
    ref = integrate(get("Lorenz"), x0, n_points=26, dt=0.02, max_step=0.005, backend="numpy",
                    params={"sigma": 10.0, "rho": 28.0, "beta": 8 / 3})  # fmt: skip
    np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=1e-9)


def test_sampled_families_stay_finite():
    for fam in S.FAMILIES.values():
        eqs, x0, _ = fam.sample(16, rng=1)
        X = S.simulate(eqs, x0, t_end=fam.t_end, n_points=32, step=fam.step)
        assert X.shape == (16, 32, fam.dim) and np.isfinite(X).all()


def test_corruptions():
    eqs = S.family("lorenz").equations()
    noisy = S.noisy_constants(eqs, 0.1, rng=0)
    assert S.same_terms(eqs, noisy, rtol=0.6) and not S.same_terms(eqs, noisy, rtol=1e-6)
    added = S.add_term(eqs, rng=0)
    assert sum(len(S.terms(t)) for t in added.trees) == sum(len(S.terms(t)) for t in eqs.trees) + 1
    removed = S.remove_term(eqs, rng=0)
    assert sum(len(S.terms(t)) for t in removed.trees) == sum(len(S.terms(t)) for t in eqs.trees) - 1


# --- SymPy ----------------------------------------------------------------------------------------
def test_sympy_round_trip():
    sp = pytest.importorskip("sympy")
    for name in ("lorenz", "thomas", "vanderpol"):
        eqs = S.family(name).equations()
        exprs = S.to_sympy(eqs)
        back = S.Equations(tuple(S.from_sympy(e) for e in exprs))
        assert S.same_terms(eqs, back, rtol=1e-12)
        assert all(sp.simplify(a - b) == 0 for a, b in zip(exprs, S.to_sympy(back)))
    x0 = S.x(0)
    messy = S.Equations((Node("sub", (Node("pow2", (x0 + S.const(1.0),)), Node("pow2", (x0,)))),))
    assert S.terms(S.simplify(messy).trees[0]) == {(): 1.0, ("x0",): 2.0}
    with pytest.raises(ValidationError, match="not a state variable"):
        S.from_sympy(sp.Symbol("y") + 1)


def test_missing_sympy_is_a_clear_error(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "sympy":
            raise ImportError("no sympy")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r"dynlearn\[symbolic\]"):
        S.to_sympy(S.x(0))
