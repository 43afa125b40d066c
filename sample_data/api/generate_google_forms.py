"""Generate the recorded Google Forms demo payloads (deterministic): sample_data/api/google_forms/dataset.json.

Two forms (a post-purchase NPS survey and a support CSAT survey with a CES question), with
forms.get definitions and responses.list items shaped as documented, in English, Arabic and
Chinese, some texts carrying PII (emails, phone numbers), dated May-October 2026.
Run: python sample_data/api/generate_google_forms.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "google_forms" / "dataset.json"
START = datetime(2026, 5, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 10, 31, tzinfo=UTC) - START).total_seconds())

TEXTS = {
    "pos": [
        ("en", "Delivery was fast and the packaging was perfect."),
        ("en", "Great prices, I will order again. Reach me at sam.lee@example.com if you need a review."),
        ("ar", "الخدمة ممتازة والتوصيل كان سريعا جدا"),
        ("ar", "تجربة رائعة، شكرا لفريق الدعم"),
        ("zh", "送货很快，包装也很好。"),
        ("zh", "客服态度很好，问题很快就解决了。"),
    ],
    "mid": [
        ("en", "Okay overall, but the app checkout is a bit slow."),
        ("ar", "المنتج جيد لكن السعر مرتفع قليلا"),
        ("zh", "产品还可以，就是价格有点贵。"),
        ("en", "Fine, though tracking updates were confusing."),
    ],
    "neg": [
        ("en", "My order arrived two weeks late and nobody answered. Call me on +1 415 555 0142."),
        ("en", "Refund still not processed, email me at nora.k@example.org please."),
        ("ar", "الطلب وصل متأخرا والمنتج تالف. رقمي 0501234567"),
        ("ar", "خدمة العملاء لم ترد على رسائلي"),
        ("zh", "订单迟到了两个星期，客服一直不回复。电话 13800138000"),
        ("zh", "退款到现在还没有处理。"),
    ],
}
CHANNELS = ["Website", "Mobile app", "In store"]
FIRST = ["amira", "li.wei", "john", "fatima", "zhang.min", "sara", "omar", "chen.jie", "emma", "yusuf"]


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}" + "123Z"


def _text(rng: random.Random, mood: str) -> str:
    return rng.choice(TEXTS[mood])[1]


def _answer(qid: str, *values: str) -> dict:
    return {"questionId": qid, "textAnswers": {"answers": [{"value": v} for v in values]}}


def _response(rng: random.Random, n: int, prefix: str, answers: dict, collect_email: bool) -> dict:
    created = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
    last = created + (timedelta(hours=rng.randrange(1, 48)) if rng.random() < 0.1 else timedelta(seconds=rng.randrange(5, 90)))
    response = {"responseId": f"ACYDBN{prefix}{n:04d}x{rng.randrange(16**6):06x}", "createTime": _stamp(created),
                "lastSubmittedTime": _stamp(last), "answers": answers}
    if collect_email:
        response["respondentEmail"] = f"{rng.choice(FIRST)}{n}@example.com"
    return response


def nps_form(rng: random.Random) -> dict:
    definition = {
        "formId": "1FAIpQLSdemoNpsPostPurchase", "revisionId": "00000042",
        "info": {"title": "How was your order?", "documentTitle": "Post-purchase NPS"},
        "responderUri": "https://docs.google.com/forms/d/e/1FAIpQLSdemoNpsPostPurchase/viewform",
        "items": [
            {"itemId": "0a1b2c3d", "title": "How likely are you to recommend us to a friend or colleague?",
             "questionItem": {"question": {"questionId": "4a1b2c3d", "required": True,
                                           "scaleQuestion": {"low": 0, "high": 10, "lowLabel": "Not likely", "highLabel": "Very likely"}}}},
            {"itemId": "1a2b3c4d", "title": "What is the main reason for your score?",
             "questionItem": {"question": {"questionId": "5e6f7a8b", "textQuestion": {"paragraph": True}}}},
            {"itemId": "2a3b4c5d", "title": "How did you order?",
             "questionItem": {"question": {"questionId": "9c0d1e2f", "choiceQuestion": {
                 "type": "RADIO", "options": [{"value": c} for c in CHANNELS] + [{"isOther": True}]}}}},
        ],
    }
    responses = []
    for n in range(90):
        score = rng.choices(range(11), weights=[2, 1, 1, 2, 2, 3, 4, 8, 10, 14, 13])[0]
        mood = "pos" if score >= 9 else "mid" if score >= 7 else "neg"
        answers = {"4a1b2c3d": _answer("4a1b2c3d", str(score)), "9c0d1e2f": _answer("9c0d1e2f", rng.choice(CHANNELS))}
        if rng.random() < 0.85:
            answers["5e6f7a8b"] = _answer("5e6f7a8b", _text(rng, mood))
        responses.append(_response(rng, n, "n", answers, collect_email=rng.random() < 0.6))
    return {"definition": definition, "responses": responses}


def csat_form(rng: random.Random) -> dict:
    definition = {
        "formId": "1FAIpQLSdemoCsatSupport", "revisionId": "00000017",
        "info": {"title": "Rate your support experience", "documentTitle": "Support CSAT"},
        "items": [
            {"itemId": "3a4b5c6d", "title": "How satisfied are you with the support you received?",
             "questionItem": {"question": {"questionId": "6c7d8e9f", "required": True, "scaleQuestion": {"low": 1, "high": 5}}}},
            {"itemId": "4a5b6c7d", "title": "The company made it easy for me to handle my issue.",
             "questionItem": {"question": {"questionId": "8a9b0c1d", "scaleQuestion": {"low": 1, "high": 7}}}},
            {"itemId": "5a6b7c8d", "title": "Anything we could do better?",
             "questionItem": {"question": {"questionId": "7e8f9a0b", "textQuestion": {"paragraph": True}}}},
            {"itemId": "6a7b8c9d", "title": "Topics", "questionItem": {"question": {"questionId": "1b2c3d4e", "choiceQuestion": {
                "type": "CHECKBOX", "options": [{"value": v} for v in ("Delivery", "Refund", "Product quality", "App")]}}}},
        ],
    }
    responses = []
    for n in range(60):
        csat = rng.choices(range(1, 6), weights=[2, 2, 3, 6, 7])[0]
        mood = "pos" if csat >= 4 else "mid" if csat == 3 else "neg"
        answers = {"6c7d8e9f": _answer("6c7d8e9f", str(csat)),
                   "8a9b0c1d": _answer("8a9b0c1d", str(min(7, max(1, csat + rng.choice([0, 1, 2]))))),
                   "1b2c3d4e": _answer("1b2c3d4e", *rng.sample(["Delivery", "Refund", "Product quality", "App"], rng.randint(1, 2)))}
        if rng.random() < 0.8:
            answers["7e8f9a0b"] = _answer("7e8f9a0b", _text(rng, mood))
        responses.append(_response(rng, n, "c", answers, collect_email=True))
    return {"definition": definition, "responses": responses}


def main() -> None:
    rng = random.Random(20260501)
    dataset = {"forms": {"1FAIpQLSdemoNpsPostPurchase": nps_form(rng), "1FAIpQLSdemoCsatSupport": csat_form(rng)}}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(dataset, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
