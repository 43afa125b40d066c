"""Wall-clock seconds spent in each enrichment step, summed per process (for benchmarks and logs).

`with timed("language"): ...` adds the block's seconds to STEP_SECONDS["language"]. Cheap
(two perf_counter calls per step and batch), so it is always on; bench/enrichment_overhead.py
reads it to show where enrichment time goes beside the embedding itself.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

STEP_SECONDS: Counter[str] = Counter()


@contextmanager
def timed(step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        STEP_SECONDS[step] += time.perf_counter() - started
