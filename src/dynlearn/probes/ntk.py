"""Neural tangent kernels: analytic (infinite width), empirical (any torch module) and the NTK Gaussian process.

**Parameterisation.** A fully connected network with ``depth`` hidden layers of width ``n`` in the *NTK
parameterisation* (Jacot, Gabriel, Hongler 2018) with weight variance ``sw2`` and bias variance ``sb2``::

    h^1     = sqrt(sw2 / d)   W^1 x      + sqrt(sb2) b^1,      x^l = phi(h^l)   (sqrt(sw2) W^1 x if not normalised)
    h^{l+1} = sqrt(sw2 / n_l) W^{l+1} x^l + sqrt(sb2) b^{l+1},  l = 1..depth   (h^{depth+1} is the output)

with every entry of every ``W``, ``b`` drawn i.i.d. N(0, 1). ``normalise_inputs=False`` drops the input
dimension ``d`` from the first layer (``w_r ~ N(0, I_d)`` as in the two-layer analyses of Du et al. 2019 and
Arora et al. 2019); read ``x.x'/d`` below as ``x.x'`` then. As the widths grow the output at
initialisation is a Gaussian process with the NNGP kernel ``K = Sigma^{depth+1}`` and the gradient of
the output with respect to all parameters has the deterministic inner product ``Theta = Theta^{depth+1}``
(Lee et al. 2019, "Wide neural networks of any depth evolve as linear models under gradient descent";
the same recursions as ``neural_tangents.stax.Dense(..., parameterization="ntk")``)::

    Sigma^1(x, x')       = sw2 x.x' / d + sb2,                    Theta^1 = Sigma^1
    Sigma^{l+1}(x, x')   = sw2 E[phi(u) phi(v)] + sb2,            (u, v) ~ N(0, Sigma^l on {x, x'})
    SigmaDot^{l+1}(x, x')= sw2 E[phi'(u) phi'(v)]
    Theta^{l+1}          = Sigma^{l+1} + Theta^l * SigmaDot^{l+1}

The Gaussian expectations have closed forms for the two activations supported here. With
``a = Sigma(x,x)``, ``b = Sigma(x',x')``, ``c = Sigma(x,x')`` and ``cos(th) = c / sqrt(ab)``:

* ReLU (arc-cosine kernels of degree 1 and 0, Cho and Saul 2009):
  ``E[relu(u) relu(v)] = sqrt(ab) (sin th + (pi - th) cos th) / (2 pi)``, ``E[step(u) step(v)] = (pi - th) / (2 pi)``;
* erf (Williams 1997): ``E[erf(u) erf(v)] = (2/pi) arcsin(2c / sqrt((1+2a)(1+2b)))``,
  ``E[erf'(u) erf'(v)] = (4/pi) / sqrt((1+2a)(1+2b) - 4c^2)``.

**NTK-GP.** Gradient flow ``df/dt = -lr Theta(x, X) (f(X) - Y)`` on the loss ``1/2 sum_i |f(x_i) - y_i|^2``
from a random initialisation makes the output at time ``t`` Gaussian (Lee et al. 2019, eq. 15-16) with,
writing ``E_t = Theta^{-1} (I - exp(-lr Theta t))`` over the training inputs ``X``::

    mu_t(x)         = Theta(x, X) E_t Y
    Sigma_t(x, x')  = K(x, x') + Theta(x, X) E_t K(X, X) E_t Theta(X, x')
                      - Theta(x, X) E_t K(X, x') - K(x, X) E_t Theta(X, x')

and ``E_inf = Theta^{-1}``. Output coordinates are independent draws of the same process. An ensemble of
``M`` independently initialised networks trained this way averages to a draw of ``N(mu_t, Sigma_t / M)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import TYPE_CHECKING

import numpy as np

from dynlearn.errors import ValidationError

if TYPE_CHECKING:  # torch is imported lazily: `import dynlearn.probes` stays light
    import torch

ACTIVATIONS = ("relu", "erf")


def _check_inputs(name: str, x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValidationError(f"{name} must be a 2-D array (n_inputs, input_dim); got shape {x.shape}: reshape it")
    if not np.all(np.isfinite(x)):
        raise ValidationError(f"{name} contains NaN or inf; remove or impute those inputs first")
    return x


@dataclasses.dataclass(frozen=True)
class FCKernel:
    """The infinite-width kernels of a fully connected network (NTK parameterisation, see the module doc).

    ``activation``: ``"relu"`` or ``"erf"``; ``depth``: number of hidden layers (a two-layer network has
    ``depth=1``); ``weight_var``, ``bias_var``: ``sw2``, ``sb2``; ``normalise_inputs``: scale the first layer by
    ``1/sqrt(d)`` (Jacot et al.) or not (``w ~ N(0, I_d)``, Du et al. 2019).
    """

    activation: str = "relu"
    depth: int = 1
    weight_var: float = 2.0
    bias_var: float = 0.0
    normalise_inputs: bool = True

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValidationError(
                f"no closed-form kernel for activation {self.activation!r}; supported: {', '.join(ACTIVATIONS)} "
                "(use empirical_ntk for any other network)"
            )
        if int(self.depth) != self.depth or self.depth < 1:
            raise ValidationError(f"depth is the number of hidden layers and must be an integer >= 1; got {self.depth}")
        if not (self.weight_var > 0 and self.bias_var >= 0):
            raise ValidationError(
                f"need weight_var > 0 and bias_var >= 0; got weight_var={self.weight_var}, bias_var={self.bias_var}"
            )

    def __call__(self, x1, x2=None) -> tuple[np.ndarray, np.ndarray]:
        """``(nngp, ntk)`` between the rows of ``x1`` (n1, d) and ``x2`` (n2, d), each of shape (n1, n2)."""
        x1 = _check_inputs("x1", x1)
        x2 = x1 if x2 is None else _check_inputs("x2", x2)
        if x1.shape[1] != x2.shape[1]:
            raise ValidationError(f"x1 and x2 need the same input dimension; got {x1.shape[1]} and {x2.shape[1]}")
        d = x1.shape[1] if self.normalise_inputs else 1
        return self.from_inner_products(
            np.einsum("ij,ij->i", x1, x1) / d, np.einsum("ij,ij->i", x2, x2) / d, (x1 @ x2.T) / d
        )

    def from_inner_products(self, sq1, sq2, dot) -> tuple[np.ndarray, np.ndarray]:
        """``(nngp, ntk)`` from the first layer's inner products: ``sq1 = |x|^2/d`` (n1,), ``sq2 = |x'|^2/d`` (n2,),
        ``dot = x.x'/d`` (n1, n2), without the ``/d`` when ``normalise_inputs`` is off. The kernels depend on
        the inputs only through these."""
        sw2, sb2 = float(self.weight_var), float(self.bias_var)
        a = sw2 * np.asarray(sq1, dtype=np.float64) + sb2
        b = sw2 * np.asarray(sq2, dtype=np.float64) + sb2
        c = sw2 * np.asarray(dot, dtype=np.float64) + sb2
        theta = c.copy()
        for _ in range(self.depth):
            step = _relu_step if self.activation == "relu" else _erf_step
            c, cdot, a, b = step(c, a, b, sw2, sb2)
            theta = c + theta * cdot
        return c, theta

    def nngp(self, x1, x2=None) -> np.ndarray:
        return self(x1, x2)[0]

    def ntk(self, x1, x2=None) -> np.ndarray:
        return self(x1, x2)[1]


def _relu_step(c, a, b, sw2, sb2):
    ab = np.sqrt(np.outer(a, b))
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(ab > 0, c / np.where(ab > 0, ab, 1.0), 1.0)
    th = np.arccos(np.clip(cos, -1.0, 1.0))
    e_phi = ab * (np.sin(th) + (np.pi - th) * np.cos(th)) / (2 * np.pi)
    e_dphi = (np.pi - th) / (2 * np.pi)
    # E[relu(u)^2] = var / 2
    return sw2 * e_phi + sb2, sw2 * e_dphi, sw2 * a / 2 + sb2, sw2 * b / 2 + sb2


def _erf_step(c, a, b, sw2, sb2):
    den = np.sqrt(np.outer(1 + 2 * a, 1 + 2 * b))
    e_phi = (2 / np.pi) * np.arcsin(np.clip(2 * c / den, -1.0, 1.0))
    e_dphi = (4 / np.pi) / np.sqrt(np.maximum(den**2 - 4 * c**2, 1e-300))
    diag = lambda v: sw2 * (2 / np.pi) * np.arcsin(2 * v / (1 + 2 * v)) + sb2  # noqa: E731
    return sw2 * e_phi + sb2, sw2 * e_dphi, diag(a), diag(b)


# --------------------------------------------------------------------------- finite networks and the empirical NTK


def fc_network(kernel: FCKernel, in_dim: int, width: int, out_dim: int = 1, *, seed: int = 0):
    """A torch MLP in the NTK parameterisation whose infinite-width kernels are ``kernel``'s."""
    import torch

    for name, v in (("in_dim", in_dim), ("width", width), ("out_dim", out_dim)):
        if int(v) != v or v < 1:
            raise ValidationError(f"{name} must be a positive integer; got {v}")
    gen = torch.Generator().manual_seed(int(seed))
    return _fc_module_class()(kernel, int(in_dim), int(width), int(out_dim), gen)


