"""Sync throughput of the App Store Connect source against the local fake API (real HTTP, real PostgreSQL).

Usage: PYTHONPATH=plugins python bench/sources_app_store.py [records] [--write]
Needs CFM_BENCH_DATABASE_URL (an admin URL; a scratch database is created and dropped).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from bench_db import scratch_warehouse
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cfm.pipeline.ingest import sync_source
from cfm.sources.app_store import AppStoreSource
from cfm.testing.fake_apis.app_store import ISSUER_ID, KEY_ID, AppStoreDataset, build_server

APP = "1488201234"


def dataset(count: int) -> AppStoreDataset:
    start = datetime(2026, 10, 31, tzinfo=UTC)
    data = AppStoreDataset(reviews={APP: []})
    for n in range(count):
        created = (start - timedelta(minutes=7 * n)).astimezone(timezone(timedelta(hours=-7)))
        data.reviews[APP].append({"type": "customerReviews", "id": f"r{n:06d}", "attributes": {
            "rating": n % 5 + 1, "title": f"Review {n}", "body": "Crashes when I open the camera tab. " * 4,
            "reviewerNickname": f"nick{n}", "createdDate": created.isoformat(timespec="seconds"), "territory": "USA"}})
        if n % 4 == 0:
            data.responses[f"r{n:06d}"] = {"type": "customerReviewResponses", "id": f"x{n}", "attributes": {
                "responseBody": "Fixed in 4.2.1", "lastModifiedDate": created.isoformat(timespec="seconds"), "state": "PUBLISHED"}}
    return data


def main() -> None:
    count = int(next((a for a in sys.argv[1:] if a.isdigit()), 2000))
    admin = os.environ.get("CFM_BENCH_DATABASE_URL") or os.environ["CFM_TEST_DATABASE_URL"]
    key = ec.generate_private_key(ec.SECP256R1())
    os.environ.update({"CFM_APP_STORE_ISSUER_ID": ISSUER_ID, "CFM_APP_STORE_KEY_ID": KEY_ID,
                       "CFM_APP_STORE_PRIVATE_KEY": key.private_bytes(
                           serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()).decode()})
    with scratch_warehouse(admin) as url:
        with build_server(dataset(count), key.public_key()) as server:
            source = AppStoreSource({"base_url": f"{server.base_url}/v1", "apps": [APP], "page_size": 200})
            started = time.perf_counter()
            result = sync_source(url, source, run_id="bench")
            first = time.perf_counter() - started
            first_requests = len(server.requests)
            started = time.perf_counter()
            again = sync_source(url, AppStoreSource({"base_url": f"{server.base_url}/v1", "apps": [APP],
                                                     "page_size": 200, "rescan_days": 0}), run_id="bench2")
            incremental = time.perf_counter() - started
        assert result["inserted"] == count, result
        lines = [
            "# App Store Connect source: sync throughput",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d} on the shared 2-core dev box (other jobs running), local fake API over HTTP,",
            "PostgreSQL 127.0.0.1:5432, `limit=200` (the API maximum), `include=response`, ES256 token verified per request, one app.",
            "",
            "| run | records | requests | seconds | records/s |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| first (full) sync | {count} | {first_requests} | {first:.2f} | {count / first:,.0f} |",
            f"| incremental re-run (1 page) | {again['received']} | 1 | {incremental:.2f} | {again['received'] / incremental:,.0f} |",
            "",
            "Against the real API the limit is Apple's rolling hourly quota per key (X-Rate-Limit, e.g. 3600/hour):",
            "at 200 reviews per call, quota is rarely the bound; Apple's response latency is.",
            "Reproduce: `PYTHONPATH=plugins CFM_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres "
            "python bench/sources_app_store.py 2000 --write`.",
        ]
        print("\n".join(lines))
        if "--write" in sys.argv:
            Path(__file__).with_name("results").joinpath("sources_app_store.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
