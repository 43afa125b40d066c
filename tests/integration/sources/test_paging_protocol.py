"""Paging follows each API's continuation, not page fullness: an empty page that links onwards is followed."""

from __future__ import annotations

import pytest
import test_surveymonkey as sm  # same folder: its dataset builders
import test_trustpilot as tp

from cfm.pipeline.ingest import sync_source
from cfm.testing.fake_apis import surveymonkey as sm_fake
from cfm.testing.fake_apis import trustpilot as tp_fake


@pytest.fixture
def tp_creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFM_TRUSTPILOT_API_KEY", tp_fake.API_KEY)


def test_trustpilot_follows_empty_pages_that_carry_a_next_link(warehouse: str, tp_creds: None) -> None:
    data = tp.dataset(12)
    for r in data[tp.UNIT][:6]:  # the two newest pages (perPage 3) come back empty, each with a next-page link
        r["_hidden"] = True
    with tp_fake.build_server(data) as server:
        counts = sync_source(warehouse, tp.make_source(server), run_id="r1")
        assert tp.pages_requested(server) == ["1", "2", "3", "4"]
    assert counts["received"] == 6 and set(tp.stored(warehouse)) == {f"r{n}" for n in range(6, 12)}
    assert tp.saved_cursor(warehouse)["last_full_scan_at"] is not None


def test_trustpilot_scan_is_complete_only_when_the_links_end(warehouse: str, tp_creds: None) -> None:
    data = tp.dataset(7)
    data[tp.UNIT][3]["_hidden"] = True  # page 2 is short (2 of 3) but links to page 3
    with tp_fake.build_server(data) as server:
        sync_source(warehouse, tp.make_source(server), run_id="r1")
        assert tp.pages_requested(server) == ["1", "2", "3"]
    assert len(tp.stored(warehouse)) == 6


def test_surveymonkey_follows_an_empty_page_with_a_next_link(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFM_SURVEYMONKEY_TOKEN", sm_fake.TOKEN)
    data = sm_fake.SurveyMonkeyDataset(details={sm.SURVEY: sm.details()})
    responses = [sm.response(n) for n in range(1, 7)]
    for r in responses[:2]:  # the first page (per_page 2) is empty
        r["_hidden"] = True
    data.add(sm.SURVEY, *responses)
    with sm_fake.build_server(data) as server:
        counts = sync_source(warehouse, sm.make_source(server), run_id="r1")
    assert counts["received"] == 4 and sorted(sm.stored(warehouse)) == ["R003", "R004", "R005", "R006"]
