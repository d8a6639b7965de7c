"""Symbolic ODE systems: expression trees, parametric families, tokens and a parser.

* :mod:`~dynlearn.symbolic.tree` — :class:`Node` trees in prefix notation, :class:`Equations`
  (one tree per component, vectorised ``rhs``), canonical terms and :func:`same_terms`;
* :mod:`~dynlearn.symbolic.families` — the polynomial and trigonometric ODE families of PROSE
  with parameter ranges, batched :func:`simulate`, corruptions of the equations;
* :mod:`~dynlearn.symbolic.tokens` — sign–mantissa–exponent numbers, :func:`tokenize`,
  :func:`parse` (errors name the token and its position), :class:`Vocabulary`;
* SymPy bridge (extra ``symbolic``, imported lazily): :func:`to_sympy`, :func:`from_sympy`, :func:`simplify`.
"""

from dynlearn.symbolic._sympy import from_sympy, simplify, to_sympy
from dynlearn.symbolic.families import (
    FAMILIES,
    Family,
    add_term,
    as_system,
    family,
    noisy_constants,
    remove_term,
    simulate,
)
from dynlearn.symbolic.tokens import Vocabulary, decode_number, encode_number, parse, tokenize
from dynlearn.symbolic.tree import Equations, Node, const, evaluate, from_terms, same_terms, terms, x

__all__ = [
    "FAMILIES",
    "Equations",
    "Family",
    "Node",
    "Vocabulary",
    "add_term",
    "as_system",
    "const",
    "decode_number",
    "encode_number",
    "evaluate",
    "family",
    "from_sympy",
    "from_terms",
    "noisy_constants",
    "parse",
    "remove_term",
    "same_terms",
    "simplify",
    "simulate",
    "terms",
    "to_sympy",
    "tokenize",
    "x",
]
