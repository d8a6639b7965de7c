"""The on-disk kernel cache: size bound (least recently used go first), info and clear, the CLI
command, and the tangent and SINDy kernels cached across processes like the integrators'."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from dynlearn.cli import main
from dynlearn.systems import _cache

needs_numba = pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("numba") is None, reason="numba not installed"
)


def _fake_kernel(d, digest: str, size: int, age: float) -> None:
    py = d / f"k_{digest}.py"
    py.write_text("# kernel\n")
    (d / "__pycache__").mkdir(exist_ok=True)
    data = d / "__pycache__" / f"k_{digest}.fixed_kernel-10.py311.1.nbc"
    data.write_bytes(b"\0" * size)
    t = time.time() - age
    for p in (py, data):
        os.utime(p, (t, t))


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    d = _cache.cache_dir()
    assert d == tmp_path / "kernels"
    return d


def test_prune_removes_the_least_recently_used_kernels_first(cache):
    for i, age in enumerate((300, 200, 100, 0)):
        _fake_kernel(cache, f"{i:032x}", 1000, age)
    assert _cache.info()["kernels"] == 4
    removed = _cache.prune(limit=2500)
    assert removed == 2
    left = sorted(p.stem for p in cache.glob("k_*.py"))
    assert left == [f"k_{2:032x}", f"k_{3:032x}"]  # the two oldest went, with their numba files
    assert not list((cache / "__pycache__").glob(f"k_{0:032x}.*"))
    # the kernel being written is kept even when it is the oldest
    assert _cache.prune(limit=0, keep=f"{2:032x}") == 1 and _cache.info()["kernels"] == 1


def test_bound_comes_from_the_environment(cache, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_MAX_MB", "0.002")
    for i in range(3):
        _fake_kernel(cache, f"{i:032x}", 1000, 100 - i)
    assert _cache.max_bytes() == pytest.approx(2000)
    _cache.prune()
    assert _cache.info()["kernels"] == 1
    monkeypatch.setenv("DYNLEARN_CACHE_MAX_MB", "many")  # unreadable: the default
    assert _cache.max_bytes() == _cache.DEFAULT_MAX_MB * 1e6


def test_clear_and_info(cache):
    for i in range(3):
        _fake_kernel(cache, f"{i:032x}", 500, 0)
    info = _cache.info()
    assert info["used"] and info["kernels"] == 3 and info["bytes"] >= 1500
    assert _cache.clear() == 3
    assert _cache.info()["kernels"] == 0 and not list(cache.rglob("k_*"))


def test_a_shared_directory_is_neither_used_nor_cleared(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    d = _cache.cache_dir()
    _fake_kernel(d, "0" * 32, 10, 0)
    d.chmod(0o777)
    assert _cache.cache_dir() is None and not _cache.info()["used"]
    assert _cache.clear() == 0 and list(d.glob("k_*.py"))  # not ours to trust, not ours to delete


def _cli(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    assert exc.value.code in (0, None)
    return capsys.readouterr().out


def test_cli_cache_info_and_clear(cache, capsys):
    _fake_kernel(cache, "0" * 32, 2000, 0)
    out = _cli(capsys, "cache", "info")
    assert str(cache) in out and "1 kernel," in out
    assert "removed 1 kernel " in _cli(capsys, "cache", "clear")
    assert _cache.info()["kernels"] == 0


@needs_numba
@pytest.mark.slow  # compiles the Lorenz tangent loop once (about 10-30 s on a loaded machine)
def test_tangent_kernels_are_cached_on_disk_across_processes(tmp_path):
    code = (
        "import numpy as np; from dynlearn import systems\n"
        "from dynlearn.systems.invariants import _tangent, lyapunov_to_precision\n"
        "kw = dict(dt=0.005, min_steps=100, max_steps=100, align_steps=50, n_trajectories=2, seed=0)\n"
        "est = lyapunov_to_precision(systems.get('Lorenz'), backend='numba', **kw)\n"
        "(m,) = [v for v in _tangent._CACHE.values() if v is not None]\n"
        "print(sum(m.qr_run.stats.cache_hits.values()), repr(float(est.spectrum[0])))\n"
    )
    env = {**os.environ, "DYNLEARN_CACHE_DIR": str(tmp_path)}
    first, second = (
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
        for _ in range(2)
    )
    assert first[0] == "0" and int(second[0]) >= 1  # compiled once, then loaded from the cache
    assert first[1] == second[1]


@needs_numba
@pytest.mark.slow  # compiles the SINDy kernel once (a few seconds)
def test_sindy_kernel_lives_in_the_private_cache(tmp_path):
    code = (
        "import numpy as np; from dynlearn.models import _sindy_compiled as sc\n"
        "idx = np.array([[-1], [0]]); C = np.array([[0.0, -1.0]])\n"
        "y = sc.simulate_poly(np.ones((1, 1)), idx, C, 0.1, 10, 1, False)\n"
        "print(sum(sc._KERNEL.stats.cache_hits.values()), repr(float(y[0, -1, 0])))\n"
    )
    env = {**os.environ, "DYNLEARN_CACHE_DIR": str(tmp_path)}
    first, second = (
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
        for _ in range(2)
    )
    assert first[0] == "0" and int(second[0]) >= 1 and first[1] == second[1]
    assert list((tmp_path / "kernels" / "__pycache__").glob("k_*._simulate-*.nbi"))


def test_info_does_not_create_the_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path / "new"))
    assert _cache.info()["kernels"] == 0 and not (tmp_path / "new").exists()
    assert "created when something is first compiled" in _cli(capsys, "cache", "info")
