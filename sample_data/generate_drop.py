"""Generate the bundled file-drop sample: ~3,000 feedback records, May–October 2026.

Deterministic (fixed seed): running it again rewrites identical files. Channels survey,
email, review, chat and phone; English, Arabic and Chinese; NPS, CSAT, CES and star
ratings; texts on known topics, some carrying PII; and a few deliberately invalid rows
(a score out of range, a missing id, an unparseable date, an unknown channel).

    python sample_data/generate_drop.py            # writes sample_data/drop/
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "drop"
START = datetime(2026, 5, 1, tzinfo=UTC)
DAYS = 184

# topic -> language -> (negative texts, positive texts); {order}, {n} filled at random.
TOPICS: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "delivery": {
        "en": (["My order {order} arrived {n} days late and nobody told me why.",
                "The courier left the parcel in the rain, the box was soaked.",
                "Delivery was delayed again, third time this month.",
                "Tracking said delivered but I never got my package."],
               ["Delivery was fast, the parcel arrived a day early.",
                "The courier was polite and the package came on time."]),
        "ar": (["تأخر طلبي {order} {n} أيام ولم يخبرني أحد بالسبب.",
                "التوصيل متأخر مرة أخرى، هذه المرة الثالثة هذا الشهر.",
                "المندوب ترك الطرد عند الباب والصندوق مبلل."],
               ["التوصيل كان سريعا ووصل الطلب قبل موعده.",
                "المندوب كان محترما ووصل الطرد في الوقت المحدد."]),
        "zh": (["我的订单{order}晚了{n}天才到，也没人通知我。",
                "快递又延误了，这个月已经第三次了。",
                "物流显示已签收，但我根本没收到包裹。"],
               ["配送很快，包裹提前一天就到了。",
                "快递员很有礼貌，准时送达。"]),
    },
    "billing_refunds": {
        "en": (["I was charged twice for order {order} and still have no refund.",
                "The refund took {n} weeks, far too long.",
                "Why is there a hidden fee on my invoice?"],
               ["Refund arrived within two days, very smooth.",
                "Billing was clear and the invoice was correct."]),
        "ar": (["تم خصم المبلغ مرتين من بطاقتي ولم أسترد أموالي حتى الآن.",
                "استرداد المبلغ استغرق {n} أسابيع، هذا كثير جدا."],
               ["تم استرداد المبلغ خلال يومين، شكرا لكم."]),
        "zh": (["订单{order}被重复扣款，到现在还没退款。",
                "退款等了{n}周，太慢了。",
                "账单上为什么有隐藏费用？"],
               ["退款两天就到账了，很顺利。"]),
    },
    "app_stability": {
        "en": (["The app crashes every time I open my cart.",
                "App keeps freezing on the payment screen since the last update.",
                "Crashed twice while checking out, lost my basket."],
               ["The new app version is fast and stable, great job."]),
        "ar": (["التطبيق يتوقف كلما فتحت سلة المشتريات.",
                "التطبيق يتجمد في صفحة الدفع منذ آخر تحديث."],
               ["النسخة الجديدة من التطبيق سريعة ومستقرة."]),
        "zh": (["每次打开购物车应用就闪退。",
                "上次更新后支付页面一直卡住。"],
               ["新版应用很流畅，没有再闪退了。"]),
    },
    "support_quality": {
        "en": (["Support kept me on hold for {n} minutes and then hung up.",
                "The agent did not read my previous messages, I had to repeat everything."],
               ["Sara from support solved my problem in five minutes, excellent service.",
                "Very helpful agent, friendly and quick."]),
        "ar": (["خدمة العملاء تركتني على الانتظار {n} دقيقة ثم أغلقوا الخط."],
               ["موظف خدمة العملاء حل مشكلتي بسرعة، خدمة ممتازة.",
                "الدعم كان متعاونا ولطيفا جدا."]),
        "zh": (["客服让我等了{n}分钟然后挂断了。"],
               ["客服五分钟就解决了我的问题，服务很好。",
                "客服态度很好，回复也很快。"]),
    },
    "pricing": {
        "en": (["Prices went up again, it is too expensive now.",
                "The subscription is not worth the price anymore."],
               ["Good value for money, cheaper than the competition."]),
        "ar": (["الأسعار ارتفعت مرة أخرى، أصبحت غالية جدا."],
               ["الأسعار مناسبة والجودة ممتازة مقابل السعر."]),
        "zh": (["价格又涨了，现在太贵了。"],
               ["性价比很高，比别家便宜。"]),
    },
    "product_quality": {
        "en": (["The blender broke after {n} days of use.",
                "Product quality is poor, the fabric tore after one wash."],
               ["Excellent quality, the jacket feels premium.",
                "Love the product, works exactly as described."]),
        "ar": (["المنتج تعطل بعد {n} أيام من الاستخدام.",
                "جودة القماش سيئة وتمزق بعد غسلة واحدة."],
               ["جودة المنتج ممتازة كما هو موصوف تماما."]),
        "zh": (["搅拌机用了{n}天就坏了。",
                "质量很差，洗一次就破了。"],
               ["质量非常好，和描述的一样。"]),
    },
    "account_access": {
        "en": (["I cannot log in, the password reset email never arrives.",
                "My account was locked after the update."],
               ["Two-factor login works smoothly now."]),
        "ar": (["لا أستطيع تسجيل الدخول ورسالة إعادة تعيين كلمة المرور لا تصل."],
               ["تسجيل الدخول أصبح سهلا الآن."]),
        "zh": (["无法登录，重置密码的邮件一直收不到。"],
               ["现在登录很方便。"]),
    },
}

PII_SNIPPETS = {
    "en": [" Contact me at {email}.", " Call me on {phone}.", " My card {card} was charged."],
    "ar": [" تواصلوا معي على {email}.", " رقم هاتفي {phone}."],
    "zh": [" 请联系我 {email}。", " 我的电话是 {phone}。"],
}
CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444", "4012888888881881"]
FIRST = ["amira", "li.wei", "john", "fatima", "zhang.min", "omar", "sarah", "chen", "maria", "yusuf"]

CHANNEL_PLAN = [
    # channel, share, rating types with weights
    ("survey", 0.42, [("nps", 0.6), ("csat", 0.2), ("ces", 0.2)]),
    ("review", 0.18, [("star", 1.0)]),
    ("chat", 0.16, [("csat", 0.8), (None, 0.2)]),
    ("email", 0.14, [(None, 1.0)]),
    ("phone", 0.10, [("csat", 0.5), (None, 0.5)]),
]
LANGS = [("en", 0.5), ("ar", 0.25), ("zh", 0.25)]


def pick(rng: random.Random, options: list[tuple[object, float]]) -> object:
    r = rng.random() * sum(w for _, w in options)
    for value, weight in options:
        r -= weight
        if r <= 0:
            return value
    return options[-1][0]


def topic_weights(day: int) -> list[tuple[str, float]]:
    # A delivery problem builds up from mid-August: the trend the report should surface.
    surge = 2.5 if 105 <= day <= 140 else 1.0
    return [("delivery", 1.2 * surge), ("billing_refunds", 1.0), ("app_stability", 0.9 + day / 184),
            ("support_quality", 1.0), ("pricing", 0.7), ("product_quality", 0.9), ("account_access", 0.5)]


def rating_for(rng: random.Random, rating_type: str | None, negative: bool) -> int | None:
    if rating_type is None:
        return None
    if rating_type == "nps":
        return rng.choice([0, 1, 2, 3, 4, 5, 6, 6, 7]) if negative else rng.choice([7, 8, 9, 9, 10, 10])
    if rating_type == "csat":
        return rng.choice([1, 2, 2, 3]) if negative else rng.choice([4, 4, 5, 5])
    if rating_type == "ces":  # CES 2.0: 1-7 agreement that it was easy; higher is easier
        return rng.choice([1, 2, 3, 3, 4]) if negative else rng.choice([5, 6, 6, 7])
    return rng.choice([1, 1, 2, 3]) if negative else rng.choice([4, 5, 5])


def make_record(rng: random.Random, i: int) -> dict[str, object]:
    channel, _, rating_options = pick(rng, [(c, w) for c, w, _ in CHANNEL_PLAN]), None, None
    rating_options = next(opts for c, _, opts in CHANNEL_PLAN if c == channel)
    rating_type = pick(rng, rating_options)
    day = rng.randrange(DAYS)
    submitted = START + timedelta(days=day, seconds=rng.randrange(86400))
    lang = pick(rng, LANGS)
    topic = pick(rng, topic_weights(day))
    negative = rng.random() < (0.7 if topic in ("delivery", "app_stability") and 105 <= day <= 140 else 0.5)
    negatives, positives = TOPICS[topic][lang]
    text = rng.choice(negatives if negative else positives).format(order=f"#{rng.randrange(100000, 999999)}", n=rng.randint(2, 9))
    name = rng.choice(FIRST)
    email = f"{name}{rng.randrange(10, 99)}@example.com"
    if rng.random() < 0.08:
        phone = rng.choice(["+44 7700 900{0:03d}", "+971 50 123 {0:04d}", "+86 138 0013 {0:04d}", "٠٥٠١٢٣٤{0:03d}"]).format(rng.randrange(1000) % 1000)
        if "٠" in phone:
            phone = phone.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        text += rng.choice(PII_SNIPPETS[lang]).format(email=email, phone=phone, card=rng.choice(CARDS))
    # Offsets vary the way real exports do: UTC 'Z', +04:00 (Gulf), +08:00 (China).
    offset = {"en": 0, "ar": 4, "zh": 8}[lang] if rng.random() < 0.5 else 0
    local = submitted.astimezone(UTC) + timedelta(hours=offset)
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if offset == 0 else f"+{offset:02d}:00")
    record: dict[str, object] = {
        "id": f"{channel[:2].upper()}-{i:05d}",
        "submitted_at": stamp,
        "channel": channel,
        "customer_email": email if rng.random() < 0.8 else "",
        "customer_id": f"C{rng.randrange(1, 1500):05d}",
        "text": text if not (rating_type and rng.random() < 0.15) else "",
        "rating_type": rating_type or "",
        "rating_value": rating_for(rng, rating_type, negative) if rating_type else "",
        "language": lang if rng.random() < 0.3 else "",
        "region": rng.choice(["UK", "UAE", "KSA", "CN", "SG"]),
    }
    if channel == "survey":
        record["survey_id"] = {"nps": "relationship-nps-2026", "csat": "post-purchase-csat", "ces": "support-ces"}[str(rating_type)]
    if channel == "phone":
        record["agent"] = rng.choice(["amy", "bilal", "wen"])
    if channel == "review":
        record["site"] = rng.choice(["website", "marketplace"])
    return record


INVALID = [
    ({"rating_type": "nps", "rating_value": "11"}, "NPS score out of range"),
    ({"rating_type": "csat", "rating_value": "7"}, "CSAT out of range"),
    ({"submitted_at": "31/13/2026 25:61"}, "unparseable date"),
    ({"submitted_at": ""}, "missing date"),
    ({"id": ""}, "missing id"),
    ({"channel": "pigeon"}, "unknown channel"),
    ({"rating_type": "stars!", "rating_value": "4"}, "unknown rating type"),
    ({"rating_type": "nps", "rating_value": "ten"}, "non-numeric score"),
]


def main() -> None:
    rng = random.Random(20260501)
    records = [make_record(rng, i) for i in range(1, 3001)]
    for n, (override, _why) in enumerate(INVALID * 2):
        victim = dict(records[rng.randrange(len(records))])
        victim.update(override)
        if victim["id"]:
            victim["id"] = f"BAD-{n:03d}"
        records.append(victim)
    records.sort(key=lambda r: (str(r["channel"]), str(r["id"])))
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    by_file = {
        "surveys_2026.csv": [r for r in records if r["channel"] == "survey"],
        "chat_csat_2026.csv": [r for r in records if r["channel"] == "chat"],
        "phone_notes_2026.csv": [r for r in records if r["channel"] == "phone"],
        "reviews_2026.jsonl": [r for r in records if r["channel"] == "review"],
        "support_email_export_2026.jsonl": [r for r in records if r["channel"] not in ("survey", "chat", "phone", "review")],
    }
    for name, rows in by_file.items():
        path = OUT / name
        if name.endswith(".csv"):
            columns = list(dict.fromkeys(k for r in rows for k in r))
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
        else:
            with path.open("w", encoding="utf-8") as fh:
                for r in rows:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} records to {OUT}")


if __name__ == "__main__":
    main()
