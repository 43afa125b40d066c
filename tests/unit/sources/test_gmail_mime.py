"""MIME, charset, quote/signature and exclusion parsing of support e-mails, on real MIME bytes."""

from __future__ import annotations

import base64
import quopri
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from cfm.sources.gmail_mime import (
    codec_for,
    decode_base64url,
    decode_header_value,
    feedback_text,
    html_to_text,
    parse_mail,
    strip_quoted_reply,
    strip_signature,
)


def _mail(body: MIMEText | MIMEMultipart, **headers: str) -> bytes:
    defaults = {"From": "Ann <Ann@Example.com>", "To": "support@acme-shop.example", "Subject": "Order 1042",
                "Date": "Wed, 01 Jul 2026 10:00:00 +0000", "Message-ID": "<a1@example.com>"}
    for key, value in {**defaults, **headers}.items():
        body[key] = value
    return body.as_bytes()


def test_multipart_alternative_prefers_plain_text() -> None:
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("The courier was late again.\n", "plain", "utf-8"))
    alt.attach(MIMEText("<p>HTML version <b>ignored</b></p>", "html", "utf-8"))
    parsed = parse_mail(_mail(alt))
    assert parsed.text == "The courier was late again."
    assert parsed.body_format == "text/plain"
    assert parsed.from_email == "ann@example.com" and parsed.from_name == "Ann"
    assert parsed.message_id == "<a1@example.com>"
    assert parsed.exclusion_reason is None


def test_html_only_body_becomes_text_without_quoted_block() -> None:
    html = ('<html><head><style>p{color:red}</style></head><body><div>Refund&nbsp;still missing &amp; no reply.</div>'
            '<div>Second line</div><div class="gmail_quote">On Mon, Support wrote:<blockquote>old text</blockquote></div>'
            "</body></html>")
    parsed = parse_mail(_mail(MIMEText(html, "html", "utf-8")))
    assert parsed.body_format == "text/html"
    assert parsed.text == "Refund still missing & no reply.\n\nSecond line"


def test_outlook_html_reply_stops_at_the_reply_header() -> None:
    html = ('<div>Works now, thank you.</div><div id="appendonsend"></div><hr>'
            '<div id="divRplyFwdMsg"><b>From:</b> Support<br><b>Sent:</b> Monday</div><div>Old answer text</div>')
    assert html_to_text(html) == "Works now, thank you."


def test_arabic_windows_1256_quoted_printable() -> None:
    text = "التطبيق يتوقف عند الدفع، أرجو المساعدة"
    subject = "=?windows-1256?B?" + base64.b64encode("شكوى".encode("cp1256")).decode() + "?="
    raw = (f"From: a@example.com\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=windows-1256\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           ).encode() + quopri.encodestring(text.encode("cp1256"))
    assert b"=" in raw.split(b"\r\n\r\n")[1]  # really quoted-printable on the wire
    parsed = parse_mail(raw)
    assert parsed.text == "التطبيق يتوقف عند الدفع، أرجو المساعدة"
    assert parsed.subject == "شكوى"
    assert parsed.charset == "windows-1256"


def test_arabic_iso_8859_6() -> None:
    parsed = parse_mail(_mail(MIMEText("الخدمة ممتازة", "plain", "iso-8859-6")))
    assert parsed.text == "الخدمة ممتازة"


def test_gb2312_label_is_decoded_as_gb18030() -> None:
    # 镕 is outside GB2312 but inside GBK/GB18030: mailers label such text gb2312 anyway.
    text = "朱镕基的订单还没有到，客服电话 13800138000 打不通"
    body = MIMEText("", "plain", "utf-8")
    body.set_payload(base64.b64encode(text.encode("gb18030")).decode())
    body.replace_header("Content-Type", 'text/plain; charset="gb2312"')
    body.replace_header("Content-Transfer-Encoding", "base64")
    parsed = parse_mail(_mail(body))
    assert parsed.text == text


def test_big5_and_unknown_charset_fall_back() -> None:
    assert parse_mail(_mail(MIMEText("退貨很慢", "plain", "big5"))).text == "退貨很慢"
    # UTF-8 bytes labelled with a charset Python does not know.
    raw = b"From: a@example.com\r\nContent-Type: text/plain; charset=x-unknown-9\r\n\r\n" + "caf\u00e9 ok".encode()
    assert parse_mail(raw).text == "caf\u00e9 ok"
    assert codec_for("GB2312") == "gb18030" and codec_for("x-nonsense") == "utf-8"


def test_reply_with_quoted_history_and_signature() -> None:
    body = ("Still broken after the update.\nPlease call me on +44 7700 900123.\n\n"
            "Best regards,\nAnn\n\n"
            "On Tue, 30 Jun 2026 at 09:12, ACME Support <support@acme-shop.example> wrote:\n"
            "> Thanks for reaching out.\n> Ticket 88\n")
    parsed = parse_mail(_mail(MIMEText(body, "plain", "utf-8"), Subject="Re: Order 1042",
                              **{"In-Reply-To": "<s1@acme-shop.example>", "References": "<a0@x> <s1@acme-shop.example>"}))
    assert parsed.text == "Still broken after the update.\nPlease call me on +44 7700 900123."
    assert parsed.in_reply_to == "<s1@acme-shop.example>"
    assert parsed.references == ["<a0@x>", "<s1@acme-shop.example>"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Thanks, works now\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nold", "Thanks, works now"),
        ("New issue\n________________________________\nFrom: Support <s@x>\nSent: Monday\nold", "New issue"),
        ("On Mon, 1 Jun 2026, Support\n<support@x.example> wrote:\n> hi", ""),
        ("المنتج وصل تالف\n\nفي الأحد، 1 يونيو 2026 في 10:00 ص كتب الدعم <support@x.example>:\n> مرحبا", "المنتج وصل تالف"),
        ("还是没有退款\n\n客服 <support@x.example> 于2026年6月1日周一 10:00写道：\n> 您好", "还是没有退款"),
        ("仍然无法登录\n\n-----原始邮件-----\n发件人: 客服\n发送时间: 2026年6月1日", "仍然无法登录"),
        ("Top line\n> quoted\nInline answer", "Top line\nInline answer"),
    ],
)
def test_quoted_history_forms(body: str, expected: str) -> None:
    assert strip_quoted_reply(body) == expected


