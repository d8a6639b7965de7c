"""Tests of dynlearn.data: the Trajectory model, transforms and file formats."""

from __future__ import annotations

import itertools
import json
import os

import numpy as np
import pytest

from dynlearn.data import (
    Standardizer,
    Trajectory,
    TrajectorySet,
    add_noise,
    load_npz,
    read_csv,
    resample,
    save_npz,
    split,
    train_test_split,
    windows,
    write_csv,
)
from dynlearn.errors import (
    DynlearnError,
    FileFormatError,
    NotFittedError,
    UnknownNameError,
    ValidationError,
)


def same(a: Trajectory, b: Trajectory) -> bool:
    """Exact equality of every field (Trajectory has no __eq__)."""

    def eq(x, y):
        if x is None or y is None:
            return x is None and y is None
        return x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y)

    return (
        eq(a.times, b.times)
        and eq(a.states, b.states)
        and eq(a.inputs, b.inputs)
        and eq(a.rewards, b.rewards)
        and a.meta == b.meta
    )


@pytest.fixture
def traj() -> Trajectory:
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.05, 0.15, 40))
    return Trajectory(
        t,
        rng.normal(size=(40, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -3.0],
        inputs=rng.normal(size=(40, 2)),
        rewards=rng.normal(size=40),
        meta={"system": "toy", "params": {"a": 1.5, "b": [1, 2]}, "seed": 3},
    )


# Trajectory construction ---------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"times": np.zeros((3, 1)), "states": np.zeros((3, 1))}, "rank 1"),
        ({"times": np.arange(3.0), "states": np.zeros((3, 1, 1))}, "rank"),
        ({"times": np.arange(3.0), "states": np.zeros((4, 2))}, "same length"),
        ({"times": np.arange(3.0), "states": [[0.0], [np.nan], [1.0]]}, "NaN"),
        ({"times": [0.0, 1.0, 1.0], "states": np.zeros((3, 2))}, "strictly increasing"),
        ({"times": [0.0, 2.0, 1.0], "states": np.zeros((3, 2))}, "strictly increasing"),
        ({"times": [], "states": np.zeros((0, 2))}, "at least one"),
        ({"times": np.arange(3.0), "states": np.zeros((3, 2)), "inputs": np.zeros((2, 1))}, "inputs"),
        ({"times": np.arange(3.0), "states": np.zeros((3, 2)), "rewards": np.zeros(4)}, "rewards"),
    ],
)
def test_trajectory_validation(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        Trajectory(**kwargs)


@pytest.mark.parametrize("dt", [0.0, -0.1, float("nan")])
def test_from_states_rejects_bad_dt(dt):
    with pytest.raises(ValidationError, match="dt"):
        Trajectory.from_states(np.zeros((5, 2)), dt=dt)


# windows ----------------------------------------------------------------------
def test_windows_shapes_and_content():
    x = np.arange(20.0).reshape(10, 2)
    c, y = windows(x, 3, 2)
    assert c.shape == (6, 3, 2) and y.shape == (6, 2, 2)
    np.testing.assert_array_equal(c[0], x[0:3])
    np.testing.assert_array_equal(y[0], x[3:5])
    np.testing.assert_array_equal(c[-1], x[5:8])
    np.testing.assert_array_equal(y[-1], x[8:10])
    c, y = windows(x, 3, 2, stride=2, start=1)
    assert c.shape == (3, 3, 2)
    np.testing.assert_array_equal(c[1], x[3:6])
    np.testing.assert_array_equal(y[1], x[6:8])
    c, y = windows(x, 4, 0)
    assert c.shape == (7, 4, 2) and y.shape == (7, 0, 2)
    c[0, 0, 0] = -1  # returned arrays are writable copies
    assert x[0, 0] == 0


def test_windows_inputs_kinds(traj):
    c, y = windows(traj, 5, 1)
    assert c.shape == (35, 5, 3)
    np.testing.assert_array_equal(y[:, 0], traj.states[5:])
    c1, _ = windows(np.arange(6.0), 2, 1)
    assert c1.shape == (4, 2, 1)
    cb, yb = windows(np.zeros((3, 10, 2)), 4, 2)
    assert cb.shape == (15, 4, 2) and yb.shape == (15, 2, 2)
    cs, _ = windows(TrajectorySet([traj, traj[:20]]), 5, 1)
    assert cs.shape == (35 + 15, 5, 3)


@pytest.mark.parametrize(
    "args, kw, match",
    [
        ((0, 1), {}, "context"),
        ((2, -1), {}, "horizon"),
        ((2, 1), {"stride": 0}, "stride"),
        ((2, 1), {"start": -1}, "start"),
        ((1.5, 1), {}, "context"),
        ((8, 3), {}, "at least 11 time steps; got 10"),
        ((3, 3), {"start": 5}, "at least 11"),
    ],
)
def test_windows_errors(args, kw, match):
    with pytest.raises(ValidationError, match=match):
        windows(np.zeros((10, 2)), *args, **kw)


# splits ----------------------------------------------------------------------
def test_split_contiguous(traj):
    parts = split(traj)
    assert [len(p) for p in parts] == [28, 6, 6]
    np.testing.assert_array_equal(np.concatenate([p.times for p in parts]), traj.times)
    np.testing.assert_array_equal(np.concatenate([p.states for p in parts]), traj.states)
    np.testing.assert_array_equal(np.concatenate([p.inputs for p in parts]), traj.inputs)
    assert all(a.times[-1] < b.times[0] for a, b in itertools.pairwise(parts))
    assert parts[0].meta == traj.meta
    train, test = train_test_split(traj, 0.25)
    assert (len(train), len(test)) == (30, 10)
    assert train.times[-1] < test.times[0]


@pytest.mark.parametrize(
    "fractions, match",
    [
        ((0.5, 0.6), "sum to 1"),
        ((0.5, 0.5, 0.0), "positive"),
        ((1.2, -0.2), "positive"),
        ((0.99, 0.01), "empty"),
    ],
)
def test_split_errors(traj, fractions, match):
    with pytest.raises(ValidationError, match=match):
        split(traj, fractions)


def test_train_test_split_errors(traj):
    for f in (0, 1, 1.5):
        with pytest.raises(ValidationError):
            train_test_split(traj, f)


# standardisation -----------------------------------------------------------
def test_standardizer_round_trip(traj):
    s = Standardizer().fit(traj)
    z = s.transform(traj)
    np.testing.assert_allclose(z.states.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.states.std(axis=0), 1, atol=1e-12)
    assert z.meta["standardized"] is True and "standardized" not in traj.meta
    np.testing.assert_array_equal(z.inputs, traj.inputs)
    back = s.inverse_transform(z)
    np.testing.assert_allclose(back.states, traj.states, rtol=0, atol=1e-12)
    assert back.meta == traj.meta
    # arrays of any leading shape
    x = np.random.default_rng(1).normal(size=(2, 4, 5, 3)) * 100
    np.testing.assert_allclose(s.inverse_transform(s.transform(x)), x, rtol=0, atol=1e-12)
    assert s.transform(traj.states[0]).shape == (3,)


def test_standardizer_inputs_and_constant_dims():
    x = np.stack([np.linspace(0, 1, 10), np.full(10, 7.0)], axis=1)
    for data in (x, x[None], [Trajectory.from_states(x)], TrajectorySet([Trajectory.from_states(x)])):
        s = Standardizer().fit(data)
        assert s.std[1] == 1.0 and s.mean[1] == 7.0
        z = s.transform(x)
        assert np.all(np.isfinite(z)) and np.all(z[:, 1] == 0)
    out = Standardizer().fit_transform(TrajectorySet([Trajectory.from_states(x)] * 2))
    assert isinstance(out, TrajectorySet) and out[0].meta["standardized"]


def test_standardizer_dict_and_errors(traj):
    s = Standardizer()
    with pytest.raises(NotFittedError):
        s.transform(traj.states)
    with pytest.raises(NotFittedError):
        s.to_dict()
    s.fit(traj)
    d = json.loads(json.dumps(s.to_dict()))
    s2 = Standardizer.from_dict(d)
    np.testing.assert_array_equal(s2.mean, s.mean)
    np.testing.assert_array_equal(s2.std, s.std)
    with pytest.raises(ValidationError, match="3 dims"):
        s.transform(np.zeros((5, 2)))
    with pytest.raises(ValidationError):
        Standardizer.from_dict({"type": "Other"})
    with pytest.raises(ValidationError):
        Standardizer.from_dict({**d, "std": [1.0, 0.0, 1.0]})


# noise -----------------------------------------------------------------------
def test_add_noise_deterministic_and_relative():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20000, 2)) * [1.0, 50.0]
    tr = Trajectory.from_states(x, dt=0.01)
    a = add_noise(tr, 0.05, seed=7)
    b = add_noise(tr, 0.05, seed=7)
    c = add_noise(tr, 0.05, seed=8)
    np.testing.assert_array_equal(a.states, b.states)
    assert not np.array_equal(a.states, c.states)
    assert a.meta["noise_level"] == 0.05 and a.meta["dt"] == 0.01
    measured = (a.states - x).std(axis=0)
    np.testing.assert_allclose(measured, 0.05 * x.std(axis=0), rtol=0.03)
    absolute = add_noise(x, 0.3, seed=1, relative=False)
    np.testing.assert_allclose((absolute - x).std(axis=0), 0.3, rtol=0.03)
    ts = add_noise(TrajectorySet([tr[:100], tr[100:200]], meta={"k": 1}), 0.1, seed=3)
    assert isinstance(ts, TrajectorySet) and ts.meta == {"k": 1} and ts[1].meta["noise_level"] == 0.1
    assert not np.array_equal(ts[0].states - x[:100], ts[1].states - x[100:200])
    one_d = add_noise(x[:, 0], 0.1, seed=0)
    assert one_d.shape == (20000,)


