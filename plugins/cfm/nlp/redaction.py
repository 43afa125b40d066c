"""PII redaction for free-text feedback.

`redact` replaces personal data with typed placeholders before text is embedded,
stored in ``ml`` or shown in marts:

    [EMAIL] [PHONE] [CARD] [IBAN] [NATIONAL_ID] [URL_TOKEN]

Candidates are found with permissive patterns and then *validated* (Luhn for cards,
mod-97 for IBANs, the national numbering plans of libphonenumber for phones, issuing rules
and check digits for national ids), so ordinary numbers such as order ids, dates, prices and
quantities survive. Arabic-Indic digits (U+0660-0669), Extended Arabic-Indic / Persian digits
(U+06F0-06F9) and full-width digits are handled like ASCII digits.

Phones: a number written internationally (+44 ..., 00966 ...) is checked against the plan of
its own country, so every region is covered. A number written nationally has no country in
it, so it is checked against the plans of PHONE_REGIONS (the markets we serve); checking it
against all 245 regions would call most order numbers a phone somewhere. An unformatted run of
ten digits fits the North American plan too often (order and invoice numbers), so it is a phone
only when the text says so: a phone word near it and no id word right before it (or when it is
the whole value, an id or a phone field).

`find_pii` is the detector the marts' PII check (cfm.privacy.pii_scan) uses: one source of truth.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

PLACEHOLDERS = {
    "EMAIL": "[EMAIL]",
    "PHONE": "[PHONE]",
    "CARD": "[CARD]",
    "IBAN": "[IBAN]",
    "NATIONAL_ID": "[NATIONAL_ID]",
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

# Regions whose national (no country code) phone formats are recognised. International
# numbers (+CC / 00CC) are recognised for every region whatever this list says.
PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "SA", "AE", "EG", "CN", "IR")

# US social security number, written in its usual grouped form (a bare run of 9 digits is
# too often something else). Area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
_SSN = re.compile(rf"(?<![{_W}-]|{_D})({_D}{{3}})([- ])({_D}{{2}})\2({_D}{{4}})(?![{_W}]|{_D}|-{_D})")
# UK National Insurance number (AB 12 34 56 C); the prefix letters D, F, I, Q, U, V never occur.
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![A-Za-z0-9])"
)
# Chinese resident identity card: 17 digits and an ISO 7064 MOD 11-2 check character.
_CN_ID = re.compile(rf"(?<![{_W}]|{_D})[1-9]{_D}{{16}}(?:{_D}|[Xx])(?![{_W}]|{_D})")


# What each detector needs at the least, for `may_hold_pii`. Every detector below runs on the
# text with earlier matches replaced by placeholders ("[EMAIL]": brackets and capitals, no digit),
# which only ever removes characters, so a need that the original text does not meet is not met
# later either. Change a detector, change its need here (tests/unit/nlp/test_pii_precheck.py).
PHONE_MIN_DIGITS = 7  # the phone detector's own guard: it looks at no text with fewer digits
_CARD_MIN_DIGITS, _SSN_DIGITS, _CN_ID_MIN_DIGITS = 13, 9, 17  # _CARD, _SSN, _CN_ID above
_OTHER_MIN_DIGITS = min(_CARD_MIN_DIGITS, _SSN_DIGITS, _CN_ID_MIN_DIGITS)
# _IBAN and _NINO without their boundary look-arounds (a placeholder may change a neighbour).
_IBAN_CORE = re.compile(r"[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}")
_NINO_CORE = re.compile(r"[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]")


def _digit_count(text: str) -> int:
    # str.isdigit: every digit the patterns (_D, [0-9]) and libphonenumber read, and more.
    return sum(map(str.isdigit, text))


def _may_hold_other_pii(text: str, digits: int) -> bool:
    """Whether a detector other than the phone one can fire on `text`, which has `digits` digits."""
    return ("@" in text or "=" in text or digits >= _OTHER_MIN_DIGITS
            or _IBAN_CORE.search(text) is not None or _NINO_CORE.search(text) is not None)


def may_hold_pii(text: str) -> bool:
    """False only when no detector of `redact` can fire on `text`: no '@' (emails), no '='
    (token URLs), no IBAN or NI-number shape and fewer digits than any digit-based detector
    needs. A cheap pre-check; `redact` returns the text unchanged when it is False."""
    digits = _digit_count(text)
    return digits >= PHONE_MIN_DIGITS or _may_hold_other_pii(text, digits)


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


def _ssn_check(m: re.Match[str]) -> bool:
    area, _, group, serial = (normalise_digits(g) for g in m.groups())
    return area != "000" and area != "666" and area[0] != "9" and group != "00" and serial != "0000"


def _cn_id_check(raw: str) -> bool:
    s = normalise_digits(raw).upper()
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(s[:17], weights, strict=True))
    return "10X98765432"[total % 11] == s[17]


_ALNUM = re.compile(r"[A-Za-z0-9]")


def _phone_spans(text: str, regions: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of `text` that libphonenumber finds to be valid phone numbers (international ones for
    any region; national ones for `regions`)."""
    ascii_text = normalise_digits(text)  # same length: every mapped digit is one character
    regions = tuple(regions)
    if _digit_count(ascii_text) < PHONE_MIN_DIGITS:
        return []
    regions = _regions_to_match(ascii_text, regions)
    return _matched_phone_spans(ascii_text, regions) if regions else []


