"""Generate the Typeform demo payloads in sample_data/api/typeform/ (deterministic: fixed seed).

Two forms: a relationship NPS form (nps + long_text + email, hidden customer_id) and a
support CSAT form (opinion_scale 1-5 + short_text). Texts in English, Arabic and Chinese,
some with PII (emails, phone numbers) for the redaction stage. Dates May-Oct 2026.
Run: python sample_data/api/generate_typeform.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "typeform"
START = datetime(2026, 5, 1, tzinfo=UTC)
TEXTS = {
    "en": ["Delivery was two days late and nobody told me.", "Great service, the courier was very friendly.",
           "Refund took three weeks. Call me on +1 415 555 0134 if you need details.",
           "The app keeps logging me out.", "Prices went up again, thinking of switching.",
           "Support agent Sara solved it in five minutes!", "Please email me at jane.doe@example.com about my order.",
           "Package arrived damaged, box was crushed.", "Easy checkout, will buy again.", "Too many marketing emails."],
    "ar": ["التوصيل تأخر يومين ولم يخبرني أحد.", "خدمة ممتازة والمندوب كان لطيفا جدا.",
           "استرجاع المبلغ استغرق ثلاثة أسابيع، رقمي 0501234567.", "التطبيق يسجل خروجي باستمرار.",
           "الأسعار ارتفعت مرة أخرى.", "موظفة الدعم حلت المشكلة بسرعة!", "راسلوني على ahmed.k@example.com بخصوص طلبي."],
    "zh": ["快递晚了两天，也没有人通知我。", "服务很好，快递员非常友好。", "退款用了三个星期。我的电话是 13812345678。",
           "应用总是自动退出登录。", "价格又涨了，考虑换一家。", "客服很快就解决了问题！", "请发邮件到 li.wei@example.cn 联系我。"],
}
NPS_TITLES = {"en": "How likely are you to recommend us to a friend?", "ar": "ما مدى احتمال أن توصي بنا لصديق؟",
              "zh": "您向朋友推荐我们的可能性有多大？"}


def _when(rng: random.Random) -> datetime:
    return START + timedelta(minutes=rng.randrange(0, 183 * 24 * 60))


def nps_form() -> tuple[dict, list[dict]]:
    rng = random.Random(101)
    form = {"id": "tfNPS01", "title": "Relationship NPS", "type": "quiz", "settings": {"language": "en"},
            "fields": [{"id": "fNps", "ref": "nps", "title": NPS_TITLES["en"], "type": "nps",
                        "properties": {"steps": 11, "start_at_one": False, "labels": {"left": "Not likely", "right": "Very likely"}},
                        "validations": {"required": True}},
                       {"id": "fWhy", "ref": "why", "title": "What is the main reason for your score?", "type": "long_text",
                        "properties": {}, "validations": {"required": False}},
                       {"id": "fMail", "ref": "email", "title": "Your email (optional)", "type": "email", "properties": {}}],
            "hidden": ["customer_id", "lang"], "_links": {"display": "https://example.typeform.com/to/tfNPS01"}}
    items = []
    for i in range(90):
        lang = rng.choice(["en", "en", "en", "ar", "zh"])
        when = _when(rng)
        token = f"{rng.getrandbits(128):032x}"
        score = rng.choices(range(11), weights=[2, 1, 1, 2, 2, 3, 4, 6, 8, 9, 8])[0]
        answers = [{"field": {"id": "fNps", "ref": "nps", "type": "nps"}, "type": "number", "number": score}]
        if rng.random() < 0.85:
            answers.append({"field": {"id": "fWhy", "ref": "why", "type": "long_text"}, "type": "text", "text": rng.choice(TEXTS[lang])})
        if rng.random() < 0.4:
            answers.append({"field": {"id": "fMail", "ref": "email", "type": "email"}, "type": "email",
                            "email": f"customer{i:03d}@example.com"})
        items.append({"landing_id": token, "token": token, "response_id": token, "response_type": "completed",
                      "landed_at": (when - timedelta(seconds=rng.randrange(30, 400))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "submitted_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "metadata": {"user_agent": "Mozilla/5.0", "platform": rng.choice(["other", "mobile"]),
                                   "referer": "https://example.typeform.com/to/tfNPS01", "network_id": f"{rng.getrandbits(40):010x}",
                                   "browser": "default"},
                      "hidden": {"customer_id": f"CUST-{rng.randrange(1000, 9999)}", "lang": lang},
                      "calculated": {"score": 0}, "variables": [], "answers": answers})
    return form, sorted(items, key=lambda x: x["submitted_at"])


def csat_form() -> tuple[dict, list[dict]]:
    rng = random.Random(202)
    form = {"id": "tfCSAT02", "title": "Support satisfaction", "type": "form", "settings": {"language": "en"},
            "fields": [{"id": "fCsat", "ref": "csat", "title": "How satisfied are you with the support you received?",
                        "type": "opinion_scale", "properties": {"steps": 5, "start_at_one": True}},
                       {"id": "fTopic", "ref": "topic", "title": "What was your request about?", "type": "multiple_choice",
                        "properties": {"choices": [{"id": "c1", "ref": "billing", "label": "Billing"},
                                                   {"id": "c2", "ref": "delivery", "label": "Delivery"},
                                                   {"id": "c3", "ref": "account", "label": "Account"}]}},
                       {"id": "fComment", "ref": "comment", "title": "Anything we could do better?", "type": "short_text"}],
            "hidden": ["ticket_id"]}
    items = []
    for _ in range(60):
        lang = rng.choice(["en", "en", "ar", "zh"])
        when = _when(rng)
        token = f"{rng.getrandbits(128):032x}"
        choice = rng.choice(form["fields"][1]["properties"]["choices"])
        answers = [{"field": {"id": "fCsat", "ref": "csat", "type": "opinion_scale"}, "type": "number",
                    "number": rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 5])[0]},
                   {"field": {"id": "fTopic", "ref": "topic", "type": "multiple_choice"}, "type": "choice",
                    "choice": {"id": choice["id"], "label": choice["label"], "ref": choice["ref"]}}]
        if rng.random() < 0.7:
            answers.append({"field": {"id": "fComment", "ref": "comment", "type": "short_text"}, "type": "text",
                            "text": rng.choice(TEXTS[lang])})
        items.append({"landing_id": token, "token": token, "response_id": token, "response_type": "completed",
                      "landed_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "submitted_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "metadata": {"platform": "other", "browser": "default"},
                      "hidden": {"ticket_id": f"T-{rng.randrange(10000, 99999)}"}, "calculated": {"score": 0},
                      "variables": [], "answers": answers})
    return form, sorted(items, key=lambda x: x["submitted_at"])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for form, items in (nps_form(), csat_form()):
        (OUT / f"form_{form['id']}.json").write_text(json.dumps(form, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        body = {"total_items": len(items), "page_count": 1, "items": items}
        (OUT / f"responses_{form['id']}.json").write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
