"""The configuration of :class:`dynlearn.models.sindy.SINDy`, and delay embedding."""

from __future__ import annotations

import dataclasses

import numpy as np

from dynlearn.config import ModelConfig
from dynlearn.errors import UnknownNameError, ValidationError
from dynlearn.models._sindy_derivatives import DERIVATIVES
from dynlearn.models._sindy_library import CustomLibrary, build_library
from dynlearn.models._sindy_optimizers import OPTIMIZERS

_ENSEMBLES = ("none", "bagging", "library", "both")


@dataclasses.dataclass
class SINDyConfig(ModelConfig):
    """Hyper-parameters of :class:`SINDy`.

    Library: ``library`` spec (``"poly"``, ``"fourier"``, ``"poly+fourier"``,
    ``"poly*fourier"``, registered function names such as ``"poly+exp"``),
    ``degree`` of ``poly``, ``n_frequencies`` of ``fourier``, ``include_bias``
    (the constant term), ``use_inputs`` (library on ``(x, u)``, the
    trajectories' ``inputs``). ``discrete_time``: learn a map
    ``x_{k+1} = f(x_k)`` instead of an ODE.
    Regression rows (``derivative``, a name in ``DERIVATIVES``): ``"fd"``
    finite differences of order ``fd_order`` (2, 4, 6, 8); ``"smoothed_fd"``
    (Savitzky-Golay smoothing of window ``smoother_window``, then ``fd``);
    ``"spectral"`` (Fourier, ``spectral_edge`` of the rows dropped at each
    end); ``"weak"`` (the integral form on windows of ``weak_window``
    samples with test functions ``(1 - u²)^weak_power``). The default, the weak
    form, was the most accurate on 10 catalog flows at 30 points per period
    (docs/models-classical.md); ``fd`` of order 2 is pysindy's default.
    Optimiser (``optimizer``, a name in ``OPTIMIZERS``): ``"stlsq"``
    (``threshold``, ridge ``alpha``, ``max_iter``) or ``"sr3"`` (``threshold``
    λ, relaxation ``nu``, ``regularizer`` l0/l1); ``unbias`` refits the
    selected terms by least squares; ``normalize_columns`` thresholds in units
    of unit-norm library columns.
    Ensembles: ``ensemble`` none/bagging/library/both, ``n_models``,
    ``n_drop`` terms dropped per library-bagging model, ``aggregate``
    median/mean. Delay embedding: ``embed`` coordinates per observed
    variable (1: none), ``embed_lag`` samples apart. ``substeps``: least RK4
    steps per sampling step when forecasting (more are taken, ``n_substeps_``,
    when the learned field is stiff: ``h L <= 1`` with L its largest Jacobian
    norm on the training states); ``backend``: for pure polynomial libraries, ``"numpy"``
    (the learned equations generated as Python code, no compiler), ``"numba"``
    (one compiled RK4 loop, cached on disk) or ``"auto"`` (whichever is
    expected to finish first: numba's import and kernel load cost about a
    second in a fresh process, so short forecasts run as Python); both give
    the same numbers. Other libraries always use the numpy integrator.
    ``custom_library``: a :class:`CustomLibrary` of Python functions that
    replaces ``library`` (Python only; such a model cannot be saved).
    """

    library: str = "poly"
    degree: int = 2
    n_frequencies: int = 1
    include_bias: bool = True
    use_inputs: bool = False
    discrete_time: bool = False
    derivative: str = "weak"
    fd_order: int = 8
    smoother_window: int = 11
    spectral_edge: float = 0.02
    weak_window: int = 15
    weak_power: int = 6
    optimizer: str = "stlsq"
    threshold: float = 0.1
    alpha: float = 0.05
    max_iter: int = 20
    nu: float = 1.0
    regularizer: str = "l0"
    normalize_columns: bool = False
    unbias: bool = True
    ensemble: str = "none"
    n_models: int = 20
    n_drop: int = 1
    aggregate: str = "median"
    embed: int = 1
    embed_lag: int = 1
    substeps: int = 1
    backend: str = "auto"
    custom_library: CustomLibrary | None = None

    def validate(self):
        if self.custom_library is not None and not isinstance(self.custom_library, CustomLibrary):
            raise ValidationError(
                f"sindy: custom_library must be a CustomLibrary built in Python, got {self.custom_library!r}; "
                "from the CLI or a suite file, name registered function families in 'library' instead"
            )
        checks = [
            (self.degree >= 1, f"degree must be >= 1, got {self.degree}"),
            (self.n_frequencies >= 1, f"n_frequencies must be >= 1, got {self.n_frequencies}"),
            (
                self.derivative in DERIVATIVES,
                f"derivative must be one of {DERIVATIVES.names()}, got {self.derivative!r}",
            ),
            (self.fd_order in (2, 4, 6, 8), f"fd_order must be 2, 4, 6 or 8, got {self.fd_order}"),
            (
                self.smoother_window >= 5 and self.smoother_window % 2 == 1,
                f"smoother_window must be odd and >= 5, got {self.smoother_window}",
            ),
            (0 <= self.spectral_edge < 0.5, f"spectral_edge must be in [0, 0.5), got {self.spectral_edge}"),
            (
                self.weak_window >= 5 and self.weak_window % 2 == 1,
                f"weak_window must be odd and >= 5, got {self.weak_window}",
            ),
            (self.weak_power >= 2, f"weak_power must be >= 2, got {self.weak_power}"),
            (
                self.optimizer in OPTIMIZERS,
                f"optimizer must be one of {OPTIMIZERS.names()}, got {self.optimizer!r}",
            ),
            (self.threshold >= 0, f"threshold must be >= 0, got {self.threshold}"),
            (self.alpha >= 0, f"alpha must be >= 0, got {self.alpha}"),
            (self.max_iter >= 1, f"max_iter must be >= 1, got {self.max_iter}"),
            (self.nu > 0, f"nu must be > 0, got {self.nu}"),
            (self.regularizer in ("l0", "l1"), f"regularizer must be 'l0' or 'l1', got {self.regularizer!r}"),
            (self.ensemble in _ENSEMBLES, f"ensemble must be one of {_ENSEMBLES}, got {self.ensemble!r}"),
            (self.n_models >= 2, f"n_models must be >= 2, got {self.n_models}"),
            (self.n_drop >= 1, f"n_drop must be >= 1, got {self.n_drop}"),
            (self.aggregate in ("median", "mean"), f"aggregate must be 'median' or 'mean', got {self.aggregate!r}"),
            (self.embed >= 1, f"embed must be >= 1 (1: no delay embedding), got {self.embed}"),
            (self.embed_lag >= 1, f"embed_lag must be >= 1, got {self.embed_lag}"),
            (not (self.embed > 1 and self.use_inputs), "embed > 1 cannot be combined with use_inputs=true"),
            (self.substeps >= 1, f"substeps must be >= 1, got {self.substeps}"),
            (self.backend in ("auto", "numpy", "numba"), f"backend must be auto/numpy/numba, got {self.backend!r}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValidationError(f"sindy: {msg}")
        # parse the spec once so a typo fails at creation, not after a long fit
        try:
            build_library(self.library, 1, degree=1, n_frequencies=1)
        except UnknownNameError as exc:
            raise ValidationError(f"sindy: library {self.library!r}: {exc}") from None


def delay_embed(x: np.ndarray, m: int, lag: int) -> np.ndarray:
    """Rows ``(x_t, x_{t-lag}, ..., x_{t-(m-1)lag})`` for every t with a full history:
    ``(n - (m-1) lag, d m)``, the coordinates of each delay side by side."""
    span = (m - 1) * lag
    return np.concatenate([x[span - j * lag : len(x) - j * lag] for j in range(m)], axis=1)
