"""``torch_threads(n)``: run a block with ``n`` torch intra-op threads, restoring the caller's count.

Small tensor operations (a few thousand particles, a short sequence, a 64-wide network) are slower with
several intra-op threads than with one, and much slower when the cores are shared: the threads
spin-wait for each other on every operation (measured on the MPM: 16x slower with 2 threads on a
loaded 2-core machine, ``docs/performance.md``). Code whose operations are small runs them in one thread
and leaves parallelism to the level above (scenes, seeds, processes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Set ``torch.set_num_threads(n)`` inside the block (``None`` or 0: leave it as it is)."""
    if not n:
        yield
        return
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


__all__ = ["torch_threads"]
