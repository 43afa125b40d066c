"""A fake Google Play Developer API v3 `reviews.list` over a mutable in-memory dataset.

Dataset: {"apps": {packageName: [review, ...]}, optional "window_start": epoch seconds}.
Reviews are served newest first by their latest comment `lastModified`; reviews last
modified before `window_start` are invisible (the real API keeps about a week). Paging:
`maxResults` (default 10), `token` -> `tokenPagination.nextPageToken`, plus `pageInfo`.
A token from before `dataset["token_epoch"]` was raised answers 400 INVALID_ARGUMENT.
Every call needs `Authorization: Bearer ...` (401 otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfm.testing.fake_api import (
    FakeApiServer,
    Request,
    Response,
    google_error,
    recorded_dataset,
    scoped_page_offset,
    scoped_page_token,
)


def _modified(review: dict[str, Any]) -> float:
    newest = 0.0
    for comment in review.get("comments") or []:
        for kind in ("userComment", "developerComment"):
            stamp = (comment.get(kind) or {}).get("lastModified") or {}
            try:
                newest = max(newest, int(stamp.get("seconds")) + int(stamp.get("nanos") or 0) / 1e9)
            except (TypeError, ValueError):
                pass
    return newest


def build_server(dataset: dict[str, Any]) -> FakeApiServer:
    """A server answering for the apps in `dataset` (mutate it between syncs to add or edit reviews)."""
    server = FakeApiServer()

    @server.route("GET", r"/androidpublisher/v3/applications/(?P<package>[^/]+)/reviews")
    def list_reviews(req: Request) -> Response:
        if not req.headers.get("authorization", "").startswith("Bearer "):
            return google_error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        package = req.match["package"]
        if package not in dataset["apps"]:
            return google_error(404, "NOT_FOUND", "Package not found: " + package)
        window_start = float(dataset.get("window_start") or 0)
        rows = sorted((r for r in dataset["apps"][package] if _modified(r) >= window_start), key=_modified, reverse=True)
        offset = scoped_page_offset(req.arg("token"), dataset, package=package)
        if offset is None:
            return google_error(400, "INVALID_ARGUMENT", "Invalid token.")
        size = int(req.arg("maxResults") or 10)
        body: dict[str, Any] = {"pageInfo": {"totalResults": len(rows), "resultPerPage": size, "startIndex": offset},
                                "reviews": rows[offset:offset + size]}
        if offset + size < len(rows):
            body["tokenPagination"] = {"nextPageToken": scoped_page_token(dataset, offset + size, package=package)}
        return Response(200, body)

    return server


def demo_server(sample_dir: Path) -> FakeApiServer:
    """The fake loaded with the recorded sample payloads; `sample_dir` is sample_data/api or its google_play/ folder."""
    return build_server(recorded_dataset(sample_dir, "google_play"))


def demo_config(base_url: str) -> dict[str, Any]:
    """The cfm.yml `sources.google_play` section for the demo server."""
    return {"enabled": True, "base_url": base_url.rstrip("/") + "/", "page_size": 50, "overlap_minutes": 60,
            "apps": ["com.example.shop", "com.example.shop.lite"]}


def demo_credentials() -> dict[str, str]:
    return {"CFM_GOOGLE_PLAY_TOKEN": "fake-google-play-demo-token"}
