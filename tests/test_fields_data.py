"""The field data model (Fields, Grid), its files, and simulate()'s on-disk cache."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.errors import FileFormatError, UnknownNameError, ValidationError
from dynlearn.fields import Fields, Grid, simulate
from dynlearn.fields.generate import cache_path, resolve


def _fields(n=3, t=4, c=2, shape=(8, 8)):
    rng = np.random.default_rng(0)
    return Fields(
        values=rng.standard_normal((n, t, c, *shape)),
        times=np.arange(t) * 0.1,
        channels=("w", "u")[:c],
        grid=Grid(shape, (2 * np.pi,) * len(shape), (True,) * len(shape)),
        params={"nu": np.linspace(0.01, 0.03, n)},
        mask=np.zeros(shape, bool),
        meta={"note": "test"},
    )


def test_save_load_roundtrip_is_exact(tmp_path):
    f = _fields()
    path = f.save(tmp_path / "f.npz")
    g = Fields.load(path)
    assert np.array_equal(f.values, g.values) and np.array_equal(f.times, g.times)
    assert g.channels == f.channels and g.grid == f.grid and g.meta == f.meta
    assert np.array_equal(g.params["nu"], f.params["nu"]) and np.array_equal(g.mask, f.mask)
    sub = g.subset([0, 2])
    assert len(sub) == 2 and np.array_equal(sub.params["nu"], f.params["nu"][[0, 2]])


def test_corrupt_and_foreign_files_are_refused(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(FileFormatError, match="not an npz"):
        Fields.load(bad)
    good = _fields().save(tmp_path / "f.npz")
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(FileFormatError):
        Fields.load(cut)
    np.savez(tmp_path / "plain.npz", values=np.zeros(3))
    with pytest.raises(FileFormatError, match="not a dynlearn fields file"):
        Fields.load(tmp_path / "plain.npz")
    with pytest.raises(FileFormatError, match="no such file"):
        Fields.load(tmp_path / "missing.npz")


def test_a_newer_version_is_refused(tmp_path, monkeypatch):
    import dynlearn.fields.data as data

    monkeypatch.setattr(data, "VERSION", 99)
    path = _fields().save(tmp_path / "f.npz")
    monkeypatch.setattr(data, "VERSION", 1)
    with pytest.raises(FileFormatError, match="version 99"):
        Fields.load(path)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"values": np.zeros((2, 4, 2, 8))}, "values must have shape"),
        ({"values": np.zeros((2, 4, 2, 8, 9))}, "does not match the grid"),
        ({"times": np.array([0.0, 0.2, 0.1, 0.3])}, "strictly increasing"),
        ({"channels": ("w",)}, "1 channel names for 2 channels"),
        ({"params": {"nu": np.ones(5)}}, "one value per trajectory"),
        ({"mask": np.zeros((4, 4), bool)}, "mask has shape"),
    ],
)
def test_bad_fields_are_refused(change, match):
    f = _fields(n=2)
    kw = {k: getattr(f, k) for k in ("values", "times", "channels", "grid", "params", "mask")}
    kw.update(change)
    with pytest.raises(ValidationError, match=match):
        Fields(**kw)


def test_nan_values_name_where():
    f = _fields(n=2)
    v = f.values.copy()
    v[1, 2, 1, 3, 3] = np.nan
    with pytest.raises(ValidationError, match=r"trajectory 1, frame 2, channel 'u'"):
        Fields(v, f.times, f.channels, f.grid)


def test_simulate_caches_by_configuration(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    kw = {"batch": 2, "n": 32, "steps": 40, "save_every": 10}
    a = simulate("burgers_1d", **kw)
    path = cache_path("burgers_1d", resolve("burgers_1d", **kw))
    assert path.is_file() and a.values.shape == (2, 5, 1, 32)
    assert a.meta["config"]["nu"] == 0.01 and np.all(a.params["nu"] == 0.01)
    b = simulate("burgers_1d", **kw)
    assert np.array_equal(a.values, b.values)
    # another setting is another file; the same seed gives the same numbers without the cache
    assert cache_path("burgers_1d", resolve("burgers_1d", **kw, seed=1)) != path
    c = simulate("burgers_1d", cache=False, **kw)
    assert np.array_equal(a.values, c.values)
    # a damaged cache file is recomputed and replaced
    path.write_bytes(b"garbage")
    d = simulate("burgers_1d", **kw)
    assert np.array_equal(a.values, d.values) and Fields.load(path).values.shape == a.values.shape


def test_settings_given_as_text_take_their_defaults_types():
    c = resolve("navier_stokes_2d", batch="8", nu="0.01,0.02", velocity="true", steps="1e3")
    assert c["batch"] == 8 and c["nu"] == [0.01, 0.02] and c["velocity"] is True and c["steps"] == 1000
    with pytest.raises(ValidationError, match="must be of type int"):
        resolve("navier_stokes_2d", batch="2.5")
    with pytest.raises(ValidationError, match="must be of type bool"):
        resolve("navier_stokes_2d", velocity="maybe")


def test_simulate_refuses_unknown_names_with_suggestions():
    with pytest.raises(UnknownNameError, match="navier_stokes_2d"):
        simulate("navier_stokes", batch=1)
    with pytest.raises(UnknownNameError, match="steps"):
        simulate("burgers_1d", step=10)


def test_navier_stokes_dataset_has_its_metadata(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    f = simulate("navier_stokes_2d", batch=2, n=16, steps=20, save_every=10, nu=[1e-3, 2e-3], velocity=True)
    assert f.values.shape == (2, 3, 3, 16, 16) and f.channels == ("vorticity", "u", "v")
    assert f.grid.periodic == (True, True) and np.allclose(f.params["nu"], [1e-3, 2e-3])
    assert f.dt == pytest.approx(0.1)


def test_cli_simulate_and_plot(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    from dynlearn.cli.main import main

    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    sets = ["--set", "batch=2", "--set", "n=64", "--set", "steps=40", "--set", "save_every=20", "--set", "nu=0.01,0.02"]
    with pytest.raises(SystemExit) as e:
        main(["fields", "simulate", "burgers_1d", *sets, "-o", "b.npz"])
    assert e.value.code in (0, None)
    f = Fields.load(tmp_path / "b.npz")
    assert f.values.shape == (2, 3, 1, 64) and np.allclose(f.params["nu"], [0.01, 0.02])
    with pytest.raises(SystemExit) as e:
        main(["fields", "plot", "b.npz", "-o", "b.png"])
    assert e.value.code in (0, None) and (tmp_path / "b.png").stat().st_size > 1000
    with pytest.raises(SystemExit) as e:
        main(["fields", "simulate", "burgers_1d", "--set", "steps=many"])
    assert e.value.code not in (0, None)


def test_per_trajectory_masks_roundtrip_and_subset(tmp_path):
    f = _fields()
    masks = np.zeros((3, 8, 8), bool)
    masks[0, 2:4, 2:4] = masks[1, 3:6, 3:6] = masks[2, 0, 0] = True
    f.mask = masks
    f = Fields(**{k: getattr(f, k) for k in ("values", "times", "channels", "grid", "params", "mask", "meta")})
    g = Fields.load(f.save(tmp_path / "m.npz"))
    assert np.array_equal(g.mask, masks)
    assert np.array_equal(g.subset([2, 0]).mask, masks[[2, 0]])
    with pytest.raises(ValidationError, match="one per trajectory"):
        Fields(**{**{k: getattr(f, k) for k in ("values", "times", "channels", "grid", "params")}, "mask": masks[:2]})


def test_cli_plots_a_dataset_with_one_mask_per_trajectory(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from dynlearn.cli.main import main

    f = _fields()
    masks = np.zeros((3, 8, 8), bool)
    masks[1, 3:6, 3:6] = True
    Fields(**{**{k: getattr(f, k) for k in ("values", "times", "channels", "grid", "params")}, "mask": masks}).save(
        tmp_path / "m.npz"
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["fields", "plot", "m.npz", "-o", "m.png", "--trajectory", "1"])
    assert e.value.code in (0, None) and (tmp_path / "m.png").stat().st_size > 1000
