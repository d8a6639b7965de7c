"""Compiled integrators (numba), generated from the tableaus and the system's own right-hand side.

For a system and a method this module writes one small Python module:

* ``_rhs_rows(x, t, p, out, lo, hi)``, the right-hand side for rows
  ``lo:hi`` of a batch, without allocation. A right-hand side in the catalog's
  column convention (``out = np.empty_like(x)``, ``out[:, j] = expr``,
  parameters read as ``p.name``), or one that only returns such a helper's
  result, is rewritten mechanically into one scalar loop over the rows
  (``out[:, j]`` becomes ``out[_b, j]``), checked against the original on a
  test batch; any other right-hand side is called on the row slice as it is.
* ``fixed_kernel``: the explicit Runge–Kutta steps of a fixed-step tableau,
  unrolled stage by stage from :mod:`dynlearn.systems._tableau` in the same
  arithmetic order as :func:`dynlearn.systems._stepper.rk_step`, so that for
  right-hand sides built from ``+ - * /`` both give identical numbers.
* ``adaptive_kernel``: Dormand–Prince 5(4) with per-trajectory step control and
  Shampine's dense output, the algorithm of :mod:`dynlearn.systems._adaptive`
  run trajectory by trajectory.

Parameters travel as a vector of scalars and a ``(n, batch)`` array of
per-trajectory values and are packed into a namedtuple inside the kernel, so a
kernel's signature holds only arrays and floats.

**On-disk cache.** The generated source is written to
``<cache>/dynlearn/kernels/k_<hash>.py`` and compiled with numba's
``cache=True``, so a fresh process loads the machine code instead of compiling
again. The hash covers everything the machine code depends on: the generated
source (right-hand side, tableau), the values of the globals it reads (numbers,
arrays, helper functions' source), the Python and numba versions; a changed
system gets a new file. ``<cache>`` is ``$DYNLEARN_CACHE_DIR``, else
``$XDG_CACHE_HOME`` or ``~/.cache``; when it is not writable the kernels are
compiled in memory only.

numba is imported here lazily, on the first compilation: ``import
dynlearn.systems`` does not load it. Without numba, or when a right-hand side
does not compile (e.g. ``np.roll`` with ``axis``), the entry points return
``None`` and the caller uses the numpy path.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import math
import os
import sys
import textwrap
import threading
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from dynlearn.systems._tableau import DOPRI5, Tableau

#: trajectories per compiled chunk of the fixed-step kernel (work arrays stay in the L1/L2 cache)
CHUNK = 512
#: compile times (CPU s, Lorenz-63, numba 0.68), used by ``backend="auto"`` when no cached kernel exists
COMPILE_SECONDS = {"fixed": 6.0, "adaptive": 9.0}
#: time (s) to import numba and load a kernel from numba's on-disk cache in a fresh process
LOAD_SECONDS = 0.6
#: compiled cost per trajectory and stage evaluation (s), a 3-dimensional flow on one core
STAGE_SECONDS = 7e-9

_LOADED: dict = {}  # generation key -> loaded kernels module, or None when it does not compile
_LOCK = threading.Lock()
_numba = None


def available() -> bool:
    """Whether numba can be imported (without importing it)."""
    return _numba is not None or importlib.util.find_spec("numba") is not None


def _nb():
    global _numba
    if _numba is None:
        import numba

        _numba = numba
    return _numba


def cache_dir() -> Path | None:
    """Directory of the generated kernels, or ``None`` when no writable one exists."""
    root = os.environ.get("DYNLEARN_CACHE_DIR")
    if root:
        path = Path(root) / "kernels"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(base) / "dynlearn" / "kernels"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path if os.access(path, os.W_OK) else None
    except OSError:
        return None


# --------------------------------------------------------------------------- right-hand side source


class _Unsupported(Exception):
    pass


def _function_ast(fn) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef):
        raise _Unsupported("not a def")
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
            raise _Unsupported("state indexed other than x[:, j]")
        return self.generic_visit(node)

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id == self.p and node.attr in self.array_params:
            return ast.Subscript(value=node, slice=ast.Name("_b", ast.Load()), ctx=ast.Load())
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in (self.x, self.out, "_b"):
            raise _Unsupported(f"whole-array use of {node.id!r}")
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
        raise _Unsupported("arguments")
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
        raise _Unsupported("not the column convention")
    outs = body[alloc[0]].targets[0].id
    if ast.unparse(last.value) != outs:
        raise _Unsupported("does not return its output array")
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
    _errors = (_Unsupported, OSError, SyntaxError, TypeError, ValueError, IndexError)
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


# --------------------------------------------------------------------------- generation and loading


def _generate(system, kind: str, tab: Tableau, names: tuple[str, ...], arrays: tuple[str, ...], x_test, p_test):
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


def _path_for(digest: str) -> Path | None:
    d = cache_dir()
    return None if d is None else d / f"k_{digest}.py"


def _import(source: str, injected: dict, digest: str, cacheable: bool):
    nb = _nb()
    name = f"dynlearn_kernel_{digest}"
    path = _path_for(digest) if cacheable else None
    jit_inline = {"nogil": True, "cache": path is not None}
    module = types.ModuleType(name)
    module.__dict__.update({k: (_as_jit(v) if _is_plain_function(v) else v) for k, v in injected.items()})
    module._jit = lambda f: nb.njit(**jit_inline)(f)
    if path is not None:
        if not path.exists() or path.read_text() != source:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(source)
            os.replace(tmp, path)
        module.__file__ = str(path)
        sys.modules[name] = module  # numba's cache may refer to the module's namedtuple by name
        code = compile(source, str(path), "exec")
    else:
        code = compile(source, f"<{name}>", "exec")
    exec(code, module.__dict__)
    return module


def _is_plain_function(v) -> bool:
    return isinstance(v, types.FunctionType)


def _as_jit(fn):
    return _nb().njit(nogil=True)(fn)


def _param_values(params, names, arrays, lo, hi):
    ps = np.array([0.0 if k in arrays else float(params[k]) for k in names])
    pa = np.empty((len(arrays), hi - lo))
    for i, k in enumerate(arrays):
        pa[i] = params[k][lo:hi]
    return ps, pa


def _numba_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("numba")


_GENERATED: dict = {}  # memory key -> (source, injected, cacheable, digest), or None when nothing can be generated


def _key(system, kind: str, tab: Tableau, params):
    names = tuple(params)
    return (system.rhs, kind, tab.name, names, tuple(k for k in names if np.ndim(params[k])))


def _generated(system, kind: str, tab: Tableau, params, x0):
    """The generated kernels source for this system, method and per-trajectory parameters (memoised)."""
    mem_key = _key(system, kind, tab, params)
    if mem_key not in _GENERATED:
        _, _, _, names, arrays = mem_key
        try:
            n = min(16, len(x0))
            x_test = np.array(x0[:n], dtype=np.float64)
            p_test = {k: (np.asarray(params[k], dtype=np.float64)[:n] if k in arrays else params[k]) for k in names}
            from collections import namedtuple

            namedtuple("_Check", names)  # names a namedtuple refuses (keywords, leading underscores)
            _GENERATED[mem_key] = _generate(system, kind, tab, names, arrays, x_test, p_test)
        except (_Unsupported, OSError, SyntaxError, TypeError, ValueError):
            _GENERATED[mem_key] = None
    return _GENERATED[mem_key]


def _kernels(system, kind: str, tab: Tableau, params, x0):
    """The loaded kernels module for this system, method and set of per-trajectory parameters, or None."""
    mem_key = _key(system, kind, tab, params)
    if mem_key in _LOADED:
        return _LOADED[mem_key]
    with _LOCK:
        if mem_key in _LOADED:
            return _LOADED[mem_key]
        module = None
        gen = _generated(system, kind, tab, params, x0)
        if gen is not None:
            source, injected, cacheable, digest = gen
            names, arrays = mem_key[3], mem_key[4]
            try:
                module = _import(source, injected, digest, cacheable)
                module.names, module.arrays = names, arrays
                _warm(module, kind, np.array(x0[:1], dtype=np.float64), params, names, arrays)
            except Exception as exc:  # noqa: BLE001 - anything that does not compile means "use numpy"
                if not _is_compile_failure(exc):
                    raise
                module = None
        _LOADED[mem_key] = module
        return module


def _is_compile_failure(exc: BaseException) -> bool:
    nb = _numba
    if nb is not None and isinstance(exc, nb.core.errors.NumbaError):
        return True
    return isinstance(exc, _Unsupported | OSError | SyntaxError | TypeError | ValueError | AttributeError | NameError)


def _warm(module, kind, x1, params, names, arrays) -> None:
    """Compile (or load from the disk cache) on this thread, integrating nothing."""
    import warnings

    ps, pa = _param_values(params, names, arrays, 0, 1)
    with warnings.catch_warnings():  # numba's advice on array layouts in right-hand sides compiled as written
        warnings.simplefilter("ignore", _nb().core.errors.NumbaPerformanceWarning)
        _call_once(module, kind, x1, ps, pa)


def _call_once(module, kind, x1, ps, pa) -> None:
    if kind == "fixed":
        module.fixed_kernel(x1, 0.0, 1e-3, 1, 1, ps, pa, np.empty((1, 1, x1.shape[1])), 1e12)
    else:
        module.adaptive_kernel(
            x1,
            np.array([0.0]),
            1e-6,
            1e-9,
            math.inf,
            ps,
            pa,
            np.empty((1, 1, x1.shape[1])),
            1e12,
            np.empty(x1.shape[1]),
        )


def expected_seconds(system, tab: Tableau, work: float, params, x0, numpy_seconds: float) -> float:
    """Estimated wall time of the compiled path: compile, or load from the disk cache, then ``work``
    stage evaluations of one trajectory. ``backend="auto"`` compiles when this beats ``numpy_seconds``."""
    if not available():
        return math.inf
    kind = "adaptive" if tab.adaptive else "fixed"
    mem_key = _key(system, kind, tab, params)
    run = work * STAGE_SECONDS * max(1.0, system.dim / 3) / max(1, min(os.cpu_count() or 1, 8))
    if mem_key in _LOADED:
        return run if _LOADED[mem_key] is not None else math.inf
    if numpy_seconds < LOAD_SECONDS:  # cannot win: do not even generate the source
        return math.inf
    gen = _generated(system, kind, tab, params, x0)
    if gen is None:
        return math.inf
    return run + (LOAD_SECONDS if _on_disk(gen[3], kind) else COMPILE_SECONDS[kind])


def _on_disk(digest: str, kind: str) -> bool:
    """Whether numba's cache holds the kernel of this generated module."""
    path = _path_for(digest)
    if path is None or not path.exists():
        return False
    return any((path.parent / "__pycache__").glob(f"k_{digest}.{kind}_kernel-*.nbi"))


