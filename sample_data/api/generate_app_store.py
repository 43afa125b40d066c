"""Generate the recorded App Store Connect sample payloads in sample_data/api/app_store/ (deterministic).

Run: python sample_data/api/generate_app_store.py. Two apps, customer reviews from May to
October 2026 in English, Arabic and Chinese with the reviewer's local offset in
`createdDate` (as Apple sends it), developer responses for some, and PII in some texts.
Each file is one JSON:API document (`data` + `included`), newest first.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent / "app_store"
APPS = {"1488201234": 60, "1488205678": 45}
TERRITORIES = {"en": [("USA", -7), ("GBR", 1), ("AUS", 10)], "ar": [("ARE", 4), ("SAU", 3), ("EGY", 3)],
               "zh": [("CHN", 8), ("TWN", 8), ("SGP", 8)]}
TEXTS = {
    "en": [
        (2, "Keeps logging me out", "Since the last update I have to log in every day."),
        (5, "Love it", "Clean design and the offline mode works great on the train."),
        (1, "Crashes on launch", "App crashes on my iPhone 13 since 4.2. Contact me: jordan.lee@example.com"),
        (4, "Almost perfect", "Please add dark mode for the widgets."),
        (3, "Slow sync", "Sync between iPad and iPhone takes minutes."),
        (1, "Subscription trap", "Cancelled but still billed. Call me back on (415) 555-0134."),
    ],
    "ar": [
        (5, "تطبيق رائع", "سهل الاستخدام وسريع جداً."),
        (1, "يتوقف فجأة", "التطبيق يغلق فجأة بعد التحديث الأخير. تواصلوا معي: sara.m@example.sa"),
        (3, "جيد", "جيد لكن يحتاج دعم اللغة العربية بشكل أفضل."),
        (2, "بطيء", "التحميل بطيء جداً على شبكة الجوال."),
    ],
    "zh": [
        (5, "很好用", "界面简洁，功能齐全，强烈推荐。"),
        (1, "闪退", "更新后一打开就闪退，请尽快修复。我的手机号 13912345678。"),
        (4, "不错", "整体不错，希望增加夜间模式。"),
        (2, "同步太慢", "多设备同步经常失败。"),
    ],
}
RESPONSES = {
    "en": "Thanks for the report! Version 4.2.1 fixes this; please update and let us know.",
    "ar": "شكراً لملاحظتك! الإصدار 4.2.1 يحل المشكلة، يرجى التحديث.",
    "zh": "感谢反馈！4.2.1 版本已修复此问题，请更新后再试。",
}
NICKNAMES = {"en": ["ann_d", "mike77", "jordanL", "happyuser"], "ar": ["ahmed_k", "noor.s", "user9821"],
             "zh": ["小王", "lw2026", "晴天"]}


def _local(value: datetime, hours: int) -> str:
    return value.astimezone(timezone(timedelta(hours=hours))).isoformat(timespec="seconds")


def generate() -> dict[str, dict]:
    """Every app's JSON:API document of customer reviews with included responses."""
    rng = random.Random(20261031)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    span = (datetime(2026, 10, 31, tzinfo=UTC) - start).total_seconds()
    out: dict[str, dict] = {}
    for app, count in APPS.items():
        data, included = [], []
        for n in range(count):
            lang = rng.choices(["en", "ar", "zh"], weights=[5, 3, 2])[0]
            rating, title, body = rng.choice(TEXTS[lang])
            territory, offset = rng.choice(TERRITORIES[lang])
            created = start + timedelta(seconds=int(rng.uniform(0, span)))
            review_id = f"{rng.getrandbits(32):08x}-{app[-4:]}-{n:04x}-{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}"
            review = {
                "type": "customerReviews",
                "id": review_id,
                "attributes": {"rating": rating, "title": title, "body": body,
                               "reviewerNickname": rng.choice(NICKNAMES[lang]),
                               "createdDate": _local(created, offset), "territory": territory},
                "relationships": {"response": {"data": None}},
            }
            if rating <= 3 and rng.random() < 0.6:
                response_id = f"{rng.getrandbits(128):032x}"
                modified = created + timedelta(hours=rng.randint(3, 96))
                review["relationships"]["response"]["data"] = {"type": "customerReviewResponses", "id": response_id}
                included.append({"type": "customerReviewResponses", "id": response_id,
                                 "attributes": {"responseBody": RESPONSES[lang],
                                                "lastModifiedDate": _local(modified, -7),
                                                "state": rng.choice(["PUBLISHED", "PUBLISHED", "PENDING_PUBLISH"])}})
            data.append((created, review))
        data.sort(key=lambda item: item[0], reverse=True)
        out[app] = {"data": [review for _, review in data], "included": included}
    return out


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for app, document in generate().items():
        path = OUT / f"customer_reviews_{app}.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {len(document['data'])} reviews to {path.name}")
