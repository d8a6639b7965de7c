"""SymPy bridge (optional extra ``symbolic``): trees to SymPy expressions and back, and simplification.

SymPy is imported only when one of these functions is called."""

from __future__ import annotations

from dynlearn.errors import ValidationError
from dynlearn.symbolic.tree import Equations, Node, const, from_terms, is_variable, terms, var_index, x


def _sympy():
    try:
        import sympy
    except ImportError:
        raise ImportError(
            "SymPy is needed for symbolic simplification; install it with: pip install 'dynlearn[symbolic]'"
        ) from None
    return sympy


def to_sympy(node: Node | Equations):
    """A SymPy expression of a tree (symbols ``x0``, ``x1``, …), or a list of them for a system."""
    sp = _sympy()
    if isinstance(node, Equations):
        return [to_sympy(t) for t in node.trees]
    if node.op == "const":
        return sp.Float(float(node.value))
    if is_variable(node.op):
        return sp.Symbol(node.op)
    a = [to_sympy(c) for c in node.args]
    return {
        "add": lambda: a[0] + a[1],
        "sub": lambda: a[0] - a[1],
        "mul": lambda: a[0] * a[1],
        "neg": lambda: -a[0],
        "pow2": lambda: a[0] ** 2,
        "pow3": lambda: a[0] ** 3,
        "sin": lambda: sp.sin(a[0]),
        "cos": lambda: sp.cos(a[0]),
    }[node.op]()


def from_sympy(expr) -> Node:
    """A tree from a SymPy expression built of +, −, ×, integer powers 2 and 3 (and higher, as products),
    ``sin``, ``cos``, numbers and symbols ``x0``…``x9``."""
    sp = _sympy()
    if expr.is_Number:
        return const(float(expr))
    if expr.is_Symbol:
        if not is_variable(expr.name):
            raise ValidationError(f"symbol {expr.name!r} is not a state variable; name variables x0, x1, …")
        return x(var_index(expr.name))
    if isinstance(expr, sp.Add | sp.Mul):
        op = "add" if isinstance(expr, sp.Add) else "mul"
        args = [from_sympy(a) for a in expr.args]
        out = args[0]
        for a in args[1:]:
            out = Node(op, (out, a))
        return out
    if isinstance(expr, sp.Pow):
        base, e = expr.args
        if e.is_Integer and int(e) >= 1:
            b = from_sympy(base)
            n = int(e)
            if n == 2:
                return Node("pow2", (b,))
            if n == 3:
                return Node("pow3", (b,))
            out = b
            for _ in range(n - 1):
                out = Node("mul", (out, b))
            return out
        raise ValidationError(f"power {expr} is not supported: only positive integer exponents")
    if isinstance(expr, sp.sin | sp.cos):
        return Node("sin" if isinstance(expr, sp.sin) else "cos", (from_sympy(expr.args[0]),))
    raise ValidationError(f"cannot convert {expr} ({type(expr).__name__}) to a tree: use + − × powers sin cos")


def simplify(eqs: Equations) -> Equations:
    """Each equation expanded by SymPy and rewritten in the canonical term order (:func:`from_terms`)."""
    sp = _sympy()
    out = []
    for t in eqs.trees:
        expanded = from_sympy(sp.expand(to_sympy(t)))
        out.append(from_terms(terms(expanded)))
    return Equations(tuple(out))