def _pool_map(fn, items, threads):
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
    if n_threads > 1 and len(items) > 1:
        with ThreadPoolExecutor(min(n_threads, len(items))) as pool:
            return list(pool.map(fn, items))
    return [fn(b) for b in items]


def fixed(system, tab: Tableau, x0, out, *, t0, h, n_sub, params, blowup, threads=None):
    """Fill ``out[:, 1:]`` by ``tab`` with ``n_sub`` steps of ``h`` per output point.

    Returns ``None`` when the compiled path is unavailable (the caller then
    uses numpy), else ``(trajectory, output_step, t)`` of the earliest
    divergence, or ``(-1, -1, t)`` on success.
    """
    if not available():
        return None
    module = _kernels(system, "fixed", tab, params, x0)
    if module is None:
        return None
    B = x0.shape[0]
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
    chunk = max(16, min(CHUNK, math.ceil(B / n_threads)))
    bounds = [(lo, min(B, lo + chunk)) for lo in range(0, B, chunk)]
    n_points = out.shape[1]

    def run(bound):
        lo, hi = bound
        ps, pa = _param_values(params, module.names, module.arrays, lo, hi)
        res = module.fixed_kernel(np.ascontiguousarray(x0[lo:hi]), t0, h, n_sub, n_points, ps, pa, out[lo:hi], blowup)
        return lo, res

    results = _pool_map(run, bounds, threads)
    fails = [(int(i), lo + int(b), float(t)) for lo, (b, i, t) in results if b >= 0]
    if not fails:
        return -1, -1, 0.0
    step, traj, t = min(fails)
    return traj, step, t


