"""Tokens of ODE systems: numbers as sign–mantissa–exponent, trees in prefix order, and the parser back.

A number ``v`` is three tokens: its sign (``+``/``-``), a mantissa ``N{m}`` with ``m`` an integer of
``precision`` significant digits (``10^(p-1) ≤ m < 10^p``; ``N0`` for zero) and an exponent
``E{e}``, so that ``|v| ≈ m · 10^e``. With the default ``precision=3`` the relative rounding error
is at most ``0.5 · 10^(1-p) = 0.5 %``; ``2.7`` encodes as ``+ N270 E-2``, ``-0.208186`` as
``- N208 E-3`` (the encoding of Charton 2022 used by PROSE, Liu, Sun & Schaeffer 2023,
arXiv:2309.16816). Exponents are clipped to ``±MAX_EXPONENT``.

A system is the prefix tokens of its equations joined by ``|``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from dynlearn.errors import ValidationError
from dynlearn.symbolic.tree import MAX_DIM, OPERATORS, Equations, Node, const, is_variable, var_index

PRECISION = 3
MAX_EXPONENT = 12
SEP, BOS, EOS, PAD = "|", "<bos>", "<eos>", "<pad>"
SIGNS = ("+", "-")


def encode_number(v: float, precision: int = PRECISION) -> list[str]:
    """``[sign, N<mantissa>, E<exponent>]`` with ``precision`` significant digits."""
    v = float(v)
    if not math.isfinite(v):
        raise ValidationError(f"cannot encode the non-finite number {v}")
    sign = "-" if v < 0 else "+"
    a = abs(v)
    if a == 0.0:
        return [sign, "N0", "E0"]
    e = math.floor(math.log10(a)) - (precision - 1)
    m = round(a / 10.0**e)
    if m >= 10**precision:  # 9995 → 1000 after rounding: one more digit of exponent
        m //= 10
        e += 1
    if e > MAX_EXPONENT:
        raise ValidationError(f"{v} is too large to encode (exponent {e} > {MAX_EXPONENT})")
    if e < -MAX_EXPONENT:
        return [sign, "N0", "E0"]
    return [sign, f"N{m}", f"E{e}"]


def decode_number(tokens: Sequence[str], position: int = 0) -> float:
    """The value of ``[sign, N<m>, E<e>]``; errors name the bad token and its position."""
    if len(tokens) < 3:
        raise ValidationError(
            f"number at position {position} is cut short: expected sign, mantissa N### and exponent E±#, "
            f"got {list(tokens)}"
        )
    s, m, e = tokens[:3]
    if s not in SIGNS:
        raise ValidationError(f"expected a sign '+' or '-' at position {position}, got {s!r}")
    if not (m.startswith("N") and m[1:].isdigit()):
        raise ValidationError(f"expected a mantissa token N### at position {position + 1}, got {m!r}")
    try:
        ex = int(e[1:]) if e.startswith("E") else None
    except ValueError:
        ex = None
    if ex is None:
        raise ValidationError(f"expected an exponent token E±# at position {position + 2}, got {e!r}")
    return (-1.0 if s == "-" else 1.0) * int(m[1:]) * 10.0**ex


def tree_tokens(node: Node, precision: int = PRECISION) -> list[str]:
    """Prefix tokens of one tree (constants must be floats, not arrays)."""
    out: list[str] = []
    for n in node.prefix():
        if n.op == "const":
            if np.ndim(n.value) != 0:
                raise ValidationError("tokenize one system at a time: use Equations.select(i) on a batch")
            out += encode_number(n.value, precision)
        else:
            out.append(n.op)
    return out


def tokenize(eqs: Equations, precision: int = PRECISION) -> list[str]:
    """Tokens of a system: each equation in prefix order, joined by ``|``."""
    out: list[str] = []
    for i, t in enumerate(eqs.trees):
        if i:
            out.append(SEP)
        out += tree_tokens(t, precision)
    return out


def _describe_expected() -> str:
    return "an operator (" + ", ".join(OPERATORS) + "), a variable x0…x9 or a number (+/- N### E±#)"


def _parse_tree(tokens: Sequence[str], pos: int, end: int, dim: int | None) -> tuple[Node, int]:
    """Parse one prefix tree starting at ``pos`` (tokens ``< end``); returns the tree and the next position.

    Iterative (a stack of pending operators) so that long garbage cannot exhaust Python's recursion."""
    stack: list[tuple[str, int, list[Node]]] = []  # (operator, its position, operands so far)
    while True:
        if pos >= end:
            op, at, _ = stack[-1] if stack else ("", pos, [])
            if stack:
                raise ValidationError(
                    f"operator {op!r} at position {at} needs {OPERATORS[op]} operands but the equation ends at "
                    f"position {pos}; complete it or remove the operator"
                )
            raise ValidationError(f"empty equation at position {pos}: expected {_describe_expected()}")
        tok = tokens[pos]
        if tok in OPERATORS:
            stack.append((tok, pos, []))
            pos += 1
            continue
        if tok in SIGNS:
            leaf = const(decode_number(tokens[pos:end], pos))
            pos += 3
        elif is_variable(tok):
            if dim is not None and var_index(tok) >= dim:
                raise ValidationError(
                    f"variable {tok!r} at position {pos} does not exist in a system of dimension {dim} "
                    f"(variables x0…x{dim - 1}); fix the equation or the dimension"
                )
            leaf = Node(tok)
            pos += 1
        else:
            raise ValidationError(f"unparseable token {tok!r} at position {pos}; expected {_describe_expected()}")
        node = leaf
        while stack:
            op, at, operands = stack[-1]
            operands.append(node)
            if len(operands) < OPERATORS[op]:
                break
            stack.pop()
            node = Node(op, tuple(operands))
        else:
            return node, pos


