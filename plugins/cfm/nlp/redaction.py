"""PII redaction for free-text feedback.

`redact` replaces personal data with typed placeholders before text is embedded,
stored in ``ml`` or shown in marts:

    [EMAIL] [PHONE] [CARD] [IBAN] [URL_TOKEN]

Candidates are found with permissive patterns and then *validated* (Luhn for cards,
mod-97 for IBANs, digit-count and shape rules for phones), so ordinary numbers such as
order ids, dates, prices and quantities survive. Arabic-Indic digits (U+0660-0669) and
Extended Arabic-Indic / Persian digits (U+06F0-06F9) are handled like ASCII digits.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

PLACEHOLDERS = {
    "EMAIL": "[EMAIL]",
    "PHONE": "[PHONE]",
    "CARD": "[CARD]",
    "IBAN": "[IBAN]",
    "URL_TOKEN": "[URL_TOKEN]",
}

_DIGIT_MAP = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_DIGIT_MAP.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})
# Full-width digits show up in Chinese text typed with an IME.
_DIGIT_MAP.update({ord(c): str(i) for i, c in enumerate("０１２３４５６７８９")})

_D = r"[0-9٠-٩۰-۹０-９]"  # any digit we understand

# Boundaries use ASCII classes, not \w: CJK and Arabic letters count as \w, and Chinese
# text often has no space between a word and a number or address.
_W = r"A-Za-z0-9_"
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9_.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9])"
)

# Query parameters whose value is a secret or a session credential.
_TOKEN_PARAMS = (
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "auth_token",
    "key",
    "api_key",
    "apikey",
    "sig",
    "signature",
    "secret",
    "client_secret",
    "password",
    "pwd",
    "pass",
    "session",
    "sessionid",
    "session_id",
    "sid",
    "code",
    "otp",
    "jwt",
    "x-amz-signature",
    "x-amz-credential",
    "x-goog-signature",
    "reset",
    "reset_token",
    "magic",
    "hash",
)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。、）)\]]+", re.IGNORECASE)
_TOKEN_QUERY = re.compile(
    r"[?&#;](?:" + "|".join(re.escape(p) for p in _TOKEN_PARAMS) + r")=[^&#\s]+", re.IGNORECASE
)

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")

# 13-19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(rf"(?<![{_W}.,/]|{_D}){_D}(?:[ -]?{_D}){{12,18}}(?![{_W}/]|{_D}|[.,]{_D})")

# Phone candidates: optional +/00 country prefix, digits with spaces, dots, dashes and
# parentheses. Validation happens in `_looks_like_phone`.
_PHONE = re.compile(
    rf"(?<![{_W}+/.,:#-]|{_D})(?:(?:\+|00|٠٠)\s?)?\(?{_D}{{1,4}}\)?(?:[ .\-]?\(?{_D}{{1,5}}\)?){{1,6}}"
    rf"(?![{_W}/]|{_D}|[.,:]{_D})"
)
_DATE_LIKE = re.compile(rf"^{_D}{{1,4}}[./-]{_D}{{1,2}}[./-]{_D}{{1,4}}$")
_TIME_LIKE = re.compile(rf"^{_D}{{1,2}}:{_D}{{2}}")


@dataclass
class Redaction:
    """Result of `redact`: the redacted text and how many items of each PII type were found."""

    text: str
    found: dict[str, int] = field(default_factory=dict)

    @property
    def pii_types(self) -> list[str]:
        """Sorted PII types present in the original text."""
        return sorted(self.found)


def normalise_digits(text: str) -> str:
    """Map Arabic-Indic, Persian and full-width digits to ASCII 0-9."""
    return text.translate(_DIGIT_MAP)


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum (payment cards)."""
    if not digits.isdigit() or len(digits) < 12:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


_IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AT": 20,
    "BE": 16,
    "BH": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "LB": 28,
    "LU": 20,
    "MA": 28,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "SA": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "TN": 24,
    "TR": 26,
}


