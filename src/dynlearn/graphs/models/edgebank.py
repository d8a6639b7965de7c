"""EdgeBank (Poursafaei et al. 2022): a link is predicted iff it has been seen before.

``score(s, d, t) = 1`` if the pair ``(s, d)`` occurred in the history before ``t`` (within the last
``window`` time units when ``window`` is set), else ``0``. No parameters: it is the memorisation
baseline every temporal-graph model must beat, and it is perfect on repeated edges and blind to new
ones. Its many ties are why the evaluator's tie rule matters (see :mod:`dynlearn.graphs.evaluate`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dynlearn.graphs.models import register
from dynlearn.graphs.models.base import LinkConfig, LinkPredictor


@dataclasses.dataclass
class EdgeBankConfig(LinkConfig):
    #: remember a pair for this long after its last occurrence; ``None`` = forever
    window: float | None = None


@register("edgebank")
class EdgeBank(LinkPredictor):
    name = "edgebank"
    Config = EdgeBankConfig
    trainable = False

    def _begin(self, stream) -> None:
        self._last: dict[tuple[int, int], float] = {}

    def _observe(self, src, dst, t) -> None:
        self._last.update(zip(zip(src.tolist(), dst.tolist(), strict=True), t.tolist(), strict=True))

    def _score(self, src, dst, t) -> np.ndarray:
        last = self._last
        w = self.config.window
        rows = []
        for s, ds, ti in zip(src.tolist(), dst.tolist(), t.tolist(), strict=True):
            got = [last.get((s, d)) for d in ds]
            rows.append([0.0 if g is None or (w is not None and ti - g > w) else 1.0 for g in got])
        return np.asarray(rows, dtype=np.float64).reshape(dst.shape)