def _matched_phone_spans(ascii_text: str, regions: tuple[str, ...]) -> list[tuple[int, int]]:
    """`_phone_spans` without its prechecks: every region's matcher over the text."""
    spans: set[tuple[int, int]] = set()
    for region in regions:
        for m in phonenumbers.PhoneNumberMatcher(ascii_text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            # Digits inside a word (a hash, a hex id, a tracking code) are not a phone number.
            if (m.start > 0 and _ALNUM.match(ascii_text, m.start - 1)) or _ALNUM.match(ascii_text, m.end):
                continue
            if _is_phone(m.raw_string, region) and (
                not _bare_nanp(m.raw_string, region) or _said_to_be_a_phone(ascii_text, m.start, m.end)
            ):
                spans.add((m.start, m.end))
    # Keep the union of overlapping matches (regions may cut the same number differently).
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if kept and start < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(end, kept[-1][1]))
            continue
        kept.append((start, end))
    return kept


# `may_hold_phone`: what `_is_phone` needs of a span's digits, read from libphonenumber's own
# metadata, so that ids like SU-0000123 (7 digits, 1 ms each through the matcher for 7 regions)
# skip it. A span's digits are a contiguous slice of the text's digits, and a phone needs one of:
#   a plus sign (any region's number; no precheck then);
#   an IDD of a region (00, 011, ...) then a digit other than 0 (libphonenumber strips no IDD
#     before a 0), a country code and at least the shortest number length (local-only lengths
#     included) of that code's regions;
#   a national significant number that fully matches a region's fixed-line or mobile pattern
#     (`_PERSONAL`), a contiguous slice of the span's digits when the region writes its numbers as
#     [national prefix] + its groups in order (checked below; a region that does not turns the
#     precheck off);
#   or, for US, ten digits starting 2-9.
# tests/unit/nlp/test_phone_precheck.py compares it with the full check on ids and hostile text.
_PLUS_CHARS = ("+", "\uff0b")
_PRECHECK_MAX_DIGITS = 16  # longer digit runs: the slice search costs more than it saves


@dataclass(frozen=True)
class _PhoneNeeds:
    idd: re.Pattern[str] | None  # the regions' IDDs, one alternation anchored at its end
    national: dict[int, re.Pattern[str]]  # length -> the patterns allowing it, one alternation
    any_length: tuple[re.Pattern[str], ...]  # patterns with no length list
    nanp: bool


def _groups_in_order(metadata: PhoneMetadata) -> bool:
    for fmt in metadata.number_format:
        refs = [int(g) for g in re.findall(r"\\(\d)", fmt.format)]
        if refs != sorted(refs) or re.search(r"\d", re.sub(r"\\\d", "", fmt.format)):
            return False
        rule = fmt.national_prefix_formatting_rule or ""
        if re.search(r"\d", re.sub(r"\\\d", "", rule.split("\\1", 1)[-1])):  # digits only before the group
            return False
    return metadata.national_prefix_transform_rule is None


@lru_cache(maxsize=16)
def _phone_needs(regions: tuple[str, ...]) -> _PhoneNeeds | None:
    idd, by_length, any_length = [], {}, []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None or not _groups_in_order(metadata):
            return None
        if metadata.international_prefix and metadata.international_prefix not in idd:
            idd.append(metadata.international_prefix)
        for desc in (metadata.fixed_line, metadata.mobile):
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = [n for n in (desc.possible_length or ()) if n > 0]
            if not lengths:
                any_length.append(re.compile(desc.national_number_pattern))
            for n in lengths:
                by_length.setdefault(n, []).append(desc.national_number_pattern)
    national = {n: re.compile("|".join(f"(?:{p})" for p in ps)) for n, ps in by_length.items()}
    # Searched up to an end position: some IDD fully matches a slice of the digits that ends there.
    idd_ending = re.compile("(?:" + "|".join(f"(?:{p})" for p in idd) + r")\Z") if idd else None
    return _PhoneNeeds(idd_ending, national, tuple(any_length), "US" in regions)