def iban_valid(candidate: str) -> bool:
    """True when `candidate` (spaces allowed) is a structurally valid IBAN with a correct mod-97 check."""
    iban = candidate.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def _looks_like_phone(raw: str) -> bool:
    s = normalise_digits(raw).strip()
    digits = re.sub(r"\D", "", s)
    international = s.startswith("+") or s.startswith("00")
    if _DATE_LIKE.match(s) or _TIME_LIKE.match(s):
        return False
    if international:
        return 8 <= len(digits) <= 15
    if not 8 <= len(digits) <= 12:
        return False
    # Local numbers start with a trunk 0 (most of the world: 050..., 010..., 0161...) or are
    # written in the usual grouped form (555-123-4567, (555) 123 4567); a bare run of digits
    # without a leading 0 is more likely an order or tracking number.
    if digits.startswith("0"):
        return True
    if re.fullmatch(r"\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}", s):
        return True
    # Chinese mobiles: 11 digits starting 13-19 (plain or 3-4-4 grouped).
    return bool(re.fullmatch(r"1[3-9]\d(?:[\s-]?\d{4}){2}", s))


def _sub(pattern: re.Pattern[str], kind: str, text: str, counts: Counter, check=None) -> str:
    def repl(m: re.Match[str]) -> str:
        if check is not None and not check(m.group(0)):
            return m.group(0)
        counts[kind] += 1
        return PLACEHOLDERS[kind]

    return pattern.sub(repl, text)


# Issuer prefixes of the card networks seen in our markets (Visa, Mastercard incl. 2-series,
# Amex, Diners, Discover, JCB, UnionPay, Mada/Meeza use Visa/MC ranges). Requiring one cuts
# the 1-in-10 chance that an arbitrary 16-digit number passes Luhn.
_CARD_IIN = re.compile(
    r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[68])|35|6(?:011|5|4[4-9]|2))"
)


def _card_check(raw: str) -> bool:
    digits = re.sub(r"\D", "", normalise_digits(raw))
    return 13 <= len(digits) <= 19 and bool(_CARD_IIN.match(digits)) and luhn_valid(digits)


def _iban_or_keep(m: re.Match[str], counts: Counter) -> str:
    # The pattern is greedy and may run into a following upper-case word; use the country's
    # IBAN length to cut the candidate where the IBAN should end.
    raw = m.group(0)
    expected = _IBAN_LENGTHS.get(raw[:2])
    if expected is None:
        if iban_valid(raw):
            counts["IBAN"] += 1
            return PLACEHOLDERS["IBAN"]
        return raw
    seen = 0
    for end, ch in enumerate(raw):
        if ch != " ":
            seen += 1
        if seen == expected:
            head, tail = raw[: end + 1], raw[end + 1 :]
            if (not tail or tail[0] == " ") and iban_valid(head):
                counts["IBAN"] += 1
                return PLACEHOLDERS["IBAN"] + tail
            break
    return raw


def _url_with_token(m: re.Match[str], counts: Counter) -> str:
    url = m.group(0)
    if _TOKEN_QUERY.search(url):
        counts["URL_TOKEN"] += 1
        return PLACEHOLDERS["URL_TOKEN"]
    return url


def redact(text: str | None) -> Redaction:
    """Replace emails, phone numbers, payment cards, IBANs and token-bearing URLs in `text`.

    Order matters: URLs first (they may contain emails or digits), then emails, IBANs,
    cards (Luhn-checked) and finally phones, so a card number is never half-eaten as a phone.
    """
    if not text:
        return Redaction(text=text or "", found={})
    counts: Counter[str] = Counter()
    out = _URL.sub(lambda m: _url_with_token(m, counts), text)
    out = _sub(_EMAIL, "EMAIL", out, counts)
    out = _IBAN.sub(lambda m: _iban_or_keep(m, counts), out)
    out = _sub(_CARD, "CARD", out, counts, _card_check)
    out = _sub(_PHONE, "PHONE", out, counts, _looks_like_phone)
    return Redaction(text=out, found=dict(sorted(counts.items())))
