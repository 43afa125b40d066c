"""Typeform sync throughput: N responses from the local fake API into a scratch PostgreSQL database.

Usage: PYTHONPATH=plugins python bench/sources_typeform.py [N] (default 2000; admin URL from
CFM_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres).
Pages of 1000 (Typeform's maximum); real HTTP on loopback, real COPY + upsert.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta

from bench_db import scratch_warehouse

from cfm.pipeline.ingest import sync_source
from cfm.sources.typeform import TypeformSource
from cfm.testing.fake_apis.typeform import TOKEN, TypeformDataset, build_server


def dataset(n: int) -> TypeformDataset:
    data = TypeformDataset(forms={"B1": {"id": "B1", "title": "Bench", "settings": {"language": "en"}, "fields": [
        {"id": "nps", "ref": "nps", "title": "Recommend?", "type": "nps"},
        {"id": "why", "ref": "why", "title": "Why?", "type": "long_text"}]}})
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for i in range(n):
        when = (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        data.add("B1", {"token": f"t{i:07d}", "response_id": f"t{i:07d}", "landed_at": when, "submitted_at": when,
                        "hidden": {"customer_id": f"C{i}"}, "metadata": {"platform": "other"}, "answers": [
                            {"field": {"id": "nps", "type": "nps"}, "type": "number", "number": i % 11},
                            {"field": {"id": "why", "type": "long_text"}, "type": "text", "text": f"reason number {i} " * 4}]})
    return data


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    admin = os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    os.environ["CFM_TYPEFORM_TOKEN"] = TOKEN
    with scratch_warehouse(admin) as url:
        with build_server(dataset(n)) as server:
            source = TypeformSource({"base_url": server.base_url, "forms": ["B1"], "page_size": 1000, "lag_minutes": 0})
            started = time.perf_counter()
            counts = sync_source(url, source, run_id="bench")
            seconds = time.perf_counter() - started
        assert counts["inserted"] == n, counts
        print(f"typeform: {n} responses in {seconds:.2f} s = {n / seconds:,.0f} records/s "
              f"({len([r for r in server.requests if r.path.endswith('/responses')])} pages)")


if __name__ == "__main__":
    main()
