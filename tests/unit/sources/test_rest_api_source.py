"""The five REST sources build their client one way: base URL, retry policy and auth headers from config and credentials."""

from __future__ import annotations

import pytest

from cfm.sources.app_store import AppStoreSource
from cfm.sources.base import SourceError
from cfm.sources.http import RetryPolicy
from cfm.sources.qualtrics import QualtricsSource
from cfm.sources.rest_api import RestApiSource
from cfm.sources.surveymonkey import SurveyMonkeySource
from cfm.sources.trustpilot import TrustpilotSource
from cfm.sources.typeform import TypeformSource
from cfm.testing.fake_apis import app_store as fake_app_store

REST_SOURCES = [TypeformSource, SurveyMonkeySource, QualtricsSource, TrustpilotSource, AppStoreSource]
PUBLIC_URLS = {
    "typeform": "https://api.typeform.com",
    "surveymonkey": "https://api.surveymonkey.com/v3",
    "trustpilot": "https://api.trustpilot.com/v1",
    "app_store": "https://api.appstoreconnect.apple.com/v1",
}


@pytest.fixture(autouse=True)
def credentials(monkeypatch) -> None:
    for key, value in {"CFM_TYPEFORM_TOKEN": "tf-secret", "CFM_SURVEYMONKEY_TOKEN": "sm-secret",
                       "CFM_QUALTRICS_TOKEN": "q-secret", "CFM_TRUSTPILOT_API_KEY": "tp-key",
                       "CFM_TRUSTPILOT_ACCESS_TOKEN": "tp-bearer", **fake_app_store.demo_credentials()}.items():
        monkeypatch.setenv(key, value)


def test_retry_policy_from_config_reads_every_knob_and_defaults_to_the_class() -> None:
    assert RetryPolicy.from_config({}) == RetryPolicy()
    assert RetryPolicy.from_config({}, default_timeout=60) == RetryPolicy(timeout=60.0)
    assert RetryPolicy.from_config({"timeout_seconds": 5, "max_attempts": 2, "backoff_base_seconds": 0.5,
                                    "backoff_max_seconds": 9}, default_timeout=60) == \
        RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=9.0, timeout=5.0)


@pytest.mark.parametrize("cls", REST_SOURCES)
def test_each_rest_source_shares_the_base_and_its_policy_comes_from_config(cls) -> None:
    assert issubclass(cls, RestApiSource)
    source = cls({"timeout_seconds": 7, "max_attempts": 3})
    assert source.policy == RetryPolicy(max_attempts=3, timeout=7.0)
    injected = RetryPolicy(max_attempts=1)
    assert cls({}, policy=injected).policy is injected


def test_qualtrics_waits_longer_by_default() -> None:
    assert QualtricsSource({}).policy.timeout == 60.0
    assert TypeformSource({}).policy.timeout == 30.0


@pytest.mark.parametrize("cls", [TypeformSource, SurveyMonkeySource, TrustpilotSource, AppStoreSource])
def test_base_url_is_config_then_credential_then_the_public_api(cls, monkeypatch) -> None:
    assert cls({}).api().base_url == PUBLIC_URLS[cls.name]
    monkeypatch.setenv(f"CFM_{cls.name.upper()}_BASE_URL", "http://127.0.0.1:9/from-credential")
    assert cls({}).api().base_url == "http://127.0.0.1:9/from-credential"
    assert cls({"base_url": "http://127.0.0.1:9/from-config/"}).api().base_url == "http://127.0.0.1:9/from-config"


def test_qualtrics_base_url_comes_from_the_datacenter_or_fails_naming_the_setting() -> None:
    assert QualtricsSource({"datacenter": "fra1"}).api().base_url == "https://fra1.qualtrics.com/API/v3"
    with pytest.raises(SourceError, match="datacenter"):
        QualtricsSource({}).api()


def test_each_source_authenticates_its_own_way() -> None:
    def auth(source: RestApiSource) -> dict[str, str]:
        headers = source.api().session.headers
        return {k: headers[k] for k in ("Authorization", "X-API-TOKEN", "apikey") if k in headers}

    assert auth(TypeformSource({})) == {"Authorization": "Bearer tf-secret"}
    assert auth(SurveyMonkeySource({})) == {"Authorization": "Bearer sm-secret"}
    assert auth(QualtricsSource({"datacenter": "fra1"})) == {"X-API-TOKEN": "q-secret"}
    assert auth(TrustpilotSource({})) == {"apikey": "tp-key"}
    assert auth(TrustpilotSource({"private": True})) == {"apikey": "tp-key", "Authorization": "Bearer tp-bearer"}
    app_store = AppStoreSource({})
    assert auth(app_store) == {}  # its short-lived JWT is set before each call
    assert app_store.api()._auth_refresh is not None and TypeformSource({}).api()._auth_refresh is None


def test_the_client_is_built_once_per_source_and_a_missing_credential_names_the_variable(monkeypatch) -> None:
    source = TypeformSource({})
    assert source.api() is source.api()
    monkeypatch.delenv("CFM_SURVEYMONKEY_TOKEN")
    with pytest.raises(SourceError, match="CFM_SURVEYMONKEY_TOKEN"):
        SurveyMonkeySource({}).api()
