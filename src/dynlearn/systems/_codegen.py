"""Source generation for the compiled integrators: the right-hand side as rows, kernels from tableaus.

* :func:`loop_form`: a right-hand side in the catalog's column convention
  (``out = np.empty_like(x)``, ``out[:, j] = expr``, parameters ``p.name``),
  or one that only returns such a helper's result, rewritten into
  ``_rhs_rows(x, t, p, out, lo, hi)``: one scalar loop over rows ``lo:hi``
  (``out[:, j]`` becomes ``out[_b, j]``), without allocation. Any other
  right-hand side is called as written on the row slice.
* ``fixed_kernel`` / ``adaptive_kernel``: the stages of a Butcher tableau
  unrolled into loops, in the arithmetic order of
  :func:`dynlearn.systems._stepper.rk_step` (fixed step) and with the step
  control and dense output of :mod:`dynlearn.systems._adaptive`
  (Dormand–Prince, trajectory by trajectory).

:func:`generate` returns the module's source, the globals it reads (to be
injected) and a hash of everything its machine code depends on;
:mod:`dynlearn.systems._compiled` compiles and caches it.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import sys
import textwrap
import types

import numpy as np

from dynlearn.systems._tableau import Tableau


class Unsupported(Exception):
    pass


def _function_ast(fn) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef):
        raise Unsupported("not a def")
    fdef.decorator_list = []
    return fdef


def _body(fdef) -> list:
    return [st for st in fdef.body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]


class _ToScalar(ast.NodeTransformer):
    """``x[:, j]`` -> ``x[_b, j]`` and ``p.name`` -> ``p.name[_b]`` for per-trajectory parameters."""

    def __init__(self, x: str, out: str, p: str, array_params):
        self.x, self.out, self.p, self.array_params = x, out, p, set(array_params)

    def visit_Subscript(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in (self.x, self.out):
            sl = node.slice
            if (
                isinstance(sl, ast.Tuple)
                and len(sl.elts) == 2
                and isinstance(sl.elts[0], ast.Slice)
                and sl.elts[0].lower is None
                and sl.elts[0].upper is None
                and sl.elts[0].step is None
            ):
                idx = self.visit(sl.elts[1])
                node.slice = ast.Tuple(elts=[ast.Name("_b", ast.Load()), idx], ctx=ast.Load())
                return node
            raise Unsupported("state indexed other than x[:, j]")
        return self.generic_visit(node)

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id == self.p and node.attr in self.array_params:
            return ast.Subscript(value=node, slice=ast.Name("_b", ast.Load()), ctx=ast.Load())
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in (self.x, self.out, "_b"):
            raise Unsupported(f"whole-array use of {node.id!r}")
        return node


def _delegate(fn):
    """``(g, roles)`` when ``fn``'s body is only ``return g(...)`` of its own arguments and ``g`` is a
    plain function of the same module; ``roles`` maps g's argument names to ``x``, ``t`` or ``p``."""
    fdef = _function_ast(fn)
    body = _body(fdef)
    xs, ts, ps = (a.arg for a in fdef.args.args)
    if len(body) != 1 or not isinstance(body[0], ast.Return) or not isinstance(body[0].value, ast.Call):
        return None
    call = body[0].value
    g = fn.__globals__.get(call.func.id) if isinstance(call.func, ast.Name) else None
    if not isinstance(g, types.FunctionType) or call.keywords:
        return None
    role = {xs: "x", ts: "t", ps: "p"}
    if not all(isinstance(a, ast.Name) and a.id in role for a in call.args):
        return None
    gnames = [a.arg for a in _function_ast(g).args.args]
    if len(gnames) != len(call.args):
        return None
    return g, {gn: role[a.id] for gn, a in zip(gnames, call.args)}


