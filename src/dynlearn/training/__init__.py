"""Training regimes that are not a model's own business.

``shooting``: multiple-shooting segments and loss (used by ``neural_ode``);
``early_stopping``: the held-out tail and the patience rule (used by the neural models).

``regimes``: plain BPTT, (sparse) teacher forcing and generalized teacher forcing
(Hess et al., ICML 2023) for any recurrent torch model exposing the small
:class:`Recurrent` protocol; ``windows``: the random training windows; ``loop``:
the :func:`train` loop they share and :func:`gradient_norm`.

>>> from dynlearn.training import GeneralizedTeacherForcing, train
>>> history = train(module, standardised_states, GeneralizedTeacherForcing(), epochs=50)

This package imports no model code, so models may use it in their ``fit``.
"""

from dynlearn.training.loop import History, gradient_norm, train
from dynlearn.training.regimes import (
    BPTT,
    GeneralizedTeacherForcing,
    Recurrent,
    TeacherForcing,
    forced_rollout,
    make_regime,
)
from dynlearn.training.shooting import Segments, segments, shooting_loss
from dynlearn.training.windows import sample_windows

__all__ = [
    "BPTT",
    "GeneralizedTeacherForcing",
    "History",
    "Recurrent",
    "Segments",
    "TeacherForcing",
    "forced_rollout",
    "gradient_norm",
    "make_regime",
    "sample_windows",
    "segments",
    "shooting_loss",
    "train",
]
