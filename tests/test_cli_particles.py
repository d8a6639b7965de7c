"""``dynlearn particles list | simulate | plot`` from a user's side: outputs, files, error messages."""

from __future__ import annotations

import pytest

from dynlearn.cli.main import main
from dynlearn.particles import Particles


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path / "cache"))


def test_list_names_scenes_laws_and_models(capsys):
    code, out, _ = run(capsys, "particles", "list")
    assert code == 0
    for name in ("sand_column", "elastic_drop", "drucker_prager", "nclaw", "gns", "giorom"):
        assert name in out


def test_simulate_then_plot(capsys, tmp_path):
    out_file = tmp_path / "col.npz"
    sets = ["--set", "n_particles=120", "--set", "grid=32", "--set", "save_every=5", "--set", "aspect=1,2"]
    code, out, err = run(
        capsys, "particles", "simulate", "sand_column", "-n", "2", "--frames", "4", *sets, "-o", out_file
    )
    assert code == 0, err
    assert "2 scenes x 4 frames x 120 particles" in out and "simulated" in out
    p = Particles.load(out_file)
    assert p.positions.shape == (2, 4, 120, 2)
    assert list(p.params["aspect"]) == [1.0, 2.0]
    code, out, _ = run(capsys, "particles", "simulate", "sand_column", "-n", "2", "--frames", "4", *sets)
    assert code == 0 and "read from the cache" in out
    png = tmp_path / "col.png"
    code, _, err = run(capsys, "particles", "plot", out_file, "-o", png, "--scene", "1", "--frames", "3")
    assert code == 0, err
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "sand_columm"], "did you mean 'sand_column'"),
        (["simulate", "sand_column", "--set", "colour=red"], "known:"),
        (["simulate", "sand_column", "--set", "aspect=tall"], "aspect takes a float"),
        (["simulate", "sand_column", "-o", "x.csv"], ".npz"),
    ],
)
def test_bad_input_is_one_clear_line(capsys, args, message):
    code, _, err = run(capsys, "particles", *args)
    assert code == 2 and message in err
