"""Build the labelled benchmark sets under bench/data/ deterministically (seeded).

    topics_labelled.jsonl     en/ar/zh short customer texts over 12 known topics
    sentiment_{en,ar,zh}.jsonl  positive / neutral / negative evaluation texts
    pii_labelled.jsonl        texts with the PII spans they contain (type, value), incl. tricky negatives

Sentiment evaluation sentences are written here and are NOT the seed sentences the packaged
sentiment model trains on (plugins/cfm/nlp/sentiment_seed.py); overlap of vocabulary with the
seed lexicon is unavoidable and is stated in bench/results/sentiment.md.

Run: PYTHONPATH=plugins python bench/nlp_make_data.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from nlp_topic_phrases import CLOSERS, OPENERS, TOPICS

DATA = Path(__file__).parent / "data"
PER_TOPIC = {"en": 60, "ar": 40, "zh": 40}


def make_topics(rng: random.Random) -> list[dict]:
    rows = []
    for topic, by_lang in TOPICS.items():
        for lang, phrases in by_lang.items():
            seen = set()
            while len([r for r in rows if r["topic"] == topic and r["language"] == lang]) < PER_TOPIC[lang]:
                text = (
                    rng.choice(OPENERS[lang]).format(n=rng.randint(10000, 99999))
                    + rng.choice(phrases)
                    + rng.choice(CLOSERS[lang])
                )
                if text in seen and rng.random() < 0.8:
                    continue
                seen.add(text)
                rows.append({"id": f"t{len(rows):05d}", "text": text, "language": lang, "topic": topic})
    rng.shuffle(rows)
    return rows


SENTIMENT = {
    "en": {
        "positive": [
            "Fast delivery and the quality is excellent",
            "Love this store, will buy again",
            "The support agent solved my problem in minutes",
            "Great value for the price",
            "Everything arrived perfectly packed",
            "Super easy checkout, really happy",
            "Amazing service, thank you so much",
            "The app works smoothly now, well done",
            "Best purchase I made this year",
            "Friendly staff and quick refund",
            "Very satisfied with the product",
            "Arrived early and works great",
            "Impressed by how helpful the team was",
            "Good experience overall, recommended",
        ],
        "negative": [
            "Terrible service, never again",
            "The package arrived broken and nobody helps",
            "Worst app ever, it crashes all the time",
            "I am very disappointed with the quality",
            "Still no refund after a month, awful",
            "Rude support agent, completely useless",
            "Way too expensive for what you get",
            "The order was wrong and late",
            "I was charged twice and nobody answers",
            "Horrible experience from start to finish",
            "Cheap material, broke after two days",
            "Waste of money",
            "Delivery was a disaster",
            "I cannot log in and support ignores me",
        ],
        "neutral": [
            "I ordered on Monday and it arrived on Thursday",
            "What time does the store open on Friday?",
            "Can I change the delivery address for my order?",
            "I paid by card",
            "The parcel was left at reception",
            "Is this jacket available in blue?",
            "I bought two shirts and a belt",
            "Do you ship to Dubai?",
            "My order number is in the email",
            "I used the app to place the order",
            "The item is as described",
            "How long does a return usually take?",
            "I received the invoice by email",
            "I have a question about the warranty",
        ],
    },
    "ar": {
        "positive": [
            "التوصيل سريع والجودة ممتازة",
            "أحب هذا المتجر وسأشتري مرة أخرى",
            "موظف الدعم حل مشكلتي بسرعة",
            "السعر مناسب جدا مقابل الجودة",
            "كل شيء وصل مغلف بشكل ممتاز",
            "الدفع سهل جدا وأنا سعيد",
            "خدمة رائعة شكرا جزيلا",
            "التطبيق صار يشتغل بسلاسة أحسنتم",
            "أفضل شراء هذه السنة",
            "الموظفين لطيفين والاسترداد كان سريع",
            "راض جدا عن المنتج",
            "وصل قبل الموعد ويعمل بشكل رائع",
            "فريق محترم ومتعاون",
            "تجربة جميلة أنصح بها",
        ],
        "negative": [
            "خدمة سيئة جدا لن أكرر التجربة",
            "الطرد وصل مكسور ولا أحد يساعد",
            "أسوأ تطبيق يقفل طول الوقت",
            "أنا محبط جدا من الجودة",
            "لم يصلني المبلغ بعد شهر، شيء مزعج",
            "موظف الدعم وقح وما فيه فايدة",
            "غالي جدا مقابل ما تحصل عليه",
            "الطلب خطأ ومتأخر",
            "خصموا المبلغ مرتين ولا أحد يرد",
            "تجربة فظيعة من البداية للنهاية",
            "خامة رديئة انكسر بعد يومين",
            "خسارة فلوس",
            "التوصيل كان كارثة",
            "لا أستطيع الدخول والدعم يتجاهلني",
        ],
        "neutral": [
            "طلبت يوم الاثنين ووصل يوم الخميس",
            "متى يفتح المحل يوم الجمعة؟",
            "هل أستطيع تغيير عنوان التوصيل؟",
            "دفعت بالبطاقة",
            "الطرد تم تسليمه للاستقبال",
            "هل هذا الجاكيت متوفر باللون الأزرق؟",
            "اشتريت قميصين وحزام",
            "هل توصلون إلى دبي؟",
            "رقم الطلب موجود في الإيميل",
            "استخدمت التطبيق للطلب",
            "المنتج مطابق للوصف",
            "كم تستغرق عملية الإرجاع عادة؟",
            "وصلتني الفاتورة على الإيميل",
            "عندي سؤال عن الضمان",
        ],
    },
    "zh": {
        "positive": [
            "送货很快质量也很好",
            "很喜欢这家店会再来买",
            "客服几分钟就解决了我的问题",
            "性价比很高",
            "东西包装得很好完好无损",
            "结账很方便很满意",
            "服务太棒了非常感谢",
            "app现在很流畅赞一个",
            "今年买过最好的东西",
            "店员很友好退款也很快",
            "对产品非常满意",
            "提前到货用起来很好",
            "团队很专业很热心",
            "整体体验很好推荐",
        ],
        "negative": [
            "服务太差了再也不买了",
            "包裹破了也没人管",
            "最烂的app老是闪退",
            "对质量非常失望",
            "一个月了还没退款太气人了",
            "客服态度恶劣一点用都没有",
            "太贵了不值这个钱",
            "订单发错了还迟到",
            "扣了两次钱没人回复",
            "从头到尾都很糟糕",
            "材料很差两天就坏了",
            "浪费钱",
            "送货简直是灾难",
            "登录不了客服也不理我",
        ],
        "neutral": [
            "我周一下单周四到的",
            "周五商店几点开门？",
            "可以修改收货地址吗？",
            "我是刷卡付的",
            "包裹放在前台了",
            "这件夹克有蓝色吗？",
            "我买了两件衬衫和一条腰带",
            "你们送货到迪拜吗？",
            "订单号在邮件里",
            "我是用app下的单",
            "商品和描述一样",
            "退货一般需要多久？",
            "发票已经通过邮件收到",
            "我想问一下保修的问题",
        ],
    },
}
SENT_PREFIX = {
    "en": ["", "", "", "Hi, ", "Well, ", "To be honest, ", "Update: "],
    "ar": ["", "", "", "مرحبا، ", "بصراحة ", "تحديث: ", "يا جماعة "],
    "zh": ["", "", "", "你好，", "说实话，", "更新一下：", "嗯，"],
}
SENT_SUFFIX = {
    "en": ["", "", ".", "!", " today.", " this time."],
    "ar": ["", "", ".", "!", " اليوم.", " هذه المرة."],
    "zh": ["", "", "。", "！", "，今天。", "，这次。"],
}


def make_sentiment(rng: random.Random, lang: str, n: int = 300) -> list[dict]:
    rows, seen = [], set()
    labels = ["positive", "negative", "neutral"]
    while len(rows) < n:
        label = labels[len(rows) % 3]
        text = (
            rng.choice(SENT_PREFIX[lang]) + rng.choice(SENTIMENT[lang][label]) + rng.choice(SENT_SUFFIX[lang])
        )
        if text in seen:
            continue
        seen.add(text)
        rows.append({"id": f"s{lang}{len(rows):04d}", "text": text, "language": lang, "label": label})
    return rows


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        cand = body + check
        total = 0
        for i, ch in enumerate(reversed(cand)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return cand
    raise AssertionError


def _iban(country: str, bban: str) -> str:
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(num) % 97
    return f"{country}{check:02d}{bban}"


def _to_arabic_digits(s: str) -> str:
    return s.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def _group(s: str, n: int = 4, sep: str = " ") -> str:
    return sep.join(s[i : i + n] for i in range(0, len(s), n))


def make_pii(rng: random.Random) -> list[dict]:
    names = ["sara", "omar.k", "li.wei", "j.smith", "fatima99", "chen_ming", "a.dubois"]
    domains = ["gmail.com", "example.co.uk", "mail.cn", "outlook.sa", "company.ae"]
    templates = {
        "en": {
            "EMAIL": ["please email me at {v}", "my address is {v} thanks", "contact {v} about the refund"],
            "PHONE": ["call me on {v}", "my number is {v}, call after 5", "phone {v} asap"],
            "CARD": ["you charged my card {v} twice", "card ending... full number {v}", "I paid with {v}"],
            "IBAN": ["refund to my IBAN {v} please", "bank account {v}", "send it to {v}"],
            "URL_TOKEN": [
                "the link {v} does not work",
                "reset link {v} expired",
                "I clicked {v} and got an error",
            ],
        },
        "ar": {
            "EMAIL": ["راسلوني على {v}", "ايميلي {v} شكرا", "تواصلوا معي عبر {v}"],
            "PHONE": ["اتصلوا على {v}", "رقمي {v} بعد الساعة الخامسة", "جوالي {v}"],
            "CARD": ["خصمتم من بطاقتي {v} مرتين", "دفعت بالبطاقة {v}", "رقم البطاقة {v}"],
            "IBAN": ["حولوا المبلغ إلى الآيبان {v}", "حسابي البنكي {v}", "رقم الآيبان {v}"],
            "URL_TOKEN": ["الرابط {v} لا يعمل", "رابط إعادة التعيين {v} منتهي", "ضغطت على {v} وظهر خطأ"],
        },
        "zh": {
            "EMAIL": ["请发邮件到{v}", "我的邮箱是{v}，谢谢", "联系{v}处理退款"],
            "PHONE": ["请打我电话{v}", "我的手机号是{v}，五点后联系", "电话{v}"],
            "CARD": ["你们从我的卡{v}扣了两次", "我用卡{v}付的款", "卡号{v}"],
            "IBAN": ["请退款到账户{v}", "银行账号{v}", "IBAN是{v}"],
            "URL_TOKEN": ["链接{v}打不开", "重置链接{v}过期了", "点了{v}就报错"],
        },
    }
    negatives = {
        "en": [
            "order #{o} placed on 2024-03-15 cost $1,299.99",
            "tracking number 1Z999AA1{o}",
            "I paid 250.00 on 12/05/2024 at 10:30",
            "invoice {o}{o} is wrong",
            "card 4111 1111 1111 1112 was declined",
            "numbers 2023 2024 2025 2026 are years",
            "see https://example.com/help?page=2 for help",
            "my order ref is {o}{o}",
            "IBAN GB82 WEST 1234 5698 7654 33 bounced",
            "version 3.14.159 of the app",
            "room 1204, floor 12",
        ],
        "ar": [
            "طلب رقم {ao} بتاريخ ٢٠٢٤/٠٣/١٥ بسعر ٢٥٠ ريال",
            "رقم الطلب {o}{o}",
            "دفعت ١٢٩٩ درهم يوم ١٢/٠٥/٢٠٢٤",
            "الفاتورة رقم {o} خطأ",
            "انتظرت ٤٥ دقيقة على الخط",
            "الموديل رقم {o}",
        ],
        "zh": [
            "订单号{o}{o}，价格1299元",
            "2024年3月15日下的单",
            "等了45分钟",
            "发票号{o}有问题",
            "型号{o}的产品",
            "快递单号SF{o}{o}",
        ],
    }

    def value(kind: str, lang: str) -> str:
        if kind == "EMAIL":
            return f"{rng.choice(names)}@{rng.choice(domains)}"
        if kind == "PHONE":
            forms = [
                lambda: f"+44 20 7946 {rng.randint(1000, 9999)}",
                lambda: f"+1 415 555 {rng.randint(1000, 9999)}",
                lambda: f"(555) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                lambda: f"05{rng.randint(0, 9)}{rng.randint(1000000, 9999999)}",
                lambda: f"+966 5{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                lambda: f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                lambda: f"+86 138 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                lambda: f"020 7946 {rng.randint(1000, 9999)}",
            ]
            v = rng.choice(forms)()
            if lang == "ar" and rng.random() < 0.6:
                v = _to_arabic_digits(v)
            return v
        if kind == "CARD":
            prefix, length = rng.choice(
                [("4", 16), ("51", 16), ("2221", 16), ("37", 15), ("62", 16), ("6011", 16)]
            )
            v = _luhn_complete(prefix, length, rng)
            v = _group(v) if rng.random() < 0.5 else v
            if lang == "ar" and rng.random() < 0.4:
                v = _to_arabic_digits(v)
            return v
        if kind == "IBAN":
            country, bban_len = rng.choice([("GB", 18), ("DE", 18), ("SA", 20), ("AE", 19), ("FR", 23)])
            bban = ("WEST" if country == "GB" else "") + "".join(
                str(rng.randint(0, 9)) for _ in range(bban_len - (4 if country == "GB" else 0))
            )
            v = _iban(country, bban)
            return _group(v) if rng.random() < 0.5 else v
        param = rng.choice(["token", "access_token", "key", "sig", "api_key", "code"])
        return f"https://app.example.com/{rng.choice(['reset', 'login', 'verify'])}?u=7&{param}={rng.getrandbits(64):x}"

    rows = []
    for lang, by_kind in templates.items():
        for kind, tmpls in by_kind.items():
            for _ in range(20):
                v = value(kind, lang)
                rows.append(
                    {
                        "text": rng.choice(tmpls).format(v=v),
                        "language": lang,
                        "spans": [{"type": kind, "value": v}],
                    }
                )
        for _ in range(30):
            o = str(rng.randint(100000, 9999999))
            tmpl = rng.choice(negatives[lang])
            rows.append({"text": tmpl.format(o=o, ao=_to_arabic_digits(o)), "language": lang, "spans": []})
    rows += _bare_ten_digit_rows(random.Random(20261201))
    for i, r in enumerate(rows):
        r["id"] = f"p{i:04d}"
    return rows


def _bare_ten_digit_rows(rng: random.Random) -> list[dict]:
    """Unformatted ten-digit numbers that fit the North American plan: phones when the text says so,
    order and invoice numbers otherwise (own rng, so the rows above stay as they were)."""
    phones = {
        "en": ["call me at {v}", "my cell is {v}", "text me on {v} please"],
        "ar": ["اتصلوا بي {v} شكرا", "جوالي {v}", "رقمي {v} بعد الخامسة"],
        "zh": ["请打{v}联系我", "手机{v}", "我的电话是{v}"],
    }
    ids = {
        "en": ["order {v} arrived broken", "invoice {v} is wrong", "my order ref is {v}", "ticket {v} still open"],
        "ar": ["الطلب رقم {v} وصل متأخرا", "فاتورة {v} خاطئة", "رقم الشحنة {v}"],
        "zh": ["订单号{v}，价格1299元", "发票{v}有问题", "快递单号{v}还没到"],
    }
    rows = []
    for lang in ("en", "ar", "zh"):
        for _ in range(10):
            v = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}{rng.randint(2000000, 9999999)}"
            rows.append({"text": rng.choice(phones[lang]).format(v=v), "language": lang,
                         "spans": [{"type": "PHONE", "value": v}]})
        for _ in range(10):
            v = str(rng.randint(2000000000, 9999999999))
            rows.append({"text": rng.choice(ids[lang]).format(v=v), "language": lang, "spans": []})
    return rows


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261123)
    sets = {"topics_labelled.jsonl": make_topics(rng), "pii_labelled.jsonl": make_pii(rng)}
    for lang in ("en", "ar", "zh"):
        sets[f"sentiment_{lang}.jsonl"] = make_sentiment(rng, lang)
    for name, rows in sets.items():
        with open(DATA / name, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(rows))


if __name__ == "__main__":
    main()
