"""Shared HTTP machinery for API sources: timeouts, retries and rate-limit handling.

Every call has a timeout. 429 and 5xx, connection errors and resets, timeouts, and 2xx
bodies that are not the JSON promised (truncated, cut by a proxy) are retried with
exponential backoff and full jitter, capped; a `Retry-After` header (seconds or an
HTTP date) wins over the computed delay. Other 4xx fail at once with the source named.
Credentials are passed in headers by the caller and never appear in messages raised here.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


#: Query parameters never echoed in an error message (credentials some APIs accept in the URL).
SECRET_PARAMS = frozenset({"apikey", "api_key", "key", "access_token", "token", "signature", "client_secret", "password"})


class SourceHTTPError(Exception):
    """An HTTP call failed for good. The message names the source, the endpoint, the page or cursor
    asked for and the attempts made; never a credential."""

    def __init__(self, source: str, method: str, url: str, status: int | None, detail: str, *,
                 params: Mapping[str, Any] | None = None, attempts: int | None = None):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query.update({k: v for k, v in (params or {}).items() if v is not None})
        where = ", ".join(f"{k}={str(v)[:80]}" for k, v in sorted(query.items()) if k.lower() not in SECRET_PARAMS)
        asked = "; ".join(x for x in (where, f"{attempts} attempts" if attempts and attempts > 1 else "") if x)
        super().__init__(f"[{source}] {method} {parts.path} failed" + (f" with HTTP {status}" if status else "")
                         + f": {detail}" + (f" [{asked}]" if asked else ""))
        self.source = source
        self.status = status
        self.attempts = attempts


class InvalidBody(Exception):
    """A 2xx answer whose body is not the JSON promised (truncated, cut by a proxy, HTML)."""


#: Transport faults retried like a 5xx: resets, timeouts, bodies cut short.
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError, InvalidBody)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, default_timeout: float = 30.0) -> RetryPolicy:
        """The policy a source's config asks for: `timeout_seconds`, `max_attempts`,
        `backoff_base_seconds` and `backoff_max_seconds`, each defaulting to the class default."""
        return cls(
            max_attempts=int(config.get("max_attempts", cls.max_attempts)),
            base_delay=float(config.get("backoff_base_seconds", cls.base_delay)),
            max_delay=float(config.get("backoff_max_seconds", cls.max_delay)),
            timeout=float(config.get("timeout_seconds", default_timeout)),
        )


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_dt = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - now_dt).total_seconds())


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff for the given 1-based attempt, capped at max_delay."""
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** (attempt - 1)))
    return (rng or random).uniform(0, ceiling)


class ApiClient:
    """A requests session bound to one source, with the retry policy applied to every call."""

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        auth_refresh: Callable[[], Mapping[str, str]] | None = None,
        rate_limit_delay: Callable[[requests.Response], float | None] | None = None,
    ):
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "cfm-feedback-pipeline/0.1", "Accept": "application/json"})
        if headers:
            self.session.headers.update(headers)
        self._sleep = sleep
        self._auth_refresh = auth_refresh
        # APIs that say when a rate-limit window reopens in their own headers (no Retry-After).
        self._rate_limit_delay = rate_limit_delay
        self.stats = {"requests": 0, "retries": 0, "rate_limited": 0}

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, expect_json: bool = False, **kwargs: Any) -> requests.Response:
        """The response of one call, retried on 429/5xx and transport faults (with `expect_json`, a
        2xx body that is not JSON counts as one): the one path every REST source's calls take."""
        url = self.url(path)
        kwargs.setdefault("timeout", self.policy.timeout)
        params = kwargs.get("params")
        refreshed = False
        for attempt in range(1, self.policy.max_attempts + 1):
            self.stats["requests"] += 1
            try:
                response = self.session.request(method, url, **kwargs)
                if expect_json and response.status_code < 400:
                    response._cfm_json = _decode_json(response)  # type: ignore[attr-defined]
            except TRANSPORT_ERRORS as exc:
                if attempt == self.policy.max_attempts:
                    raise SourceHTTPError(self.source, method, url, None, _fault(exc), params=params,
                                          attempts=attempt) from exc
                delay = backoff_delay(attempt, self.policy)
                log.warning("[%s] %s %s: %s; retry %d in %.1fs", self.source, method, _path(url), _fault(exc), attempt, delay)
                self.stats["retries"] += 1
                self._sleep(delay)
                continue
            if response.status_code == 401 and self._auth_refresh and not refreshed:
                self.session.headers.update(self._auth_refresh())
                refreshed = True
                continue
            if response.status_code < 400:
                return response
            if response.status_code not in RETRYABLE_STATUS or attempt == self.policy.max_attempts:
                raise SourceHTTPError(self.source, method, url, response.status_code, _short_body(response), params=params,
                                      attempts=attempt)
            if response.status_code == 429:
                self.stats["rate_limited"] += 1
            delay = retry_after_seconds(response.headers.get("Retry-After"))
            if delay is None and response.status_code == 429 and self._rate_limit_delay is not None:
                delay = self._rate_limit_delay(response)
            if delay is None:
                delay = backoff_delay(attempt, self.policy)
            delay = min(delay, self.policy.max_delay)
            log.warning("[%s] %s %s: HTTP %d; retry %d in %.1fs", self.source, method, _path(url), response.status_code, attempt, delay)
            self.stats["retries"] += 1
            self._sleep(delay)
        raise AssertionError("unreachable")

    def fetch_json(self, method: str, path: str, **kwargs: Any) -> tuple[Any, requests.Response]:
        """(decoded JSON body, response): a truncated or invalid body is retried like a 5xx."""
        response = self.request(method, path, expect_json=True, **kwargs)
        return response._cfm_json, response  # type: ignore[attr-defined]

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.fetch_json("GET", path, **kwargs)[0]

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.fetch_json(method, path, **kwargs)[0]


def _decode_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        size = len(response.content or b"")
        raise InvalidBody(f"response body is not valid JSON ({size} bytes: {type(exc).__name__})") from exc


def _fault(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, InvalidBody) else type(exc).__name__


def _path(url: str) -> str:
    return requests.utils.urlparse(url).path


def _short_body(response: requests.Response) -> str:
    text = (response.text or "").strip().replace("\n", " ")
    return text[:300] or response.reason or "no body"
