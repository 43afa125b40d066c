"""Generate the recorded Trustpilot sample payloads in sample_data/api/trustpilot/ (deterministic).

Run: python sample_data/api/generate_trustpilot.py. Two business units, reviews from May to
October 2026 in English, Arabic and Chinese, some with company replies, some edited later,
some with PII in the text (emails, phone numbers) for the redaction stage to find.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "trustpilot"
UNITS = {
    "5f0c1d2e3a4b5c6d7e8f9012": ("example-shop.com", "Example Shop", 70),
    "5f0c1d2e3a4b5c6d7e8f9034": ("example-travel.ae", "Example Travel", 50),
}
TEXTS = {
    "en": [
        (5, "Fast delivery", "Ordered on Monday, arrived on Wednesday. Packaging was perfect."),
        (4, "Good but pricey", "Quality is great, shipping costs are a bit high for small orders."),
        (1, "Never arrived", "My parcel never arrived and nobody answers. Call me on +44 7700 900123 please."),
        (2, "Refund still pending", "Returned the jacket three weeks ago, still no refund. My email is sam.taylor@example.org."),
        (3, "Okay experience", "The product is fine, but the tracking page was not updated for days."),
        (5, "Great customer service", "Agent Priya sorted out my wrong size in one chat. Brilliant."),
        (1, "Charged twice", "I was charged twice for order 88231. Card ending 4242. Fix this!"),
        (4, "Would buy again", "Nice selection and easy checkout on the app."),
    ],
    "ar": [
        (5, "خدمة ممتازة", "وصل الطلب بسرعة والتغليف ممتاز. شكراً لكم."),
        (1, "لم يصل الطلب", "طلبي لم يصل بعد أسبوعين. اتصلوا بي على +971 50 123 4567 من فضلكم."),
        (2, "استرداد المبلغ متأخر", "أرجعت المنتج ولم أسترد المال حتى الآن. بريدي: ahmed.k@example.ae"),
        (4, "تجربة جيدة", "المنتج جيد لكن التوصيل كان بطيئاً قليلاً."),
        (3, "عادي", "الجودة مقبولة والسعر مرتفع بعض الشيء."),
    ],
    "zh": [
        (5, "非常满意", "物流很快，包装完好，客服态度很好。"),
        (1, "一直没有收到货", "订单两周了还没到，请联系我 13800138000。"),
        (2, "退款太慢", "退货三周了还没有退款，我的邮箱是 li.wei@example.cn。"),
        (4, "质量不错", "衣服质量很好，就是尺码偏小。"),
        (3, "一般", "东西还可以，但是配送时间太长了。"),
    ],
}
EDIT_NOTE = {"en": " (Update: still waiting.)", "ar": " (تحديث: ما زلت أنتظر.)", "zh": "（更新：还在等。）"}
REPLIES = {
    "en": "Thank you for your feedback. We're sorry about this and have passed it to our team.",
    "ar": "شكراً لملاحظاتك. نعتذر عن ذلك وقد أبلغنا فريقنا.",
    "zh": "感谢您的反馈，我们深表歉意，已转交相关团队处理。",
}
NAMES = {"en": ["Sam T.", "Ann D.", "Chris P.", "Jo M."], "ar": ["أحمد ك.", "فاطمة س.", "Omar H."],
         "zh": ["李伟", "王芳", "Zhang L."]}
LOCATIONS = {"en": ["London, GB", "Leeds, GB", "Dublin, IE"], "ar": ["Dubai, AE", "Riyadh, SA"],
             "zh": ["Shanghai, CN", "Singapore, SG"]}


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def generate() -> dict[str, dict]:
    """Every business unit's `{"reviews": [...]}` document, newest first, as the API pages it."""
    rng = random.Random(20260501)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    span = (datetime(2026, 10, 31, tzinfo=UTC) - start).total_seconds()
    out: dict[str, dict] = {}
    for unit, (identifying, display, count) in UNITS.items():
        reviews = []
        for n in range(count):
            lang = rng.choices(["en", "ar", "zh"], weights=[5, 3, 2])[0]
            stars, title, text = rng.choice(TEXTS[lang])
            created = start + timedelta(seconds=int(rng.uniform(0, span)))
            updated = None
            if rng.random() < 0.15:  # the reviewer edited the review days later
                updated = created + timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
                text += EDIT_NOTE[lang]
            reply = None
            if stars <= 3 or rng.random() < 0.3:
                replied = (updated or created) + timedelta(hours=rng.randint(2, 72))
                reply = {"text": REPLIES[lang], "authorBusinessUserId": "5f0c1d2e3a4b5c6d7e8fa001",
                         "createdAt": _ts(replied), "updatedAt": None}
            reviews.append({
                "id": f"64{unit[2:8]}{n:04d}{rng.getrandbits(48):012x}",
                "stars": stars,
                "title": title,
                "text": text,
                "language": lang,
                "createdAt": _ts(created),
                "updatedAt": _ts(updated) if updated else None,
                "experiencedAt": (created - timedelta(days=rng.randint(0, 10))).strftime("%Y-%m-%dT00:00:00.000Z"),
                "consumer": {"id": f"6a{rng.getrandbits(88):022x}", "displayName": rng.choice(NAMES[lang]),
                             "displayLocation": rng.choice(LOCATIONS[lang]), "numberOfReviews": rng.randint(1, 30)},
                "businessUnit": {"id": unit, "identifyingName": identifying, "displayName": display},
                "location": None,
                "companyReply": reply,
                "referenceId": f"O-{rng.randint(10000, 99999)}",
                "referralEmail": f"customer{n:03d}@example.com" if rng.random() < 0.7 else None,
                "source": rng.choice(["InvitationApi", "Organic", "AFSv2"]),
                "tags": [{"group": "channel", "value": rng.choice(["web", "app", "store"])}],
                "isVerified": rng.random() < 0.8,
                "numberOfLikes": rng.randint(0, 5),
                "status": "active",
            })
        reviews.sort(key=lambda r: r["createdAt"], reverse=True)
        out[unit] = {"reviews": reviews}
    return out


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for unit, document in generate().items():
        path = OUT / f"reviews_{unit}.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {len(document['reviews'])} reviews to {path.name}")
