"""A fake App Store Connect API (customer reviews) for tests and the demo.

Speaks `GET /v1/apps/{id}/customerReviews` (JSON:API: `sort`, `limit` <= 200,
`filter[rating]`, `filter[territory]`, `include=response`, opaque `cursor` in
`links.next`, `meta.paging`) and checks every request's ES256 bearer token with the
public key: signature, `kid`, `iss`, `aud=appstoreconnect-v1`, `exp`, and a lifetime of
at most 20 minutes; anything else -> 401 NOT_AUTHORIZED, Apple's error shape.

`AppStoreDataset` is mutable while the server runs: add or edit reviews and responses
between syncs; `expire_cursors()` makes every paging cursor issued so far answer 400.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cfm.testing.fake_api import FakeApiServer, Request, Response

ISSUER_ID = "69a6de70-0000-47e3-e053-5b8c7c11a4d1"
KEY_ID = "DEMOKEY123"
# A fixed, public, demo-only private scalar: the demo key is reproducible and worthless.
_DEMO_KEY_SCALAR = 0x0DE70DE70DE70DE70DE70DE70DE70DE70DE70DE70DE70DE70DE70DE70DE70DE7


@dataclass
class AppStoreDataset:
    """Reviews per app (customerReviews resources) and developer responses by review id."""

    reviews: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    cursor_generation: int = 0

    def expire_cursors(self) -> None:
        self.cursor_generation += 1

    def find(self, review_id: str) -> dict[str, Any]:
        for reviews in self.reviews.values():
            for review in reviews:
                if review.get("id") == review_id:
                    return review
        raise KeyError(review_id)


def demo_private_key_pem() -> str:
    """The demo's EC P-256 key (PKCS#8 PEM), derived from a fixed public number: never a real key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.derive_private_key(_DEMO_KEY_SCALAR, ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def _created(review: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str((review.get("attributes") or {}).get("createdDate"))).astimezone(UTC)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _error(status: int, code: str, title: str, detail: str) -> Response:
    return Response(status, {"errors": [{"id": f"fake-{status}", "status": str(status), "code": code,
                                         "title": title, "detail": detail}]})


def _encode_cursor(offset: int, generation: int) -> str:
    raw = json.dumps({"o": offset, "g": generation}).encode()
    return "AQ." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(value: str) -> tuple[int, int] | None:
    try:
        body = value.removeprefix("AQ.")
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return int(data["o"]), int(data["g"])
    except (ValueError, KeyError, TypeError):
        return None


