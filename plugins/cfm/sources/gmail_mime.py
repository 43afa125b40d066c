"""Turn a raw RFC 2822 support e-mail into feedback text: MIME, charsets, quotes and signatures.

Pure functions only (no I/O), so the connector and its unit tests share them:

- the body is taken from text/plain when the message has one, else from text/html
  converted to text (quoted blocks such as Gmail's `gmail_quote` and `<blockquote>` dropped);
- charsets are decoded tolerantly: GB2312/GBK labels are read as GB18030 (mail clients
  label GBK text as GB2312), Big5 as Big5-HKSCS, and an unknown or wrong label falls back
  to UTF-8 and then windows-1252 with replacement, never an exception;
- the feedback text stops at the quoted history (``On ... wrote:``, ``>`` lines, Outlook
  ``-----Original Message-----`` and their Arabic/Chinese forms) and at the signature
  (``--`` delimiter, mobile footers, common sign-offs near the end);
- auto-replies, bounces and bulk mail are recognised from their headers (RFC 3834
  Auto-Submitted, X-Autoreply, Precedence, List-*, multipart/report) and subjects.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import email.utils
import re
from dataclasses import asdict, dataclass, field
from email.header import decode_header
from email.message import Message
from html.parser import HTMLParser
from typing import Any

# Label -> codec actually used. Superset codecs decode everything the narrower label can.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gb_2312": "gb18030",
    "euc-cn": "gb18030",
    "x-gbk": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "ks_c_5601-1987": "euc-kr",
    "unicode-1-1-utf-7": "utf-7",
    "x-user-defined": "windows-1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}

EXCLUSION_REASONS = ("auto_reply", "bounce", "bulk")


def decode_base64url(data: str) -> bytes:
    """Decode Gmail's base64url (padding optional; stray whitespace tolerated)."""
    cleaned = re.sub(r"\s+", "", data)
    if not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", cleaned):
        raise ValueError("characters outside the base64url alphabet")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


def codec_for(charset: str | None) -> str:
    """The Python codec to decode a MIME charset label with (defaults to UTF-8)."""
    label = (charset or "").strip().strip('"').lower()
    if not label:
        return "utf-8"
    label = CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return "utf-8"


def decode_text(data: bytes, charset: str | None) -> str:
    """Decode body bytes with their declared charset, falling back instead of failing."""
    primary = codec_for(charset)
    for codec in dict.fromkeys((primary, "utf-8")):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(primary if primary != "utf-8" else "windows-1252", errors="replace")


