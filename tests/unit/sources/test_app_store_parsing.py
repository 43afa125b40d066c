"""Pure parsing and token rules of the App Store Connect source."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cfm.sources.app_store import next_link, parse_rate_limit, parse_reviews_document
from cfm.sources.app_store_auth import AppStoreToken
from cfm.sources.base import SourceError

DOC = {
    "data": [
        {"type": "customerReviews", "id": "r1",
         "attributes": {"rating": 2, "title": "t", "body": "b", "createdDate": "2024-05-01T08:10:34-07:00", "territory": "USA"},
         "relationships": {"response": {"data": {"type": "customerReviewResponses", "id": "x1"}}}},
        {"type": "customerReviews", "id": "r2", "attributes": {"rating": 5, "createdDate": "2024-05-02T08:00:00+08:00"},
         "relationships": {"response": {"data": None}}},
        {"type": "customerReviews", "id": "r3", "attributes": {"createdDate": "2024-05-02T08:00:00Z"}},
    ],
    "included": [{"type": "customerReviewResponses", "id": "x1",
                  "attributes": {"responseBody": "sorry", "lastModifiedDate": "2024-05-02T10:00:00-07:00", "state": "PUBLISHED"}}],
    "links": {"next": "https://api.appstoreconnect.apple.com/v1/apps/1/customerReviews?cursor=AQ.x&limit=200"},
}


def test_reviews_are_paired_with_their_included_response_and_dates_are_utc() -> None:
    records, rejects, created = parse_reviews_document("app_store", "1", 1, DOC)
    assert [r.source_record_id for r in records] == ["r1", "r2"]
    assert records[0].payload == {"review": DOC["data"][0], "response": DOC["included"][0]}
    assert records[1].payload["response"] is None
    assert records[0].source_updated_at == datetime(2024, 5, 2, 17, tzinfo=UTC)  # the response's edit time
    assert created == [datetime(2024, 5, 1, 15, 10, 34, tzinfo=UTC), datetime(2024, 5, 2, 0, tzinfo=UTC)]
    assert [(r.record_ref, r.field) for r in rejects] == [("r3", "attributes.rating")]
    assert next_link(DOC) == DOC["links"]["next"] and next_link({"links": {"self": "x"}}) is None


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_token_lifetime_is_capped_at_twenty_minutes_and_cached_until_near_expiry() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = [1_800_000_000.0]
    token = AppStoreToken("app_store", "iss", "KID", _pem(key), lifetime_seconds=3600, clock=lambda: now[0])
    first = token.current()
    claims = jwt.decode(first, key.public_key(), algorithms=["ES256"], audience="appstoreconnect-v1",
                        options={"verify_exp": False, "verify_iat": False})
    assert claims == {"iss": "iss", "iat": 1_800_000_000, "exp": 1_800_001_200, "aud": "appstoreconnect-v1"}
    now[0] += 1139
    assert token.current() == first
    now[0] += 1
    assert token.current() != first and token.minted == 2


def test_bad_keys_are_refused_without_echoing_them() -> None:
    with pytest.raises(SourceError, match="not a readable PEM") as failed:
        AppStoreToken("app_store", "iss", "KID", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----")
    assert "c2VjcmV0" not in str(failed.value)
    p384_key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(SourceError, match="P-256"):
        AppStoreToken("app_store", "iss", "KID", _pem(p384_key))


def test_rate_limit_header_is_parsed_tolerantly() -> None:
    assert parse_rate_limit("user-hour-lim:3600;user-hour-rem:3512;") == {"user-hour-lim": 3600, "user-hour-rem": 3512}
    assert parse_rate_limit(None) == {} and parse_rate_limit("garbage;x:y") == {}
