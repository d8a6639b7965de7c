"""Candidate-function libraries Θ(x) for SINDy (Brunton, Proctor & Kutz 2016, PNAS 113:3932).

A library maps states ``X`` of shape ``(n, m)`` to the candidate matrix
``Θ(X)`` of shape ``(n, p)``; SINDy then looks for a sparse ``Ξ`` with
``dx/dt ≈ Θ(x) Ξᵀ``. Libraries are described by a small *spec string* so a
fitted model can be saved as JSON and rebuilt:

* a *family* names a set of terms on the variables ``z = (x, u)``:
  ``poly`` (every monomial of degree 1..``degree``), ``fourier``
  (``sin(k z_j)``, ``cos(k z_j)`` for ``k = 1..n_frequencies``) or any
  elementwise function family registered with :func:`register_function`
  (built in: ``sin``, ``cos``, ``exp``, ``tanh``);
* ``A*B`` is the tensor product (every product of a term of A and a term of B),
  ``A+B`` the concatenation; ``*`` binds tighter than ``+``;
* the constant term ``1`` is prepended when ``include_bias`` is set.

So ``"poly"`` is the classic polynomial library and
``"poly+fourier+poly*fourier"`` adds trigonometric terms and their products
with monomials. Polynomials are evaluated degree by degree, each monomial as
its parent monomial times one variable, which keeps evaluation inside the
integrator to a few vectorised numpy operations.

A :class:`CustomLibrary` of arbitrary Python callables works for fitting and
forecasting but cannot be saved (a function is code, not data); register the
function family by name instead to make a model saveable.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dynlearn.errors import UnknownNameError, ValidationError


@dataclass(frozen=True)
class FunctionFamily:
    """An elementwise function ``f`` applied to every variable; ``label`` formats its name."""

    fn: Callable[[np.ndarray], np.ndarray]
    label: str  # e.g. "exp({})"


_FUNCTIONS: dict[str, FunctionFamily] = {
    "sin": FunctionFamily(np.sin, "sin({})"),
    "cos": FunctionFamily(np.cos, "cos({})"),
    "exp": FunctionFamily(np.exp, "exp({})"),
    "tanh": FunctionFamily(np.tanh, "tanh({})"),
}
_RESERVED = {"poly", "fourier"}


def register_function(name: str, fn: Callable[[np.ndarray], np.ndarray], label: str | None = None) -> None:
    """Register an elementwise function family usable by name in a library spec.

    ``fn`` maps an array to an array of the same shape; ``label`` is a format
    string for one term, ``{}`` standing for the variable (default
    ``"name({})"``). A model whose library uses only registered names can be
    saved; loading it needs the same registration in the loading process.
    """
    if not name.isidentifier() or name in _RESERVED:
        raise ValidationError(f"function family name must be an identifier other than poly/fourier; got {name!r}")
    if not callable(fn):
        raise ValidationError(f"register_function needs a callable, got {type(fn).__name__}")
    _FUNCTIONS[name] = FunctionFamily(fn, label or f"{name}({{}})")


def function_names() -> list[str]:
    return sorted(_RESERVED | set(_FUNCTIONS))


# -- term blocks ------------------------------------------------------------------
class _Block:
    """A list of non-constant terms: ``evaluate(Z) -> (n, n_terms)`` and ``names(vars)``."""

    n_terms: int

    def evaluate(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def names(self, var: Sequence[str]) -> list[str]:
        raise NotImplementedError


class _Poly(_Block):
    """All monomials of degree 1..d in m variables, in pysindy's order
    (by degree, then lexicographic ``combinations_with_replacement``)."""

    def __init__(self, m: int, degree: int):
        self.m, self.degree = m, degree
        self.combos: list[tuple[int, ...]] = []
        # per degree >= 2: (parent column within previous degree, variable) for each monomial
        self.steps: list[tuple[np.ndarray, np.ndarray]] = []
        prev = [(j,) for j in range(m)]
        self.combos += prev
        for _ in range(2, degree + 1):
            index = {c: i for i, c in enumerate(prev)}
            cur = list(itertools.combinations_with_replacement(range(m), len(prev[0]) + 1))
            parents = np.array([index[c[:-1]] for c in cur])
            last = np.array([c[-1] for c in cur])
            self.steps.append((parents, last))
            self.combos += cur
            prev = cur
        self.n_terms = len(self.combos)

    def evaluate(self, Z):
        blocks = [Z]
        cur = Z
        for parents, last in self.steps:
            cur = cur[:, parents] * Z[:, last]
            blocks.append(cur)
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=1)

    def names(self, var):
        out = []
        for c in self.combos:
            parts = []
            for j in sorted(set(c)):
                k = c.count(j)
                parts.append(var[j] if k == 1 else f"{var[j]}^{k}")
            out.append(" ".join(parts))
        return out


class _Fourier(_Block):
    """``sin(k z_j), cos(k z_j)`` for each variable j and frequency k = 1..K."""

    def __init__(self, m: int, n_frequencies: int):
        self.m, self.K = m, n_frequencies
        self.n_terms = 2 * m * n_frequencies
        self.freq = np.tile(np.arange(1, n_frequencies + 1), m)
        self.var = np.repeat(np.arange(m), n_frequencies)

    def evaluate(self, Z):
        arg = Z[:, self.var] * self.freq
        out = np.empty((len(Z), self.n_terms), dtype=np.result_type(Z, float))
        out[:, 0::2] = np.sin(arg)
        out[:, 1::2] = np.cos(arg)
        return out

    def names(self, var):
        out = []
        for j, k in zip(self.var, self.freq):
            a = var[j] if k == 1 else f"{k} {var[j]}"
            out += [f"sin({a})", f"cos({a})"]
        return out


class _Functions(_Block):
    """Elementwise functions ``f_i(z_j)`` for every function i and variable j."""

    def __init__(self, m: int, fns: Sequence[Callable], labels: Sequence[str]):
        self.m, self.fns, self.labels = m, list(fns), list(labels)
        self.n_terms = m * len(self.fns)

    def evaluate(self, Z):
        return np.concatenate([np.asarray(f(Z), dtype=np.result_type(Z, float)) for f in self.fns], axis=1)

    def names(self, var):
        return [lab.format(var[j]) for lab in self.labels for j in range(self.m)]


class _Tensor(_Block):
    """Every product ``a_i b_j`` of a term of A and a term of B."""

    def __init__(self, a: _Block, b: _Block):
        self.a, self.b = a, b
        self.n_terms = a.n_terms * b.n_terms

    def evaluate(self, Z):
        A, B = self.a.evaluate(Z), self.b.evaluate(Z)
        return (A[:, :, None] * B[:, None, :]).reshape(len(Z), -1)

    def names(self, var):
        return [f"{p} {q}" for p in self.a.names(var) for q in self.b.names(var)]


# -- the library ----------------------------------------------------------------------
class Library:
    """Θ(z) = [1?, block_1(z), block_2(z), ...] on ``n_vars`` variables.

    Build with :func:`build_library`; ``spec`` is the string it came from, or
    ``None`` for a library of unregistered Python functions (not saveable).
    """

    def __init__(self, blocks: list[_Block], n_vars: int, include_bias: bool, spec: str | None):
        self.blocks, self.n_vars, self.include_bias, self.spec = blocks, n_vars, include_bias, spec
        self.n_terms = int(include_bias) + sum(b.n_terms for b in blocks)

    def evaluate(self, Z: np.ndarray) -> np.ndarray:
        """``Z`` ``(n, n_vars)`` -> Θ ``(n, n_terms)``."""
        parts = [b.evaluate(Z) for b in self.blocks]
        if self.include_bias:
            parts.insert(0, np.ones((len(Z), 1), dtype=np.result_type(Z, float)))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def names(self, var: Sequence[str]) -> list[str]:
        out = ["1"] if self.include_bias else []
        for b in self.blocks:
            out += b.names(var)
        return out


def _family(name: str, m: int, degree: int, n_frequencies: int) -> _Block:
    if name == "poly":
        return _Poly(m, degree)
    if name == "fourier":
        return _Fourier(m, n_frequencies)
    if name in _FUNCTIONS:
        fam = _FUNCTIONS[name]
        return _Functions(m, [fam.fn], [fam.label])
    raise UnknownNameError("library function family", name, function_names())


def build_library(spec: str, n_vars: int, *, degree: int = 2, n_frequencies: int = 1, include_bias: bool = True):
    """Parse a spec such as ``"poly+fourier+poly*fourier"`` into a :class:`Library`."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValidationError(f"library spec must be a non-empty string such as 'poly' or 'poly+fourier'; got {spec!r}")
    blocks: list[_Block] = []
    for summand in spec.replace(" ", "").split("+"):
        if not summand:
            raise ValidationError(f"library spec {spec!r} has an empty term; write e.g. 'poly+fourier'")
        factors = [_family(f, n_vars, degree, n_frequencies) for f in summand.split("*")]
        if any(not f for f in summand.split("*")):
            raise ValidationError(f"library spec {spec!r} has an empty factor; write e.g. 'poly*fourier'")
        block = factors[0]
        for f in factors[1:]:
            block = _Tensor(block, f)
        blocks.append(block)
    return Library(blocks, n_vars, include_bias, spec)


