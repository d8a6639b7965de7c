"""COPlanner's UP-MPC (issue 18, coplanner): disagreement, optimistic / conservative choice, the MBPO hook.

Tiny models and budgets: a couple of seconds in all. The paper's claim (fewer real steps to a threshold
than MBPO) is measured by the recipe ``dynlearn repro run coplanner`` (docs/repro/coplanner.md).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
import torch  # noqa: E402

from dynlearn.control.coplanner import UPMPC, COPlanner, disagreement  # noqa: E402
from dynlearn.control.models import GaussianEnsemble  # noqa: E402
from dynlearn.control.transitions import Transitions  # noqa: E402
from dynlearn.errors import ValidationError  # noqa: E402


class SpreadModel:
    """A fake 4-member ensemble: s' = s, zero reward; member m predicts s + c_m * a, so
    u(s, a) = Var(c) * a^2 (disagreement grows with |a|); rewards always tie."""

    observation_dim, action_dim = 2, 1
    c = torch.tensor([-1.0, -0.5, 0.5, 1.0])

    def member_means(self, obs, actions):
        return obs[None] + self.c[:, None, None] * actions[None, :, :1]

    def step(self, obs, actions, *, generator=None):
        return obs.clone()

    def reward(self, obs, actions, next_obs):
        return torch.zeros(len(obs))

    def terminated(self, next_obs):
        return torch.zeros(len(next_obs), dtype=torch.bool)


def _fixed_candidates(values):
    """A 'policy' whose successive rows cycle through ``values`` (one candidate each)."""

    def policy(obs):
        v = torch.tensor(values, dtype=torch.float32)
        return v[torch.arange(len(obs)) % len(v)][:, None]

    return policy


def _ensemble(members=3, seed=0):
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(200, 2))
    act = rng.uniform(-1, 1, (200, 1))
    nxt = obs + 0.1 * np.c_[act, -act] + 0.01 * rng.normal(size=(200, 2))
    return GaussianEnsemble(seed=seed, members=members, hidden=16, layers=2, epochs=3).fit(
        Transitions(obs, act, nxt)), obs, act


def test_identical_members_have_zero_disagreement_and_shapes():
    model, obs, act = _ensemble()
    u = disagreement(model, obs[:7], act[:7])
    assert u.shape == (7,) and bool((u > 0).all())  # bootstrapped members differ
    with torch.no_grad():  # make every member a copy of member 0
        for p in list(model.net_.weights) + list(model.net_.biases):
            p.copy_(p[:1].expand_as(p))
    assert torch.allclose(disagreement(model, obs[:7], act[:7]), torch.zeros(7), atol=1e-10)
    # fake ensemble: u = Var(c) a^2, in closed form
    u = disagreement(SpreadModel(), torch.zeros(3, 2), torch.tensor([[0.0], [1.0], [2.0]]))
    assert torch.allclose(u, SpreadModel.c.var(unbiased=False) * torch.tensor([0.0, 2.0, 8.0]))


def test_optimistic_picks_the_uncertain_action_conservative_the_certain_one():
    cands = [0.1, -0.9, 0.5, 0.0, -0.3]  # rewards tie: only disagreement (grows with |a|) decides
    planner = UPMPC(SpreadModel(), _fixed_candidates(cands), candidates=5, horizon=3)
    obs = torch.zeros(4, 2)
    a_opt, info_opt = planner.plan(obs, +1.0)
    a_con, info_con = planner.plan(obs, -1.0)
    assert a_opt.shape == (4, 1) and a_con.shape == (4, 1)
    assert torch.allclose(a_opt, torch.full((4, 1), -0.9))
    assert torch.allclose(a_con, torch.full((4, 1), 0.0))
    assert info_opt["disagreement"] > info_con["disagreement"] == 0.0
    with pytest.raises(ValidationError, match="batch"):
        planner.plan(torch.zeros(2), 1.0)
    with pytest.raises(ValidationError, match="candidates"):
        UPMPC(SpreadModel(), _fixed_candidates(cands), candidates=0)


def test_upmpc_on_a_learned_ensemble_with_a_reward():
    model, obs, _ = _ensemble()
    model.reward_model = type("R", (), {"reward": staticmethod(lambda s, a, s2: -(s2**2).sum(-1)),
                                        "terminated": staticmethod(lambda s2: torch.zeros(len(s2), dtype=bool))})()
    g = torch.Generator().manual_seed(0)
    planner = UPMPC(model, lambda o: torch.rand(len(o), 1, generator=g) * 2 - 1, candidates=8, horizon=4,
                    generator=torch.Generator().manual_seed(1))
    a, info = planner.plan(torch.as_tensor(obs[:10], dtype=torch.float32), 0.0)
    assert a.shape == (10, 1) and bool((a.abs() <= 1).all()) and np.isfinite(info["score"])


TINY = {"hidden": (32, 32), "batch_size": 32, "members": 3, "model_hidden": 32, "model_layers": 2,
        "model_epochs": 2, "model_train_freq": 40, "learning_starts": 40, "rollout_batch": 32,
        "rollout_schedule": (40, 120, 1, 2), "updates_per_step": 1, "plan_candidates": 3, "plan_horizon": 2}


def _strip(records):
    return [{k: v for k, v in r.items() if k not in ("wall_s", "s_per_step")} for r in records]


def test_hook_off_is_plain_mbpo_and_on_changes_the_run():
    from dynlearn.control.agents._loop import make_env
    from dynlearn.control.agents.mbpo import MBPO

    env = make_env("pendulum", max_episode_steps=40)
    mbpo_cfg = {k: v for k, v in TINY.items() if not k.startswith("plan_")}
    ref = MBPO(seed=0, **mbpo_cfg).train(env, 100)
    off = COPlanner(seed=0, explore=False, conservative=False, **TINY)
    assert _strip(off.train(env, 100)) == _strip(ref)
    on = COPlanner(seed=0, **TINY)
    recs = on.train(env, 100)
    eps = [r for r in recs if r["kind"] == "episode"]
    assert any("rollout_disagreement" in r for r in eps) and "explore_disagreement" in eps[-1]
    assert _strip(recs) != _strip(ref)
    with pytest.raises(ValidationError, match="optimism"):
        COPlanner(optimism=-1.0)


@pytest.mark.slow
def test_recipe_smoke_writes_a_page(tmp_path):
    from dynlearn import repro

    doc = tmp_path / "repro" / "coplanner.md"
    result = repro.run("coplanner", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    assert result.verdict in ("reproduced", "partially reproduced", "not reproduced")
    text = doc.read_text()
    assert "COPlanner-MBPO" in text and "smoke-sized run" in text
    assert (tmp_path / "figures" / "coplanner-curves.png").is_file()
    assert {"steps_to_threshold_mbpo", "model_mse_coplanner"} <= set(result.metrics)


def test_coplanner_interrupted_run_resumes_to_the_same_numbers(tmp_path):
    from dynlearn.control.agents._loop import make_env

    env = make_env("pendulum", max_episode_steps=40)
    ref = COPlanner(seed=1, **TINY).train(env, 100, run_dir=tmp_path / "full")

    class Stop(Exception):
        pass

    def interrupt(step):
        if step == 70:
            raise Stop

    with pytest.raises(Stop):
        COPlanner(seed=1, **TINY).train(env, 100, run_dir=tmp_path / "cut", callback=interrupt)
    assert _strip(COPlanner(seed=1, **TINY).train(env, 100, run_dir=tmp_path / "cut")) == _strip(ref)