def _loop_source(fn, roles: dict, array_params) -> str:
    """``_rhs_rows`` as one loop over rows, from a column-convention function (see module doc)."""
    fdef = _function_ast(fn)  # free variables of a closure become globals of the generated module
    names = {role: name for name, role in roles.items()}
    if "x" not in names or len(roles) != len(fdef.args.args):
        raise Unsupported("arguments")
    xs, ts, ps = names["x"], names.get("t", "_t"), names.get("p", "_p")
    body = _body(fdef)
    alloc = [
        i
        for i, st in enumerate(body)
        if isinstance(st, ast.Assign)
        and len(st.targets) == 1
        and isinstance(st.targets[0], ast.Name)
        and ast.unparse(st.value) == f"np.empty_like({xs})"
    ]
    last = body[-1]
    if not alloc or not isinstance(last, ast.Return) or last.value is None:
        raise Unsupported("not the column convention")
    outs = body[alloc[0]].targets[0].id
    if ast.unparse(last.value) != outs:
        raise Unsupported("does not return its output array")
    tr = _ToScalar(xs, outs, ps, array_params)
    middle = [tr.visit(st) for st in body[: alloc[0]] + body[alloc[0] + 1 : -1]]
    loop = ast.parse("for _b in range(_lo, _hi):\n    pass").body[0]
    loop.body = middle
    func = ast.parse(f"def _rhs_rows({xs}, {ts}, {ps}, {outs}, _lo, _hi):\n    pass").body[0]
    func.body = [loop]
    return ast.unparse(ast.fix_missing_locations(func))


def _loop_form(fn, array_params=()):
    """``(source of the one-loop _rhs_rows, the function it was made from)`` for ``fn`` or for the
    helper ``fn`` delegates to; ``(None, fn)`` when neither follows the column convention."""
    _errors = (Unsupported, OSError, SyntaxError, TypeError, ValueError, IndexError)
    try:
        return _loop_source(fn, dict(zip(inspect.signature(fn).parameters, "xtp")), tuple(array_params)), fn
    except _errors:
        pass
    try:
        dg = _delegate(fn)
        if dg is not None:
            return _loop_source(dg[0], dg[1], tuple(array_params)), dg[0]
    except _errors:
        pass
    return None, fn


def loop_form(fn, array_params=()) -> str | None:
    """Source of the one-loop ``_rhs_rows`` for ``fn`` (see module doc), or ``None``."""
    return _loop_form(fn, array_params)[0]


def _slice_source(fn, names: tuple[str, ...], arrays: tuple[str, ...]) -> str:
    """``_rhs_rows`` calling the function itself on the row slice (any array code numba compiles)."""
    fdef = _function_ast(fn)
    fdef.name = "_rhs_user"
    packed = ", ".join(f"p.{k}[lo:hi]" if k in arrays else f"p.{k}" for k in names)
    p_expr = f"_P({packed})" if arrays else "p"
    return (
        "@_jit\n"
        + ast.unparse(fdef)
        + f"\n\n\n@_jit\ndef _rhs_rows(x, t, p, out, lo, hi):\n    out[lo:hi] = _rhs_user(x[lo:hi], t, {p_expr})\n"
    )


def _globals_of(fns) -> dict:
    """The globals and closure values the functions read (to inject into the generated module)."""
    found: dict = {}
    for fn in fns:
        code = fn.__code__
        for cell_name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            found[cell_name] = cell.cell_contents
        names = set(code.co_names)
        for const in code.co_consts:  # nested code (comprehensions) reads globals too
            if isinstance(const, types.CodeType):
                names |= set(const.co_names)
        for name in names:
            if name in fn.__globals__:
                found[name] = fn.__globals__[name]
    return found