@cache
def _shortest_number(country_code: int) -> int:
    """The fewest national digits any region of `country_code` calls a possible number."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    metas = [PhoneMetadata.metadata_for_region_or_calling_code(country_code, r) for r in regions]
    lengths = [n for m in metas if m is not None
               for n in (*m.general_desc.possible_length, *m.general_desc.possible_length_local_only) if n > 0]
    return min(lengths, default=1)


def _after_idd_could_be_phone(digits: str, start: int) -> bool:
    if start >= len(digits) or digits[start] == "0":
        return False
    for size in range(1, 4):  # libphonenumber takes the shortest code that exists
        code = int(digits[start:start + size] or 0)
        if start + size <= len(digits) and code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return len(digits) - start - size >= _shortest_number(code)
    return False


def _precheck_digits(text: str) -> str | None:
    """The text's digits when the precheck can judge it, None when in doubt (a plus sign, a long
    or non-ASCII digit run)."""
    if any(c in text for c in _PLUS_CHARS):
        return None
    digits = "".join(filter(str.isdigit, text))
    return digits if len(digits) <= _PRECHECK_MAX_DIGITS and digits.isascii() else None


def _digits_may_hold_phone(digits: str, needs: _PhoneNeeds) -> bool:
    # Plain loops: this runs once per record id (a million at scale), generator overhead shows.
    n = len(digits)
    if needs.nanp:
        for k in range(n - 9):
            if "2" <= digits[k] <= "9":
                return True
    if needs.idd is not None:
        search = needs.idd.search
        for end in range(1, n):
            if digits[end] != "0" and search(digits, 0, end) and _after_idd_could_be_phone(digits, end):
                return True
    for size, pattern in needs.national.items():
        fullmatch = pattern.fullmatch
        for start in range(n - size + 1):
            if fullmatch(digits, start, start + size):
                return True
    for pattern in needs.any_length:
        if any(pattern.fullmatch(digits, start, end) for start in range(n) for end in range(start + 1, n + 1)):
            return True
    return False


def may_hold_phone(text: str, regions: tuple[str, ...] = PHONE_REGIONS) -> bool:
    """False only when no span of `text` (digits already ASCII) can be a phone number of `regions`
    by `_phone_spans`' rules; True whenever in doubt."""
    digits = _precheck_digits(text)
    needs = _phone_needs(regions)
    return digits is None or needs is None or _digits_may_hold_phone(digits, needs)


def _regions_to_match(text: str, regions: tuple[str, ...]) -> tuple[str, ...]:
    """The regions of `regions` whose own needs `text` (digits already ASCII) meets, none when
    `may_hold_phone` is False, all when in doubt: every term of the precheck belongs to one region's
    matcher, so another region's matcher finds nothing in `text`. A 7-digit id that is an Iranian
    number costs one matcher, not seven."""
    digits = _precheck_digits(text)
    if digits is None:
        return regions
    needs = _phone_needs(regions)
    if needs is not None and not _digits_may_hold_phone(digits, needs):
        return ()
    if len(regions) < 2:
        return regions
    return tuple(r for r in regions
                 if (needs := _phone_needs((r,))) is None or _digits_may_hold_phone(digits, needs))


_INTERNATIONAL = (
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
)
# Numbers that reach a person (not premium, shared-cost or pager ranges, which order numbers hit).
_PERSONAL = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


# A bare run of ten digits fits the North American plan far too often (most order, invoice and
# account numbers starting 2-9 do), so unformatted it is a phone only when the text says so: a
# phone word near it, and no id word right before it. A value that is nothing but the number (an
# id column, a phone field) is still a phone: pseudonymising an order id there costs little.
_PHONE_CUE = re.compile(
    r"(?<![a-z])(?:call|phone|ring|text|sms|tel|mobile|cell|whats ?app|contact|reach|dial|fax|number)"
    r"|اتصل|هاتف|جوال|موبايل|رقمي|واتس|تواصل|电话|手机|打|联系|号码|致电|微信",
    re.IGNORECASE,
)
_ID_CUE = re.compile(
    r"(?:order|invoice|ref|reference|tracking|ticket|booking|account|acct|case|receipt|transaction|"
    r"parcel|item|sku|serial|model|no\.|#|طلب|فاتورة|شحنة|订单|单号|发票|编号)\W{0,12}(?:\w{1,8}\W{1,3})?$",
    re.IGNORECASE,
)


def _bare_nanp(raw: str, region: str) -> bool:
    return phonenumbers.country_code_for_region(region) == 1 and re.fullmatch(r"\d{10}", raw) is not None