@functools.cache
def _fc_module_class():
    import torch
    from torch import nn

    class FCNet(nn.Module):
        """``depth`` hidden layers, N(0, 1) parameters scaled in the forward pass (NTK parameterisation)."""

        def __init__(self, kernel, in_dim, width, out_dim, gen):
            super().__init__()
            dims = [in_dim] + [width] * kernel.depth + [out_dim]
            self.weights = nn.ParameterList(
                nn.Parameter(torch.randn(dims[i + 1], dims[i], generator=gen)) for i in range(len(dims) - 1)
            )
            self.biases = nn.ParameterList(
                nn.Parameter(torch.randn(dims[i + 1], generator=gen)) for i in range(len(dims) - 1)
            )
            self.sw, self.sb = math.sqrt(kernel.weight_var), math.sqrt(kernel.bias_var)
            self.normalise_inputs = kernel.normalise_inputs
            self.act = torch.relu if kernel.activation == "relu" else torch.erf

        def forward(self, x):
            h = x
            for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
                if i > 0:
                    h = self.act(h)
                fan_in = w.shape[1] if (i > 0 or self.normalise_inputs) else 1
                h = h @ w.T * (self.sw / math.sqrt(fan_in)) + self.sb * b
            return h

    return FCNet


def empirical_ntk(model: torch.nn.Module, x1, x2=None, *, reduce: str = "mean", chunk_size: int | None = None):
    """The empirical NTK ``Theta(x, x') = sum_p df(x)/dp df(x')/dp^T`` of any torch module at its current parameters.

    ``x1`` (n1, ...) and ``x2`` (n2, ...) are batches of inputs (tensors or arrays, the module's dtype).
    Per-sample Jacobians come from ``torch.func.jacrev`` vectorised by ``torch.func.vmap`` (no loop over
    samples; ``chunk_size`` bounds memory by vmapping that many samples at a time). ``reduce="mean"``
    averages the output-by-output blocks' diagonal, giving (n1, n2) (the quantity that tends to the
    analytic NTK as width grows); ``reduce="full"`` returns (n1, n2, out, out). Returns a torch tensor.
    """
    import torch
    from torch.func import functional_call, jacrev, vmap

    if reduce not in ("mean", "full"):
        raise ValidationError(f"reduce must be 'mean' or 'full'; got {reduce!r}")
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    if not params:
        raise ValidationError("the module has no trainable parameters, so its NTK is zero; unfreeze some parameters")
    dtype = next(iter(params.values())).dtype

    def as_tensor(x, name):
        t = torch.as_tensor(x, dtype=dtype)
        if t.ndim < 1 or t.shape[0] == 0:
            raise ValidationError(f"{name} must be a non-empty batch of inputs (n, ...); got shape {tuple(t.shape)}")
        return t

    def f_single(p, x):
        return functional_call(model, p, (x.unsqueeze(0),)).reshape(-1)

    def jac(x):
        j = vmap(jacrev(f_single), in_dims=(None, 0), chunk_size=chunk_size)(params, x)
        return [v.reshape(v.shape[0], v.shape[1], -1) for v in j.values()]  # each (n, out, P_i)

    t1 = as_tensor(x1, "x1")
    with torch.no_grad():
        j1 = jac(t1)
        j2 = j1 if x2 is None else jac(as_tensor(x2, "x2"))
        if reduce == "mean":
            return sum(torch.einsum("aop,bop->ab", u, v) for u, v in zip(j1, j2, strict=True)) / j1[0].shape[1]
        return sum(torch.einsum("aop,bqp->aboq", u, v) for u, v in zip(j1, j2, strict=True))


