"""Qualtrics sync throughput: N responses exported by the local fake API into a scratch PostgreSQL database.

Usage: PYTHONPATH=plugins python bench/sources_qualtrics.py [N] (default 2000; admin URL from
CFM_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres).
One export job (start, one poll, ZIP download), parsed and landed in batches of 500. The
poll interval is set to 0 so the figure measures our side, not Qualtrics' job time.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta

from bench_db import scratch_warehouse

from cfm.pipeline.ingest import sync_source
from cfm.sources.qualtrics import QualtricsSource
from cfm.testing.fake_apis.qualtrics import TOKEN, QualtricsDataset, build_server


def dataset(n: int) -> QualtricsDataset:
    data = QualtricsDataset(definitions={"SV_B": {"SurveyID": "SV_B", "SurveyName": "Bench", "Questions": {
        "QID1": {"QuestionText": "Recommend?", "QuestionType": "MC", "Selector": "NPS"},
        "QID2": {"QuestionText": "Why?", "QuestionType": "TE"}}}}, polls_needed=1)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for i in range(n):
        when = (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        score = i % 11
        data.add("SV_B", {"responseId": f"R_{i:08d}", "values": {
            "recordedDate": when, "startDate": when, "endDate": when, "finished": 1, "userLanguage": "EN",
            "QID1": score, "QID1_NPS_GROUP": 1 if score <= 6 else 2 if score <= 8 else 3,
            "QID2_TEXT": f"reason number {i} " * 4}, "labels": {}})
    return data


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    admin = os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    os.environ["CFM_QUALTRICS_TOKEN"] = TOKEN
    with scratch_warehouse(admin) as url:
        with build_server(dataset(n)) as server:
            source = QualtricsSource({"base_url": server.base_url + "/API/v3", "surveys": ["SV_B"],
                                      "poll_interval_seconds": 0})
            started = time.perf_counter()
            counts = sync_source(url, source, run_id="bench")
            seconds = time.perf_counter() - started
        assert counts["inserted"] == n, counts
        print(f"qualtrics: {n} responses in {seconds:.2f} s = {n / seconds:,.0f} records/s (1 export job)")


if __name__ == "__main__":
    main()