def test_add_noise_zero_and_negative(traj):
    z = add_noise(traj, 0.0, seed=0)
    np.testing.assert_array_equal(z.states, traj.states)
    np.testing.assert_array_equal(z.times, traj.times)
    assert z.meta["noise_level"] == 0.0
    with pytest.raises(ValidationError, match="level"):
        add_noise(traj, -0.1, seed=0)


def test_resample():
    t = np.sort(np.random.default_rng(3).uniform(0, 2 * np.pi, 200))
    tr = Trajectory(t, np.stack([np.sin(t), np.cos(t)], axis=1))
    r = resample(tr, 0.01)
    assert r.is_uniform and r.dt == pytest.approx(0.01) and r.meta["dt"] == 0.01
    assert r.times[0] == t[0] and r.times[-1] <= t[-1]
    np.testing.assert_allclose(r.states[:, 0], np.sin(r.times), atol=1e-4)


# npz -------------------------------------------------------------------------
def test_npz_round_trip(tmp_path, traj):
    p = save_npz(traj, tmp_path / "a.npz")
    assert p == tmp_path / "a.npz" and not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
    assert same(load_npz(p), traj)
    bare = Trajectory.from_states(np.arange(5.0), dt=0.5)
    assert same(load_npz(save_npz(bare, tmp_path / "b.npz")), bare)
    with np.load(tmp_path / "b.npz") as z:
        assert set(z.files) == {"times", "states", "__meta__"}
        meta = json.loads(z["__meta__"].tobytes().decode())
    assert meta == {"format": "dynlearn.trajectory", "version": 1, "meta": {"dt": 0.5}, "arrays": ["times", "states"]}