def _fingerprint(value) -> str | None:
    """What a global contributes to the cache key; ``None`` when it cannot be keyed (no disk cache)."""
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__} {getattr(value, '__version__', '')}"
    if isinstance(value, bool | int | float | complex | str | type(None)):
        return repr(value)
    if isinstance(value, np.ndarray):
        return f"array {value.dtype} {value.shape} {hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()}"
    if isinstance(value, tuple) and all(isinstance(v, bool | int | float) for v in value):
        return repr(value)
    py = getattr(value, "py_func", value)
    if isinstance(py, types.FunctionType):
        try:
            src = inspect.getsource(py)
        except (OSError, TypeError):
            return None
        inner = [_fingerprint(v) for v in _globals_of([py]).values() if not isinstance(v, types.ModuleType)]
        return None if None in inner else f"function {src} {inner}"
    return None


# --------------------------------------------------------------------------- kernel source


def _comb_expr(comb, var: str) -> str:
    terms = [f"{var}{j}[b, d]" if w == 1.0 else f"{w!r} * {var}{j}[b, d]" for j, w in zip(comb.idx, comb.weights)]
    return " + ".join(terms)


def _scale_expr(comb) -> str:
    return "h" if comb.den == 1.0 else f"h / {comb.den!r}"


def _pack(names: tuple[str, ...], arrays: tuple[str, ...]) -> str:
    ia = {k: i for i, k in enumerate(arrays)}
    args = ", ".join(f"pa[{ia[k]}]" if k in ia else f"ps[{i}]" for i, k in enumerate(names))
    return f"_P({args})"


def _fixed_source(tab: Tableau, names, arrays) -> str:
    s = tab.stages
    L = [
        "@_jit",
        "def fixed_kernel(x0, t0, h, n_sub, n_points, ps, pa, out, blowup):",
        f"    p = {_pack(names, arrays)}",
        "    m, dim = x0.shape",
        "    # column-major (F) work arrays: each state column is contiguous",
        "    x = np.empty((dim, m)).T",
        "    x[:, :] = x0",
        "    y = np.empty((dim, m)).T",
    ]
    L += [f"    k{i} = np.empty((dim, m)).T" for i in range(s)]
    L += [f"    s{i} = {_scale_expr(tab.stage(i))}" for i in range(1, s) if tab.stage(i).idx]
    L += [
        f"    su = {_scale_expr(tab.update())}",
        "    t = t0",
        "    for i in range(1, n_points):",
        "        for _ in range(n_sub):",
    ]
    L.append("            _rhs_rows(x, t, p, k0, 0, m)")
    for i in range(1, s):
        comb = tab.stage(i)
        src = "x"
        if comb.idx:
            L += [
                "            for d in range(dim):",
                "                for b in range(m):",
                f"                    y[b, d] = x[b, d] + s{i} * ({_comb_expr(comb, 'k')})",
            ]
            src = "y"
        L.append(f"            _rhs_rows({src}, t + {float(tab.c_f[i])!r} * h, p, k{i}, 0, m)")
    L += [
        "            for d in range(dim):",
        "                for b in range(m):",
        f"                    x[b, d] = x[b, d] + su * ({_comb_expr(tab.update(), 'k')})",
        "            t += h",
        "        for b in range(m):",
        "            for d in range(dim):",
        "                if not abs(x[b, d]) <= blowup:  # also catches NaN",
        "                    return b, i, t",
        "            for d in range(dim):",
        "                out[b, i, d] = x[b, d]",
        "    return -1, -1, t",
    ]
    return "\n".join(L) + "\n"


