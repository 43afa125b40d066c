"""Generate the SurveyMonkey demo payloads in sample_data/api/surveymonkey/ (deterministic: fixed seed).

Two surveys with /details and /responses/bulk payloads: a relationship NPS survey (an
11-point rating matrix, an areas multiple choice with an Other box, an essay) and a
CES 2.0 survey (7-point agree scale with weights, contact channel, an essay). Texts in
English, Arabic and Chinese, some with PII. Dates May-Oct 2026, some responses edited later.
Run: python sample_data/api/generate_surveymonkey.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "surveymonkey"
START = datetime(2026, 5, 1, tzinfo=UTC)
TEXTS = {
    "en": ["The courier left the parcel outside in the rain.", "Love the new loyalty programme.",
           "Billing charged me twice, contact me at mark.t@example.org", "Checkout is slow on mobile.",
           "Friendly staff at the Dubai store.", "I waited 40 minutes on hold, my number is +44 20 7946 0958.",
           "Product quality has improved a lot.", "The website search never finds anything."],
    "ar": ["المندوب ترك الطرد خارج الباب تحت المطر.", "أحب برنامج الولاء الجديد.", "تم خصم المبلغ مرتين، تواصلوا معي 0559876543",
           "الدفع بطيء على الجوال.", "موظفو فرع دبي ودودون."],
    "zh": ["快递员把包裹放在门外淋雨了。", "很喜欢新的会员计划。", "被重复扣款两次，请联系 wang.fang@example.cn",
           "手机上结账很慢。", "产品质量提高了很多。"],
}
AREAS = [("590722992", "Delivery"), ("590722993", "Price"), ("590722994", "Customer support"), ("590722995", "Website")]
CES = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Agree",
       "Strongly agree"]


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def nps_survey() -> tuple[dict, list[dict]]:
    rng = random.Random(303)
    details = {"id": "506487016", "title": "Customer relationship survey", "language": "en", "question_count": 3,
               "date_created": "2026-04-20T08:00:00+00:00", "date_modified": "2026-04-22T08:00:00+00:00",
               "pages": [{"id": "28173422", "position": 1, "questions": [
                   {"id": "73575767", "family": "matrix", "subtype": "rating", "position": 1,
                    "headings": [{"heading": "<p>How likely is it that you would recommend <strong>us</strong> to a friend?</p>"}],
                    "answers": {"rows": [{"id": "590723046", "text": "", "position": 1}],
                                "choices": [{"id": f"5907229{i:02d}", "text": str(i), "position": i + 1, "visible": True}
                                            for i in range(11)]}},
                   {"id": "73575768", "family": "multiple_choice", "subtype": "vertical", "position": 2,
                    "headings": [{"heading": "Which areas should we improve?"}],
                    "answers": {"choices": [{"id": cid, "text": t, "position": n + 1} for n, (cid, t) in enumerate(AREAS)],
                                "other": {"id": "590722999", "text": "Other (please specify)"}}},
                   {"id": "73575770", "family": "open_ended", "subtype": "essay", "position": 3,
                    "headings": [{"heading": "Tell us more about your experience."}]}]}]}
    data = []
    for i in range(80):
        lang = rng.choice(["en", "en", "en", "ar", "zh"])
        created = START + timedelta(minutes=rng.randrange(0, 183 * 24 * 60))
        modified = created + timedelta(seconds=rng.randrange(60, 600))
        if rng.random() < 0.1:
            modified += timedelta(days=rng.randrange(1, 5))  # edited later
        score = rng.choices(range(11), weights=[2, 1, 1, 2, 2, 3, 4, 6, 8, 9, 8])[0]
        questions = [{"id": "73575767", "answers": [{"choice_id": f"5907229{score:02d}", "row_id": "590723046"}]}]
        picks = rng.sample(AREAS, rng.randrange(0, 3))
        area_answers = [{"choice_id": cid} for cid, _ in picks]
        if rng.random() < 0.15:
            area_answers.append({"other_id": "590722999", "text": rng.choice(["Packaging", "التغليف", "包装"])})
        if area_answers:
            questions.append({"id": "73575768", "answers": area_answers})
        if rng.random() < 0.8:
            questions.append({"id": "73575770", "answers": [{"text": rng.choice(TEXTS[lang]), "tag_data": []}]})
        rid = str(118052219061 + i * 7)
        data.append({"id": rid, "recipient_id": "", "collection_mode": "default", "response_status": "completed",
                     "custom_value": f"CUST-{rng.randrange(1000, 9999)}", "first_name": "", "last_name": "",
                     "email_address": f"respondent{i:03d}@example.com" if rng.random() < 0.5 else "",
                     "ip_address": f"203.0.113.{rng.randrange(1, 254)}", "logic_path": {}, "metadata": {"contact": {}},
                     "page_path": [], "collector_id": "446111201", "survey_id": "506487016",
                     "custom_variables": {"region": rng.choice(["UAE", "KSA", "CN", "UK"])}, "language": lang,
                     "total_time": rng.randrange(30, 600), "date_created": _iso(created), "date_modified": _iso(modified),
                     "edit_url": "https://www.surveymonkey.com/r/?sm=redacted",
                     "analyze_url": "https://www.surveymonkey.com/analyze/browse/redacted",
                     "href": f"https://api.surveymonkey.com/v3/surveys/506487016/responses/{rid}",
                     "pages": [{"id": "28173422", "questions": questions}]})
    return details, data


def ces_survey() -> tuple[dict, list[dict]]:
    rng = random.Random(404)
    details = {"id": "506487017", "title": "Help centre effort survey", "language": "en",
               "pages": [{"id": "38173422", "questions": [
                   {"id": "83575771", "family": "single_choice", "subtype": "vertical",
                    "headings": [{"heading": "The company made it easy for me to handle my issue."}],
                    "answers": {"choices": [{"id": f"6907230{n}", "text": t, "position": n + 1, "weight": n + 1}
                                            for n, t in enumerate(CES)]}},
                   {"id": "83575772", "family": "single_choice", "subtype": "menu",
                    "headings": [{"heading": "How did you contact us?"}],
                    "answers": {"choices": [{"id": "69072401", "text": "Chat", "position": 1},
                                            {"id": "69072402", "text": "Phone", "position": 2},
                                            {"id": "69072403", "text": "Email", "position": 3}]}},
                   {"id": "83575773", "family": "open_ended", "subtype": "essay",
                    "headings": [{"heading": "What could we have done to make it easier?"}]}]}]}
    data = []
    for i in range(60):
        lang = rng.choice(["en", "en", "ar", "zh"])
        created = START + timedelta(minutes=rng.randrange(0, 183 * 24 * 60))
        effort = rng.choices(range(7), weights=[1, 1, 2, 2, 4, 6, 5])[0]
        questions = [{"id": "83575771", "answers": [{"choice_id": f"6907230{effort}"}]},
                     {"id": "83575772", "answers": [{"choice_id": rng.choice(["69072401", "69072402", "69072403"])}]}]
        if rng.random() < 0.7:
            questions.append({"id": "83575773", "answers": [{"text": rng.choice(TEXTS[lang])}]})
        rid = str(218052219061 + i * 11)
        data.append({"id": rid, "survey_id": "506487017", "collector_id": "446111202", "collection_mode": "default",
                     "response_status": rng.choice(["completed"] * 9 + ["partial"]), "custom_value": "",
                     "email_address": f"helpuser{i:03d}@example.com", "language": lang, "total_time": rng.randrange(20, 300),
                     "date_created": _iso(created), "date_modified": _iso(created + timedelta(seconds=rng.randrange(20, 300))),
                     "custom_variables": {"ticket": f"T-{rng.randrange(10000, 99999)}"}, "metadata": {"contact": {}},
                     "logic_path": {}, "page_path": [], "pages": [{"id": "38173422", "questions": questions}]})
    return details, data


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for details, data in (nps_survey(), ces_survey()):
        (OUT / f"details_{details['id']}.json").write_text(json.dumps(details, ensure_ascii=False, indent=1) + "\n",
                                                           encoding="utf-8")
        data.sort(key=lambda r: r["date_modified"])
        body = {"data": data, "per_page": len(data), "page": 1, "total": len(data), "links": {}}
        (OUT / f"responses_{details['id']}.json").write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n",
                                                             encoding="utf-8")


if __name__ == "__main__":
    main()