def parse(tokens: Sequence[str], dim: int | None = None) -> Equations:
    """The system written by ``tokens`` (as made by :func:`tokenize`; ``<bos>``/``<eos>`` around it are ignored).

    ``dim``, when given, is the dimension the system must have: one equation per variable.
    Raises :class:`ValidationError` naming the token and its position when a token is unknown, an
    operator lacks operands, an equation has tokens left over, a variable is out of range or the
    number of equations differs from ``dim``."""
    toks = list(tokens)
    start = 1 if toks[:1] == [BOS] else 0
    end = toks.index(EOS) if EOS in toks else len(toks)
    if PAD in toks[start:end]:
        end = toks.index(PAD, start)
    if dim is not None and not 1 <= dim <= MAX_DIM:
        raise ValidationError(f"dim must be between 1 and {MAX_DIM}, got {dim}")
    trees, pos = [], start
    while True:
        stop = end
        for j in range(pos, end):
            if toks[j] == SEP:
                stop = j
                break
        tree, nxt = _parse_tree(toks, pos, stop, dim)
        if nxt != stop:
            raise ValidationError(
                f"equation {len(trees)} is complete at position {nxt} but token {toks[nxt]!r} follows; "
                f"separate equations with {SEP!r}"
            )
        trees.append(tree)
        if stop == end:
            break
        pos = stop + 1
    if dim is not None and len(trees) != dim:
        raise ValidationError(
            f"dimension mismatch: the tokens hold {len(trees)} equation(s) but the system has dimension {dim}; "
            f"give one equation per variable, separated by {SEP!r}"
        )
    return Equations(tuple(trees))


class Vocabulary:
    """Token ↔ integer id for a fixed maximum dimension and precision (ids 0–2 are ``<pad>``, ``<bos>``, ``<eos>``)."""

    def __init__(self, max_dim: int = 3, precision: int = PRECISION):
        self.max_dim, self.precision = max_dim, precision
        words = [PAD, BOS, EOS, SEP, *OPERATORS, *(f"x{i}" for i in range(max_dim)), *SIGNS]
        words += ["N0"] + [f"N{m}" for m in range(10 ** (precision - 1), 10**precision)]
        words += [f"E{e}" for e in range(-MAX_EXPONENT, MAX_EXPONENT + 1)]
        self.words = words
        self.index = {w: i for i, w in enumerate(words)}

    def __len__(self) -> int:
        return len(self.words)

    @property
    def pad(self) -> int:
        return 0

    @property
    def bos(self) -> int:
        return 1

    @property
    def eos(self) -> int:
        return 2

    def encode(self, tokens: Sequence[str]) -> list[int]:
        out = []
        for i, t in enumerate(tokens):
            if t not in self.index:
                raise ValidationError(f"token {t!r} at position {i} is not in the vocabulary (max_dim={self.max_dim})")
            out.append(self.index[t])
        return out

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.words[int(i)] for i in ids]