def test_npz_set_round_trip(tmp_path, traj):
    ts = TrajectorySet([traj, traj[:10].replace(inputs=None, meta={"k": 1}), traj[5:9]], meta={"suite": "x"})
    back = load_npz(save_npz(ts, tmp_path / "s.npz"))
    assert isinstance(back, TrajectorySet) and len(back) == 3 and back.meta == {"suite": "x"}
    assert all(same(a, b) for a, b in zip(ts, back))
    assert back[1].inputs is None
    empty = load_npz(save_npz(TrajectorySet([]), tmp_path / "e.npz"))
    assert isinstance(empty, TrajectorySet) and len(empty) == 0


def test_npz_overwrite_is_atomic(tmp_path, traj):
    p = tmp_path / "sub" / "a.npz"
    save_npz(traj, p)
    save_npz(traj[:3], p)
    assert len(load_npz(p)) == 3
    assert sorted(os.listdir(p.parent)) == ["a.npz"]


def test_npz_bad_files(tmp_path, traj):
    with pytest.raises(FileFormatError, match="no such file"):
        load_npz(tmp_path / "missing.npz")
    p = save_npz(traj, tmp_path / "a.npz")
    data = p.read_bytes()
    half = tmp_path / "half.npz"
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match=r"half\.npz.*corrupt or truncated"):
        load_npz(half)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(os.urandom(1000))
    with pytest.raises(FileFormatError, match="garbage.npz.*corrupt or truncated"):
        load_npz(garbage)
    flipped = bytearray(data)
    i = data.index(traj.states.tobytes()[:16]) + 8
    flipped[i] ^= 0xFF  # one byte of the states array: the zip CRC check must catch it
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(FileFormatError, match="corrupt or truncated"):
        load_npz(bad)
    pk = tmp_path / "pk.npz"
    pk.write_bytes(b"PK" + os.urandom(100))
    with pytest.raises(FileFormatError, match="corrupt or truncated"):
        load_npz(pk)
    objects = tmp_path / "objects.npz"
    np.savez(objects, __meta__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(FileFormatError, match="never loads"):
        load_npz(objects)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="corrupt or truncated"):
        load_npz(empty)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.arange(3))
    with pytest.raises(FileFormatError, match="__meta__.*save_npz"):
        load_npz(foreign)
    npy = tmp_path / "arr.npy"
    np.save(npy, np.arange(3))
    with pytest.raises(FileFormatError, match="not an npz"):
        load_npz(npy)


