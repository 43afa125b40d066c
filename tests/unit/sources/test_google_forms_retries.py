"""The Google request retry policy, against googleapiclient's own HTTP mock (no network, no sleeping)."""

from __future__ import annotations

import json

import pytest
from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence

from cfm.sources.google_api import GoogleRequestFailed, execute
from cfm.sources.http import RetryPolicy

POLICY = RetryPolicy(max_attempts=3, base_delay=0.01)


def _error(status: int, reason: str) -> tuple[dict, str]:
    body = {"error": {"code": status, "message": reason, "errors": [{"reason": reason, "domain": "usageLimits"}]}}
    return {"status": str(status)}, json.dumps(body)


def _service(responses: list) -> tuple:
    http = HttpMockSequence(responses)
    return build("forms", "v1", http=http, static_discovery=True, cache_discovery=False), http


def test_403_rate_limit_and_429_retry_after_are_retried() -> None:
    service, http = _service([_error(403, "userRateLimitExceeded"),
                              ({"status": "429", "retry-after": "4"}, "{}"), ({"status": "200"}, '{"formId": "f"}')])
    sleeps: list[float] = []
    stats: dict[str, int] = {}
    body = execute(service.forms().get(formId="f"), source="google_forms", what="forms.get f", policy=POLICY,
                   sleep=sleeps.append, stats=stats)
    assert body == {"formId": "f"}
    assert sleeps[1] == 4.0 and len(sleeps) == 2 and stats == {"requests": 3, "retries": 2}


def test_403_permission_denied_and_404_fail_at_once_naming_the_call() -> None:
    for response in (_error(403, "forbidden"), _error(404, "notFound")):
        service, _ = _service([response])
        with pytest.raises(GoogleRequestFailed, match=r"\[google_forms\] forms.get f failed with HTTP 40[34]"):
            execute(service.forms().get(formId="f"), source="google_forms", what="forms.get f", policy=POLICY, sleep=lambda s: None)


def test_gives_up_after_max_attempts() -> None:
    service, _ = _service([({"status": "503"}, "{}")] * 3)
    with pytest.raises(GoogleRequestFailed) as info:
        execute(service.forms().get(formId="f"), source="google_forms", what="forms.get f", policy=POLICY, sleep=lambda s: None)
    assert info.value.status == 503