def adaptive(system, x0, t_out, *, params, rtol, atol, max_step, blowup, threads=None, tab: Tableau = DOPRI5):
    """States ``(batch, n, dim)`` on ``t_out`` by compiled Dormand–Prince, and the first failure
    ``(trajectory, t, state, reason)`` or ``None``; ``None`` when the compiled path is unavailable."""
    if not available():
        return None
    module = _kernels(system, "adaptive", tab, params, x0)
    if module is None:
        return None
    B, D = x0.shape
    out = np.empty((B, len(t_out), D))
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
    chunk = max(1, min(64, math.ceil(B / (4 * n_threads))))  # small chunks: trajectories differ in cost
    bounds = [(lo, min(B, lo + chunk)) for lo in range(0, B, chunk)]
    t_out = np.ascontiguousarray(t_out, dtype=np.float64)

    def run(bound):
        lo, hi = bound
        ps, pa = _param_values(params, module.names, module.arrays, lo, hi)
        state = np.empty(D)
        b, t, code = module.adaptive_kernel(
            np.ascontiguousarray(x0[lo:hi]), t_out, rtol, atol, max_step, ps, pa, out[lo:hi], blowup, state
        )
        return lo + b if b >= 0 else -1, t, code, state

    results = [r for r in _pool_map(run, bounds, threads) if r[0] >= 0]
    if not results:
        return out, None
    j, t, code, state = min(results, key=lambda r: r[0])
    reason = "exceeded the blow-up bound" if code == 1 else "step size collapsed (finite-time blow-up or stiffness)"
    return out, (j, float(t), state, reason)


def clear() -> None:
    """Forget the kernels loaded in this process (the disk cache stays)."""
    _LOADED.clear()