class CustomLibrary:
    """A library of arbitrary elementwise Python functions (not saveable).

    ``functions``: callables mapping an array to one of the same shape, each
    applied to every variable; ``labels``: format strings, ``{}`` for the
    variable (default ``"f0({})"``, ...). Pass it as ``SINDy(custom_library=...)``;
    it replaces the ``library`` spec of the config (``include_bias`` still applies).
    """

    def __init__(self, functions: Sequence[Callable], labels: Sequence[str] | None = None):
        self.functions = list(functions)
        if not self.functions or not all(callable(f) for f in self.functions):
            raise ValidationError("CustomLibrary needs a non-empty list of callables")
        self.labels = list(labels) if labels is not None else [f"f{i}({{}})" for i in range(len(self.functions))]
        if len(self.labels) != len(self.functions):
            raise ValidationError(f"CustomLibrary got {len(self.functions)} functions but {len(self.labels)} labels")

    def build(self, n_vars: int, include_bias: bool) -> Library:
        return Library([_Functions(n_vars, self.functions, self.labels)], n_vars, include_bias, None)


def collinear_terms(theta: np.ndarray, names: Sequence[str], rtol: float = 1e-10) -> list[str]:
    """Describe each dependent column of Θ as a combination of independent ones.

    Columns are scaled to unit norm, the rank comes from a column-pivoted QR
    (rank-revealing), and each column beyond the rank is regressed on the
    independent ones; the terms with non-negligible weight are named.
    Returns an empty list when Θ has full column rank.
    """
    from scipy.linalg import qr

    norms = np.linalg.norm(theta, axis=0)
    zero = [names[j] for j in np.flatnonzero(norms == 0)]
    Z = theta / np.where(norms > 0, norms, 1.0)
    _, R, piv = qr(Z, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > rtol * max(diag[0], 1e-300))) if diag.size else 0
    if rank == theta.shape[1]:
        return []
    indep, dep = piv[:rank], piv[rank:]
    out = [f"{n} (identically zero)" for n in zero]
    for j in dep:
        if norms[j] == 0:
            continue
        w = np.linalg.lstsq(Z[:, indep], Z[:, j], rcond=None)[0]
        parts = [names[indep[i]] for i in np.argsort(-np.abs(w)) if abs(w[i]) > 1e-6][:4]
        out.append(f"{names[j]} ~ {' , '.join(parts) if parts else '0'}")
    return out
