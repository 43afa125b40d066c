"""Shared set-up of the sources that read a JSON REST API through `ApiClient`.

Typeform, SurveyMonkey, Qualtrics, Trustpilot and the App Store build their client the
same way: the base URL from config (`base_url`), else the credential `base_url`, else the
API's public address; the retry policy from config (`RetryPolicy.from_config`) unless a
test injects one; the source's auth headers from its credentials. The client is built
once per source object, lazily, so listing or configuring a source reads no secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from cfm.sources.base import FeedbackSource
from cfm.sources.credentials import credential
from cfm.sources.http import ApiClient, RetryPolicy


class RestApiSource(FeedbackSource):
    """A source whose API is called through one `ApiClient`. Subclasses set `default_base_url`
    and override `auth_headers` (and `auth_refresher` when a 401 can be cured by new credentials)."""

    default_base_url: str = ""
    #: Seconds before one call times out, unless config sets `timeout_seconds`.
    default_timeout: float = 30.0

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        policy: RetryPolicy | None = None,
    ):
        super().__init__(config)
        self._sleep = sleep
        self.policy = policy or RetryPolicy.from_config(self.config, default_timeout=self.default_timeout)
        self._api: ApiClient | None = None

    def base_url(self) -> str:
        return str(self.config.get("base_url") or credential(self.name, "base_url", required=False)
                   or self.default_base_url)

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate every call, read from the source's credentials."""
        return {}

    def auth_refresher(self) -> Callable[[], Mapping[str, str]] | None:
        """Called once on a 401 for fresh auth headers; None when a 401 is final."""
        return None

    def rate_limit_delay(self, response: Any) -> float | None:
        """Seconds to wait after a 429 without Retry-After, from the API's own headers; None: back off."""
        return None

    def api(self) -> ApiClient:
        if self._api is None:
            self._api = ApiClient(self.name, self.base_url(), headers=self.auth_headers(), policy=self.policy,
                                  sleep=self._sleep, auth_refresh=self.auth_refresher(),
                                  rate_limit_delay=self.rate_limit_delay)
        return self._api