@pytest.mark.parametrize(
    "meta, match",
    [
        ({"format": "other.thing", "version": 1}, "format 'other.thing'.*expected"),
        ({"format": "dynlearn.trajectory", "version": 99}, "version 99.*reads version 1"),
        (
            {"format": "dynlearn.trajectory", "version": 1, "meta": {}, "arrays": ["times", "states", "inputs"]},
            "'inputs' is listed",
        ),
        ({"format": "dynlearn.trajectory", "version": 1}, "malformed"),
    ],
)
def test_npz_wrong_metadata(tmp_path, meta, match):
    p = tmp_path / "m.npz"
    np.savez(
        p,
        times=np.arange(3.0),
        states=np.zeros((3, 1)),
        __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
    )
    with pytest.raises(FileFormatError, match=match):
        load_npz(p)


def test_npz_validation_errors_propagate(tmp_path):
    p = tmp_path / "bad.npz"
    meta = {"format": "dynlearn.trajectory", "version": 1, "meta": {}, "arrays": ["times", "states"]}
    np.savez(
        p,
        times=np.array([0.0, 2.0, 1.0]),
        states=np.zeros((3, 1)),
        __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
    )
    with pytest.raises(ValidationError, match="strictly increasing"):
        load_npz(p)


# csv -------------------------------------------------------------------------
def write(tmp_path, text: str, name: str = "d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_read_csv_with_time(tmp_path):
    tr = read_csv(write(tmp_path, "time,x,y\n0,1,2\n0.5,3,4\n1.0,5,6\n"))
    np.testing.assert_array_equal(tr.times, [0, 0.5, 1.0])
    np.testing.assert_array_equal(tr.states, [[1, 2], [3, 4], [5, 6]])
    assert tr.meta["variables"] == ["x", "y"] and "times_generated" not in tr.meta
    tr = read_csv(write(tmp_path, "x, t ,y\n1,0,2\n3,1,4\n\n"))  # 't' accepted, spaces, blank line
    np.testing.assert_array_equal(tr.times, [0, 1])
    assert tr.meta["variables"] == ["x", "y"]
    tr = read_csv(write(tmp_path, "time,x,label,y\n0,1,a,2\n1,3,b,4\n"), columns=["y", "x"])
    np.testing.assert_array_equal(tr.states, [[2, 1], [4, 3]])
    assert tr.meta["variables"] == ["y", "x"]


def test_read_csv_without_time(tmp_path):
    p = write(tmp_path, "a,b\n1,2\n3,4\n5,6\n")
    tr = read_csv(p)
    np.testing.assert_array_equal(tr.times, [0, 1, 2])
    assert tr.meta["times_generated"] is True and tr.meta["dt"] == 1.0
    tr = read_csv(p, dt=0.25)
    np.testing.assert_array_equal(tr.times, [0, 0.25, 0.5])
    tr = read_csv(write(tmp_path, "time,a\n0,1\n1,2\n"), time_column=None)
    assert tr.meta["variables"] == ["time", "a"] and tr.meta["times_generated"]


@pytest.mark.parametrize(
    "text, err, match",
    [
        ("", FileFormatError, "empty"),
        ("\n\n", FileFormatError, "empty"),
        ("time,x\n", FileFormatError, "no data rows"),
        ("time,x\n0,1\n1,2,3\n", FileFormatError, "line 3: expected 2 fields"),
        ("time,x\n0,1\n1\n", FileFormatError, "line 3"),
        ("time,x,y\n0,1,2\n1,abc,3\n", FileFormatError, "line 3, column 'x'.*not a number: 'abc'"),
        ("time,x,y\n0,1,2\n1,2,\n", FileFormatError, "line 3, column 'y'.*empty"),
        ("time,x\n0,1\n1,nan\n", FileFormatError, "line 3, column 'x'.*missing \\('nan'\\); pass fill="),
        ("time,x\n0,1\n1,inf\n", ValidationError, "line 3, column 'x'"),
        ("time\n0\n1\n", FileFormatError, "only a time column"),
        ("time,x,x\n0,1,2\n", FileFormatError, "duplicate"),
        ("time,x\n0,1\n0,2\n", ValidationError, "strictly increasing"),
        ("time,x\n1,1\n0,2\n", ValidationError, "strictly increasing"),
    ],
)
def test_read_csv_errors(tmp_path, text, err, match):
    with pytest.raises(err, match=match):
        read_csv(write(tmp_path, text))


def test_read_csv_argument_errors(tmp_path):
    p = write(tmp_path, "time,x\n0,1\n1,2\n")
    with pytest.raises(FileFormatError, match="no such file"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(UnknownNameError, match="did you mean 'x'"):
        read_csv(p, columns=["X"])
    with pytest.raises(ValidationError, match="dt"):
        read_csv(p, dt=0.1)
    with pytest.raises(UnknownNameError):
        read_csv(p, time_column="clock")
    assert issubclass(UnknownNameError, DynlearnError)


def test_csv_round_trip(tmp_path, traj):
    p = write_csv(traj, tmp_path / "out" / "t.csv", variables=["u", "v", "w"])
    assert p.read_text().splitlines()[0] == "time,u,v,w"
    back = read_csv(p)
    np.testing.assert_array_equal(back.times, traj.times)
    np.testing.assert_array_equal(back.states, traj.states)
    assert back.meta["variables"] == ["u", "v", "w"]
    again = read_csv(write_csv(back, tmp_path / "t2.csv"))  # names taken from meta
    assert again.meta["variables"] == ["u", "v", "w"]
    assert read_csv(write_csv(traj, tmp_path / "t3.csv")).meta["variables"] == ["x0", "x1", "x2"]
    with pytest.raises(ValidationError):
        write_csv(traj, tmp_path / "x.csv", variables=["a", "b"])
    with pytest.raises(ValidationError, match="reserved"):
        write_csv(traj, tmp_path / "x.csv", variables=["a", "time", "c"])
    assert not (tmp_path / "x.csv").exists()
