"""Non-contrastive self-supervised learning as a dynamical system: linear BYOL/SimSiam and DirectPred.

Tian, Chen & Ganguli (ICML 2021), "Understanding self-supervised learning dynamics without
contrastive pairs". Two views ``x1, x2`` of an input ``x̄`` (independent augmentations) pass through
an online encoder ``W`` and a predictor ``Wp``; a target encoder ``Wa`` (an exponential moving
average of ``W``, or ``W`` itself) gives the regression target, behind a stop-gradient:

    J = ½ E ‖Wp W x1 − StopGrad(Wa x2)‖²  + ½ η (‖W‖² + ‖Wp‖²).

For linear networks the expectation is closed-form in ``X = E[x̄ x̄ᵀ]`` and the augmentation
covariance ``X' = E[Var(x | x̄)]``: ``E[x1 x1ᵀ] = X + X'``, ``E[x1 x2ᵀ] = X``, so

    J = ½ tr(Wp W (X+X') Wᵀ Wpᵀ) − tr(Wp W X Tᵀ) + ½ tr(T (X+X') Tᵀ) + weight decay,

with ``T = Wa`` (stop-gradient: a constant) or ``T = W`` (no stop-gradient: the gradient flows
through the target too). :func:`linear_byol` integrates this gradient flow exactly in expectation
(explicit Euler on the closed form; autograd gives the gradient), ``Ẇa = β (W − Wa)``. The paper's
findings, which the recipe ``dynlearn repro directpred`` checks: a trained ``Wp`` becomes symmetric,
its eigenvectors align with those of the online correlation ``F = W X Wᵀ``; training collapses
(``W → 0``) without a predictor, without the stop-gradient, or with a large weight decay.

DirectPred skips training the predictor: it keeps a running estimate ``F̂ ← ρ F̂ + (1−ρ) E[f fᵀ]`` of
the online outputs' correlation, ``F̂ = U diag(s) Uᵀ``, and sets ``Wp = U diag(p) Uᵀ`` with
``p_j = sqrt(s_j / max s) + ε`` (:class:`DirectPredictor`). :func:`train_byol` trains a small
encoder with a trained linear predictor, DirectPred, or no predictor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from dynlearn.errors import ValidationError
from dynlearn.probes.geometry import effective_rank
from dynlearn.probes.spectral import asymmetry
from dynlearn.probes.spectral import eigenvector_alignment as _alignment_matrix

PREDICTORS = ("trained", "none", "directpred")


def _check_predictor(predictor: str) -> None:
    if predictor not in PREDICTORS:
        raise ValidationError(f"predictor must be one of {PREDICTORS}, got {predictor!r}")


def directpred_weights(F: torch.Tensor, eps: float = 0.1, *, normalize: bool = True) -> torch.Tensor:
    """``U diag(p) Uᵀ`` for the symmetric PSD estimate ``F = U diag(s) Uᵀ``, with ``p = sqrt(s / max s) + eps``
    (``normalize=True``: for a cosine loss, blind to the predictor's scale) or ``p = sqrt(s) + eps``
    (the un-normalised relation ``Wpᵀ Wp ≈ W Wᵀ`` of the linear theory, for the squared loss)."""
    F = 0.5 * (F + F.T)
    s, U = torch.linalg.eigh(F)
    s = s.clamp_min(0)
    if normalize:
        top = s.max()
        p = (torch.sqrt(s / top) if top > 0 else torch.zeros_like(s)) + eps
    else:
        p = torch.sqrt(s) + eps
    return (U * p) @ U.T


def eigenvector_alignment(A: np.ndarray, B: np.ndarray, k: int | None = None) -> float:
    """Mean ``|u_i · v_i|`` over the top ``k`` eigenvectors of the symmetric parts of ``A`` and ``B``, each
    sorted by eigenvalue (the diagonal of :func:`dynlearn.probes.spectral.eigenvector_alignment`): 1 when
    the eigenbases agree in order."""
    return float(np.mean(np.diag(_alignment_matrix(A, B, k=k))))


def commutator(A: np.ndarray, B: np.ndarray) -> float:
    """``‖AB − BA‖_F / (‖A‖_F ‖B‖_F)``: 0 when ``A`` and ``B`` share an eigenbasis (symmetric ``A``, ``B``),
    whatever the order or degeneracy of their eigenvalues."""
    A, B = np.asarray(A, float), np.asarray(B, float)
    denom = np.linalg.norm(A) * np.linalg.norm(B)
    return float(np.linalg.norm(A @ B - B @ A) / denom) if denom > 0 else 0.0


@dataclasses.dataclass
class LinearBYOLConfig:
    """The linear setting (sizes, data covariances, optimisation)."""

    n_in: int = 20
    n_out: int = 10
    #: eigenvalues of X are spread log-uniformly in [x_min, 1]; X' = aug_var · I
    x_min: float = 0.05
    aug_var: float = 0.5
    lr: float = 0.05
    #: the predictor's learning rate relative to the encoder's (α_p in the paper)
    predictor_lr: float = 1.0
    weight_decay: float = 0.02
    #: EMA rate β of the target (Ẇa = β (W − Wa)); None: the target is W itself (SimSiam)
    ema: float | None = 0.2
    stop_grad: bool = True
    predictor: str = "trained"
    directpred_eps: float = 0.1
    steps: int = 3_000
    record_every: int = 50
    init_scale: float = 0.5


def _covariances(c: LinearBYOLConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    q, _ = np.linalg.qr(rng.standard_normal((c.n_in, c.n_in)))
    ev = np.geomspace(1.0, c.x_min, c.n_in)
    return (q * ev) @ q.T, c.aug_var * np.eye(c.n_in)


def linear_byol(config: LinearBYOLConfig | None = None, *, seed: int = 0, **overrides: Any) -> dict[str, np.ndarray]:
    """Integrate the expected linear BYOL dynamics (module doc); return their record over training.

    Returned arrays (one entry per ``record_every`` steps): ``step``, ``w_norm`` (‖W‖_F relative to
    its start), ``asymmetry`` of ``Wp``, ``alignment`` of the eigenvectors of ``Wp`` with those of
    ``F = W X Wᵀ`` (in eigenvalue order), the ``commutator`` of the symmetric part of ``Wp`` with ``F``
    (blind to the order), and ``loss``; plus the final ``W``, ``Wp``, ``F``.
    """
    c = dataclasses.replace(config or LinearBYOLConfig(), **overrides)
    _check_predictor(c.predictor)
    rng = np.random.default_rng(seed)
    X_np, Xa_np = _covariances(c, rng)
    dt = torch.float64
    X, Xa = torch.as_tensor(X_np, dtype=dt), torch.as_tensor(Xa_np, dtype=dt)
    W = torch.as_tensor(c.init_scale * rng.standard_normal((c.n_out, c.n_in)) / np.sqrt(c.n_in), dtype=dt)
    Wp = torch.as_tensor(c.init_scale * rng.standard_normal((c.n_out, c.n_out)) / np.sqrt(c.n_out), dtype=dt)
    if c.predictor == "none":
        Wp = torch.eye(c.n_out, dtype=dt)
    Wa = W.clone()
    w0 = float(torch.linalg.norm(W))
    rec: dict[str, list] = {"step": [], "w_norm": [], "asymmetry": [], "alignment": [], "commutator": [], "loss": []}
    for step in range(c.steps + 1):
        W.requires_grad_(True)
        train_p = c.predictor == "trained"
        Wp.requires_grad_(train_p)
        if c.ema is None:
            T = W.detach() if c.stop_grad else W
        else:
            T = Wa if c.stop_grad else W
        if c.predictor == "directpred":
            Wp = directpred_weights((W @ X @ W.T).detach(), c.directpred_eps, normalize=False)
        P = Wp @ W
        loss = 0.5 * torch.trace(P @ (X + Xa) @ P.T) - torch.trace(P @ X @ T.T) + 0.5 * torch.trace(T @ (X + Xa) @ T.T)
        reg = 0.5 * c.weight_decay * (torch.sum(W**2) + (torch.sum(Wp**2) if train_p else 0.0))
        grads = torch.autograd.grad(loss + reg, [W, Wp] if train_p else [W])
        if step % c.record_every == 0 or step == c.steps:
            F = (W @ X @ W.T).detach().numpy()
            wp = Wp.detach().numpy()
            rec["step"].append(step)
            rec["w_norm"].append(float(torch.linalg.norm(W.detach())) / w0)
            rec["asymmetry"].append(asymmetry(wp))
            rec["alignment"].append(eigenvector_alignment(wp, F))
            rec["commutator"].append(commutator(0.5 * (wp + wp.T), F))
            rec["loss"].append(float(loss.detach()))
        if step == c.steps:
            break
        with torch.no_grad():
            W = W - c.lr * grads[0]
            if train_p:
                Wp = Wp - c.lr * c.predictor_lr * grads[1]
            if c.ema is not None:
                Wa = Wa + c.lr * c.ema * (W - Wa)
        if not bool(torch.isfinite(W).all()):
            raise ValidationError(f"linear BYOL diverged at step {step}; lower lr (now {c.lr})")
    out = {k: np.asarray(v) for k, v in rec.items()}
    out.update(W=W.detach().numpy(), Wp=Wp.detach().numpy(), F=(W @ X @ W.T).detach().numpy())
    return out


class DirectPredictor(torch.nn.Module):
    """A linear predictor set from the running correlation of its inputs, never trained (module doc)."""

    def __init__(self, dim: int, *, rho: float = 0.3, eps: float = 0.1, update_every: int = 1):
        super().__init__()
        if not 0 <= rho < 1:
            raise ValidationError(f"rho must be in [0, 1), got {rho}")
        self.rho, self.eps, self.update_every = float(rho), float(eps), int(update_every)
        self.register_buffer("corr", torch.zeros(dim, dim))
        self.register_buffer("weight", torch.eye(dim))
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                batch = f.detach().T @ f.detach() / f.shape[0]
                first = int(self.calls) == 0
                self.corr.copy_(batch if first else self.rho * self.corr + (1 - self.rho) * batch)
                if int(self.calls) % self.update_every == 0:
                    self.weight.copy_(directpred_weights(self.corr, self.eps))
                self.calls += 1
        return f @ self.weight.clone().T  # a copy: the next call updates the buffer in place


def ridge_probe_accuracy(train_z, train_y, test_z, test_y, *, ridge: float = 1e-2) -> float:
    """Accuracy of a one-vs-all ridge classifier on standardised features (closed form, deterministic)."""
    tz, sz = np.asarray(train_z, float), np.asarray(test_z, float)
    mu, sd = tz.mean(0), tz.std(0) + 1e-8
    tz, sz = (tz - mu) / sd, (sz - mu) / sd
    classes = np.unique(train_y)
    Y = (np.asarray(train_y)[:, None] == classes[None]).astype(float)
    A = np.c_[tz, np.ones(len(tz))]
    coef = np.linalg.solve(A.T @ A + ridge * len(tz) * np.eye(A.shape[1]), A.T @ Y)
    pred = classes[np.argmax(np.c_[sz, np.ones(len(sz))] @ coef, axis=1)]
    return float(np.mean(pred == np.asarray(test_y)))


def augment_digits(x: torch.Tensor, gen: torch.Generator, *, shift: int = 1, noise: float = 0.1, erase: int = 3):
    """Views of 8 x 8 grey images ``x (B, 64)`` in [0, 1]: a random shift by up to ``shift`` pixels
    (zero fill), Gaussian pixel noise, and a random ``erase`` x ``erase`` patch set to zero."""
    B = x.shape[0]
    img = torch.nn.functional.pad(x.view(B, 1, 8, 8), (shift,) * 4)
    dx = torch.randint(0, 2 * shift + 1, (B,), generator=gen)
    dy = torch.randint(0, 2 * shift + 1, (B,), generator=gen)
    rows = (dy[:, None] + torch.arange(8)[None]).view(B, 8, 1).expand(B, 8, 8)
    cols = (dx[:, None] + torch.arange(8)[None]).view(B, 1, 8).expand(B, 8, 8)
    out = img[torch.arange(B)[:, None, None], 0, rows, cols]
    if erase > 0:
        ex = torch.randint(0, 8 - erase + 1, (B,), generator=gen)
        ey = torch.randint(0, 8 - erase + 1, (B,), generator=gen)
        r = torch.arange(8)
        m = (
            (r[None, :, None] >= ey[:, None, None])
            & (r[None, :, None] < ey[:, None, None] + erase)
            & (r[None, None, :] >= ex[:, None, None])
            & (r[None, None, :] < ex[:, None, None] + erase)
        )
        out = out.masked_fill(m, 0.0)
    out = out + noise * torch.randn(out.shape, generator=gen)
    return out.reshape(B, 64)


@dataclasses.dataclass
class BYOLConfig:
    """A small BYOL run on flat inputs (an MLP encoder, a linear or DirectPred predictor)."""

    hidden: int = 256
    dim: int = 32
    predictor: str = "trained"
    epochs: int = 60
    batch_size: int = 128
    lr: float = 0.03
    momentum: float = 0.9
    weight_decay: float = 4e-4
    #: target EMA: Wa ← τ Wa + (1 − τ) W after each step
    tau: float = 0.99
    directpred_rho: float = 0.3
    directpred_eps: float = 0.1
    eval_every: int = 5


def _encoder(n_in: int, c: BYOLConfig) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Linear(n_in, c.hidden),
        torch.nn.BatchNorm1d(c.hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(c.hidden, c.dim),
    )


def train_byol(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] = augment_digits,
    config: BYOLConfig | None = None,
    seed: int = 0,
    **overrides: Any,
) -> dict[str, np.ndarray]:
    """Train an encoder by BYOL on ``x_train`` (labels unused); every ``eval_every`` epochs record the
    ridge linear-probe accuracy (train → test) and the effective rank of the test representations.

    Returns ``epoch``, ``probe_accuracy``, ``effective_rank`` and ``loss`` (mean per epoch)."""
    c = dataclasses.replace(config or BYOLConfig(), **overrides)
    _check_predictor(c.predictor)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    xt = torch.as_tensor(np.asarray(x_train, np.float32))
    xs = torch.as_tensor(np.asarray(x_test, np.float32))
    online = _encoder(xt.shape[1], c)
    target = _encoder(xt.shape[1], c)
    target.load_state_dict(online.state_dict())
    for p in target.parameters():
        p.requires_grad_(False)
    if c.predictor == "trained":
        predictor: torch.nn.Module = torch.nn.Linear(c.dim, c.dim, bias=False)
    elif c.predictor == "directpred":
        predictor = DirectPredictor(c.dim, rho=c.directpred_rho, eps=c.directpred_eps)
    else:
        predictor = torch.nn.Identity()
    params = list(online.parameters()) + [p for p in predictor.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)

    def loss_fn(a, b):
        pa = torch.nn.functional.normalize(predictor(online(a)), dim=1)
        with torch.no_grad():
            tb = torch.nn.functional.normalize(target(b), dim=1)
        return (2 - 2 * (pa * tb).sum(1)).mean()

    def evaluate(epoch, losses):
        online.eval()
        with torch.no_grad():
            ht, hs = online[:3](xt), online[:3](xs)
            zt, zs = online[3](ht).numpy(), online[3](hs).numpy()
        online.train()
        rec["epoch"].append(epoch)
        rec["probe_accuracy"].append(ridge_probe_accuracy(zt, y_train, zs, y_test))
        rec["hidden_probe_accuracy"].append(ridge_probe_accuracy(ht.numpy(), y_train, hs.numpy(), y_test))
        rec["effective_rank"].append(effective_rank(zs))
        rec["loss"].append(float(np.mean(losses)) if losses else float("nan"))

    rec: dict[str, list] = {
        "epoch": [],
        "probe_accuracy": [],
        "hidden_probe_accuracy": [],
        "effective_rank": [],
        "loss": [],
    }
    evaluate(0, [])
    n = len(xt)
    for epoch in range(1, c.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        losses = []
        for i in range(0, n - c.batch_size + 1, c.batch_size):
            xb = xt[perm[i : i + c.batch_size]]
            v1, v2 = augment(xb, gen), augment(xb, gen)
            loss = loss_fn(v1, v2) + loss_fn(v2, v1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for pt, po in zip(target.parameters(), online.parameters()):
                    pt.mul_(c.tau).add_(po.detach(), alpha=1 - c.tau)
                for bt, bo in zip(target.buffers(), online.buffers()):
                    bt.copy_(bo)
            losses.append(float(loss.detach()))
        if not np.isfinite(losses[-1]):
            raise ValidationError(f"BYOL diverged in epoch {epoch}; lower lr (now {c.lr})")
        if epoch % c.eval_every == 0 or epoch == c.epochs:
            evaluate(epoch, losses)
    return {k: np.asarray(v) for k, v in rec.items()}


__all__ = [
    "BYOLConfig",
    "DirectPredictor",
    "LinearBYOLConfig",
    "asymmetry",
    "augment_digits",
    "commutator",
    "directpred_weights",
    "effective_rank",
    "eigenvector_alignment",
    "linear_byol",
    "ridge_probe_accuracy",
    "train_byol",
]
