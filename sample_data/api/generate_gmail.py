"""Generate the Gmail demo inboxes: recorded users.messages.get(format=raw) responses, one JSONL per inbox.

Deterministic (fixed seed, fixed MIME boundaries and Message-IDs): re-running rewrites the
same files. Mail in English, Arabic and Chinese in the charsets real clients use
(UTF-8, windows-1256, ISO-8859-6, GB2312, Big5), plain, multipart/alternative and HTML-only,
threads with company replies and quoted history, plus auto-replies, bounces and newsletters.
Texts contain made-up PII (e-mail addresses, phone numbers) for the redaction stage.

    python sample_data/api/generate_gmail.py
"""

from __future__ import annotations

import base64
import json
import random
import re
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

OUT = Path(__file__).resolve().parent / "gmail"
COMPANY = "acme-shop.example"
INBOXES = (f"support@{COMPANY}", f"vip@{COMPANY}")
START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
END = datetime(2026, 10, 31, 20, 0, tzinfo=UTC)

CUSTOMERS = {
    "en": [("Ann Smith", "ann.smith@example.com"), ("Bob Lee", "bob.lee@example.org"), ("Carla Diaz", "carla.d@example.net"),
           ("Dev Patel", "dev.patel@example.co.uk"), ("Erin Walsh", "erin.w@example.ie")],
    "ar": [("أحمد علي", "ahmed.ali@example.ae"), ("فاطمة حسن", "fatima.h@example.sa"), ("عمر خالد", "omar.k@example.eg"),
           ("ليلى سعيد", "layla.s@example.jo")],
    "zh": [("王伟", "wang.wei@example.cn"), ("李娜", "li.na@example.cn"), ("张敏", "zhang.min@example.com.cn"),
           ("刘洋", "liu.yang@example.cn")],
}
AGENTS = [("Maya (ACME Support)", f"maya@{COMPANY}"), ("Yusuf (ACME Support)", f"yusuf@{COMPANY}"),
          ("小林 (ACME 客服)", f"lin@{COMPANY}")]

FEEDBACK = {
    "en": [
        ("Order {order} arrived damaged", "Hi,\n\nMy order {order} arrived with a cracked screen protector and a dented box. "
         "Can you send a replacement? You can reach me on {phone}."),
        ("App keeps crashing at checkout", "The app crashes every time I tap Pay. I tried reinstalling twice. "
         "Very frustrating, I almost gave up on the order."),
        ("Great service!", "Just wanted to say the courier was super friendly and the delivery came a day early. "
         "Five stars from me."),
        ("Refund still not received", "I returned order {order} three weeks ago and still no refund. "
         "Please email me at {email} with an update."),
        ("Wrong size delivered", "I ordered a medium and got an XL. The exchange form on the website gives an error."),
        ("Loyalty points missing", "My loyalty points from the last two orders never showed up in my account."),
        ("Love the new app design", "The new design is much cleaner and search is finally fast. Keep it up!"),
        ("Delivery slot ignored", "I booked the 9-12 slot and the driver came at 6pm. Nobody called {phone}."),
    ],
    "ar": [
        ("الطلب {order} وصل تالف", "مرحبا،\n\nوصل طلبي رقم {order} والعلبة مكسورة. أرجو إرسال بديل. رقم هاتفي {phone}."),
        ("التطبيق لا يعمل", "التطبيق يتوقف عند الدفع في كل مرة. جربت إعادة التثبيت ولم ينجح."),
        ("خدمة ممتازة", "شكرا لكم، التوصيل كان سريعا جدا والمندوب كان محترما."),
        ("لم يصلني المبلغ المسترد", "أرجعت المنتج منذ أسبوعين ولم يصلني المبلغ حتى الآن. بريدي {email}."),
        ("خطأ في الفاتورة", "تم خصم المبلغ مرتين من بطاقتي للطلب {order}. أرجو التصحيح بسرعة."),
        ("اقتراح", "أتمنى إضافة خيار الدفع عند الاستلام في مدينتي."),
    ],
    "zh": [
        ("订单{order}还没到", "你好，\n\n我的订单{order}已经十天了还没有到，物流信息一直没有更新。我的电话是{phone}。"),
        ("应用闪退", "每次付款的时候应用都会闪退，重装了两次也没用，很影响使用。"),
        ("服务很好", "快递员很有礼貌，包装也很好，比预计早到了一天，非常满意！"),
        ("退款问题", "退货已经两个星期了还没有收到退款，请发邮件到{email}告诉我进度。"),
        ("尺码不对", "我买的是M码，收到的是XL，换货页面一直报错。"),
        ("建议", "希望可以增加更多的支付方式，比如支付宝。"),
    ],
}
# Traditional Chinese for Big5 mail (simplified characters are not in Big5).
FEEDBACK_BIG5 = [
    ("訂單{order}還沒到", "你好，\n\n我的訂單{order}已經十天了還沒有到，物流資訊一直沒有更新。我的電話是{phone}。"),
    ("退貨很慢", "退貨已經兩個星期了還沒有收到退款，請寄信到{email}告訴我進度。"),
]
REPLIES = {
    "en": "Hi {name},\n\nThanks for letting us know. I have opened ticket {ticket} and will update you within 24 hours.",
    "ar": "مرحبا {name}،\n\nشكرا لتواصلك معنا. تم فتح تذكرة رقم {ticket} وسنعود إليك خلال 24 ساعة.",
    "zh": "{name}您好，\n\n感谢您的反馈。我们已经创建工单{ticket}，会在24小时内回复您。",
}
FOLLOWUPS = {
    "en": "Still waiting on this, nothing has changed.",
    "ar": "ما زلت أنتظر، لم يتغير شيء.",
    "zh": "还在等，没有任何进展。",
}
SIGNOFF = {"en": "\n\nBest regards,\n{name}", "ar": "\n\nمع خالص التحيات\n{name}", "zh": "\n\n谢谢\n{name}"}
QUOTE = {
    "en": "On {date}, {agent} <{agent_email}> wrote:",
    "ar": "في {date}، كتب {agent} <{agent_email}>:",
    "zh": "{agent} <{agent_email}> 于{date}写道：",
}
CHARSETS = {"en": ["utf-8"], "ar": ["utf-8", "windows-1256", "iso-8859-6"], "zh": ["utf-8", "gb2312", "big5"]}


