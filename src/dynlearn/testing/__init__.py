"""Conformance kits: public checks that tell an implementer exactly what they got wrong.

``check_model(MyModel)`` holds a dynamics model to the :class:`dynlearn.models.Model`
protocol and ``check_system(MySystem)`` a dynamical system (or a catalog name) to the
:class:`dynlearn.systems.System` protocol, as scikit-learn's ``check_estimator`` does for
estimators; ``model_checks`` and ``system_checks`` give the same checks one by one for
pytest. :mod:`dynlearn.testing.checks` is the small runner every kit is built on, for
later protocols to reuse.
"""

from dynlearn.testing.checks import CheckFailed, CheckSuite, ConformanceError, expect
from dynlearn.testing.models import check_model, model_checks
from dynlearn.testing.systems import check_system

__all__ = [
    "CheckFailed",
    "CheckSuite",
    "ConformanceError",
    "check_model",
    "check_system",
    "expect",
    "model_checks",
]
