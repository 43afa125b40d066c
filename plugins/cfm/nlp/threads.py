"""How many BLAS/OpenMP threads enrichment uses per process (`nlp.threads`).

The USE encoder, the sentiment adapter (scikit-learn) and the topic fit all run on BLAS or
OpenMP thread pools that default to one thread per core. Enrichment runs as several
processes at once (mapped Airflow tasks over key ranges, other DAGs' tasks), and a pool
that spins waiting for a core another process holds is far slower than one thread: on the
shared 2-core bench machine (load ~15) the encoder ran 5-10x faster with 1 thread than
with 2, and the sentiment adapter's fit 13x faster (bench/results/enrichment_overhead.md).
So the default is 1; `nlp.threads: 0` uses every core, for a machine with one task on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


def thread_count(config: Mapping[str, Any] | None = None) -> int:
    """Threads per process from `nlp.threads` (0 or unset = all cores)."""
    n = int((config or {}).get("threads") or 0)
    return n if n > 0 else (os.cpu_count() or 1)


@contextmanager
def limited_threads(config: Mapping[str, Any] | None = None) -> Iterator[None]:
    """BLAS and OpenMP pools limited to `thread_count(config)` inside the block."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=thread_count(config)):
        yield
