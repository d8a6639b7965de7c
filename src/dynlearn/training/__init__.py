"""Training regimes that are not a model's own business.

``shooting``: multiple-shooting segments and loss (used by ``neural_ode``).

``teacher_forcing``: plain BPTT, (sparse) teacher forcing and generalized teacher
forcing (Hess et al., ICML 2023) for any recurrent torch model exposing the small
:class:`Recurrent` protocol, and the :func:`train` loop they share.

>>> from dynlearn.training import GeneralizedTeacherForcing, train
>>> history = train(module, standardised_states, GeneralizedTeacherForcing(), epochs=50)

This package imports no model code, so models may use it in their ``fit``.
"""

from dynlearn.training.shooting import Segments, segments, shooting_loss
from dynlearn.training.teacher_forcing import (
    BPTT,
    GeneralizedTeacherForcing,
    History,
    Recurrent,
    TeacherForcing,
    gradient_norm,
    make_regime,
    sample_windows,
    train,
)

__all__ = [
    "BPTT",
    "GeneralizedTeacherForcing",
    "History",
    "Recurrent",
    "Segments",
    "TeacherForcing",
    "gradient_norm",
    "make_regime",
    "sample_windows",
    "segments",
    "shooting_loss",
    "train",
]
