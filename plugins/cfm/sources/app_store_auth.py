"""App Store Connect API tokens: ES256 JWTs signed with the team's .p8 key, re-minted before they expire.

Apple rejects tokens that expire more than 20 minutes ahead, so the lifetime is capped at
1200 s; a token is re-minted one minute before its expiry and whenever the API answers 401.
The key never appears in a message: errors name the credential, not its value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cfm.sources.base import SourceError

AUDIENCE = "appstoreconnect-v1"
MAX_LIFETIME_SECONDS = 1200
RENEW_BEFORE_EXPIRY_SECONDS = 60


def load_private_key(source: str, pem: str) -> Any:
    """Load the .p8 (PKCS#8 PEM) EC P-256 key. Accepts `\\n` escapes, as env vars often carry them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    text = pem.strip().replace("\\n", "\n")
    try:
        key = serialization.load_pem_private_key(text.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        raise SourceError(source, "credential 'private_key' is not a readable PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SourceError(source, "credential 'private_key' must be an EC P-256 key (the .p8 file from App Store Connect)")
    return key


class AppStoreToken:
    """Mints and caches the bearer token for one API key."""

    def __init__(
        self,
        source: str,
        issuer_id: str,
        key_id: str,
        private_key_pem: str,
        *,
        lifetime_seconds: int = 900,
        clock: Callable[[], float] = time.time,
    ):
        self.issuer_id = issuer_id
        self.key_id = key_id
        self.lifetime = max(60, min(MAX_LIFETIME_SECONDS, int(lifetime_seconds)))
        self._key = load_private_key(source, private_key_pem)
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self.minted = 0

    def mint(self) -> str:
        """A new token, valid from now for `lifetime` seconds."""
        import jwt

        now = int(self._clock())
        payload = {"iss": self.issuer_id, "iat": now, "exp": now + self.lifetime, "aud": AUDIENCE}
        self._token = jwt.encode(payload, self._key, algorithm="ES256", headers={"kid": self.key_id, "typ": "JWT"})
        self._expires_at = now + self.lifetime
        self.minted += 1
        return self._token

    def current(self) -> str:
        """The cached token, re-minted when it is about to expire."""
        if self._token is None or self._clock() >= self._expires_at - RENEW_BEFORE_EXPIRY_SECONDS:
            return self.mint()
        return self._token

    def auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.current()}"}

    def refreshed_header(self) -> dict[str, str]:
        """For a 401: the token was rejected (clock skew, revoked), so mint another."""
        return {"Authorization": f"Bearer {self.mint()}"}