def build_server(
    dataset: AppStoreDataset,
    public_key: Any,
    *,
    issuer_id: str = ISSUER_ID,
    key_id: str = KEY_ID,
) -> FakeApiServer:
    """A server over `dataset` that accepts tokens signed by the private half of `public_key`.

    Its API base is `base_url + "/v1"`. `server.tokens` lists the bearer tokens it accepted.
    """
    import jwt

    server = FakeApiServer()
    server.tokens = []  # type: ignore[attr-defined]

    def authorized(req: Request) -> Response | None:
        header = req.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.",
                          "Provide a properly configured and signed bearer token, and make sure that it has not expired.")
        token = header.removeprefix("Bearer ")
        try:
            if jwt.get_unverified_header(token).get("kid") != key_id:
                raise jwt.InvalidTokenError("unknown kid")
            claims = jwt.decode(token, public_key, algorithms=["ES256"], audience="appstoreconnect-v1",
                                issuer=issuer_id, options={"require": ["exp", "iat", "iss", "aud"]})
            if int(claims["exp"]) - int(claims["iat"]) > 1200:
                raise jwt.InvalidTokenError("token lifetime over 20 minutes")
        except jwt.PyJWTError as exc:
            return _error(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", str(exc))
        server.tokens.append(token)  # type: ignore[attr-defined]
        return None

    @server.route("GET", r"/v1/apps/(?P<app>[^/]+)/customerReviews")
    def customer_reviews(req: Request) -> Response:
        denied = authorized(req)
        if denied:
            return denied
        app = req.match["app"]
        if app not in dataset.reviews:
            return _error(404, "NOT_FOUND", "The specified resource does not exist", f"There is no resource of type 'apps' with id '{app}'")
        try:
            limit = int(req.arg("limit", "50"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 200:
            return _error(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
                          "'limit' must be between 1 and 200")
        sort = req.arg("sort", "-createdDate")
        if sort not in ("createdDate", "-createdDate", "rating", "-rating"):
            return _error(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value", f"'{sort}' is not a valid sort")
        offset = 0
        if req.arg("cursor") is not None:
            decoded = _decode_cursor(req.arg("cursor") or "")
            if decoded is None or decoded[1] != dataset.cursor_generation:
                return _error(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
                              "The cursor provided is invalid or has expired")
            offset = decoded[0]
        items = list(dataset.reviews[app])
        if req.arg("filter[rating]"):
            wanted = {int(v) for v in (req.arg("filter[rating]") or "").split(",") if v.strip().isdigit()}
            items = [r for r in items if (r.get("attributes") or {}).get("rating") in wanted]
        if req.arg("filter[territory]"):
            wanted_t = set((req.arg("filter[territory]") or "").split(","))
            items = [r for r in items if (r.get("attributes") or {}).get("territory") in wanted_t]
        field_name = sort.lstrip("-")
        key = (lambda r: (_created(r), str(r.get("id")))) if field_name == "createdDate" else \
            (lambda r: ((r.get("attributes") or {}).get("rating") or 0, _created(r)))
        items.sort(key=key, reverse=sort.startswith("-"))
        chunk = items[offset: offset + limit]
        include = "response" in (req.arg("include") or "").split(",")
        base = f"{server.base_url}/v1"
        data, included = [], []
        for review in chunk:
            rid = review.get("id")
            resource = json.loads(json.dumps(review))
            response = dataset.responses.get(str(rid))
            rel_links = {"self": f"{base}/customerReviews/{rid}/relationships/response",
                         "related": f"{base}/customerReviews/{rid}/response"}
            relationship: dict[str, Any] = {"links": rel_links}
            if include:
                relationship["data"] = {"type": "customerReviewResponses", "id": response["id"]} if response else None
                if response:
                    included.append(response)
            resource["relationships"] = {"response": relationship}
            resource["links"] = {"self": f"{base}/customerReviews/{rid}"}
            data.append(resource)
        query = f"limit={limit}&sort={sort}" + ("&include=response" if include else "")
        links = {"self": f"{base}/apps/{app}/customerReviews?{query}"}
        if offset + limit < len(items):
            links["next"] = f"{base}/apps/{app}/customerReviews?cursor={_encode_cursor(offset + limit, dataset.cursor_generation)}&{query}"
        body: dict[str, Any] = {"data": data, "links": links, "meta": {"paging": {"total": len(items), "limit": limit}}}
        if include:
            body["included"] = included
        remaining = max(0, 3600 - len(server.tokens))  # type: ignore[attr-defined]
        return Response(200, body, {"X-Rate-Limit": f"user-hour-lim:3600;user-hour-rem:{remaining};"})

    return server


def load_dataset(sample_dir: Path) -> AppStoreDataset:
    """`customer_reviews_<app id>.json` files (JSON:API documents with `data` and `included`) -> dataset."""
    dataset = AppStoreDataset()
    for path in sorted(Path(sample_dir).glob("customer_reviews_*.json")):
        app = path.stem.removeprefix("customer_reviews_")
        document = json.loads(path.read_text(encoding="utf-8"))
        responses = {r["id"]: r for r in document.get("included") or []}
        dataset.reviews[app] = []
        for review in document["data"]:
            rel = ((review.get("relationships") or {}).get("response") or {}).get("data")
            if rel and rel.get("id") in responses:
                dataset.responses[review["id"]] = responses[rel["id"]]
            dataset.reviews[app].append({k: v for k, v in review.items() if k not in ("relationships", "links")})
    return dataset


def demo_server(sample_dir: Path) -> FakeApiServer:
    """A server over the recorded sample reviews in `sample_dir` (sample_data/api/app_store)."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(demo_private_key_pem().encode(), password=None)
    return build_server(load_dataset(sample_dir), key.public_key())


def demo_config(base_url: str) -> dict[str, Any]:
    """The cfm.yml `sources.app_store` section for the demo server at `base_url`."""
    return {"enabled": True, "base_url": f"{base_url}/v1", "apps": ["1488201234", "1488205678"]}


def demo_credentials() -> dict[str, str]:
    """Environment variables the demo needs: fake ids and the public demo-only key."""
    return {"CFM_APP_STORE_ISSUER_ID": ISSUER_ID, "CFM_APP_STORE_KEY_ID": KEY_ID,
            "CFM_APP_STORE_PRIVATE_KEY": demo_private_key_pem()}
