"""Offline datasets (D4RL fields, npz + JSON, refused when corrupt) and the BC / TD3+BC / CQL baselines."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("gymnasium")
import gymnasium as gym  # noqa: E402

from dynlearn.control.offline import BC, CQL, TD3BC, OfflineDataset, collect, generate_tiers  # noqa: E402
from dynlearn.errors import FileFormatError, OutputExistsError, ValidationError  # noqa: E402

SMALL = {"hidden": (32, 32), "batch_size": 64, "lr": 3e-3}


def _expert(obs, rng):
    """A fixed, smooth policy of the pendulum state: what the offline learners must recover."""
    return np.array([np.clip(-1.5 * obs[1] - 0.4 * obs[2], -2, 2)], np.float32)


@pytest.fixture(scope="module")
def data():
    return collect(gym.make("Pendulum-v1", max_episode_steps=100), _expert, 1000, seed=0)


def test_collect_has_d4rl_fields_and_is_seeded(data):
    assert len(data) == 1000 and data.observations.shape == (1000, 3) and data.actions.shape == (1000, 1)
    assert data.timeouts.sum() == 10 and not data.terminals.any()
    assert np.allclose(data.next_observations[:-1][~data.timeouts[:-1]], data.observations[1:][~data.timeouts[:-1]])
    again = collect(gym.make("Pendulum-v1", max_episode_steps=100), _expert, 1000, seed=0)
    assert np.array_equal(again.observations, data.observations)
    assert len(data.episode_returns()) == 10
    assert data.meta["env"] == "Pendulum-v1" and data.meta["action_high"] == [2.0]


def test_dataset_roundtrip_and_refusals(tmp_path, data):
    path = data.save(tmp_path / "ds")
    back = OfflineDataset.load(path)
    assert np.array_equal(back.actions, data.actions) and back.meta["env"] == "Pendulum-v1"
    with pytest.raises(OutputExistsError):
        data.save(path)
    meta = json.loads((path / "dataset.json").read_text())
    (path / "dataset.json").write_text(json.dumps({**meta, "version": 7}))
    with pytest.raises(FileFormatError, match="version 7"):
        OfflineDataset.load(path)
    (path / "dataset.json").write_text(json.dumps(meta))
    raw = bytearray((path / "data.npz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (path / "data.npz").write_bytes(bytes(raw))
    with pytest.raises(FileFormatError, match="checksum"):
        OfflineDataset.load(path)
    with pytest.raises(FileFormatError, match="no dataset.json"):
        OfflineDataset.load(tmp_path)
    with pytest.raises(ValidationError):
        OfflineDataset(np.zeros((3, 2)), np.zeros((2, 1)), np.zeros(3), np.zeros((3, 2)), np.zeros(3), np.zeros(3))


def test_bc_recovers_the_behaviour_policy(data):
    bc = BC(seed=0, **SMALL).fit(data, 400)
    err = np.array([bc.act(o)[0] for o in data.observations[::10]]) - data.actions[::10, 0]
    assert np.sqrt(np.mean(err**2)) < 0.25  # actions span [-2, 2]
    assert bc.history_[-1]["bc_loss"] < bc.history_[0]["bc_loss"] / 4


def test_td3bc_stays_near_the_data(data):
    agent = TD3BC(seed=0, **SMALL).fit(data, 300)
    assert np.isfinite(agent.history_[-1]["critic_loss"])
    err = np.array([agent.act(o)[0] for o in data.observations[::10]]) - data.actions[::10, 0]
    assert np.sqrt(np.mean(err**2)) < 0.6


def test_cql_is_conservative_off_the_data(data):
    agent = CQL(seed=0, cql_alpha=5.0, n_actions=4, **SMALL).fit(data, 250)
    obs = data.observations[::5]
    q_data = agent.q_values(obs, data.squashed_actions()[::5])
    rng = np.random.default_rng(0)
    q_rand = agent.q_values(obs, rng.uniform(-1, 1, (len(obs), 1)).astype(np.float32))
    # the penalty pushes Q down on actions the data never took (the point of CQL)
    assert q_data.mean() > q_rand.mean() + 0.5
    assert "critic_penalty" in agent.history_[-1]


@pytest.mark.slow
def test_generate_tiers_writes_all_four(tmp_path):
    out = generate_tiers("Pendulum-v1", tmp_path, train_steps=300, eval_every=150, steps_per_tier=200,
                         agent_config={"hidden": (16, 16), "batch_size": 32, "learning_starts": 50}, log=lambda m: None)
    assert sorted(out) == ["expert", "medium", "medium-replay", "random"]
    tiers = {t: OfflineDataset.load(p) for t, p in out.items()}
    assert len(tiers["random"]) == 200 and len(tiers["expert"]) == 200
    assert tiers["medium-replay"].meta["tier"] == "medium-replay"
    assert len(tiers["medium-replay"]) in (150, 300)
    assert all(d.meta["random_score"] == tiers["random"].meta["random_score"] for d in tiers.values())
    with pytest.raises(ValidationError, match="unknown tier"):
        generate_tiers("Pendulum-v1", tmp_path, tiers=("bogus",))


@pytest.mark.slow  # importing pyarrow and minari alone takes seconds
def test_minari_export(tmp_path, data):
    pytest.importorskip("minari")
    pytest.importorskip("pyarrow")
    from dynlearn.control.offline import to_minari

    ds = to_minari(data, "pendulum/expert-v0", tmp_path)
    assert ds.total_steps == len(data) and ds.total_episodes == 10
    ep = next(ds.iterate_episodes())
    assert np.allclose(ep.observations[:-1], data.observations[:100]) and np.allclose(ep.actions, data.actions[:100])