class Recorder:
    """Builds messages.get(format=raw) resources with Gmail-like ids and history ids."""

    def __init__(self) -> None:
        self.rng = random.Random(20260501)
        self.next_id = 0x18F2A00000000
        self.history = 4_100_000
        self.by_inbox: dict[str, list[dict]] = {inbox: [] for inbox in INBOXES}
        self.n = 0

    def record(self, inbox: str, msg: MIMEText | MIMEMultipart, when: datetime, labels: list[str], thread: str | None) -> str:
        self.next_id += self.rng.randint(0x1000, 0x9FFFF)
        self.history += self.rng.randint(3, 40)
        mid = f"{self.next_id:x}"
        raw = msg.as_bytes()
        plain = next((p for p in msg.walk() if p.get_content_type() in ("text/plain", "text/html")), None)
        text = plain.get_payload(decode=True).decode(plain.get_content_charset() or "utf-8") if plain else ""
        snippet = " ".join(re.sub(r"<[^>]+>", " ", text).split())[:120]
        self.by_inbox[inbox].append({
            "id": mid, "threadId": thread or mid, "labelIds": labels, "snippet": snippet, "sizeEstimate": len(raw),
            "historyId": str(self.history), "internalDate": str(int(when.timestamp() * 1000)),
            "raw": base64.urlsafe_b64encode(raw).decode("ascii"),
        })
        return mid


def _body(text: str, charset: str, html: bool, n: int) -> MIMEText | MIMEMultipart:
    if html == "only":
        paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line)
        return MIMEText(f"<html><body>{paragraphs}</body></html>", "html", charset)
    if html:
        alt = MIMEMultipart("alternative", boundary=f"=_alt_{n:04d}")
        alt.attach(MIMEText(text, "plain", charset))
        alt.attach(MIMEText("<div>" + text.replace("\n", "<br>") + "</div>", "html", charset))
        return alt
    return MIMEText(text, "plain", charset)


def _headers(msg, n: int, sender: tuple[str, str], to: str, subject: str, when: datetime, reply_to: str | None = None,
             lang: str | None = None, **extra: str):
    msg["From"] = formataddr(sender, charset="utf-8")
    msg["To"] = to
    msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<demo-{n:04d}@mail.{sender[1].split('@')[1]}>"
    if reply_to:
        msg["In-Reply-To"] = reply_to
        msg["References"] = reply_to
    if lang:
        msg["Content-Language"] = {"en": "en-GB", "ar": "ar-AE", "zh": "zh-CN"}[lang]
    for key, value in extra.items():
        msg[key.replace("_", "-")] = value
    return msg


