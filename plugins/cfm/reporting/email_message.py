"""The report as an email: multipart/alternative (plain text, then HTML with its PNG charts inline
as multipart/related parts referenced by cid:), plus the PDF as an attachment."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cfm.reporting.leadership_report import RenderedReport


def report_message(rendered: RenderedReport, *, sender: str, recipient: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else None)
    msg.set_content("\n\n".join([rendered.subject, " ".join(rendered.headline),
                                 "The full report is in the HTML version of this email and in the attached PDF."]))
    msg.add_alternative(rendered.email_html, subtype="html")
    html_part = msg.get_payload()[1]
    for name, png in rendered.charts.items():
        # Content-ID <name> is what the HTML's src="cid:name" points at (RFC 2392).
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{name}>", filename=name,
                              disposition="inline")
    msg.add_attachment(rendered.pdf, maintype="application", subtype="pdf",
                       filename=f"leadership-report-{rendered.period}.pdf")
    return msg


def notice_message(subject: str, text: str, *, sender: str, recipient: str) -> EmailMessage:
    """A short plain-text email (the 'data delayed' note, alert emails)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid()
    msg.set_content(text)
    return msg
