"""Training-trajectory recorders, feature cache and probes of dynlearn.probes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dynlearn.errors import NotFittedError, UnknownNameError, ValidationError  # noqa: E402
from dynlearn.probes import record as r  # noqa: E402


def _net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))


def test_log_checkpoints():
    s = r.log_checkpoints(1000, n=20)
    assert s[0] == 0 and s[-1] == 1000 and np.all(np.diff(s) > 0)
    assert len(s) == 20
    assert np.all(np.diff(s)[1:] >= np.diff(s)[:-1] - 1)  # gaps grow (up to rounding)
    assert list(r.log_checkpoints(5, n=50)) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValidationError):
        r.log_checkpoints(0)


def test_activation_recorder_matches_manual_forward_and_restores_mode():
    net = _net()
    x = torch.randn(5, 3)
    rec = r.ActivationRecorder(net, ["0", "1"], inputs=x, schedule=[0, 2])
    net.train()
    recorded = [rec(step) for step in range(4)]
    assert recorded == [True, False, True, False] and rec.steps == [0, 2]
    assert net.training
    with torch.no_grad():
        pre = net[0](x).numpy()
    assert rec.activations("0").shape == (2, 5, 4)
    assert rec.activations("0")[1] == pytest.approx(pre, abs=1e-6)
    assert rec.activations("1")[0] == pytest.approx(np.tanh(pre), abs=1e-6)
    # hooks are gone after recording: a plain forward pass records nothing
    net(x)
    assert len(rec.activations("0")) == 2


def test_unknown_module_name_lists_the_available_ones():
    with pytest.raises(UnknownNameError) as err:
        r.ActivationRecorder(_net(), ["hidden"])
    msg = str(err.value)
    assert "'hidden'" in msg and "'0', '1', '2'" in msg


def test_gradient_and_parameter_recorders():
    net = _net()
    x, y = torch.randn(8, 3), torch.randn(8, 2)
    grads = r.GradientRecorder(net, keep_full=True)
    params = r.ParameterRecorder(net, ["0.weight"], schedule=[0, 1])
    manual = []
    for step in range(3):
        net.zero_grad()
        ((net(x) - y) ** 2).mean().backward()
        manual.append([p.grad.norm().item() for p in net.parameters()])
        grads(step)
        params(step)
        with torch.no_grad():  # plain gradient descent
            for p in net.parameters():
                p -= 0.1 * p.grad
    assert grads.norms() == pytest.approx(np.array(manual), rel=1e-5)
    assert grads.vectors().shape == (3, sum(p.numel() for p in net.parameters()))
    cos = grads.cosine_consecutive()
    assert cos.shape == (2,) and np.all(cos <= 1 + 1e-6)
    traj = params.trajectory("0.weight")
    assert traj.shape == (2, 4, 3) and not np.allclose(traj[0], traj[1])
    with pytest.raises(ValidationError, match="no parameter named"):
        r.ParameterRecorder(net, ["0.bias2"])


def test_group_curves_hand_case():
    gc = r.GroupCurves()
    gc.log(0, [1.0, 3.0, 5.0], [0, 0, 1])
    gc.log(10, torch.tensor([2.0, 4.0]), torch.tensor([1, 2]))
    steps, labels, M = gc.curves()
    assert list(steps) == [0, 10] and list(labels) == [0, 1, 2]
    assert M[0, :2] == pytest.approx([2.0, 5.0]) and np.isnan(M[0, 2])
    assert np.isnan(M[1, 0]) and M[1, 1:] == pytest.approx([2.0, 4.0])


def test_feature_cache_roundtrip(tmp_path):
    net = _net()
    x = torch.randn(7, 3)
    feats = r.extract_features(net, "1", x, batch_size=3)
    assert feats.shape == (7, 4)
    cache = r.FeatureCache()
    cache.put("1", 100, feats)
    cache.save(tmp_path / "f.npz")
    back = r.FeatureCache.load(tmp_path / "f.npz")
    assert back.keys() == [("1", 100)] and back.get("1", 100) == pytest.approx(feats)
    with pytest.raises(ValidationError, match="no features"):
        back.get("1", 5)


def test_linear_probes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    for kind in ("ridge", "logistic"):
        probe = r.LinearProbe(kind, reg=1e-4).fit(X[:150], y[:150])
        assert probe.score(X[150:], y[150:]) >= 0.95
    # ridge is the closed form: coefficients of centred least squares with lambda = reg * mean eigenvalue
    p = r.LinearProbe("ridge", reg=0.0).fit(X, y)
    Xc = X - X.mean(0)
    Yh = np.eye(2)[y]
    want = np.linalg.lstsq(Xc, Yh - Yh.mean(0), rcond=None)[0]
    assert p.coef_ == pytest.approx(want, abs=1e-10)
    with pytest.raises(NotFittedError):
        r.LinearProbe().predict(X)
    with pytest.raises(ValidationError, match="one class label per row"):
        r.LinearProbe().fit(X, y[:3])


def test_knn_probe_hand_case():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [5.0, 5.2]])
    y = np.array([0, 0, 1, 1, 1])
    knn = r.KNNProbe(k=1, metric="euclidean").fit(X, y)
    assert list(knn.predict(np.array([[0.2, 0.1], [4.0, 4.0]]))) == [0, 1]
    # k = 5 votes 3:2 for class 1 everywhere
    assert list(r.KNNProbe(k=5, metric="euclidean").fit(X, y).predict(np.zeros((1, 2)))) == [1]
    # cosine: direction only
    cos = r.KNNProbe(k=1).fit(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([3, 7]))
    assert list(cos.predict(np.array([[10.0, 1.0], [0.1, 2.0]]))) == [3, 7]
    with pytest.raises(ValidationError, match="k must be"):
        r.KNNProbe(k=9).fit(X, y)
