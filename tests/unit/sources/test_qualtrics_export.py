"""Pure parsing of Qualtrics export files, definitions and responses."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from cfm.sources.qualtrics import as_number, map_response, read_export, survey_questions


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


# Qualtrics CSV: header, question texts, then the ImportId row (JSON cells, quoted by the CSV writer).
CSV_EXPORT = _csv([
    ["StartDate", "RecordedDate", "ResponseId", "UserLanguage", "Q1", "Q1_NPS_GROUP", "Q2"],
    ["Start Date", "Recorded Date", "Response ID", "User Language", "How likely?", "How likely? - Group", "Why?"],
    ['{"ImportId":"startDate","timeZone":"Z"}', '{"ImportId":"recordedDate","timeZone":"Z"}', '{"ImportId":"_recordId"}',
     '{"ImportId":"userLanguage"}', '{"ImportId":"QID1"}', '{"ImportId":"QID1_NPS_GROUP"}', '{"ImportId":"QID2_TEXT"}'],
    ["2026-05-01 10:00:00", "2026-05-01 10:02:00", "R_abc", "AR", "3", "1", "التوصيل تأخر, كثيرا"],
])


def _zip(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, text)
    return buf.getvalue()


def test_csv_export_is_keyed_by_import_id_and_decoded() -> None:
    responses, fmt = read_export(_zip("Survey.csv", CSV_EXPORT))
    assert fmt == "csv" and len(responses) == 1
    r = responses[0]
    assert r["responseId"] == "R_abc" and r["values"]["QID2_TEXT"] == "التوصيل تأخر, كثيرا"
    m = map_response(r, {}, {})
    assert (m["rating_type"], m["rating_value"], m["nps_group"], m["language"]) == ("nps", 3.0, "detractor", "ar")
    assert m["text"] == "التوصيل تأخر, كثيرا"


def test_json_export_zipped_or_bare_and_garbage_rejected() -> None:
    body = json.dumps({"responses": [{"responseId": "R_1", "values": {}}]})
    assert read_export(_zip("S.json", body)) == ([{"responseId": "R_1", "values": {}}], "json")
    assert read_export(body.encode())[0][0]["responseId"] == "R_1"
    with pytest.raises(ValueError):
        read_export(_zip("S.json", json.dumps({"result": []})))
    with pytest.raises(ValueError):
        read_export(_zip("readme.txt", "x"))


def test_definition_recodes_and_configured_csat_scale() -> None:
    qs = survey_questions({"result": {"Questions": {"QID4": {
        "QuestionText": "<p>Satisfied?</p>", "QuestionType": "Matrix", "RecodeValues": {"1": "5", "2": "1"},
        "Choices": {"1": {"Display": "Very"}, "2": {"Display": "Not at all"}}}}}})
    assert qs["QID4"]["choices"] == {"5": "Very", "1": "Not at all"} and qs["QID4"]["text"] == "Satisfied?"
    m = map_response({"values": {"QID4": 5, "QID9_TEXT": "  "}, "labels": {}}, qs, {"csat_question": "QID4"})
    assert (m["rating_type"], m["rating_value"], m["rating_scale_min"], m["rating_scale_max"]) == ("csat", 5.0, 1.0, 5.0)
    assert m["answers"][0]["answer_value"] == "Very" and m["text"] is None


def test_as_number() -> None:
    assert as_number(8) == 8.0 and as_number(" 7.5 ") == 7.5 and as_number("x") is None and as_number(True) is None


def test_base_url_comes_from_the_datacenter_and_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    from cfm.sources.base import SourceError
    from cfm.sources.qualtrics import QualtricsSource

    monkeypatch.delenv("CFM_QUALTRICS_BASE_URL", raising=False)
    monkeypatch.delenv("CFM_QUALTRICS_DATACENTER", raising=False)
    assert QualtricsSource({"datacenter": "fra1", "surveys": ["SV_1"]}).base_url() == "https://fra1.qualtrics.com/API/v3"
    with pytest.raises(SourceError, match="datacenter"):
        QualtricsSource({"surveys": ["SV_1"]}).base_url()
    with pytest.raises(SourceError, match="no surveys configured"):
        QualtricsSource({}).accounts()


def test_float_codes_find_their_choice_text() -> None:
    qs = {"QID5": {"text": "Tier", "choices": {"2": "Gold"}}}
    m = map_response({"values": {"QID5": 2.0}, "labels": {}}, qs, {})
    assert m["answers"][0]["answer_value"] == "Gold"
