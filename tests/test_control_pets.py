"""PETS mechanics on a tiny budget (the measured run is benchmarks/bench_control.py pets)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("gymnasium")
pytest.importorskip("torch")

from dynlearn.control import load_dynamics  # noqa: E402
from dynlearn.control.agents.pets import PETS  # noqa: E402
from dynlearn.errors import ValidationError  # noqa: E402

TINY = {
    "env": "pendulum",
    "episodes": 2,
    "seed_steps": 40,
    "max_episode_steps": 12,
    "horizon": 4,
    "population": 16,
    "iterations": 2,
    "elites": 4,
    "particles": 3,
    "members": 3,
    "hidden": 16,
    "layers": 2,
    "epochs": 3,
}


def test_pets_logs_each_episode_and_saves_its_model(tmp_path):
    hist = PETS(TINY).run(out=tmp_path)
    assert [h["episode"] for h in hist] == [0, 1]
    assert [h["real_steps"] for h in hist] == [52, 64]
    assert all(h["plan_seconds_per_step"] > 0 and h["fallbacks"] == 0 for h in hist)
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["episodes"] == hist and saved["config"]["env"] == "pendulum"
    assert load_dynamics(tmp_path / "model").members == 3


def test_pets_same_seed_same_returns():
    a, b = PETS(TINY, episodes=1).run(), PETS(TINY, episodes=1).run()
    assert a[0]["return"] == b[0]["return"]


def test_pets_checks_its_config():
    with pytest.raises(ValidationError, match="populaton"):
        PETS(populaton=3)
