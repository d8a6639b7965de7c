"""A deliberately slow model, registered only by the subprocess of the kill test."""

import os
import time

from dynlearn.models import register
from dynlearn.models.baselines import Persistence


@register("slow_persistence")
class SlowPersistence(Persistence):
    """Persistence that takes 0.25 s (or $DYNLEARN_SLOW_FIT s) to fit, so a run can be killed mid-way."""

    def _fit(self, trajectories):
        time.sleep(float(os.environ.get("DYNLEARN_SLOW_FIT", "0.25")))
