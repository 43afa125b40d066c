"""Sync throughput of the Google Business Profile reviews source against the local fake API (records/second).

Run: PYTHONPATH=plugins python bench/sources_google_business.py [N] > bench/results/sources_google_business.md
(uses bench_sync from bench/sources_google_forms.py).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from sources_google_forms import bench_sync


def main() -> None:
    from google.oauth2.credentials import Credentials

    from cfm.sources.google_business import GoogleBusinessSource
    from cfm.testing.fake_apis.google_business import build_server

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    loc = "accounts/1/locations/2"
    start = datetime(2026, 6, 1, tzinfo=UTC)
    reviews = []
    for i in range(n):
        stamp = (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        reviews.append({"name": f"{loc}/reviews/R{i:06d}", "reviewId": f"R{i:06d}", "starRating": "FIVE",
                        "comment": f"Review number {i}", "createTime": stamp, "updateTime": stamp,
                        "reviewer": {"displayName": "Guest", "isAnonymous": False}})
    dataset = {"locations": {loc: reviews}}

    def make_source(base_url: str) -> GoogleBusinessSource:
        return GoogleBusinessSource({"base_url": base_url + "/v4/", "locations": [loc]}, credentials=Credentials("bench-token"))

    print(bench_sync("Google Business Profile reviews", "google_business", dataset, build_server, make_source, n), end="")
    print("\npageSize 50 (the API maximum), so 2,000 reviews take 40 requests. The second run stops after the first "
          "page wholly older than the watermark minus the 60-minute overlap.")


if __name__ == "__main__":
    main()