def decode_header_value(value: Any) -> str:
    """Decode an RFC 2047 header (=?gb2312?B?...?=) with the same charset tolerance as bodies."""
    if value is None:
        return ""
    text = str(value)
    try:
        chunks = decode_header(text)
    except (ValueError, binascii.Error):
        return text
    out = []
    for chunk, charset in chunks:
        out.append(decode_text(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return re.sub(r"\s+", " ", "".join(out)).strip()


class _HtmlText(HTMLParser):
    """HTML to plain text: block elements become line breaks, quoted blocks and scripts are skipped."""

    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"}
    SKIP = {"script", "style", "head", "title", "blockquote"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open non-void element: does it start a skipped region
        self.skipping = 0
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = " ".join(v or "" for k, v in attrs if k == "class")
        if any(k == "id" and (v or "").lower() in ("divrplyfwdmsg", "appendonsend") for k, v in attrs):
            # Outlook puts the quoted message *after* these markers, as siblings: stop reading there.
            self.stopped = True
        skip = tag in self.SKIP or "gmail_quote" in classes or "moz-cite-prefix" in classes
        if tag in self.BLOCK:
            self.parts.append("\n")
        if tag in self.VOID:
            return
        self.stack.append(skip)
        if skip:
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or not self.stack:
            return
        if self.stack.pop():
            self.skipping -= 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.stopped:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML mail body, without quoted blocks; whitespace normalised per line."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def body_text(msg: Message) -> tuple[str, str | None, str | None]:
    """The message's readable body: (text, 'text/plain' or 'text/html' or None, charset label)."""
    plain: Message | None = None
    html: Message | None = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
    chosen = plain or html
    if chosen is None:
        return "", None, None
    data = chosen.get_payload(decode=True) or b""
    charset = chosen.get_content_charset()
    text = decode_text(data, charset).replace("\r\n", "\n").replace("\r", "\n")
    if chosen is html:
        text = html_to_text(text)
    return text, chosen.get_content_type(), charset


# Lines that start the quoted history; everything from them on is the earlier conversation.
_QUOTE_HEADERS = [
    re.compile(r"^-{2,}\s*(original message|forwarded message|邮件原件|原始邮件|原始郵件|الرسالة الأصلية|رسالة معاد توجيهها)\s*-{2,}", re.I),
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule line above From:/Sent:
    re.compile(r"^(from|发件人|寄件者|من)\s*[:：].+\n(sent|date|发送时间|寄件日期|التاريخ|تاريخ الإرسال|to|收件人)\s*[:：]", re.I | re.M),
]
_WROTE_LINE = re.compile(
    r"(\bwrote\s*:|写道\s*[:：]|寫道\s*[:：]|\bكتب\b.*[:：]|\bكتبت?\b\s*[:：]?\s*$)", re.I
)
_ON_START = re.compile(r"^(on\s|في\s|在\s|于\s|\d{4}[-/年])", re.I)

_SIGNOFFS = re.compile(
    r"^("
    r"best( regards)?|kind regards|warm regards|regards|many thanks|thanks( a lot)?|thank you|cheers|sincerely|yours( truly)?|br"
    r"|sent from my [\w\s]+|get outlook for \w+"
    r"|مع (خالص )?(التحيات|تحياتي)|تحياتي|مع الشكر|وشكرا|شكرا جزيلا|مع أطيب التحيات|أرسلت من"
    r"|此致|敬礼|祝好|谢谢|謝謝|谢谢[!！]|顺祝商祺|发自我的\w+|從我的\w+傳送|来自\w+"
    r")[\s,.!،，。]*$",
    re.I,
)


def strip_quoted_reply(text: str) -> str:
    """Cut the quoted earlier conversation from a reply (attribution line, Outlook header, '>' lines)."""
    lines = text.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if any(p.search(stripped) for p in _QUOTE_HEADERS[:2]) or _QUOTE_HEADERS[2].search(f"{stripped}\n{nxt}"):
            cut = i
            break
        if _WROTE_LINE.search(stripped) and (_ON_START.search(stripped) or "<" in stripped or "@" in stripped):
            cut = i
            break
        # "On Mon, 1 May 2026 at 10:00, Ann <ann@x>" wrapped onto a second line ending in "wrote:"
        if _ON_START.search(stripped) and _WROTE_LINE.search(nxt) and len(nxt) < 80:
            cut = i
            break
        if stripped.startswith(">") and all(not ln.strip() or ln.lstrip().startswith(">") for ln in lines[i:]):
            cut = i
            break
    kept = [ln for ln in lines[:cut] if not ln.lstrip().startswith(">")]
    return "\n".join(kept).strip()


def strip_signature(text: str, signoff_window: int = 6) -> str:
    """Cut the signature: a '-- ' delimiter line, or a sign-off line among the last few lines."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ", "—", "__"):
            lines = lines[:i]
            break
    non_empty = [i for i, ln in enumerate(lines) if ln.strip()]
    for i in non_empty[-signoff_window:]:
        if _SIGNOFFS.match(lines[i].strip()) and i != non_empty[0]:
            lines = lines[:i]
            break
    return "\n".join(lines).strip()


def feedback_text(body: str) -> str:
    """What the customer wrote in this message: no quoted history, no signature."""
    return strip_signature(strip_quoted_reply(body))


_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[\s_-]?(reply|response|antwort)|autoreply|out of (the )?office|ooo\b|abwesenheit|absence"
    r"|réponse automatique|respuesta automática|رد تلقائي|الرد التلقائي|خارج المكتب|自动回复|自動回覆|自动答复|外出)",
    re.I,
)
_BOUNCE_FROM = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(r"(delivery status notification|undeliver(able|ed) mail|mail delivery (failed|subsystem)|returned mail)", re.I)


def exclusion_reason(msg: Message, from_email: str, subject: str) -> str | None:
    """Why a message is not customer feedback: 'bounce', 'auto_reply', 'bulk', or None."""
    ctype = msg.get_content_type()
    report_type = (msg.get_param("report-type") or "") if ctype == "multipart/report" else ""
    if _BOUNCE_FROM.match(from_email) or str(report_type).lower() == "delivery-status" or _BOUNCE_SUBJECT.search(subject):
        return "bounce"
    auto_submitted = str(msg.get("Auto-Submitted") or "").strip().lower()
    precedence = str(msg.get("Precedence") or "").strip().lower()
    if (
        (auto_submitted and auto_submitted != "no")
        or msg.get("X-Autoreply") is not None
        or msg.get("X-Autorespond") is not None
        or precedence == "auto_reply"
        or _AUTO_SUBJECT.search(subject)
    ):
        return "auto_reply"
    if precedence in ("bulk", "list", "junk") or msg.get("List-Unsubscribe") is not None or msg.get("List-Id") is not None:
        return "bulk"
    return None


@dataclass
class ParsedMail:
    """The fields of one e-mail the staging models need; stored next to the raw message."""

    subject: str = ""
    from_name: str = ""
    from_email: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date_header: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    content_language: str = ""
    body_format: str | None = None
    charset: str | None = None
    text: str = ""
    exclusion_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _addresses(msg: Message, header: str) -> list[str]:
    values = [decode_header_value(v) for v in msg.get_all(header, [])]
    return [addr.lower() for _, addr in email.utils.getaddresses(values) if addr]


def _msg_ids(value: Any) -> list[str]:
    return re.findall(r"<[^<>\s]+>", str(value or ""))


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse a raw RFC 2822 message (bytes) into the fields used downstream."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    subject = decode_header_value(msg.get("Subject"))
    from_name, from_email = email.utils.parseaddr(decode_header_value(msg.get("From")))
    body, body_format, charset = body_text(msg)
    in_reply_to = _msg_ids(msg.get("In-Reply-To"))
    return ParsedMail(
        subject=subject,
        from_name=from_name,
        from_email=from_email.strip().lower(),
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        date_header=str(msg.get("Date") or "").strip(),
        message_id=(_msg_ids(msg.get("Message-ID")) or [""])[0],
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=_msg_ids(msg.get("References")),
        content_language=str(msg.get("Content-Language") or "").split(",")[0].strip().lower(),
        body_format=body_format,
        charset=charset,
        text=feedback_text(body),
        exclusion_reason=exclusion_reason(msg, from_email.strip().lower(), subject),
    )
