"""Pure parsing of SurveyMonkey details and bulk responses."""

from __future__ import annotations

from cfm.sources.surveymonkey import choice_score, map_response, plain_heading, survey_questions

DETAILS = {"pages": [{"questions": [
    {"id": "ces", "family": "single_choice", "headings": [{"heading": "It was easy to get help"}],
     "answers": {"choices": [{"id": f"e{i}", "text": t, "position": i + 1, "weight": i + 1}
                             for i, t in enumerate(["Strongly disagree", "Disagree", "Somewhat disagree", "Neutral",
                                                    "Somewhat agree", "Agree", "Strongly agree"])]}},
    {"id": "nps", "family": "matrix", "subtype": "nps", "headings": [{"heading": "Recommend?"}],
     "answers": {"rows": [{"id": "r", "text": ""}],
                 "choices": [{"id": f"n{i}", "text": "", "position": i + 1} for i in range(11)]}},
    {"id": "multi", "family": "multiple_choice", "headings": [{"heading": "What went wrong?"}],
     "answers": {"choices": [{"id": "m1", "text": "Price", "position": 1}], "other": {"id": "mo", "text": "Other"}}},
    {"headings": [{"heading": "no id"}]},
]}]}


def test_survey_questions_indexes_choices_rows_and_other() -> None:
    qs = survey_questions(DETAILS)
    assert sorted(qs) == ["ces", "multi", "nps"]
    assert qs["multi"]["other_id"] == "mo" and qs["nps"]["rows"] == {"r": ""}
    assert qs["ces"]["choices"]["e6"]["text"] == "Strongly agree"


def test_choice_score_rules() -> None:
    assert choice_score({"text": "10 - Extremely likely", "position": 11}, "nps") == 10.0
    assert choice_score({"text": "", "position": 1}, "nps") == 0.0
    assert choice_score({"text": "Agree", "position": 6, "weight": 6}, "ces") == 6.0
    assert choice_score({"text": "Very satisfied", "position": 1}, "csat", reverse=True, n_choices=5) == 5.0
    assert choice_score({"text": "Very satisfied", "position": 1}, "csat") == 1.0
    assert choice_score({"text": "no position"}, "csat") is None


def test_map_response_reads_ces_multi_choice_other_and_auto_nps() -> None:
    response = {"id": "1", "email_address": "", "custom_variables": {"email": "x@y.z"}, "language": "ar", "pages": [
        {"questions": [
            {"id": "nps", "answers": [{"choice_id": "n9", "row_id": "r"}]},
            {"id": "ces", "answers": [{"choice_id": "e5"}]},
            {"id": "multi", "answers": [{"choice_id": "m1"}, {"other_id": "mo", "text": "الشحن متأخر"}]},
            {"id": "gone", "answers": [{"text": "answer to a deleted question"}]},
        ]}]}
    m = map_response(response, survey_questions(DETAILS), {"ces_question": "ces"})
    assert (m["rating_type"], m["rating_value"], m["rating_scale_min"], m["rating_scale_max"]) == ("ces", 6.0, 1.0, 7.0)
    assert [(a["question_id"], a["answer_type"], a["answer_value"], a["answer_number"]) for a in m["answers"]] == [
        ("nps", "choice", "n9", 9.0), ("ces", "choice", "Agree", 6.0), ("multi", "choice", "Price", None),
        ("multi", "other", "الشحن متأخر", None), ("gone", "text", "answer to a deleted question", None)]
    assert (m["customer_email"], m["language"], m["text"]) == ("x@y.z", "ar", "answer to a deleted question")
    auto = map_response(response, survey_questions(DETAILS), {})
    assert (auto["rating_type"], auto["rating_value"]) == ("nps", 9.0)


def test_plain_heading_strips_html() -> None:
    assert plain_heading("<p>How <b>easy</b>&nbsp;was it?</p>") == "How easy was it?"
    assert plain_heading(None) is None


def test_primary_language() -> None:
    from cfm.sources.timestamps import primary_language

    assert primary_language("zh-CN") == "zh" and primary_language("EN") == "en" and primary_language("") is None
