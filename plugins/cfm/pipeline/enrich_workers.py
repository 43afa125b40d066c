"""Enrich the backlog in `enrich.workers` processes at once, outside Airflow (`cfm run`, benches).

The backlog is planned into disjoint key ranges once (`plan_ranges`: customers keyed, boundaries
picked by the warehouse), then a pool of spawned processes runs them as the mapped Airflow tasks
do (`run_range`), each process with one BLAS thread (`nlp.threads: 1`). Two threads in one
process encoded about as fast as one at 1M records (bench/results/scale.md: 410 s vs 439 s) and
5-8x slower on a loaded machine (encode_threads.md), while the steps around the encoder are
single-threaded Python: one process per core keeps every core busy (2 workers 1.20x as fast as
1, enrich_workers.md). Ranges never overlap, so no record is enriched twice; the advisory lock
in `enrich_feedback` makes the first topic fit happen once, and each worker logs its progress
(its process name and key range on each line).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

RANGES_PER_WORKER = 8  # more ranges than workers: a worker that finishes early takes the next one

_barrier: Any = None


def worker_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config a worker runs with: one BLAS thread per process."""
    return {**config, "nlp": {**(config.get("nlp") or {}), "threads": 1}}


def _init_worker(level: int, barrier: Any) -> None:
    global _barrier
    _barrier = barrier
    logging.basicConfig(level=level, format="%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _warm(config: dict[str, Any]) -> tuple[int, float]:
    from cfm.nlp.settings import nlp_config
    from cfm.nlp.steps import load_models

    load_models(nlp_config(config.get("nlp") or {}))
    _barrier.wait(timeout=600)  # every worker takes one: all of them are started and loaded
    return os.getpid(), _peak_mb()


def _run_range(url: str, run_id: str, key_range: dict[str, str | None], config: dict[str, Any]
               ) -> tuple[int, float, dict[str, Any]]:
    from cfm.nlp.step_timer import STEP_SECONDS
    from cfm.pipeline.enrich import run_range

    before = dict(STEP_SECONDS)
    counts = run_range(url, run_id, key_range, config=config)
    steps = {k: round(v - before.get(k, 0.0), 3) for k, v in STEP_SECONDS.items()}
    return os.getpid(), _peak_mb(), {**counts, "step_seconds": steps}


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` spawned processes (spawn: no copy of this process's models or connections)."""
    ctx = multiprocessing.get_context("spawn")
    level = logging.getLogger().getEffectiveLevel()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(level, ctx.Barrier(workers))) as pool:
        yield pool


def warm_up(pool: Executor, workers: int, config: Mapping[str, Any]) -> None:
    """Start every worker and load its models (so a bench can start its clock after)."""
    for f in [pool.submit(_warm, worker_config(config)) for _ in range(workers)]:
        f.result()


def enrich_in_workers(url: str, run_id: str, *, config: dict[str, Any], workers: int | None = None,
                      pool: Executor | None = None, progress: bool = False) -> dict[str, Any]:
    """Plan the backlog into key ranges and enrich them in `workers` (default `enrich.workers`) processes.

    Each worker gets at least `enrich.min_records_per_worker` records: a smaller backlog takes fewer
    workers, and one range is enriched in this process.

    Returns the summed counts of the ranges (as `enrich_new_records` does), the plan's counts,
    `workers`, `workers_peak_mb` (the peak RSS of the workers, summed) and, from worker processes,
    `step_seconds`: each enrichment step's seconds (cfm.nlp.step_timer) summed over the ranges.
    """
    from cfm.config import enrich_config
    from cfm.pipeline.enrich import enrich_new_records, plan_ranges_counted

    cfg = enrich_config(config)
    n = workers or cfg.workers
    ranges, planned = plan_ranges_counted(url, run_id, config=config, min_parts=n, max_parts=n * RANGES_PER_WORKER,
                                          min_records=cfg.min_records_per_worker)
    n = min(n, len(ranges))
    log.info("[enrich] %d range(s) over %d worker process(es)", len(ranges), n)
    if n == 1 and pool is None:  # a small backlog: enriched here, not worth starting processes and loading models
        counts = enrich_new_records(url, run_id, config=config, key_range=ranges[0], key_customers=False,
                                    progress=progress)
        results = [(os.getpid(), _peak_mb(), counts)]
    elif pool is None:
        with worker_pool(n) as own:
            results = _run_all(own, url, run_id, ranges, worker_config(config))
    else:
        results = _run_all(pool, url, run_id, ranges, worker_config(config))
    totals: dict[str, Any] = {k: v for k, v in planned.items() if k not in ("ranges",)}
    totals.update(items=0, suppressed=0, ids_pseudonymised=0, ranges=len(ranges), workers=n)
    peaks: dict[int, float] = {}
    steps: dict[str, float] = {}
    for pid, peak, counts in results:
        peaks[pid] = max(peaks.get(pid, 0.0), peak)
        for step, secs in (counts.get("step_seconds") or {}).items():
            steps[step] = round(steps.get(step, 0.0) + secs, 3)
        for name, value in counts.items():
            if name == "topics":  # the active count after the last chunk; every other count adds up
                totals[name] = max(value, totals.get(name, 0))
            elif isinstance(value, int):
                totals[name] = totals.get(name, 0) + value
    totals["workers_peak_mb"] = round(sum(peaks.values()))
    if steps:
        totals["step_seconds"] = steps
    return totals


def _run_all(pool: Executor, url: str, run_id: str, ranges: list[dict[str, str | None]],
             config: dict[str, Any]) -> list[tuple[int, float, dict[str, Any]]]:
    futures = [pool.submit(_run_range, url, run_id, r, config) for r in ranges]
    results: list[tuple[int, float, dict[str, Any]]] = []
    try:
        for f in as_completed(futures):
            results.append(f.result())
            pid, _, counts = results[-1]
            log.info("[enrich] worker %d finished a range of %d records (%d of %d ranges done)",
                     pid, counts.get("items", 0), len(results), len(futures))
    except BaseException:
        for f in futures:  # ranges not started yet stay for the next run
            f.cancel()
        raise
    return results