def _adaptive_source(tab: Tableau, names, arrays) -> str:
    """Per-trajectory Dormand–Prince with the step control of :mod:`dynlearn.systems._adaptive`."""
    s = tab.stages
    q = tab.err_order
    e = tab.error()
    stage_lines = []
    for i in range(1, s):
        comb = tab.stage(i)
        stage_lines += [
            "            for d in range(dim):",
            f"                y[b, d] = x[b, d] + {_scale_expr(comb)} * ({_comb_expr(comb, 'k')})",
            f"            _rhs_rows(y, t + {float(tab.c_f[i])!r} * h, p, k{i}, b, b + 1)",
        ]
    if tab.fsal:
        new_line = "                xn[b, d] = y[b, d]  # the last stage was evaluated at y_1"
    else:  # pragma: no cover - only FSAL pairs are shipped
        new_line = (
            f"                xn[b, d] = x[b, d] + {_scale_expr(tab.update())} * ({_comb_expr(tab.update(), 'k')})"
        )
    last = f"k{s - 1}"
    dn = ", ".join(repr(float(v)) for v in tab.dense_f)
    L = [
        "@_jit",
        "def adaptive_kernel(x0, t_out, rtol, atol, max_step, ps, pa, out, blowup, fail_state):",
        f"    p = {_pack(names, arrays)}",
        "    m, dim = x0.shape",
        "    n = t_out.shape[0]",
        "    if n < 2:",
        "        return -1, 0.0, 0",
        "    t0 = t_out[0]",
        "    t_end = t_out[n - 1]",
        "    dt_out = (t_end - t0) / (n - 1)",
        f"    dense = np.array([{dn}])",
        "    x = np.empty((m, dim))",
        "    y = np.empty((m, dim))",
        "    xn = np.empty((m, dim))",
    ]
    L += [f"    k{i} = np.empty((m, dim))" for i in range(s)]
    L += [
        f"    expo = -1.0 / {q + 1}.0",
        "    for b in range(m):",
        "        for d in range(dim):",
        "            x[b, d] = x0[b, d]",
        "            out[b, 0, d] = x0[b, d]",
        "        t = t0",
        "        _rhs_rows(x, t, p, k0, b, b + 1)",
        "        # starting step (Hairer, Norsett & Wanner 1993, II.4)",
        "        d0 = 0.0",
        "        d1 = 0.0",
        "        for d in range(dim):",
        "            sc = atol + rtol * abs(x[b, d])",
        "            d0 += (x[b, d] / sc) ** 2",
        "            d1 += (k0[b, d] / sc) ** 2",
        "        d0 = math.sqrt(d0 / dim)",
        "        d1 = math.sqrt(d1 / dim)",
        "        h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / max(d1, 1e-300)",
        "        for d in range(dim):",
        "            y[b, d] = x[b, d] + h0 * k0[b, d]",
        "        _rhs_rows(y, t + h0, p, k1, b, b + 1)",
        "        d2 = 0.0",
        "        for d in range(dim):",
        "            sc = atol + rtol * abs(x[b, d])",
        "            d2 += ((k1[b, d] - k0[b, d]) / sc) ** 2",
        "        d2 = math.sqrt(d2 / dim) / h0",
        "        big = max(d1, d2)",
        f"        h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / max(big, 1e-300)) ** (1.0 / {q + 1}.0)",
        "        h = min(100.0 * h0, h1)",
        "        if not (h > 0.0 and h < math.inf):",
        "            h = 1e-6",
        "        h = min(h, max_step)",
        "        nxt = 1",
        "        while nxt < n:",
        "            h = min(h, t_end - t)",
        *stage_lines,
        "            err = 0.0",
        "            finite = True",
        "            big_state = 0.0",
        "            for d in range(dim):",
        new_line,
        f"                ed = {_scale_expr(e)} * ({_comb_expr(e, 'k')})",
        "                sc = atol + rtol * max(abs(x[b, d]), abs(xn[b, d]))",
        "                err += (ed / sc) ** 2",
        "                a = abs(xn[b, d])",
        "                if not a < math.inf:",
        "                    finite = False",
        "                big_state = max(big_state, a)",
        "            E = math.sqrt(err / dim)",
        "            if not E < math.inf:",
        "                finite = False",
        "            ok = finite and E <= 1.0",
        "            if ok and big_state > blowup:",
        "                for d in range(dim):",
        "                    fail_state[d] = xn[b, d]",
        "                return b, t + h, 1",
        "            if not ok and h <= 1e-13 * max(1.0, abs(t)):",
        "                for d in range(dim):",
        "                    fail_state[d] = x[b, d]",
        "                return b, t, 2",
        "            if ok:",
        "                t_step_end = t + h",
        "                last_done = abs(t_step_end - (t0 + (n - 1) * dt_out)) <= 1e-14 * abs(t0 + (n - 1) * dt_out)",
        "                while nxt < n:",
        "                    t_target = t0 + nxt * dt_out",
        "                    if not (t_target <= t_step_end or last_done):",
        "                        break",
        "                    theta = min(1.0, max(0.0, (t_target - t) / h))",
        "                    for d in range(dim):",
        "                        r2 = xn[b, d] - x[b, d]",
        "                        r3 = h * k0[b, d] - r2",
        f"                        r4 = r2 - h * {last}[b, d] - r3",
        "                        acc = "
        + " + ".join(f"dense[{i}] * k{i}[b, d]" for i in range(s) if tab.dense_f[i] != 0.0),
        "                        r5 = h * acc",
        "                        out[b, nxt, d] = x[b, d] + theta * (r2 + (1 - theta) * (r3 + theta * (r4 + (1 - theta) * r5)))",
        "                    nxt += 1",
        "                for d in range(dim):",
        "                    x[b, d] = xn[b, d]",
        f"                    k0[b, d] = {last}[b, d]" if tab.fsal else "                    pass",
        "                t = t_step_end",
        "            fac = 0.9 * max(E, 1e-10) ** expo if finite else 0.2",
        "            fac = min(max(fac, 0.2), 5.0 if ok else 1.0)",
        "            h = min(h * fac, max_step)",
        "    return -1, 0.0, 0",
    ]
    return "\n".join(L) + "\n"


