"""SurveyMonkey sync throughput: N responses from the local fake API into a scratch PostgreSQL database.

Usage: PYTHONPATH=plugins python bench/sources_surveymonkey.py [N] (default 2000; admin URL from
CFM_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres).
Pages of 100 (SurveyMonkey's documented maximum for /responses/bulk); real HTTP on loopback.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta

from bench_db import scratch_warehouse

from cfm.pipeline.ingest import sync_source
from cfm.sources.surveymonkey import SurveyMonkeySource
from cfm.testing.fake_apis.surveymonkey import TOKEN, SurveyMonkeyDataset, build_server


def dataset(n: int) -> SurveyMonkeyDataset:
    details = {"id": "B1", "title": "Bench", "pages": [{"id": "p", "questions": [
        {"id": "q1", "family": "matrix", "subtype": "nps", "headings": [{"heading": "Recommend?"}],
         "answers": {"rows": [{"id": "r"}], "choices": [{"id": f"c{k}", "text": str(k), "position": k + 1} for k in range(11)]}},
        {"id": "q2", "family": "open_ended", "headings": [{"heading": "Why?"}]}]}]}
    data = SurveyMonkeyDataset(details={"B1": details})
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for i in range(n):
        when = (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        data.add("B1", {"id": str(100000 + i), "survey_id": "B1", "response_status": "completed", "date_created": when,
                        "date_modified": when, "language": "en", "custom_variables": {}, "pages": [{"id": "p", "questions": [
                            {"id": "q1", "answers": [{"choice_id": f"c{i % 11}", "row_id": "r"}]},
                            {"id": "q2", "answers": [{"text": f"reason number {i} " * 4}]}]}]})
    return data


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    admin = os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    os.environ["CFM_SURVEYMONKEY_TOKEN"] = TOKEN
    with scratch_warehouse(admin) as url:
        with build_server(dataset(n)) as server:
            source = SurveyMonkeySource({"base_url": server.base_url + "/v3", "surveys": ["B1"], "per_page": 100})
            started = time.perf_counter()
            counts = sync_source(url, source, run_id="bench")
            seconds = time.perf_counter() - started
        assert counts["inserted"] == n, counts
        pages = len([r for r in server.requests if r.path.endswith("/bulk")])
        print(f"surveymonkey: {n} responses in {seconds:.2f} s = {n / seconds:,.0f} records/s ({pages} pages)")


if __name__ == "__main__":
    main()
