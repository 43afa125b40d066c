"""Seed sentiment lexicons and seed training sentences (en / ar / zh).

Arabic entries are written in normalised form (see keywords.normalise_arabic). Weights are
+-1 (clear) or +-2 (strong). The seed sentences train the embedding classifier when no
rated feedback is available; they are deliberately separate from the benchmark sets under
bench/data/.
"""

POSITIVE = {
    "en": {
        "good": 1, "great": 2, "excellent": 2, "amazing": 2, "awesome": 2, "love": 2, "loved": 2, "perfect": 2,
        "happy": 1, "satisfied": 1, "fast": 1, "quick": 1, "quickly": 1, "easy": 1, "helpful": 1, "friendly": 1,
        "recommend": 1, "recommended": 1, "thank": 1, "thanks": 1, "best": 2, "nice": 1, "smooth": 1,
        "smoothly": 1, "wonderful": 2, "fantastic": 2, "polite": 1, "professional": 1, "impressed": 2,
        "value": 1, "reliable": 1, "well": 1, "solved": 1, "resolved": 1, "early": 1, "pleased": 1, "glad": 1,
        "brilliant": 2, "superb": 2, "outstanding": 2, "enjoy": 1, "works": 1,
    },
    "ar": {
        "ممتاز": 2, "ممتازه": 2, "رائع": 2, "رائعه": 2, "جميل": 1, "جميله": 1, "شكرا": 1, "سريع": 1, "سريعه": 1,
        "احب": 2, "احسنتم": 2, "سعيد": 1, "راض": 1, "راضي": 1, "افضل": 2, "لطيف": 1, "لطيفين": 1, "محترم": 1,
        "متعاون": 1, "انصح": 1, "سهل": 1, "بسلاسه": 1, "مناسب": 1, "حل": 1, "جيد": 1, "جيده": 1, "مبدع": 2,
        "تحفه": 2, "يجنن": 2, "روعه": 2, "شاكر": 1, "مرتاح": 1, "مميز": 2, "مميزه": 2, "ممتن": 1, "مشكورين": 1,
    },
    "zh": {
        "好": 1, "很好": 2, "满意": 2, "喜欢": 2, "棒": 2, "太棒了": 2, "快": 1, "很快": 1, "方便": 1, "感谢": 1,
        "谢谢": 1, "推荐": 1, "友好": 1, "专业": 1, "热心": 1, "流畅": 1, "完好无损": 1, "性价比": 1, "赞": 2,
        "不错": 1, "优秀": 2, "完美": 2, "及时": 1, "贴心": 1, "开心": 1, "值得": 1, "解决": 1, "耐心": 1,
    },
}

NEGATIVE = {
    "en": {
        "bad": 1, "terrible": 2, "awful": 2, "horrible": 2, "worst": 2, "poor": 1, "disappointed": 2,
        "disappointing": 2, "rude": 2, "useless": 2, "broken": 1, "broke": 1, "damaged": 1, "late": 1, "delay": 1,
        "delayed": 1, "never": 1, "crash": 1, "crashes": 1, "crashed": 1, "expensive": 1, "overpriced": 2,
        "wrong": 1, "missing": 1, "waste": 2, "cheap": 1, "disaster": 2, "ignore": 1, "ignores": 1, "ignored": 1,
        "annoying": 1, "frustrating": 2, "slow": 1, "scam": 2, "charged": 1, "refund": 1, "cannot": 1, "can't": 1,
        "unhelpful": 2, "angry": 2, "hate": 2, "fail": 1, "failed": 1, "fails": 1, "problem": 1, "issue": 1,
        "complaint": 1, "unacceptable": 2, "nobody": 1, "still": 1, "again": 1,
    },
    "ar": {
        "سيء": 2, "سيئه": 2, "اسوا": 2, "محبط": 2, "وقح": 2, "متاخر": 1, "تاخر": 1, "مكسور": 1, "تالف": 1,
        "غالي": 1, "غاليه": 1, "خطا": 1, "خساره": 2, "كارثه": 2, "رديء": 2, "رديئه": 2, "فظيع": 2, "فظيعه": 2,
        "مزعج": 1, "يتجاهلني": 2, "يقفل": 1, "مشكله": 1, "للاسف": 1, "زفت": 2, "نصب": 2, "ناقص": 1, "ضعيف": 1,
        "ضعيفه": 1, "انكسر": 1, "لم": 1, "ما": 0, "لا": 0, "بطيء": 1, "مرتين": 1, "فايده": 0, "تعبت": 1,
    },
    "zh": {
        "差": 2, "太差": 2, "糟糕": 2, "失望": 2, "烂": 2, "最烂": 2, "垃圾": 2, "慢": 1, "太慢": 1, "贵": 1,
        "太贵": 1, "坏": 1, "坏了": 1, "破": 1, "破了": 1, "闪退": 1, "恶劣": 2, "投诉": 1, "浪费": 2, "灾难": 2,
        "不理": 1, "错": 1, "发错": 1, "迟到": 1, "问题": 1, "生气": 2, "气人": 2, "骗": 2, "没人": 1, "扣": 1,
        "退款": 1, "不值": 2, "敷衍": 2, "后悔": 2,
    },
}

