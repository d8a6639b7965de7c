"""Old private name of :mod:`dynlearn.models.window_model`, kept importable."""

from dynlearn.models.window_model import (  # noqa: F401
    Standardized,
    WindowConfig,
    WindowModel,
    check_loss,
    make_optimizer,
    optimizer_step,
    rollout,
)
