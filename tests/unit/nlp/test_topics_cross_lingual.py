"""The same complaint written in English, Arabic and Chinese lands in one topic (default model, real weights).

Each complaint is written two ways; each way in en, ar and zh (a translation triple). The
clustering may separate the two ways of a complaint ("arrived broken" vs "screen cracked"), but
a translation triple must not be split by language.
"""

import numpy as np
import pytest

from cfm.nlp.embedding import create_backend
from cfm.nlp.settings import DEFAULTS
from cfm.nlp.topics.model import fit_topics

# Ten everyday complaints, each written two ways in each language (our own parallel sentences).
COMPLAINTS = {
    "refund": [
        "I returned the item three weeks ago and still have not received my refund",
        "Where is my refund? The return was accepted long ago",
        "أرجعت المنتج منذ ثلاثة أسابيع ولم يصلني المبلغ المسترد حتى الآن",
        "أين استرداد أموالي؟ تم قبول الإرجاع منذ مدة طويلة",
        "我三周前就退货了，到现在还没收到退款",
        "我的退款在哪里？退货早就被接受了",
    ],
    "double_charge": [
        "I was charged twice for the same order",
        "My card was billed two times for one purchase",
        "تم خصم المبلغ مرتين لنفس الطلب",
        "بطاقتي سحبت مرتين مقابل عملية شراء واحدة",
        "同一个订单被扣了两次钱",
        "一次购买我的卡被扣款两次",
    ],
    "rude_courier": [
        "The delivery driver was rude and shouted at me",
        "The courier was very impolite when he brought the parcel",
        "مندوب التوصيل كان وقحا وصرخ في وجهي",
        "عامل التوصيل كان غير مهذب أبدا عندما أحضر الطرد",
        "快递员态度很差，还对我大喊大叫",
        "送包裹的快递员非常没有礼貌",
    ],
    "late_delivery": [
        "My package is two weeks late and tracking has not moved",
        "The parcel still has not arrived, it is very late",
        "طردي متأخر أسبوعين والتتبع لم يتغير",
        "الشحنة لم تصل حتى الآن وقد تأخرت كثيرا",
        "我的包裹晚了两个星期，物流信息一直没更新",
        "包裹到现在还没到，太晚了",
    ],
    "app_crash": [
        "The app crashes every time I open it",
        "The mobile app keeps closing by itself on startup",
        "التطبيق يتوقف عن العمل كلما فتحته",
        "تطبيق الجوال يغلق من تلقاء نفسه عند التشغيل",
        "每次打开应用程序都会闪退",
        "手机应用一启动就自己关闭",
    ],
    "password": [
        "I cannot log in, the password reset email never arrives",
        "I forgot my password and the reset link does not work",
        "لا أستطيع تسجيل الدخول، رسالة إعادة تعيين كلمة المرور لا تصل",
        "نسيت كلمة المرور ورابط إعادة التعيين لا يعمل",
        "我无法登录，重置密码的邮件一直收不到",
        "我忘记了密码，重置链接也用不了",
    ],
    "damaged": [
        "The product arrived broken and the box was crushed",
        "My order came damaged, the screen is cracked",
        "وصل المنتج مكسورا والعلبة كانت محطمة",
        "وصل طلبي تالفا والشاشة مشروخة",
        "商品到的时候已经坏了，盒子也被压扁了",
        "我的订单到货时是坏的，屏幕裂了",
    ],
    "wrong_item": [
        "I received the wrong item, not what I ordered",
        "They sent me a different product in the wrong size",
        "استلمت منتجا خاطئا وليس ما طلبته",
        "أرسلوا لي منتجا مختلفا بمقاس خاطئ",
        "我收到的商品不对，不是我订的",
        "他们给我寄了一个尺码错误的不同商品",
    ],
    "hold_time": [
        "I waited on hold for an hour and then the call was cut",
        "Customer service kept me waiting on the phone and then hung up",
        "انتظرت على الخط ساعة ثم انقطعت المكالمة",
        "خدمة العملاء تركتني أنتظر على الهاتف ثم أغلقوا الخط",
        "我在电话里等了一个小时，然后电话就断了",
        "客服让我在电话上一直等，然后就挂断了",
    ],
    "price": [
        "The price went up without any notice, this is too expensive",
        "You raised the subscription price again, it costs too much now",
        "ارتفع السعر دون أي إشعار، هذا غال جدا",
        "رفعتم سعر الاشتراك مرة أخرى، أصبح مكلفا جدا",
        "价格没有任何通知就涨了，太贵了",
        "你们又涨了订阅价格，现在太贵了",
    ],
}


@pytest.fixture(scope="module")
def corpus():
    texts, truth = [], []
    for name, (en1, en2, ar1, ar2, zh1, zh2) in COMPLAINTS.items():
        texts += [en1, ar1, zh1, en2, ar2, zh2]
        truth += [f"{name}/1"] * 3 + [f"{name}/2"] * 3
    backend = create_backend(DEFAULTS["embedding_model"])
    return backend.encode(texts, 32), texts, np.array(truth)


def test_the_same_complaint_in_three_languages_shares_one_topic(corpus):
    vectors, texts, truth = corpus
    config = {"min_topic_size": 3, "cluster_neighbors": 5}
    fit = fit_topics(vectors, texts, [f"k{i:03d}" for i in range(len(texts))], config)
    assert fit.unassigned_share == 0.0
    split = {t: sorted(set(fit.labels[truth == t].tolist())) for t in sorted(set(truth))}
    split = {t: topics for t, topics in split.items() if len(topics) > 1}
    assert len(split) <= 2, f"translation triples split by language: {split}"
    assert len(fit.centroids) >= 6, "distinct complaints were lumped together"
    # no topic is one language only: the same problem is not counted twice
    for topic in fit.centroids:
        languages = {("en", "ar", "zh")[i % 3] for i in np.flatnonzero(fit.labels == topic)}
        assert len(languages) >= 2, f"topic {topic} holds only {languages}"


def test_translations_are_nearer_each_other_than_other_complaints(corpus):
    vectors, _, truth = corpus
    sims = vectors @ vectors.T
    off_diagonal = ~np.eye(len(truth), dtype=bool)
    same = sims[(truth[:, None] == truth[None, :]) & off_diagonal].mean()
    other = sims[truth[:, None] != truth[None, :]].mean()
    assert same - other > 0.2
