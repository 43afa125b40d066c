"""Sync throughput of the Google Play reviews source against the local fake API (records/second).

Run: PYTHONPATH=plugins python bench/sources_google_play.py [N] > bench/results/sources_google_play.md
(uses bench_sync from bench/sources_google_forms.py).
"""

from __future__ import annotations

import sys

from sources_google_forms import bench_sync


def main() -> None:
    from google.oauth2.credentials import Credentials

    from cfm.sources.google_play import GooglePlaySource
    from cfm.testing.fake_apis.google_play import build_server

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    base = 1_780_000_000
    reviews = [{"reviewId": f"gp:{i:06d}", "authorName": f"User {i}", "comments": [{"userComment": {
        "text": f"Title {i}\tReview body number {i}", "lastModified": {"seconds": str(base + i * 60), "nanos": 0},
        "starRating": 1 + i % 5, "reviewerLanguage": "en", "appVersionName": "4.2.1",
        "deviceMetadata": {"productName": "Pixel 8", "manufacturer": "Google"}}}]} for i in range(n)]
    dataset = {"apps": {"com.example.bench": reviews}}

    def make_source(base_url: str) -> GooglePlaySource:
        return GooglePlaySource({"base_url": base_url + "/", "page_size": 100, "apps": ["com.example.bench"]},
                                credentials=Credentials("bench-token"))

    print(bench_sync("Google Play reviews", "google_play", dataset, build_server, make_source, n), end="")
    print("\nmaxResults 100. The second run stops after the first page wholly older than the watermark "
          "minus the 60-minute overlap.")


if __name__ == "__main__":
    main()
