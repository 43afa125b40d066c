"""Generate the recorded Google Play reviews demo payloads (deterministic): sample_data/api/google_play/dataset.json.

Two apps with reviews shaped as `reviews.list` returns them (userComment with
`lastModified{seconds,nanos}`, starRating, device metadata; some developer replies), in
English, Arabic and Chinese, some with PII, dated May-October 2026. The demo serves them all
(no one-week window). Run: python sample_data/api/generate_google_play.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

OUT = Path(__file__).resolve().parent / "google_play" / "dataset.json"
START = int(datetime(2026, 5, 1, tzinfo=UTC).timestamp())
END = int(datetime(2026, 10, 31, tzinfo=UTC).timestamp())

TEXTS = {
    5: [("en", "Love it\tFast checkout and great deals every week."), ("ar", "تطبيق رائع وسهل الاستخدام"),
        ("zh", "非常好用\t界面清晰，下单很方便。")],
    4: [("en", "Pretty good, search could be smarter."), ("ar", "جيد جدا لكن يحتاج وضع ليلي"), ("zh", "挺好的，希望增加夜间模式。")],
    3: [("en", "Okay\tWorks, but notifications are too frequent."), ("ar", "مقبول، الإشعارات كثيرة"), ("zh", "一般，通知太多了。")],
    2: [("en", "Crashes when I open my orders since the last update."), ("ar", "التطبيق يتوقف عند فتح الطلبات"),
        ("zh", "更新后打开订单就闪退。")],
    1: [("en", "Charged twice!\tPlease refund me, contact me at dana.r@example.com or +44 20 7946 0958"),
        ("ar", "تم خصم المبلغ مرتين، تواصلوا معي على 0559876543"), ("zh", "被扣了两次钱！请联系我 wang.fang@example.cn")],
}
DEVICES = [("a52q", "Galaxy A52", "Samsung", 34), ("husky", "Pixel 8 Pro", "Google", 35), ("OP5958L1", "OPPO Reno8", "OPPO", 33),
           ("HWELE", "P30", "HUAWEI", 29)]
NAMES = ["Ahmed K.", "Li Na", "Maria", "", "Khalid", "张伟", "Sophie B.", "نورة", "A Google user"]
REPLIES = {"en": "Thanks for the feedback! Please contact support@example.com so we can help.",
           "ar": "شكرا لملاحظاتك، يرجى التواصل مع الدعم.", "zh": "感谢您的反馈，请联系客服。"}


def review(rng: random.Random, app: str, n: int) -> dict:
    stars = rng.choices([1, 2, 3, 4, 5], weights=[3, 2, 2, 4, 9])[0]
    lang, text = rng.choice(TEXTS[stars])
    modified = rng.randrange(START, END)
    codename, product, maker, sdk = rng.choice(DEVICES)
    comment = {"userComment": {
        "text": text, "lastModified": {"seconds": str(modified), "nanos": rng.randrange(0, 10**9, 1000)},
        "starRating": stars, "reviewerLanguage": lang, "device": codename, "androidOsVersion": sdk,
        "appVersionCode": 4000 + rng.randrange(30), "appVersionName": f"4.{rng.randrange(3)}.{rng.randrange(10)}",
        "thumbsUpCount": rng.randrange(0, 20), "thumbsDownCount": rng.randrange(0, 3),
        "deviceMetadata": {"productName": product, "manufacturer": maker, "deviceClass": "phone", "ramMb": rng.choice([4096, 6144, 8192])},
    }}
    comments = [comment]
    if stars <= 3 and rng.random() < 0.6:
        comments.append({"developerComment": {"text": REPLIES[lang],
                                              "lastModified": {"seconds": str(modified + rng.randrange(3600, 172800)), "nanos": 0}}})
    return {"reviewId": f"gp:AOqpTO{app[-4:]}{n:04d}{rng.randrange(16**8):08x}", "authorName": rng.choice(NAMES), "comments": comments}


def main() -> None:
    rng = random.Random(20260502)
    apps = {"com.example.shop": [review(rng, "shop", n) for n in range(80)],
            "com.example.shop.lite": [review(rng, "lite", n) for n in range(35)]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"apps": apps}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