def _said_to_be_a_phone(text: str, start: int, end: int) -> bool:
    if not (text[:start].strip() or text[end:].strip()):
        return True
    before = text[max(0, start - 40):start]
    if _ID_CUE.search(before[-24:]):
        return False
    return bool(_PHONE_CUE.search(before) or _PHONE_CUE.search(text[end:end + 20]))


def _grouped_like(raw: str, formatted: str) -> bool:
    """Every break between digit groups in `raw` is also a break in the country's own format, so
    2026-000123 (an invoice) is not read as (202) 600-0123."""

    def breaks(s: str) -> set[int]:
        out, n = set(), 0
        for group in re.findall(r"\d+", s):
            n += len(group)
            out.add(n)
        return out

    return breaks(raw) <= breaks(formatted)


def _is_phone(raw: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(raw, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return False
    # +CC or an international prefix: written as a phone, so a length that country's plan allows
    # is enough (reserved fiction ranges such as +44 7700 900xxx are still someone's number in text).
    if number.country_code_source in _INTERNATIONAL:
        return phonenumbers.is_possible_number(number)
    digits = re.sub(r"\D", "", raw)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if not _grouped_like(raw, national):
        return False
    if (
        phonenumbers.is_valid_number_for_region(number, region)
        and phonenumbers.number_type(number) in _PERSONAL
    ):
        # Written the way that country writes its numbers (trunk prefix included where it has
        # one): 20240315001 is not Cairo's 02 4031 5001, but 020 7946 0958 is London.
        return re.sub(r"\D", "", national) == digits
    # North America: any 10-digit number with an area code that can exist (2-9) is treated as a
    # phone, the 555 numbers people type as examples included, though the plan leaves them unassigned.
    return region == "US" and re.fullmatch(r"[2-9]\d{9}", digits) is not None


def _sub_phones(text: str, counts: Counter, regions: Iterable[str]) -> str:
    spans = _phone_spans(text, regions)
    for start, end in reversed(spans):
        text = text[:start] + PLACEHOLDERS["PHONE"] + text[end:]
    if spans:
        counts["PHONE"] += len(spans)
    return text


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


def redact(text: str | None, *, phone_regions: Iterable[str] = PHONE_REGIONS) -> Redaction:
    """Replace emails, phone numbers, payment cards, IBANs, national ids and token-bearing URLs in `text`.

    Order matters: URLs first (they may contain emails or digits), then emails, IBANs,
    cards (Luhn-checked), national ids and finally phones, so a card or an id number is never
    half-eaten as a phone.
    """
    if not text or not may_hold_pii(text):
        return Redaction(text=text or "", found={})
    counts: Counter[str] = Counter()
    out = _URL.sub(lambda m: _url_with_token(m, counts), text)
    out = _sub(_EMAIL, "EMAIL", out, counts)
    out = _IBAN.sub(lambda m: _iban_or_keep(m, counts), out)
    out = _sub(_CARD, "CARD", out, counts, _card_check)
    out = _SSN.sub(lambda m: _national_id(m, counts, _ssn_check(m)), out)
    out = _sub(_NINO, "NATIONAL_ID", out, counts)
    out = _sub(_CN_ID, "NATIONAL_ID", out, counts, _cn_id_check)
    out = _sub_phones(out, counts, phone_regions)
    return Redaction(text=out, found=dict(sorted(counts.items())))


def redact_many(texts: Iterable[str | None]) -> list[Redaction]:
    """`redact` over many texts, once per distinct text: feedback repeats itself, within a batch and
    across batches (a bounded cache per process). Repeats share one Redaction: do not modify it."""
    return [_redact_cached(t or "") for t in texts]


@lru_cache(maxsize=65_536)
def _redact_cached(text: str) -> Redaction:
    return redact(text)


def _national_id(m: re.Match[str], counts: Counter, valid: bool) -> str:
    if not valid:
        return m.group(0)
    counts["NATIONAL_ID"] += 1
    return PLACEHOLDERS["NATIONAL_ID"]


def find_pii(text: str | None) -> list[str]:
    """The PII types `redact` would remove from `text` (empty when there are none)."""
    return redact(text).pii_types


def holds_pii(text: str | None) -> bool:
    """`bool(find_pii(text))`. Where only the phone detector can fire (a record id such as
    SU-0123456), `redact` would reach it with the text unchanged: ask it alone."""
    if not text:
        return False
    if not _may_hold_other_pii(text, _digit_count(text)):
        return bool(_phone_spans(text, PHONE_REGIONS))
    return bool(find_pii(text))
