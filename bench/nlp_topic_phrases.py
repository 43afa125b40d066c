"""Phrase banks for the labelled topic benchmark set (en/ar/zh), 12 known topics.

Each topic has core complaints per language; `nlp_make_data.py` combines them with neutral
openers and closers to make varied short customer texts. Written for the benchmark only:
nothing here is used by cfm.nlp.
"""

TOPICS: dict[str, dict[str, list[str]]] = {
    "late_delivery": {
        "en": [
            "my order is two weeks late", "the parcel still has not arrived", "delivery took forever",
            "courier missed the delivery date again", "tracking says in transit for 10 days",
            "promised next day delivery but it came a week later", "still waiting for my package",
        ],
        "ar": [
            "الطلب متأخر أسبوعين", "الشحنة لم تصل حتى الآن", "التوصيل تأخر كثيرا",
            "المندوب لم يلتزم بموعد التوصيل", "التتبع يقول قيد الشحن منذ عشرة أيام",
            "وعدوني بالتوصيل غدا ووصل بعد أسبوع", "ما زلت أنتظر الطرد",
        ],
        "zh": [
            "我的订单晚了两个星期", "包裹到现在还没到", "快递太慢了", "快递员又错过了送货时间",
            "物流显示运输中已经十天了", "说好次日达结果一周后才到", "还在等我的包裹",
        ],
    },
    "damaged_package": {
        "en": [
            "the box arrived crushed", "package was damaged and wet", "item came broken in the box",
            "the glass was shattered on arrival", "parcel was torn open and the product scratched",
            "packaging was destroyed during shipping",
        ],
        "ar": [
            "الكرتون وصل مهروس", "الطرد وصل تالف ومبلول", "المنتج وصل مكسور داخل العلبة",
            "الزجاج وصل مكسر", "الطرد مفتوح والمنتج مخدوش", "التغليف تلف أثناء الشحن",
        ],
        "zh": [
            "箱子送到的时候被压扁了", "包裹破损还湿了", "东西到的时候已经碎了", "玻璃收到时碎了",
            "包裹被撕开产品有划痕", "运输过程中包装全坏了",
        ],
    },
    "refund_delay": {
        "en": [
            "I returned the item a month ago and still no refund", "where is my refund",
            "refund was approved but money never reached my account", "waiting weeks for my money back",
            "they keep saying the refund is processing", "return accepted but no reimbursement yet",
        ],
        "ar": [
            "أرجعت المنتج من شهر ولم يصلني المبلغ", "وين فلوسي المسترجعة",
            "تمت الموافقة على الاسترداد لكن المبلغ لم يصل لحسابي", "أنتظر استرجاع المبلغ منذ أسابيع",
            "كل مرة يقولون الاسترداد قيد المعالجة", "قبلوا الإرجاع ولم يرجعوا المبلغ",
        ],
        "zh": [
            "退货一个月了还没退款", "我的退款在哪里", "退款已批准但钱一直没到账", "等退款等了好几个星期",
            "一直说退款正在处理", "退货已接受但还没退钱",
        ],
    },
    "double_charge": {
        "en": [
            "I was charged twice for one order", "my card was billed two times",
            "there is a duplicate payment on my statement", "you took the money twice",
            "invoice shows an extra charge I did not make", "double charged after the payment failed",
        ],
        "ar": [
            "تم خصم المبلغ مرتين لطلب واحد", "انسحب من بطاقتي مرتين", "في كشف الحساب دفعة مكررة",
            "أخذتم الفلوس مرتين", "الفاتورة فيها رسوم إضافية لم أطلبها", "خصم مزدوج بعد فشل الدفع",
        ],
        "zh": [
            "一个订单扣了我两次钱", "信用卡被扣款两次", "账单上有重复付款", "你们扣了两次钱",
            "发票上有一笔我没买的额外费用", "支付失败后被重复扣费",
        ],
    },
    "app_crash": {
        "en": [
            "the app crashes every time I open it", "app keeps freezing on the checkout screen",
            "after the update the app closes by itself", "the app is so buggy it crashed three times",
            "app freezes and then shuts down", "it crashes when I try to upload a photo",
        ],
        "ar": [
            "التطبيق يقفل كل ما أفتحه", "التطبيق يعلق في صفحة الدفع", "بعد التحديث التطبيق يطلع لحاله",
            "التطبيق فيه أخطاء كثيرة وانهار ثلاث مرات", "التطبيق يتجمد ثم يغلق", "يتوقف التطبيق عند رفع صورة",
        ],
        "zh": [
            "每次打开应用就闪退", "应用在结账页面一直卡住", "更新后app自己关闭", "这个app太多bug崩溃了三次",
            "应用卡死然后自动退出", "上传照片的时候就崩溃",
        ],
    },
    "login_problem": {
        "en": [
            "I cannot log in to my account", "password reset email never arrives",
            "the verification code is not sent", "my account got locked after one attempt",
            "login says wrong password but it is correct", "two factor code keeps failing",
        ],
        "ar": [
            "لا أستطيع تسجيل الدخول إلى حسابي", "رسالة إعادة تعيين كلمة المرور لا تصل", "رمز التحقق لا يصل",
            "تم قفل حسابي بعد محاولة واحدة", "يقول كلمة المرور خطأ وهي صحيحة", "رمز التحقق الثنائي يفشل دائما",
        ],
        "zh": [
            "我登录不了账户", "重置密码的邮件一直收不到", "验证码发不过来", "试了一次账户就被锁了",
            "登录提示密码错误但密码是对的", "双重验证码一直失败",
        ],
    },
    "support_quality": {
        "en": [
            "customer service was rude to me", "support never answers my emails",
            "I waited on hold for an hour", "the agent hung up on me", "nobody from support replied in days",
            "the support team was unhelpful and dismissive",
        ],
        "ar": [
            "خدمة العملاء كانت وقحة معي", "الدعم لا يرد على رسائلي", "انتظرت على الخط ساعة كاملة",
            "الموظف أغلق الخط في وجهي", "لا أحد من الدعم رد منذ أيام", "فريق الدعم لم يساعدني وتجاهلني",
        ],
        "zh": [
            "客服态度很差", "客服从来不回我的邮件", "电话等了一个小时", "客服直接挂了我电话",
            "好几天都没有客服回复", "客服团队一点帮助都没有还敷衍",
        ],
    },
    "price_too_high": {
        "en": [
            "prices are way too high", "it is much more expensive than other shops",
            "you raised the price again", "not worth the money", "delivery fees are ridiculous",
            "the subscription price doubled this year",
        ],
        "ar": [
            "الأسعار غالية جدا", "أغلى بكثير من المحلات الثانية", "رفعتوا السعر مرة ثانية",
            "لا يستحق المبلغ", "رسوم التوصيل مبالغ فيها", "سعر الاشتراك تضاعف هذه السنة",
        ],
        "zh": [
            "价格太贵了", "比别的店贵很多", "你们又涨价了", "不值这个价", "运费贵得离谱", "今年会员价格翻倍了",
        ],
    },
    "product_quality": {
        "en": [
            "the fabric is cheap and tore after one wash", "the product stopped working after a week",
            "quality is much worse than the photos", "the shoes fell apart quickly",
            "battery dies in an hour", "material feels flimsy and cheap",
        ],
        "ar": [
            "القماش رديء وتمزق بعد غسلة واحدة", "المنتج توقف عن العمل بعد أسبوع", "الجودة أسوأ بكثير من الصور",
            "الحذاء تفكك بسرعة", "البطارية تخلص خلال ساعة", "الخامة ضعيفة ورخيصة",
        ],
        "zh": [
            "面料很差洗一次就破了", "产品用了一个星期就坏了", "质量比图片差很多", "鞋子很快就开胶了",
            "电池一个小时就没电", "材质很薄很廉价",
        ],
    },
    "wrong_item": {
        "en": [
            "I received the wrong item", "they sent me a different size", "the colour is not what I ordered",
            "an item was missing from my order", "got someone else's order", "the box had the wrong model",
        ],
        "ar": [
            "وصلني منتج غير الذي طلبته", "أرسلوا لي مقاس مختلف", "اللون ليس الذي طلبته",
            "ناقص منتج من طلبي", "وصلني طلب شخص آخر", "العلبة فيها موديل خطأ",
        ],
        "zh": [
            "收到的商品不对", "给我发了不同的尺码", "颜色不是我订的", "订单里少了一件商品",
            "收到了别人的订单", "盒子里是错的型号",
        ],
    },
    "cancel_subscription": {
        "en": [
            "I want to cancel my subscription", "there is no way to cancel the membership online",
            "I cancelled but you still renewed my plan", "how do I stop the auto renewal",
            "please close my account and stop billing", "cancelling the plan is impossible",
        ],
        "ar": [
            "أريد إلغاء الاشتراك", "لا توجد طريقة لإلغاء العضوية من الموقع", "ألغيت الاشتراك ومع ذلك جددتوه",
            "كيف أوقف التجديد التلقائي", "أرجو إغلاق حسابي وإيقاف الخصم", "إلغاء الباقة مستحيل",
        ],
        "zh": [
            "我要取消订阅", "网上没有办法取消会员", "我已经取消了你们还是自动续费", "怎么关闭自动续费",
            "请注销我的账户停止扣费", "取消套餐根本做不到",
        ],
    },
    "feature_request": {
        "en": [
            "please add a dark mode", "it would be great to have Apple Pay", "add an option to schedule delivery",
            "I wish the app had a wishlist", "please support Arabic language in the app",
            "would love a way to track orders on a map",
        ],
        "ar": [
            "أتمنى إضافة الوضع الليلي", "يا ريت تضيفون أبل باي", "أضيفوا خيار جدولة التوصيل",
            "أتمنى يكون في التطبيق قائمة أمنيات", "الرجاء دعم اللغة العربية في التطبيق", "نتمنى تتبع الطلب على الخريطة",
        ],
        "zh": [
            "希望增加夜间模式", "希望能支持苹果支付", "建议增加预约送货的选项", "希望app能有心愿单",
            "请在应用里支持阿拉伯语", "希望能在地图上跟踪订单",
        ],
    },
}

OPENERS = {
    "en": ["", "", "Hi, ", "Honestly ", "Hello team, ", "Ugh, ", "Just so you know, ", "Order #{n}: "],
    "ar": ["", "", "مرحبا، ", "بصراحة ", "السلام عليكم، ", "للأسف ", "طلب رقم {n}: ", "يا جماعة "],
    "zh": ["", "", "你好，", "说实话，", "客服你好，", "唉，", "订单{n}：", "反馈一下，"],
}
CLOSERS = {
    "en": ["", "", ".", "!", ". Very disappointed.", ". Please fix this.", " again.", ". Thanks."],
    "ar": ["", "", ".", "!", ". محبط جدا.", ". أرجو الحل.", " مرة ثانية.", ". شكرا."],
    "zh": ["", "", "。", "！", "。很失望。", "。请尽快解决。", "，又是这样。", "。谢谢。"],
}
