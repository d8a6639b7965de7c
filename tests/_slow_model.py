"""A deliberately slow model, registered only by the tests that interrupt or kill a run."""

import os
import time
from pathlib import Path

from dynlearn.models import register
from dynlearn.models.baselines import Persistence


@register("slow_persistence")
class SlowPersistence(Persistence):
    """Persistence that takes 0.25 s (or $DYNLEARN_SLOW_FIT s) to fit, so a run can be killed mid-way.

    With $DYNLEARN_TEST_PID_DIR set, the process fitting holds a file named by its pid there
    while it fits, so a test can kill a worker in the middle of a cell."""

    def _fit(self, trajectories):
        folder = os.environ.get("DYNLEARN_TEST_PID_DIR")
        mark = Path(folder) / str(os.getpid()) if folder else None
        if mark is not None:
            mark.touch()
        time.sleep(float(os.environ.get("DYNLEARN_SLOW_FIT", "0.25")))
        if mark is not None:
            mark.unlink(missing_ok=True)
        return super()._fit(trajectories)
