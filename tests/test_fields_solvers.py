"""The pseudo-spectral solvers of dynlearn.fields against known solutions and their own invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")

from dynlearn.errors import DivergenceError, ValidationError  # noqa: E402
from dynlearn.fields import spectral  # noqa: E402


def _grid(n):
    x = np.arange(n) * 2 * np.pi / n
    return np.meshgrid(x, x, indexing="ij")


@pytest.mark.parametrize("k", [1, 3])
def test_taylor_green_vortex_decays_at_the_exact_rate(k):
    X, Y = _grid(32)
    w0 = 2 * k * np.sin(k * X) * np.sin(k * Y)  # psi = sin(kx) sin(ky) / k: the advection vanishes
    nu = 0.05
    t, w = spectral.navier_stokes_2d(w0, nu=nu, dt=0.02, n_steps=100, save_every=50)
    for i, ti in enumerate(t):
        exact = w0 * np.exp(-2 * nu * k * k * ti)
        assert np.abs(w[0, i] - exact).max() <= 1e-12 * np.abs(w0).max()


def test_navier_stokes_is_fourth_order_in_time_on_a_turbulent_field():
    w0 = spectral.random_vorticity(1, 32, seed=3, rms=2.0)
    ref = spectral.navier_stokes_2d(w0, nu=2e-3, dt=0.0025, n_steps=200, save_every=200)[1][0, -1]
    errs = []
    for dt in (0.02, 0.01):
        m = round(0.5 / dt)
        errs.append(
            np.abs(spectral.navier_stokes_2d(w0, nu=2e-3, dt=dt, n_steps=m, save_every=m)[1][0, -1] - ref).max()
        )
    order = math.log2(errs[0] / errs[1])
    assert order > 3.3, errs


def test_inviscid_flow_keeps_its_energy_and_enstrophy():
    w0 = spectral.random_vorticity(2, 32, seed=4, rms=1.0)
    _, out = spectral.navier_stokes_2d(w0, nu=0.0, dt=0.01, n_steps=200, save_every=200, with_velocity=True)
    w, u, v = out[:, :, 0], out[:, :, 1], out[:, :, 2]
    enstrophy = (w**2).mean(axis=(2, 3))
    energy = (u**2 + v**2).mean(axis=(2, 3))
    assert np.allclose(enstrophy[:, -1], enstrophy[:, 0], rtol=1e-5)
    assert np.allclose(energy[:, -1], energy[:, 0], rtol=1e-5)
    # the velocity is divergence-free and its curl is the vorticity (spectral derivatives)
    kx = np.fft.fftfreq(32, 1 / 32)[:, None]
    ky = np.fft.fftfreq(32, 1 / 32)[None, :]
    uh, vh = np.fft.fft2(u[0, -1]), np.fft.fft2(v[0, -1])
    assert np.abs(np.fft.ifft2(1j * kx * uh + 1j * ky * vh)).max() < 1e-10
    assert np.abs(np.fft.ifft2(1j * kx * vh - 1j * ky * uh).real - w[0, -1]).max() < 1e-8


def test_batch_members_take_their_own_viscosity():
    X, Y = _grid(16)
    w0 = 2 * np.sin(X) * np.sin(Y)
    t, w = spectral.navier_stokes_2d(np.stack([w0, w0]), nu=[0.01, 0.1], dt=0.05, n_steps=20, save_every=20)
    for i, nu in enumerate([0.01, 0.1]):
        assert np.abs(w[i, -1] - w0 * np.exp(-2 * nu * t[-1])).max() < 1e-12


def test_burgers_matches_the_cole_hopf_solution():
    n, nu = 64, 0.1
    x = np.arange(n) * 2 * np.pi / n

    def exact(t):  # u = -2 nu phi_x / phi with phi = 2 + exp(-nu t) cos x solving the heat equation
        e = np.exp(-nu * t)
        return 2 * nu * e * np.sin(x) / (2 + e * np.cos(x))

    t, u = spectral.burgers_1d(exact(0.0), nu=nu, dt=0.05, n_steps=40, save_every=10)
    for i, ti in enumerate(t):
        assert np.abs(u[0, i] - exact(ti)).max() < 1e-9


def test_kuramoto_sivashinsky_converges_at_fourth_order():
    n = 64
    x = 16 * np.pi * np.arange(n) / n
    u0 = np.cos(x / 8) * (1 + np.sin(x / 8))
    kw = {"length": 16 * np.pi}
    ref = spectral.kuramoto_sivashinsky_1d(u0, dt=1 / 32, n_steps=320, save_every=320, **kw)[1][0, -1]
    errs = [
        np.abs(
            spectral.kuramoto_sivashinsky_1d(u0, dt=dt, n_steps=round(10 / dt), save_every=round(10 / dt), **kw)[1][
                0, -1
            ]
            - ref
        ).max()
        for dt in (0.5, 0.25)
    ]
    assert math.log2(errs[0] / errs[1]) > 3.3, errs


def test_an_unstable_step_is_refused_with_the_largest_stable_one():
    w0 = spectral.random_vorticity(1, 32, seed=0, rms=5.0)
    with pytest.raises(ValidationError, match=r"unstable.*largest stable step is about"):
        spectral.navier_stokes_2d(w0, nu=1e-3, dt=1.0, n_steps=1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: spectral.navier_stokes_2d(np.zeros((4, 4)), nu=0.1, dt=0.1, n_steps=1), "too small"),
        (lambda: spectral.navier_stokes_2d(np.zeros((16, 8)), nu=0.1, dt=0.1, n_steps=1), "square grid"),
        (lambda: spectral.navier_stokes_2d(np.full((16, 16), np.nan), nu=0.1, dt=0.1, n_steps=1), "NaN"),
        (
            lambda: spectral.navier_stokes_2d(np.zeros((2, 16, 16)), nu=[0.1, 0.2, 0.3], dt=0.1, n_steps=1),
            "one value per batch",
        ),
        (lambda: spectral.burgers_1d(np.zeros(16), nu=-1.0, dt=0.1, n_steps=1), "nu must be >= 0"),
        (lambda: spectral.burgers_1d(np.zeros(16), nu=0.1, dt=0.0, n_steps=1), "dt must be a positive"),
    ],
)
def test_bad_input_is_named(call, match):
    with pytest.raises(ValidationError, match=match):
        call()


def test_a_diverging_run_reports_the_member_and_step():
    import torch

    v0 = torch.zeros((2, 5), dtype=torch.complex128)
    L = torch.zeros((2, 5), dtype=torch.complex128)

    def N(v):
        out = torch.zeros_like(v)
        out[1] = float("nan")
        return out

    with pytest.raises(DivergenceError, match=r"member\(s\) \[1\].*step 3"):
        spectral._run(v0, L, N, 0.1, 5, 3, lambda v: torch.fft.irfft(v, n=8), "float64", "test")


def test_single_precision_follows_double_to_its_rounding():
    X, Y = _grid(32)
    w0 = 2 * np.sin(X) * np.sin(Y)
    t, w = spectral.navier_stokes_2d(w0, nu=0.05, dt=0.02, n_steps=100, save_every=100, dtype="float32")
    assert w.dtype == np.float32
    assert np.abs(w[0, -1] - w0 * np.exp(-2 * 0.05 * t[-1])).max() < 1e-5 * np.abs(w0).max()
    w0 = spectral.random_vorticity(2, 32, seed=5)
    kw = {"nu": 0.01, "dt": 0.01, "n_steps": 50, "save_every": 50}
    single = spectral.navier_stokes_2d(w0, dtype="float32", **kw)[1][:, -1]
    double = spectral.navier_stokes_2d(w0, **kw)[1][:, -1]
    assert np.abs(single - double).max() < 1e-5 * np.abs(double).max()
    with pytest.raises(ValidationError, match="dtype"):
        spectral.burgers_1d(np.zeros(16), nu=0.1, dt=0.1, n_steps=1, dtype="float16")
