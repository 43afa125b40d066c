from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from cfm.sources.http import ApiClient, RetryPolicy, SourceHTTPError, backoff_delay, retry_after_seconds
from cfm.testing.fake_api import FakeApiServer, Fault, Response


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now.timestamp()) == 30.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_backoff_is_exponential_jittered_and_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    rng = random.Random(1)
    draws = [backoff_delay(6, policy, rng) for _ in range(200)]
    assert max(draws) <= 10.0 and min(draws) >= 0.0
    assert max(backoff_delay(2, policy, rng) for _ in range(200)) <= 2.0


@pytest.fixture
def server():
    srv = FakeApiServer()

    @srv.route("GET", r"/items")
    def items(req):
        if req.headers.get("authorization") != "Bearer s3cret-token":
            return Response(401, {"error": "unauthorised"})
        return Response(200, {"items": [1, 2]})

    with srv:
        yield srv


def test_rate_limit_honours_retry_after_then_succeeds(server) -> None:
    slept: list[float] = []
    client = ApiClient("demo", server.base_url, headers={"Authorization": "Bearer s3cret-token"}, sleep=slept.append)
    server.inject(Fault(status=429, headers={"Retry-After": "3"}), Fault(status=503))
    assert client.get_json("/items") == {"items": [1, 2]}
    assert slept[0] == 3.0 and len(slept) == 2
    assert client.stats == {"requests": 3, "retries": 2, "rate_limited": 1}


def test_timeout_is_retried(server) -> None:
    client = ApiClient("demo", server.base_url, headers={"Authorization": "Bearer s3cret-token"},
                       policy=RetryPolicy(timeout=0.3, base_delay=0.01), sleep=lambda s: None)
    server.inject(Fault(status=200, delay=1.0))
    assert client.get_json("/items") == {"items": [1, 2]}
    assert client.stats["retries"] == 1


def test_client_errors_fail_at_once_naming_source_and_path_not_the_credential(server) -> None:
    client = ApiClient("demo", server.base_url, headers={"Authorization": "Bearer wrong-token"}, sleep=lambda s: None)
    with pytest.raises(SourceHTTPError) as err:
        client.get_json("/items")
    message = str(err.value)
    assert "[demo] GET /items failed with HTTP 401" in message
    assert "wrong-token" not in message
    assert client.stats["requests"] == 1


def test_gives_up_after_max_attempts(server) -> None:
    client = ApiClient("demo", server.base_url, headers={"Authorization": "Bearer s3cret-token"},
                       policy=RetryPolicy(max_attempts=3), sleep=lambda s: None)
    server.inject(Fault(status=500, times=5))
    with pytest.raises(SourceHTTPError, match="HTTP 500"):
        client.get_json("/items")
    assert client.stats["requests"] == 3


def test_truncated_and_invalid_bodies_and_resets_are_retried(server) -> None:
    client = ApiClient("demo", server.base_url, headers={"Authorization": "Bearer s3cret-token"},
                       policy=RetryPolicy(base_delay=0.01), sleep=lambda s: None)
    server.inject(Fault(status=200, body='{"items": [1,'), Fault(status=200, body="<html>proxy</html>"), Fault(status=502))
    assert client.get_json("/items") == {"items": [1, 2]}
    assert client.stats["retries"] == 3


def test_final_error_names_source_endpoint_page_and_attempts_never_the_key(server) -> None:
    client = ApiClient("demo", server.base_url, headers={"Authorization": "Bearer s3cret-token"},
                       policy=RetryPolicy(max_attempts=3, base_delay=0.01), sleep=lambda s: None)
    server.inject(Fault(status=200, body='{"items": [', times=3))
    with pytest.raises(SourceHTTPError) as err:
        client.get_json("/items", params={"page": 7, "apikey": "k-123"})
    text = str(err.value)
    assert text.startswith("[demo] GET /items failed: response body is not valid JSON")
    assert "page=7" in text and "3 attempts" in text and "k-123" not in text
