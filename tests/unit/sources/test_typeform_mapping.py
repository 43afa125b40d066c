"""Pure parsing of Typeform answers and form definitions."""

from __future__ import annotations

from datetime import UTC, datetime

from cfm.sources.timestamps import parse_utc
from cfm.sources.typeform import answer_value, api_time, form_fields, map_response

DEFINITION = {
    "fields": [
        {"id": "os1", "ref": "csat", "title": "How satisfied?", "type": "opinion_scale",
         "properties": {"steps": 5, "start_at_one": True, "description": "ignored"}},
        {"id": "grp", "ref": "g", "title": "Group", "type": "group",
         "properties": {"fields": [{"id": "r1", "ref": "stars", "title": "Stars", "type": "rating", "properties": {"steps": 5}}]}},
        {"id": "st1", "ref": "short", "title": "Short", "type": "short_text"},
        {"title": "no id is skipped"},
    ]
}


def test_form_fields_flattens_groups_and_keeps_scale_properties() -> None:
    fields = form_fields(DEFINITION)
    assert sorted(fields) == ["grp", "os1", "r1", "st1"]
    assert fields["os1"]["properties"] == {"steps": 5, "start_at_one": True}
    assert fields["r1"]["title"] == "Stars"


def test_answer_value_reads_each_typed_key() -> None:
    assert answer_value({"type": "choice", "choice": {"id": "c", "label": "Support"}}) == ("Support", None)
    assert answer_value({"type": "choice", "choice": {"other": "Billing"}}) == ("Billing", None)
    assert answer_value({"type": "choices", "choices": {"labels": ["A", "B"], "other": "C"}}) == ("A, B, C", None)
    assert answer_value({"type": "number", "number": 9}) == ("9", 9.0)
    assert answer_value({"type": "boolean", "boolean": False}) == ("false", 0.0)
    assert answer_value({"type": "email", "email": "a@b.c"}) == ("a@b.c", None)
    assert answer_value({"type": "payment", "payment": {"amount": "12.50"}}) == ("12.50", None)
    assert answer_value({"type": "mystery"}) == (None, None)


def test_configured_csat_on_an_opinion_scale_wins_and_takes_its_scale() -> None:
    response = {"hidden": {"customer_id": "C-1"}, "answers": [
        {"field": {"id": "r1", "type": "rating"}, "type": "number", "number": 2},
        {"field": {"id": "os1", "ref": "csat", "type": "opinion_scale"}, "type": "number", "number": 4},
        {"field": {"id": "st1", "type": "short_text"}, "type": "text", "text": "ok"},
    ]}
    m = map_response(response, form_fields(DEFINITION), {"csat_field": "csat"}, "ar")
    assert (m["rating_type"], m["rating_question_id"], m["rating_value"]) == ("csat", "os1", 4.0)
    assert (m["rating_scale_min"], m["rating_scale_max"]) == (1, 5)
    assert (m["text"], m["customer_external_id"], m["language"]) == ("ok", "C-1", "ar")
    assert [a["question_text"] for a in m["answers"]] == ["Stars", "How satisfied?", "Short"]


def test_without_config_a_rating_field_is_read_as_stars_and_unanswered_means_no_rating() -> None:
    fields = form_fields(DEFINITION)
    stars = map_response({"answers": [{"field": {"id": "r1", "type": "rating"}, "type": "number", "number": 5}]}, fields, {})
    assert (stars["rating_type"], stars["rating_scale_max"]) == ("star", 5)
    empty = map_response({"answers": []}, fields, {"nps_field": "nps"})
    assert empty["rating_type"] is None and empty["answers"] == [] and empty["text"] is None


def test_times_parse_z_offsets_and_naive_as_utc() -> None:
    assert parse_utc("2026-05-01T10:00:03Z") == datetime(2026, 5, 1, 10, 0, 3, tzinfo=UTC)
    assert parse_utc("2026-05-01T12:00:03+02:00") == datetime(2026, 5, 1, 10, 0, 3, tzinfo=UTC)
    assert parse_utc("2026-05-01T10:00:03") == datetime(2026, 5, 1, 10, 0, 3, tzinfo=UTC)
    assert parse_utc("soon") is None and parse_utc(None) is None
    assert api_time(datetime(2026, 5, 1, 10, 0, 3, 999, tzinfo=UTC)) == "2026-05-01T10:00:03"


def test_a_hidden_language_field_wins_over_the_form_language() -> None:
    m = map_response({"hidden": {"lang": "zh"}, "answers": []}, {}, {}, "en")
    assert m["language"] == "zh"


def test_forms_must_be_configured_with_ids() -> None:
    import pytest

    from cfm.sources.base import SourceError
    from cfm.sources.typeform import TypeformSource

    assert TypeformSource({"forms": ["a", {"id": "b", "nps_field": "nps"}]}).accounts() == ["a", "b"]
    with pytest.raises(SourceError, match="no forms configured"):
        TypeformSource({}).accounts()
    with pytest.raises(SourceError, match="needs an id"):
        TypeformSource({"forms": [{"nps_field": "nps"}]})
