"""Customer keys: a keyed hash (HMAC-SHA256) of the normalised email, else of the external id.

The key is a secret (CFM_PSEUDONYM_KEY, or the Airflow connection cfm_pseudonym's password)
and never stored with the data, so a customer key cannot be reversed or recomputed from an
email without it. `key_version` (the key's own fingerprint) tells which key made a row.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from functools import lru_cache

from cfm.config import PROJECT_ROOT, in_airflow_task

# For local runs on the embedded warehouse only: a random key made once, never committed.
LOCAL_KEY_FILE = PROJECT_ROOT / ".cfm" / "pseudonym.key"


class MissingPseudonymKey(RuntimeError):
    pass


def pseudonym_key() -> bytes:
    value = os.environ.get("CFM_PSEUDONYM_KEY")
    if not value and in_airflow_task():
        try:
            from airflow.sdk import Connection

            value = Connection.get("cfm_pseudonym").password
        except Exception:
            value = None
    if not value and LOCAL_KEY_FILE.exists():
        value = LOCAL_KEY_FILE.read_text(encoding="utf-8").strip()
    if not value:
        raise MissingPseudonymKey(
            "no pseudonymisation key: set CFM_PSEUDONYM_KEY (or the Airflow connection cfm_pseudonym); "
            "customer identities are never stored without it"
        )
    return value.encode("utf-8")


def create_local_key() -> None:
    """Make the local-run key if there is none (`make demo`); production sets CFM_PSEUDONYM_KEY."""
    if not LOCAL_KEY_FILE.exists():
        LOCAL_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        LOCAL_KEY_FILE.write_text(secrets.token_hex(32), encoding="utf-8")
        LOCAL_KEY_FILE.chmod(0o600)


def key_version(key: bytes) -> str:
    return hashlib.sha256(b"cfm-key-version|" + key).hexdigest()[:12]


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()


def id_pseudonym(value: str | None, key: bytes) -> str | None:
    """The pseudonym of an id that carries PII (an email, phone, card or national id, by the
    redactor's detectors), like a customer key a keyed hash; None for an id without PII."""
    if not value or not id_holds_pii(value):
        return None
    return "pii_" + hmac.new(key, ("record-id:" + value).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=65_536)
def id_holds_pii(value: str) -> bool:
    """Whether the redactor finds PII in `value`, once per distinct id a process (survey, question
    and thread ids repeat across chunks); the verdict depends on the value alone."""
    from cfm.nlp.redaction import holds_pii

    return holds_pii(value)


def customer_key(email: str | None, external_id: str | None, key: bytes) -> str | None:
    """The pseudonymous key of a customer, or None when the record names nobody."""
    if email and email.strip():
        material = "email:" + normalise_email(email)
    elif external_id and external_id.strip():
        material = "id:" + external_id.strip()
    else:
        return None
    return hmac.new(key, material.encode("utf-8"), hashlib.sha256).hexdigest()
