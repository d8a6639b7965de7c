"""A model whose worker process dies the first time it fits: registered only by the worker-death tests."""

import os
from pathlib import Path

from dynlearn.models import register
from dynlearn.models.baselines import Persistence


@register("dying_persistence")
class DyingPersistence(Persistence):
    """Persistence that kills its own process (as the OOM killer would) on the first fit of each seed.

    The marker files go to ``$DYNLEARN_TEST_DIE_DIR``; a second attempt finds its marker and fits,
    unless ``$DYNLEARN_TEST_DIE_ALWAYS`` is set."""

    def _fit(self, trajectories):
        marker = Path(os.environ["DYNLEARN_TEST_DIE_DIR"]) / f"died-{self.config.seed}"
        if not marker.exists() or os.environ.get("DYNLEARN_TEST_DIE_ALWAYS"):
            marker.touch()
            os._exit(1)
        return super()._fit(trajectories)
