from __future__ import annotations

from datetime import UTC, datetime

from cfm.sources.google_api import format_rfc3339, later_timestamp
from cfm.sources.google_forms import GoogleFormsSource, form_summary, question_kind, response_mapping
from cfm.sources.timestamps import parse_utc


def test_rfc3339_with_nine_fraction_digits_z_and_offsets() -> None:
    assert parse_utc("2026-05-01T10:00:00.123456789Z") == datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert parse_utc("2026-05-01T12:00:00+02:00") == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert parse_utc("2026-05-01T10:00:00.5Z") == datetime(2026, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert parse_utc("not a date") is None and parse_utc(None) is None
    assert format_rfc3339(datetime(2026, 5, 1, 10, tzinfo=UTC)) == "2026-05-01T10:00:00.000000Z"
    assert later_timestamp(None, "2026-05-01T10:00:00Z") == "2026-05-01T10:00:00.000000Z"
    assert later_timestamp("2026-06-01T00:00:00.000000Z", "2026-05-01T10:00:00Z") == "2026-06-01T00:00:00.000000Z"


def test_form_summary_titles_questions_grid_rows_and_kinds() -> None:
    definition = {
        "formId": "f", "revisionId": "7", "info": {"documentTitle": "Doc"},
        "items": [
            {"title": "NPS", "questionItem": {"question": {"questionId": "a", "scaleQuestion": {"low": 0, "high": 10}}}},
            {"title": "Stars", "questionItem": {"question": {"questionId": "b", "ratingQuestion": {"ratingScaleLevel": 5, "iconType": "STAR"}}}},
            {"title": "Pick", "questionItem": {"question": {"questionId": "c", "choiceQuestion": {"type": "CHECKBOX"}}}},
            {"title": "Rate", "questionGroupItem": {"questions": [{"questionId": "d", "rowQuestion": {"title": "Speed"}}]}},
            {"title": "Section", "pageBreakItem": {}},
            {"title": "Tell us", "questionItem": {"question": {"questionId": "e", "textQuestion": {"paragraph": True}}}},
        ],
    }
    form = form_summary(definition)
    assert form["title"] == "Doc" and form["revisionId"] == "7"
    assert form["questions"] == {
        "a": {"title": "NPS", "kind": "scale", "low": 0, "high": 10},
        "b": {"title": "Stars", "kind": "rating", "low": 1, "high": 5, "icon": "STAR"},
        "c": {"title": "Pick", "kind": "checkbox"},
        "d": {"title": "Rate / Speed", "kind": "grid"},
        "e": {"title": "Tell us", "kind": "paragraph"},
    }
    assert response_mapping(form, {"rating_question": "b", "rating_type": "star"}) == {
        "rating": {"question_id": "b", "type": "star", "scale_min": 1, "scale_max": 5}, "text_question_id": "e"}
    assert response_mapping(form, {"text_question": "c"}) == {"rating": None, "text_question_id": "c"}
    assert question_kind({"questionId": "x"}) == {"kind": "other"}


def test_responses_without_id_or_time_are_rejected_with_the_field_named() -> None:
    source = GoogleFormsSource({"forms": ["f"]})
    records, rejects = source.parse_page("f", [
        {"responseId": "ok", "lastSubmittedTime": "2026-05-01T10:00:00Z", "unknownField": 1},
        {"lastSubmittedTime": "2026-05-01T10:00:00Z"},
        {"responseId": "late"},
        "junk",
    ], {"questions": {}}, {"rating": None, "text_question_id": None})
    assert [r.source_record_id for r in records] == ["ok"]
    assert records[0].payload["response"]["unknownField"] == 1
    assert [(r.record_ref, r.field) for r in rejects] == [("position 1", "responseId"), ("late", "lastSubmittedTime"),
                                                         ("position 3", "response")]
    assert "source=google_forms account=f record=late field=lastSubmittedTime" in rejects[1].message()