def test_signatures_and_signoffs() -> None:
    assert strip_signature("Love the new app\n-- \nAnn Smith\nCEO, Example") == "Love the new app"
    assert strip_signature("Delivery was quick\n\nSent from my iPhone") == "Delivery was quick"
    assert strip_signature("الطلب تأخر أسبوعين\n\nمع خالص التحيات\nأحمد") == "الطلب تأخر أسبوعين"
    assert strip_signature("客服态度很好\n\n此致\n敬礼") == "客服态度很好"
    # A sign-off word that is the message itself is kept.
    assert strip_signature("Thanks") == "Thanks"
    assert feedback_text("Thanks for nothing, still broken.\nRegards,\nBo") == "Thanks for nothing, still broken."


def test_auto_reply_bounce_and_bulk_are_recognised() -> None:
    auto = parse_mail(_mail(MIMEText("I am away until Monday.", "plain", "utf-8"), **{"Auto-Submitted": "auto-replied"}))
    assert auto.exclusion_reason == "auto_reply"
    ooo = parse_mail(_mail(MIMEText("away", "plain", "utf-8"), Subject="Out of Office: Order 1042"))
    assert ooo.exclusion_reason == "auto_reply"
    zh = parse_mail(_mail(MIMEText("我在休假", "plain", "utf-8"), Subject="=?utf-8?b?" + base64.b64encode("自动回复: 订单".encode()).decode() + "?="))
    assert zh.exclusion_reason == "auto_reply"
    assert parse_mail(_mail(MIMEText("x", "plain"), **{"X-Autoreply": "yes"})).exclusion_reason == "auto_reply"
    assert parse_mail(_mail(MIMEText("x", "plain"), Precedence="auto_reply")).exclusion_reason == "auto_reply"

    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("Delivery to ann@example.com failed.", "plain"))
    assert parse_mail(_mail(report, From="Mail Delivery Subsystem <mailer-daemon@googlemail.com>")).exclusion_reason == "bounce"
    assert parse_mail(_mail(report)).exclusion_reason == "bounce"

    assert parse_mail(_mail(MIMEText("Sale!", "plain"), Precedence="bulk")).exclusion_reason == "bulk"
    news = parse_mail(_mail(MIMEText("Newsletter", "plain"), **{"List-Unsubscribe": "<mailto:u@x.example>"}))
    assert news.exclusion_reason == "bulk"
    assert parse_mail(_mail(MIMEText("x", "plain"), **{"Auto-Submitted": "no"})).exclusion_reason is None


def test_base64url_and_headers() -> None:
    raw = "Subject: hi\n\n\xff\xfe?".encode("latin-1")
    encoded = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert decode_base64url(encoded) == raw
    assert "-" in base64.urlsafe_b64encode(b"\xfb\xef").decode()  # the alphabet differs from standard base64
    assert decode_base64url(base64.urlsafe_b64encode(b"\xfb\xef").decode()) == b"\xfb\xef"
    assert decode_header_value("=?gb2312?B?" + base64.b64encode("镕".encode("gb18030")).decode() + "?=") == "镕"
    assert html_to_text("a<br>b<script>x()</script>") == "a\nb"
