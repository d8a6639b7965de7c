"""Expression trees for ODE right-hand sides, their prefix form, vectorised evaluation and canonical terms.

An ODE system ``dx/dt = f(x)`` of dimension ``d`` is ``d`` trees, one per component. A tree is a
:class:`Node`: an operator with its operands, a variable ``x{i}``, or a numeric constant. The
operators and their arities are in :data:`OPERATORS`; prefix (Polish) notation writes a tree
operator-first, so ``x0 * (x1 - 2.5)`` is ``mul x0 sub x1 2.5`` and needs no brackets
(Lample & Charton 2020, the notation PROSE's symbolic modality uses).

A constant may hold a ``(batch,)`` array instead of a float: the tree is then a *batch* of systems
of one structure (one family with a parameter set per trajectory), evaluated in one vectorised
call on states ``(batch, d)``; :meth:`Equations.select` picks one member.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import numpy as np

from dynlearn.errors import ValidationError

#: operator → arity. ``pow2``/``pow3`` are squares and cubes (polynomial families need no general power).
OPERATORS: dict[str, int] = {
    "add": 2,
    "sub": 2,
    "mul": 2,
    "neg": 1,
    "pow2": 1,
    "pow3": 1,
    "sin": 1,
    "cos": 1,
}
MAX_DIM = 10  # variables x0 … x9


@dataclasses.dataclass(frozen=True, eq=False)
class Node:
    """``op`` is an operator of :data:`OPERATORS`, ``"x{i}"`` (a variable) or ``"const"`` (``value``)."""

    op: str
    args: tuple[Node, ...] = ()
    value: float | np.ndarray | None = None

    def __post_init__(self):
        if self.op in OPERATORS:
            if len(self.args) != OPERATORS[self.op]:
                raise ValidationError(f"operator {self.op!r} takes {OPERATORS[self.op]} operands, got {len(self.args)}")
        elif self.op == "const":
            if self.value is None:
                raise ValidationError("a constant node needs a value")
        elif not is_variable(self.op):
            raise ValidationError(f"unknown node {self.op!r}; operators are {sorted(OPERATORS)}, variables x0…x9")

    # --- building -----------------------------------------------------------------------------
    def __add__(self, other):
        return Node("add", (self, as_node(other)))

    def __radd__(self, other):
        return Node("add", (as_node(other), self))

    def __sub__(self, other):
        return Node("sub", (self, as_node(other)))

    def __mul__(self, other):
        return Node("mul", (self, as_node(other)))

    def __rmul__(self, other):
        return Node("mul", (as_node(other), self))

    def __neg__(self):
        return Node("neg", (self,))

    # --- reading ------------------------------------------------------------------------------
    def prefix(self) -> Iterator[Node]:
        """The nodes in prefix order (operator before its operands)."""
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.args))

    def variables(self) -> set[int]:
        return {var_index(n.op) for n in self.prefix() if is_variable(n.op)}

    def constants(self) -> list[Node]:
        return [n for n in self.prefix() if n.op == "const"]

    def map_constants(self, fn) -> Node:
        """A copy with every constant value ``v`` replaced by ``fn(v)``."""
        if self.op == "const":
            return Node("const", value=fn(self.value))
        if not self.args:
            return self
        return Node(self.op, tuple(a.map_constants(fn) for a in self.args))

    def __str__(self) -> str:
        return _infix(self)

    __repr__ = __str__


def is_variable(op: str) -> bool:
    return len(op) >= 2 and op[0] == "x" and op[1:].isdigit() and int(op[1:]) < MAX_DIM


def var_index(op: str) -> int:
    return int(op[1:])


def x(i: int) -> Node:
    """The variable ``x{i}``."""
    return Node(f"x{i}")


def const(v) -> Node:
    return Node("const", value=v)


def as_node(v) -> Node:
    return v if isinstance(v, Node) else const(v)


def _fmt(v) -> str:
    return f"{float(v):.4g}" if np.ndim(v) == 0 else f"<{np.shape(v)[0]} values>"


def _infix(n: Node) -> str:
    if n.op == "const":
        return _fmt(n.value)
    if is_variable(n.op):
        return n.op
    a = [_infix(c) for c in n.args]
    if n.op in ("add", "sub", "mul"):
        sym = {"add": " + ", "sub": " - ", "mul": "*"}[n.op]
        return f"({a[0]}{sym}{a[1]})"
    if n.op == "neg":
        return f"(-{a[0]})"
    if n.op in ("pow2", "pow3"):
        return f"{a[0]}^{n.op[-1]}"
    return f"{n.op}({a[0]})"


# --- evaluation --------------------------------------------------------------------------------
def evaluate(node: Node, X: np.ndarray) -> np.ndarray:
    """Value of the tree at states ``X`` of shape ``(batch, d)``: a ``(batch,)`` array.

    Array constants broadcast against the batch (one parameter set per row)."""
    op = node.op
    if op == "const":
        return np.broadcast_to(np.asarray(node.value, dtype=X.dtype), X.shape[:1])
    if is_variable(op):
        return X[:, var_index(op)]
    a = [evaluate(c, X) for c in node.args]
    if op == "add":
        return a[0] + a[1]
    if op == "sub":
        return a[0] - a[1]
    if op == "mul":
        return a[0] * a[1]
    if op == "neg":
        return -a[0]
    if op == "pow2":
        return a[0] * a[0]
    if op == "pow3":
        return a[0] * a[0] * a[0]
    if op == "sin":
        return np.sin(a[0])
    return np.cos(a[0])


@dataclasses.dataclass(frozen=True)
class Equations:
    """An autonomous ODE system ``dx_i/dt = trees[i](x)``, ``i < dim``."""

    trees: tuple[Node, ...]

    def __post_init__(self):
        object.__setattr__(self, "trees", tuple(self.trees))
        d = len(self.trees)
        if not 1 <= d <= MAX_DIM:
            raise ValidationError(f"a system needs 1 to {MAX_DIM} equations, got {d}")
        for i, t in enumerate(self.trees):
            bad = [v for v in t.variables() if v >= d]
            if bad:
                raise ValidationError(
                    f"equation {i} uses x{max(bad)} but the system has dimension {d} (variables x0…x{d - 1}); "
                    f"give one equation per variable"
                )

    @property
    def dim(self) -> int:
        return len(self.trees)

    @property
    def batch(self) -> int | None:
        """Number of systems held (array constants), or ``None`` for a single system."""
        sizes = {np.shape(c.value)[0] for t in self.trees for c in t.constants() if np.ndim(c.value) == 1}
        return sizes.pop() if sizes else None

    def rhs(self, X: np.ndarray, t=0.0, p=None) -> np.ndarray:
        """``f(X)`` for states ``(batch, dim)`` (the catalog's ``rhs(x, t, p)`` signature)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise ValidationError(f"states must have shape (batch, {self.dim}), got {X.shape}")
        return np.stack([evaluate(t_, X) for t_ in self.trees], axis=1)

    def select(self, i: int) -> Equations:
        """Member ``i`` of a batch of systems (array constants indexed)."""
        pick = lambda v: float(v[i]) if np.ndim(v) == 1 else float(v)
        return Equations(tuple(t.map_constants(pick) for t in self.trees))

    def map_constants(self, fn) -> Equations:
        return Equations(tuple(t.map_constants(fn) for t in self.trees))

    def __str__(self) -> str:
        return "\n".join(f"dx{i}/dt = {t}" for i, t in enumerate(self.trees))


# --- canonical terms: expansion into a sum of coefficient × monomial -------------------------------
Monomial = tuple[str, ...]  # sorted factor keys: "x0", "sin(x1)", ...


def _mul_terms(a: dict, b: dict) -> dict:
    out: dict = {}
    for ka, ca in a.items():
        for kb, cb in b.items():
            k = tuple(sorted(ka + kb))
            out[k] = out.get(k, 0.0) + ca * cb
    return out


def _add_terms(a: dict, b: dict, sign: float = 1.0) -> dict:
    out = dict(a)
    for k, c in b.items():
        out[k] = out.get(k, 0.0) + sign * c
    return out


def terms(node: Node) -> dict[Monomial, float]:
    """Expand a (single-system) tree into ``{monomial: coefficient}``.

    Polynomial operators distribute; ``sin``/``cos`` are atoms keyed by their expanded argument
    (``sin(x1)``), so ``sin(x1) * 2 - 0.5 sin(x1)`` is ``{("sin(x1)",): 1.5}``. The constant term's
    monomial is ``()``. Zero coefficients are dropped."""
    op = node.op
    if op == "const":
        return {(): float(node.value)}
    if is_variable(op):
        return {(op,): 1.0}
    if op in ("sin", "cos"):
        return {(f"{op}({_key(terms(node.args[0]))})",): 1.0}
    a = [terms(c) for c in node.args]
    if op == "add":
        out = _add_terms(a[0], a[1])
    elif op == "sub":
        out = _add_terms(a[0], a[1], -1.0)
    elif op == "neg":
        out = {k: -c for k, c in a[0].items()}
    elif op == "mul":
        out = _mul_terms(a[0], a[1])
    elif op == "pow2":
        out = _mul_terms(a[0], a[0])
    else:  # pow3
        out = _mul_terms(_mul_terms(a[0], a[0]), a[0])
    return {k: c for k, c in out.items() if c != 0.0}


def _key(t: dict) -> str:
    parts = []
    for k in sorted(t):
        c = t[k]
        mono = "*".join(k) if k else "1"
        parts.append(mono if c == 1.0 else f"{c:.4g}*{mono}")
    return " + ".join(parts) if parts else "0"


def same_terms(a: Equations, b: Equations, rtol: float = 0.05) -> bool:
    """Whether ``a`` and ``b`` have the same monomials in every equation, each coefficient within ``rtol``
    (relative to the larger of the two magnitudes).

    This is the paper's "recovered up to constants" test: the structure must match exactly, the
    numbers only approximately."""
    if a.dim != b.dim:
        return False
    for ta, tb in zip(a.trees, b.trees):
        ea, eb = terms(ta), terms(tb)
        if set(ea) != set(eb):
            return False
        for k, ca in ea.items():
            cb = eb[k]
            if abs(ca - cb) > rtol * max(abs(ca), abs(cb)):
                return False
    return True


def from_terms(t: dict[Monomial, float]) -> Node:
    """The canonical tree of a term dict: ``add(add(c1*m1, c2*m2), …)`` with monomials in sorted order and
    each monomial a product of its factors left to right (``sin``/``cos`` atoms need a single variable argument)."""
    nodes = []
    for k in sorted(t):
        m = const(t[k])
        for f in k:
            m = Node("mul", (m, _factor(f)))
        nodes.append(m)
    if not nodes:
        return const(0.0)
    out = nodes[0]
    for n in nodes[1:]:
        out = Node("add", (out, n))
    return out


def _factor(f: str) -> Node:
    if is_variable(f):
        return x(var_index(f))
    for op in ("sin", "cos"):
        if f.startswith(op + "(") and is_variable(f[len(op) + 1 : -1]):
            return Node(op, (x(var_index(f[len(op) + 1 : -1])),))
    raise ValidationError(f"cannot rebuild factor {f!r}: only variables and sin/cos of one variable")


def polynomial(terms_: Sequence[tuple[object, Sequence[str]]]) -> Node:
    """A tree from ``[(coefficient, factors), …]``, e.g. ``[(sigma, ["x1"]), (-sigma, ["x0"])]``, written in the
    given order (families use it to fix each equation's canonical form). Coefficients may be arrays."""
    out = None
    for c, factors in terms_:
        m = const(c)
        for f in factors:
            m = Node("mul", (m, _factor(f)))
        out = m if out is None else Node("add", (out, m))
    return out if out is not None else const(0.0)