def generate() -> dict[str, list[dict]]:
    rec = Recorder()
    rng = rec.rng
    span = (END - START).total_seconds()
    for thread_no in range(70):
        rec.n += 1
        lang = rng.choice(["en", "en", "en", "ar", "ar", "zh", "zh"])
        inbox = INBOXES[1] if thread_no % 7 == 0 else INBOXES[0]
        name, addr = rng.choice(CUSTOMERS[lang])
        charset = rng.choice(CHARSETS[lang])
        subject, template = rng.choice(FEEDBACK_BIG5 if charset == "big5" else FEEDBACK[lang])
        if charset == "big5":
            name, addr = "陳靜", "chen.jing@example.tw"
        order = f"A{rng.randint(10000, 99999)}"
        phone = rng.choice(["+44 7700 900{:03d}", "+971 50 123 4{:03d}", "+86 138 0013 8{:03d}"]).format(rng.randint(0, 999))
        signoff = "\n\n謝謝\n{name}" if charset == "big5" else SIGNOFF[lang]
        text = template.format(order=order, phone=phone, email=addr) + signoff.format(name=name)
        subject = subject.format(order=order)
        when = START + timedelta(seconds=rng.uniform(0, span * 0.95))
        html = rng.choice([False, False, True, "only"])
        msg = _headers(_body(text, charset, html, rec.n), rec.n, (name, addr), inbox, subject, when,
                       lang=lang if rng.random() < 0.5 else None)
        thread = rec.record(inbox, msg, when, ["INBOX", "CATEGORY_PERSONAL"] + (["UNREAD"] if rng.random() < 0.3 else []), None)
        first_msgid = msg["Message-ID"]

        if rng.random() < 0.15:  # the company's auto-acknowledgement: not a first response
            rec.n += 1
            ack = MIMEText("We received your message and will answer within one business day.", "plain", "utf-8")
            _headers(ack, rec.n, ("ACME Support", inbox), addr, f"[Ticket received] {subject}", when + timedelta(seconds=30),
                     reply_to=first_msgid, Auto_Submitted="auto-replied")
            rec.record(inbox, ack, when + timedelta(seconds=30), ["SENT"], thread)

        if rng.random() < 0.7:  # an agent answers
            rec.n += 1
            agent = AGENTS[2] if lang == "zh" else rng.choice(AGENTS[:2])
            reply_at = when + timedelta(hours=rng.uniform(0.5, 40))
            reply_text = REPLIES[lang].format(name=name, ticket=f"T-{rng.randint(1000, 9999)}")
            reply = _headers(MIMEText(reply_text, "plain", "utf-8"), rec.n, agent, addr, f"Re: {subject}", reply_at,
                             reply_to=first_msgid)
            rec.record(inbox, reply, reply_at, ["SENT"], thread)

            if rng.random() < 0.4:  # the customer writes back, quoting the agent
                rec.n += 1
                back_at = reply_at + timedelta(hours=rng.uniform(2, 72))
                quoted = "\n".join("> " + line for line in reply_text.split("\n"))
                attribution = QUOTE[lang].format(date=format_datetime(reply_at), agent=agent[0], agent_email=agent[1])
                body = f"{FOLLOWUPS[lang]}\n\n{attribution}\n{quoted}\n"
                back = _headers(MIMEText(body, "plain", CHARSETS[lang][0]), rec.n, (name, addr), inbox, f"Re: {subject}",
                                back_at, reply_to=reply["Message-ID"])
                rec.record(inbox, back, back_at, ["INBOX", "UNREAD"], thread)
        if rng.random() < 0.1:  # the customer's own out-of-office answers the agent
            rec.n += 1
            ooo_at = when + timedelta(hours=45)
            ooo = _headers(MIMEText("I am out of the office until Monday.", "plain", "utf-8"), rec.n, (name, addr), inbox,
                           f"Automatic reply: {subject}", ooo_at, reply_to=first_msgid, X_Autoreply="yes")
            rec.record(inbox, ooo, ooo_at, ["INBOX"], thread)

    for k in range(6):  # bounces and newsletters that land in the support inbox
        rec.n += 1
        when = START + timedelta(days=20 * k + 3, hours=k)
        if k % 2 == 0:
            report = MIMEMultipart("report", report_type="delivery-status", boundary=f"=_report_{rec.n:04d}")
            report.attach(MIMEText(f"Delivery to {CUSTOMERS['en'][k % 5][1]} failed permanently.", "plain", "utf-8"))
            msg = _headers(report, rec.n, ("Mail Delivery Subsystem", "mailer-daemon@googlemail.com"), INBOXES[0],
                           "Delivery Status Notification (Failure)", when)
        else:
            msg = _headers(MIMEText("This week only: 20% off everything.", "plain", "utf-8"), rec.n,
                           ("Deals Weekly", "news@deals.example"), INBOXES[0], "Your weekly deals", when,
                           Precedence="bulk", List_Unsubscribe="<mailto:unsubscribe@deals.example>")
        rec.record(INBOXES[0], msg, when, ["INBOX", "CATEGORY_PROMOTIONS"], None)
    return rec.by_inbox


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for inbox, resources in generate().items():
        path = OUT / f"{inbox}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for resource in sorted(resources, key=lambda r: int(r["internalDate"])):
                fh.write(json.dumps(resource, ensure_ascii=False, sort_keys=True) + "\n")
        print(f"{path}: {len(resources)} messages")


if __name__ == "__main__":
    main()
