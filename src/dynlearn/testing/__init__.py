"""Conformance kits: public checks that tell an implementer exactly what they got wrong.

``check_system(MySystem)`` holds a dynamical system (or a catalog name) to the
:class:`dynlearn.systems.System` protocol, as scikit-learn's
``check_estimator`` does for estimators; ``system_checks`` gives the same
checks one by one for pytest. :mod:`dynlearn.testing.checks` is the small
runner the kits are built on.
"""

from dynlearn.testing.systems import check_system

__all__ = ["check_system"]
