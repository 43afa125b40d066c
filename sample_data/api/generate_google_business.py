"""Generate the recorded Google Business Profile demo payloads (deterministic): sample_data/api/google_business/dataset.json.

Two store locations with v4 reviews (starRating enum, comment, createTime/updateTime,
reviewReply, anonymous reviewers, rating-only reviews without a comment, a few
"(Translated by Google)" comments), in English, Arabic and Chinese, some with PII,
dated May-October 2026. Run: python sample_data/api/generate_google_business.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "google_business" / "dataset.json"
START = datetime(2026, 5, 1, tzinfo=UTC)
SPAN = int((datetime(2026, 10, 31, tzinfo=UTC) - START).total_seconds())
ACCOUNT = "accounts/1029384756"
ENUM = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}
TEXTS = {
    5: ["Friendly staff and a spotless store.", "موظفون لطفاء والمتجر نظيف جدا", "店员很热情，店里很干净。"],
    4: ["Good selection, parking is tight.", "تشكيلة جيدة لكن المواقف قليلة", "商品齐全，就是停车不方便。"],
    3: ["Average. Long queue at the counter.", "عادي، الطابور طويل عند الكاشير", "一般，排队时间太长。"],
    2: ["Staff were rude when I asked for help.", "الموظف كان غير مهذب", "店员态度很差。"],
    1: ["Overcharged and the manager ignored me. Call me: +971 50 123 4567 or mail ali.h@example.ae",
        "تم احتساب سعر خاطئ ولم يرد أحد. بريدي mona@example.com", "多收了钱，经理不理我。电话 13912345678"],
}
NAMES = ["Ali H.", "Mona", "王磊", "Jessica T.", "سعيد", "Kevin", "刘洋", "Layla"]


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def review(rng: random.Random, location: str, n: int) -> dict:
    stars = rng.choices([1, 2, 3, 4, 5], weights=[2, 2, 2, 4, 10])[0]
    created = START + timedelta(seconds=rng.randrange(SPAN), milliseconds=rng.randrange(1000))
    updated = created + (timedelta(days=rng.randrange(1, 20)) if rng.random() < 0.15 else timedelta(0))
    review_id = f"AbFvOq{location[-2:]}{n:04d}{rng.randrange(16**10):010x}"
    anonymous = rng.random() < 0.1
    body = {"name": f"{location}/reviews/{review_id}", "reviewId": review_id,
            "reviewer": {"displayName": "A Google user" if anonymous else rng.choice(NAMES), "isAnonymous": anonymous,
                         "profilePhotoUrl": f"https://lh3.googleusercontent.com/a/demo{n}"},
            "starRating": ENUM[stars], "createTime": _ts(created), "updateTime": _ts(updated)}
    roll = rng.random()
    if roll < 0.12:
        pass  # rating-only review: no comment
    elif roll < 0.2:
        original = rng.choice(TEXTS[stars][1:])
        body["comment"] = f"(Translated by Google) {TEXTS[stars][0]}\n\n(Original)\n{original}"
    else:
        body["comment"] = rng.choice(TEXTS[stars])
    if rng.random() < 0.4:
        body["reviewReply"] = {"comment": "Thank you for your feedback. Please reach our team at care@example.com.",
                               "updateTime": _ts(updated + timedelta(hours=rng.randrange(2, 72)))}
    return body


def main() -> None:
    rng = random.Random(20260503)
    locations = {f"{ACCOUNT}/locations/5550001": None, f"{ACCOUNT}/locations/5550002": None}
    data = {loc: [review(rng, loc, n) for n in range(count)] for loc, count in zip(locations, (70, 45), strict=True)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"locations": data}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
