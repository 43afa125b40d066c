"""Transport faults are retried through the one client path of each kind of source, REST and Google alike.

A truncated 200 body (a connection cut mid-answer) used to raise a bare JSONDecodeError
(SurveyMonkey) or an AttributeError (Google Play); now it is retried, and when it never
heals the error names the source, the call, the page asked for and the attempts made.
"""

from __future__ import annotations

import pytest
import test_google_play as gp  # same folder: its review builder
import test_surveymonkey as sm
from google.oauth2.credentials import Credentials

from cfm.pipeline.ingest import sync_source
from cfm.sources.base import SourceError
from cfm.sources.google_play import GooglePlaySource
from cfm.sources.http import RetryPolicy, SourceHTTPError
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis import google_play as gp_fake
from cfm.testing.fake_apis import surveymonkey as sm_fake

TRUNCATED = '{"reviews": [{"reviewId": "gp:1", "comm'


def _play(server, attempts: int = 4) -> GooglePlaySource:
    return GooglePlaySource({"base_url": server.base_url + "/", "page_size": 3, "apps": [gp.APP]},
                            credentials=Credentials("fake-token"),
                            policy=RetryPolicy(max_attempts=attempts, timeout=2, base_delay=0.01), sleep=lambda s: None)


def test_google_play_retries_a_truncated_body(warehouse: str) -> None:
    with gp_fake.build_server({"apps": {gp.APP: [gp._review(n, n) for n in range(1, 8)]}}) as server:
        server.inject(Fault(status=200, body=TRUNCATED, path="reviews"), Fault(status=200, body='"just a string"', path="reviews"))
        counts = sync_source(warehouse, _play(server), run_id="r1")
    assert counts["inserted"] == 7


def test_google_play_final_error_names_call_page_and_attempts(warehouse: str) -> None:
    with gp_fake.build_server({"apps": {gp.APP: [gp._review(n, n) for n in range(1, 8)]}}) as server:
        source = _play(server, attempts=3)
        server.inject(Fault(status=200, body=TRUNCATED, path="reviews", times=99))
        with pytest.raises(SourceError) as err:
            sync_source(warehouse, source, run_id="r1")
    text = str(err.value)
    assert "[google_play] reviews.list com.example.shop" in text and "not valid JSON" in text and "3 attempts" in text


def test_surveymonkey_retries_a_truncated_body_and_names_the_page_when_it_never_heals(
        warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFM_SURVEYMONKEY_TOKEN", sm_fake.TOKEN)
    data = sm_fake.SurveyMonkeyDataset(details={sm.SURVEY: sm.details()})
    data.add(sm.SURVEY, *(sm.response(n) for n in range(1, 6)))
    with sm_fake.build_server(data) as server:
        server.inject(Fault(status=200, body='{"data": [{"id": "R0', path="bulk"), Fault(status=503, path="bulk"))
        assert sync_source(warehouse, sm.make_source(server), run_id="r1")["inserted"] == 5
        server.inject(Fault(status=200, body='{"data": [', path="bulk", times=99))
        with pytest.raises(SourceHTTPError) as err:
            sync_source(warehouse, sm.make_source(server), run_id="r2")
    text = str(err.value)
    assert text.startswith(f"[surveymonkey] GET /v3/surveys/{sm.SURVEY}/responses/bulk failed: response body is not valid JSON")
    assert "start_modified_at=" in text and "4 attempts" in text