# --------------------------------------------------------------------------- the NTK Gaussian process


@dataclasses.dataclass
class GaussianPrediction:
    """Mean (n, out) and covariance (n, n) over test inputs; output coordinates are independent."""

    mean: np.ndarray
    cov: np.ndarray

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))


def ntk_gp(kernel: FCKernel, x_train, y_train, x_test, *, t: float = math.inf, lr: float = 1.0) -> GaussianPrediction:
    """Distribution of an infinitely wide network's outputs at ``x_test`` after gradient flow for time ``t``.

    Trained on ``(x_train, y_train)`` with MSE at learning rate ``lr`` (module doc: Lee et al. 2019, eq. 16).
    ``t=math.inf`` gives the converged network; ``t=0`` the prior (mean 0, covariance the NNGP kernel).
    """
    x_train = _check_inputs("x_train", x_train)
    x_test = _check_inputs("x_test", x_test)
    y = np.asarray(y_train, dtype=np.float64)
    y = y[:, None] if y.ndim == 1 else y
    if y.ndim != 2 or y.shape[0] != x_train.shape[0]:
        raise ValidationError(
            f"y_train must have one row per training input ({x_train.shape[0]}); got shape {np.shape(y_train)}"
        )
    if not (t >= 0 and lr > 0):
        raise ValidationError(f"need t >= 0 and lr > 0; got t={t}, lr={lr}")
    k_tt, th_tt = kernel(x_train)
    k_xt, th_xt = kernel(x_test, x_train)
    k_xx = kernel.nngp(x_test)
    lam, v = np.linalg.eigh(th_tt)
    if lam.min() <= 1e-12 * max(lam.max(), 1e-300) and math.isinf(t):
        raise ValidationError(
            "the NTK on the training inputs is singular (duplicate or collinear inputs?); "
            "remove duplicates or use a finite t"
        )
    lt = lr * lam * t if math.isfinite(t) else np.full_like(lam, np.inf)
    # (1 - exp(-lr lam t)) / lam, continued to lr t at lam -> 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = np.where(lt > 1e-8, -np.expm1(-lt) / np.where(lam > 0, lam, 1.0), lr * t if math.isfinite(t) else 0.0)
    e_t = (v * g) @ v.T
    a = th_xt @ e_t  # (n_test, n_train)
    mean = a @ y
    cross = a @ k_xt.T
    cov = k_xx + a @ k_tt @ a.T - cross - cross.T
    return GaussianPrediction(mean, 0.5 * (cov + cov.T))


def _cov_factor(cov: np.ndarray) -> np.ndarray:
    """A factor ``L`` with ``L L^T = cov`` for a PSD (possibly singular) covariance."""
    lam, v = np.linalg.eigh(cov)
    return v * np.sqrt(np.clip(lam, 0.0, None))


def sample_ensemble(pred: GaussianPrediction, n_members: int, n_draws: int = 1, *, seed: int = 0) -> np.ndarray:
    """Draws of the average of ``n_members`` independent networks: (n_draws, n_test, out) samples of N(mu, Sigma/M).

    ``n_members=1`` samples single networks. Exact for the infinite-width network (module doc), since the
    mean of ``M`` i.i.d. Gaussian draws is Gaussian with covariance divided by ``M``.
    """
    if int(n_members) != n_members or n_members < 1 or int(n_draws) != n_draws or n_draws < 1:
        raise ValidationError(f"n_members and n_draws must be positive integers; got {n_members}, {n_draws}")
    rng = np.random.default_rng(seed)
    fac = _cov_factor(pred.cov)
    n, out = pred.mean.shape
    z = rng.standard_normal((int(n_draws), fac.shape[1], out))
    return pred.mean[None] + np.einsum("ij,sjo->sio", fac, z) / math.sqrt(n_members)
