"""Generate the Qualtrics demo payloads in sample_data/api/qualtrics/ (deterministic: fixed seed).

Two surveys: survey definitions (GET /survey-definitions/{id} `result`) and the JSON
export's `responses`. A relationship NPS survey (QID1 with QID1_NPS_GROUP, QID2_TEXT,
multi-select QID3, embedded data) and a support CSAT survey (QID1 1-5 with recodes,
QID3_TEXT). Texts in English, Arabic and Chinese, some with PII. Dates May-Oct 2026.
Run: python sample_data/api/generate_qualtrics.py
"""

from __future__ import annotations

import json
import random
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "qualtrics"
START = datetime(2026, 5, 1, tzinfo=UTC)
TEXTS = {
    "EN": ["Installation team was on time and tidy.", "Your invoice is impossible to understand.",
           "Still waiting for a callback, reach me at sam.r@example.net or +1 212 555 0199.",
           "The chatbot could not answer a simple question.", "Best customer care I have had this year.",
           "Delivery window of 8 hours is too long.", "Account manager never replies."],
    "AR": ["فريق التركيب وصل في الموعد وكان مرتبا.", "الفاتورة غير مفهومة إطلاقا.", "ما زلت أنتظر اتصالا، بريدي omar.s@example.com",
           "أفضل خدمة عملاء هذا العام."],
    "ZH-S": ["安装团队准时又整洁。", "发票完全看不懂。", "还在等回电，我的邮箱 zhang.min@example.cn", "今年遇到的最好的客服。"],
}
AREAS = {"1": "Price", "2": "Installation", "3": "Billing", "4": "Support"}
CSAT = {"1": "Very dissatisfied", "2": "Dissatisfied", "3": "Neutral", "4": "Satisfied", "5": "Very satisfied"}


def _rid(rng: random.Random) -> str:
    return "R_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(15))


def _base(rng: random.Random, lang: str, i: int) -> tuple[dict, datetime]:
    start = START + timedelta(minutes=rng.randrange(0, 183 * 24 * 60))
    duration = rng.randrange(40, 500)
    end = start + timedelta(seconds=duration)
    values = {"startDate": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "endDate": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "status": 0, "ipAddress": f"198.51.100.{rng.randrange(1, 254)}", "progress": 100, "duration": duration,
              "finished": 1, "recordedDate": (end + timedelta(milliseconds=rng.randrange(100, 3000))).strftime(
                  "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
              "distributionChannel": rng.choice(["email", "email", "anonymous", "gl"]), "userLanguage": lang,
              "locationLatitude": "25.2048", "locationLongitude": "55.2708"}
    if values["distributionChannel"] == "email":
        values.update(recipientEmail=f"client{i:03d}@example.com", recipientFirstName="Client",
                      recipientLastName=f"{i:03d}", externalDataReference=f"CUST-{rng.randrange(1000, 9999)}")
    return values, end


def nps_survey() -> tuple[dict, list[dict]]:
    rng = random.Random(505)
    definition = {"SurveyID": "SV_nps0Relationship", "SurveyName": "Relationship NPS 2026", "SurveyStatus": "Active",
                  "Questions": {
                      "QID1": {"QuestionText": "How likely are you to recommend <b>Acme</b> to a friend or colleague?",
                               "QuestionType": "MC", "Selector": "NPS", "DataExportTag": "Q1",
                               "Choices": {str(n): {"Display": str(n)} for n in range(11)}},
                      "QID2": {"QuestionText": "What is the primary reason for your score?", "QuestionType": "TE",
                               "Selector": "ESTB", "DataExportTag": "Q2"},
                      "QID3": {"QuestionText": "Which areas matter most to you?", "QuestionType": "MC", "Selector": "MAVR",
                               "DataExportTag": "Q3", "Choices": {k: {"Display": v} for k, v in AREAS.items()}}}}
    responses = []
    for i in range(80):
        lang = rng.choice(["EN", "EN", "EN", "AR", "ZH-S"])
        values, _ = _base(rng, lang, i)
        score = rng.choices(range(11), weights=[2, 1, 1, 2, 2, 3, 4, 6, 8, 9, 8])[0]
        group = 1 if score <= 6 else 2 if score <= 8 else 3
        rid = _rid(rng)
        values.update({"_recordId": rid, "QID1": score, "QID1_NPS_GROUP": group, "customer_tier": rng.choice(["gold", "silver"])})
        labels = {"status": "IP Address", "finished": "True", "QID1": str(score),
                  "QID1_NPS_GROUP": ["Detractor", "Passive", "Promoter"][group - 1]}
        if rng.random() < 0.85:
            values["QID2_TEXT"] = rng.choice(TEXTS[lang])
        picks = sorted(rng.sample(list(AREAS), rng.randrange(0, 3)))
        if picks:
            values["QID3"] = [int(p) for p in picks]
            labels["QID3"] = [AREAS[p] for p in picks]
        responses.append({"responseId": rid, "values": values, "labels": labels,
                          "displayedFields": ["QID1", "QID2_TEXT", "QID3"], "displayedValues": {"QID1": list(range(11))}})
    return definition, responses


def csat_survey() -> tuple[dict, list[dict]]:
    rng = random.Random(606)
    definition = {"SurveyID": "SV_csat0Support", "SurveyName": "Support CSAT", "SurveyStatus": "Active",
                  "Questions": {
                      "QID1": {"QuestionText": "Overall, how satisfied were you with our support?", "QuestionType": "MC",
                               "Selector": "SAVR", "Choices": {k: {"Display": v} for k, v in CSAT.items()},
                               "RecodeValues": {k: k for k in CSAT}},
                      "QID3": {"QuestionText": "How could we improve?", "QuestionType": "TE", "Selector": "ML"}}}
    responses = []
    for i in range(50):
        lang = rng.choice(["EN", "EN", "AR", "ZH-S"])
        values, _ = _base(rng, lang, 500 + i)
        rid = _rid(rng)
        csat = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 5])[0]
        values.update({"_recordId": rid, "QID1": csat})
        labels = {"finished": "True", "QID1": CSAT[str(csat)]}
        if rng.random() < 0.7:
            values["QID3_TEXT"] = rng.choice(TEXTS[lang])
        if rng.random() < 0.08:
            values.update(progress=60, finished=0)
            labels["finished"] = "False"
        responses.append({"responseId": rid, "values": values, "labels": labels, "displayedFields": ["QID1", "QID3_TEXT"],
                          "displayedValues": {"QID1": [1, 2, 3, 4, 5]}})
    return definition, responses


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for definition, responses in (nps_survey(), csat_survey()):
        sid = definition["SurveyID"]
        responses.sort(key=lambda r: r["values"]["recordedDate"])
        (OUT / f"definition_{sid}.json").write_text(json.dumps(definition, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        (OUT / f"responses_{sid}.json").write_text(json.dumps({"responses": responses}, ensure_ascii=False, indent=1) + "\n",
                                                   encoding="utf-8")


if __name__ == "__main__":
    main()
