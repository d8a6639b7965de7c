"""SAC's Lipschitz options (spectral-norm critic, adversarial target noise), their estimates, and MBPO with
one model and holdout early stopping (Zheng et al. 2023; Janner et al. 2019)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")

from dynlearn.control.agents.mbpo import MBPO  # noqa: E402
from dynlearn.control.agents.sac import SAC  # noqa: E402
from dynlearn.control.envs import make_env  # noqa: E402
from dynlearn.errors import ValidationError  # noqa: E402


def _sum(params) -> float:
    return float(sum(p.detach().double().sum() for p in params))


def test_options_off_give_the_numbers_of_before():
    # reference values computed with the code of commit 8944c01 (before these options existed), same seed
    a = SAC(seed=3, hidden=(16, 16), batch_size=16, learning_starts=20)
    a.train(make_env("pendulum"), 60)
    assert _sum(a.critic_.parameters()) == pytest.approx(-0.1692481415811926, rel=1e-6)
    assert _sum(a.actor_.parameters()) == pytest.approx(-2.384319518048869, rel=1e-6)
    m = MBPO(seed=3, hidden=(16, 16), batch_size=16, members=2, model_hidden=16, model_layers=2, model_epochs=2,
             learning_starts=40, model_train_freq=20, rollout_batch=20, rollout_schedule=(40, 60, 1, 2),
             updates_per_step=2)
    m.train(make_env("pendulum"), 80)
    assert _sum(m.sac_.critic_.parameters()) == pytest.approx(0.23604072572197765, rel=1e-6)
    assert _sum(m.sac_.actor_.parameters()) == pytest.approx(-2.548952516837744, rel=1e-6)


def test_spectral_norm_bounds_every_hidden_layer_after_updates():
    a = SAC(seed=0, hidden=(32, 32), batch_size=32, learning_starts=30, critic_spectral_norm=True)
    a.train(make_env("pendulum"), 80)
    for net in (a.critic_, a.critic_target_):
        ws = net.effective_weights([w.detach() for w in net.weights])
        for i in net.spectral_norm:
            # one power iteration per update (Miyato et al.) trails the top singular vector when the two
            # largest singular values are close: the normalised norm exceeds 1 by a few per cent at most
            assert torch.linalg.matrix_norm(ws[i], ord=2).max() <= 1.1
        assert net.spectral_norm == (0, 1)  # hidden layers; the output layer is free (sets the scale)
    est = a.critic_lipschitz()
    out = torch.linalg.matrix_norm(a.critic_.weights[-1].detach(), ord=2).max()
    assert est["spectral_bound"] <= 1.1**2 * float(out) + 1e-6
    plain = SAC(seed=0, hidden=(32, 32)).setup(make_env("pendulum"))
    assert plain.critic_.spectral_norm == () and not any("sn_u" in k for k in plain.critic_.state_dict())


def test_adversarial_target_noise_stays_in_its_radius_and_lowers_the_value():
    a = SAC(seed=1, hidden=(32, 32), batch_size=32, learning_starts=30, target_noise=0.1)
    a.train(make_env("pendulum"), 80)
    o2 = torch.as_tensor(a.buffer_.sample(64, np.random.default_rng(0))["next_observations"])

    def value(s):
        with torch.no_grad():
            act = torch.tanh(a._dist(s)[0])
            return a.critic_target_(torch.cat([s, act], -1)).squeeze(-1).min(0).values

    for steps in (1, 5):
        pert = a.adversarial_next_obs(o2, steps=steps)
        dist = (pert - o2).norm(dim=-1)
        assert float(dist.max()) <= 0.1 + 1e-5 and float(dist.min()) > 0.05
        # the perturbation moves the target away from the clean one, downwards (the worst case)
        dev = value(pert) - value(o2)
        assert float(dev.abs().mean()) > 0 and float(dev.mean()) < 0
    random_dir = torch.nn.functional.normalize(torch.randn(o2.shape, generator=torch.Generator().manual_seed(0)), dim=-1)
    assert float(value(a.adversarial_next_obs(o2)).mean()) < float(value(o2 + 0.1 * random_dir).mean())
    assert torch.equal(a.adversarial_next_obs(o2, radius=0.0), o2)


def test_lipschitz_estimates_and_bad_options():
    a = SAC(seed=0, hidden=(16, 16), learning_starts=20, batch_size=16)
    a.train(make_env("pendulum"), 40)
    b = a.buffer_.sample(50, np.random.default_rng(0))
    est = a.critic_lipschitz(b["observations"], b["actions"])
    assert 0 < est["grad_max"] <= est["spectral_bound"]  # a gradient norm never exceeds the product bound
    with pytest.raises(ValidationError, match="target_noise"):
        SAC(target_noise=-1.0).setup(make_env("pendulum"))
    with pytest.raises(ValidationError, match="model_holdout"):
        MBPO(model_holdout=1.5).setup(make_env("pendulum"))


def test_mbpo_single_regularised_model_with_holdout_runs_and_resumes(tmp_path):
    cfg = dict(hidden=(16, 16), batch_size=16, members=1, model_hidden=16, model_layers=2, model_epochs=30,
               model_holdout=0.2, learning_starts=30, model_train_freq=30, rollout_batch=20,
               rollout_schedule=(30, 60, 1, 2), updates_per_step=1, critic_spectral_norm=True, target_noise=0.05)
    agent = MBPO(seed=0, **cfg)
    recs = agent.train(make_env("pendulum"), 90)
    fits = [r for r in recs if "model_holdout_mse" in r]
    assert fits and all(np.isfinite(r["model_holdout_mse"]) for r in fits)
    assert agent.model_.members == 1 and agent.model_cpu_s_ > 0
    assert 1 <= max(r["model_epochs"] for r in fits) <= 30
    # exact resume with the new options and the holdout split (drawn from the agent's own generator)
    cut = MBPO(seed=0, **cfg)

    def interrupt(step):
        if step == 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cut.train(make_env("pendulum"), 90, run_dir=tmp_path / "r", callback=interrupt)
    resumed = MBPO(seed=0, **cfg)
    resumed.train(make_env("pendulum"), 90, run_dir=tmp_path / "r")
    for p, q in zip(agent.sac_.critic_.state_dict().values(), resumed.sac_.critic_.state_dict().values()):
        assert torch.allclose(p, q)


def test_holdout_early_stopping_keeps_each_members_best_weights():
    from dynlearn.control.models import GaussianEnsemble
    from dynlearn.control.transitions import Transitions

    rng = np.random.default_rng(0)
    obs = rng.normal(size=(150, 2))
    act = rng.uniform(-1, 1, size=(150, 1))
    nxt = obs + 0.1 * np.tanh(obs[:, ::-1]) + 0.05 * act
    train, hold = Transitions(obs[:120], act[:120], nxt[:120]), Transitions(obs[120:], act[120:], nxt[120:])
    m = GaussianEnsemble(members=3, hidden=16, layers=2, epochs=300, seed=0, batch_size=128)
    m.fit(train, holdout=hold, patience=3)
    assert len(m.history_) < 300 and m.holdout_mse_.shape == (3,)
    with pytest.raises(ValidationError, match="holdout"):
        m.fit(train, holdout="x")


@pytest.mark.slow  # three tiny MBPO runs: about 15 CPU seconds, a minute on a loaded 2-core machine
def test_lipschitz_mbrl_smoke_recipe_measures_every_arm(tmp_path):
    from dynlearn import repro

    res = repro.run("lipschitz-mbrl", smoke=True, out_dir=tmp_path, progress=lambda s: None)
    for arm in ("ensemble", "single", "single+lip"):
        m = res.metrics[arm]
        assert np.isfinite(m["final_mean"]) and m["model_cpu_s"] > 0 and m["lip_grad"] > 0
    # spectral normalisation shrinks the critic's Lipschitz bound against the unregularised single model
    assert res.metrics["single+lip"]["lip_spectral"] < res.metrics["single"]["lip_spectral"]
    assert res.verdict in ("reproduced", "partially reproduced", "not reproduced")
    assert (tmp_path / "lipschitz-mbrl" / "runs.json").is_file() and res.figures[0].is_file()