def generate(system, kind: str, tab: Tableau, names: tuple[str, ...], arrays: tuple[str, ...], x_test, p_test):
    """``(source, injected globals, cacheable)`` of the kernels module for one system and method."""
    fn = system.rhs
    rhs_src, owner = _loop_form(fn, arrays)
    fns = [owner]
    if rhs_src is not None and not _same(rhs_src, fns, fn, names, arrays, x_test, p_test):
        rhs_src, fns = None, [fn]
    if rhs_src is None:
        rhs_src, fns = _slice_source(fn, names, arrays), [fn]
    injected = _globals_of(fns)
    prints = []
    for k in sorted(injected):
        fp = _fingerprint(injected[k])
        prints.append(None if fp is None else f"{k}: {fp}")
    cacheable = None not in prints
    body = _fixed_source(tab, names, arrays) if kind == "fixed" else _adaptive_source(tab, names, arrays)
    header = (
        f"# generated by dynlearn.systems._compiled for {system.name} ({tab.name}); do not edit\n"
        "import math\nfrom collections import namedtuple\n\nimport numpy as np\n\n"
        f"_P = namedtuple('_P', {list(names)!r})\n\n\n"
    )
    if not rhs_src.startswith("@_jit"):
        rhs_src = "@_jit\n" + rhs_src
    source = header + rhs_src + "\n\n\n" + body
    key = "\n".join([source, *map(str, prints), sys.version, _numba_version(), np.__version__])
    return source, injected, cacheable, hashlib.sha256(key.encode()).hexdigest()[:32]


def _same(rhs_src, fns, fn, names, arrays, x_test, p_test) -> bool:
    """Whether the generated loop form reproduces ``fn`` on a test batch (pure Python, before compiling)."""
    from collections import namedtuple

    ns = dict(_globals_of(fns))
    ns["np"] = np
    try:
        exec(compile(rhs_src, "<loop form>", "exec"), ns)
        P = namedtuple("P", names)
        p = P(**p_test)
        out = np.empty_like(x_test)
        with np.errstate(all="ignore"):
            ns["_rhs_rows"](x_test, 0.0, p, out, 0, len(x_test))
            return bool(np.allclose(out, fn(x_test, 0.0, p), rtol=1e-12, equal_nan=True))
    except Exception:  # the rewrite is only an optimisation: any failure means "do not use it"
        return False


def _numba_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("numba")