NEGATORS = {
    "en": {"not", "no", "never", "don't", "didn't", "isn't", "wasn't", "won't", "hardly", "without"},
    "ar": {"لا", "لم", "لن", "ليس", "ليست", "مو", "مش", "ما", "غير"},
    "zh": {"不", "没", "没有", "别", "不是", "不太"},
}

SEED_SENTENCES: dict[str, dict[str, list[str]]] = {
    "en": {
        "positive": [
            "really good service", "the courier was very kind", "my parcel came earlier than expected",
            "nice quality shirt, fits well", "thank you for the quick help", "I am happy with my order",
            "the new version of the app is great", "fair price and good product", "support was patient and kind",
            "smooth and simple experience", "keep up the good work", "I would recommend you to friends",
        ],
        "negative": [
            "the courier was very impolite", "my parcel is lost", "shirt shrank after washing",
            "nobody helped me with my problem", "I am angry about this order", "the new version of the app is awful",
            "unfair price for a bad product", "support kept me waiting forever", "complicated and confusing checkout",
            "stop sending me spam", "I want my money back now", "this is the last time I order here",
        ],
        "neutral": [
            "where can I find my invoice", "I changed my address last week", "the parcel came on Tuesday",
            "do you have this in size M", "I ordered a phone case", "please call me tomorrow",
            "is there a store in Riyadh", "what payment methods do you accept", "my account email changed",
            "I picked it up from the locker", "the order contains three items", "when does the sale start",
        ],
    },
    "ar": {
        "positive": [
            "خدمة حلوة", "المندوب كان محترم جدا", "الطلب وصل بدري", "المنتج حلو ومقاسه مضبوط", "شكرا على المساعدة السريعة",
            "مبسوط من الطلب", "التطبيق الجديد ممتاز", "سعر معقول ومنتج جيد",
        ],
        "negative": [
            "المندوب كان قليل أدب", "الطلب ضاع", "القميص انكمش بعد الغسيل", "ما أحد ساعدني", "أنا زعلان من هذا الطلب",
            "التطبيق الجديد سيء", "أبغى فلوسي الحين", "آخر مرة أطلب منكم",
        ],
        "neutral": [
            "وين ألقى الفاتورة", "غيرت عنواني الأسبوع الماضي", "الطرد وصل يوم الثلاثاء", "عندكم مقاس وسط",
            "طلبت غطاء جوال", "اتصلوا علي بكرة", "هل عندكم فرع في الرياض", "ما هي طرق الدفع المتاحة",
        ],
    },
    "zh": {
        "positive": [
            "服务真不错", "快递小哥很客气", "包裹比预期早到", "衣服质量好很合身", "谢谢你们帮忙", "这次购物很开心",
            "新版app很好用", "价格公道东西也好",
        ],
        "negative": [
            "快递员很没礼貌", "包裹丢了", "衣服洗了就缩水", "没有人帮我解决", "这个订单让我很生气", "新版app很难用",
            "我要退钱", "再也不在这里买了",
        ],
        "neutral": [
            "发票在哪里看", "我上周改了地址", "包裹周二到的", "有M码吗", "我买了一个手机壳", "明天给我打电话",
            "北京有门店吗", "支持哪些付款方式",
        ],
    },
}
