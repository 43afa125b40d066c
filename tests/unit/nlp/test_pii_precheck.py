"""`may_hold_pii` never skips a text or id that the detectors flag, and skipping changes no result.

The corpus: the redaction benchmark's texts and PII values (bench/data/pii_labelled.jsonl) and
generated ids of every kind. It holds, for each clause of the pre-check, values that only that
clause lets through (a 7-digit phone, an IBAN and an NI number with fewer digits than a phone, an
email and a token URL without digits), so a pre-check made more aggressive fails here.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import phonenumbers
import pytest

from cfm.nlp import redaction
from cfm.nlp.redaction import PHONE_MIN_DIGITS, find_pii, luhn_valid, may_hold_pii, redact

ROOT = Path(__file__).resolve().parents[3]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")
REGIONS = ("US", "GB", "SA", "AE", "EG", "CN", "IR", "DE", "FR", "IN", "SH", "NU", "TK", "AU", "BR", "JP")
FORMATS = (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.RFC3966)


def _phones() -> list[str]:
    out = []
    for region in REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for fmt in FORMATS:
                text = phonenumbers.format_number(number, fmt)
                out += [text, text.translate(ARABIC_INDIC), text.translate(PERSIAN), text.translate(FULL_WIDTH)]
            out.append("00" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:])
    # At the phone detector's minimum: short international numbers and a 7-digit national one.
    out += ["+290 1234", "+2901234", "+683 4002", "+690 3291", "00290 1234", "tel 0٢١١٢٣٤", "+٢٩٠ ١٢٣٤",
            "＋２９０ １２３４", "call me on (415) 555-0132", "my cell 4155550132"]
    return out


def _with_luhn(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def _cards(rng: random.Random) -> list[str]:
    out = []
    for prefix, length in (("4", 16), ("4", 13), ("51", 16), ("2221", 16), ("34", 15), ("6011", 16), ("62", 19)):
        digits = _with_luhn(prefix, length, rng)
        grouped = " ".join(digits[k:k + 4] for k in range(0, len(digits), 4))
        out += [digits, grouped, grouped.replace(" ", "-"), digits.translate(ARABIC_INDIC), digits.translate(FULL_WIDTH)]
    return out


def _iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def _ibans() -> list[str]:
    out = [_iban("GB", "WEST12345698765432"), _iban("DE", "370400440532013000"), _iban("SA", "80000000608010167519"),
           _iban("NO", "86011117947"), _iban("FR", "20041010050500013M02606"),
           # a country without a known length and a BBAN of letters: 2 digits in all
           _iban("XK", "ABCDEFGHIJKLM")]
    return out + [" ".join(i[k:k + 4] for k in range(0, len(i), 4)) for i in out]


def _cn_id(body17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights, strict=True)) % 11]


def _national_ids() -> list[str]:
    return ["123-45-6789", "123 45 6789", "AB 12 34 56 C", "AB123456C", "nino: ce 12 34 56 a", "CE123456A",
            _cn_id("11010519491231002"), _cn_id("44030419900101123"), _cn_id("44030419900101123").translate(FULL_WIDTH)]


def _corpus() -> list[str]:
    rng = random.Random(13)
    rows = [json.loads(line) for line in (ROOT / "bench" / "data" / "pii_labelled.jsonl").open(encoding="utf-8")]
    values = [r["text"] for r in rows] + [s["value"] for r in rows for s in r["spans"]]
    emails = ["a@b.co", "li.wei@gmail.com", "Fatima.Ali+cx@example.co.uk", "用户sara@mail.cn", "x@y.io"]
    tokens = ["https://x.io/reset?token=abc", "www.shop.example/login#session=abcdef", "https://a.b/c?x=1&sig=zz"]
    kinds = _phones() + _cards(rng) + _ibans() + _national_ids() + emails + tokens
    ids = [f"{pre}{v}" for v in kinds for pre in ("", "customer:", "thread/", "cust_")]
    orders = ["ORD-2026-000123", "#123456", "SU-0000123", "INV 2026/03/15-0001", "relationship-nps-2026",
              "QID12", "R_1abcDEF2ghi3JKL", "survey-42", "ticket 98765", "SKU AB12-CD34", "order 12345678901",
              "٢٠٢٦-٠٣-١٥", "订单号２０２６０３１５００１", "price 1,299.00 SAR", "pii_0123456789abcdef", "", " "]
    orders += [f"{rng.choice(['SU', 'CH', 'RE', 'PH', 'EM'])}-{rng.randrange(10**7):07d}" for _ in range(200)]
    orders += ["".join(rng.choice("abcdef0123456789") for _ in range(rng.randint(4, 40))) for _ in range(200)]
    return values + kinds + ids + orders


CORPUS = _corpus()


@pytest.fixture()
def detectors_only(monkeypatch: pytest.MonkeyPatch):
    """find_pii / redact without the pre-check: every detector runs on every text."""
    monkeypatch.setattr(redaction, "may_hold_pii", lambda text: True)


def _full(texts: list[str]) -> list[redaction.Redaction]:
    return [redact(t) for t in texts]


def test_precheck_never_skips_what_the_detectors_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    precheck = redaction.may_hold_pii
    monkeypatch.setattr(redaction, "may_hold_pii", lambda text: True)
    full = {t: find_pii(t) for t in CORPUS}
    flagged = [t for t, found in full.items() if found]
    assert len(flagged) > 500
    skipped = [t for t in flagged if not precheck(t)]
    assert skipped == []


def test_corpus_reaches_every_clause_of_the_precheck(detectors_only) -> None:
    """Values flagged that only one clause admits: drop or tighten a clause and the test above fails."""
    def digits(t: str) -> int:
        return sum(map(str.isdigit, t))

    flagged = {t: set(find_pii(t)) for t in CORPUS}
    plain = [t for t, kinds in flagged.items() if kinds and "@" not in t and "=" not in t]
    assert min(digits(t) for t in plain if flagged[t] == {"PHONE"}) == PHONE_MIN_DIGITS
    assert any(flagged[t] == {"IBAN"} and digits(t) < PHONE_MIN_DIGITS for t in plain)
    assert any(flagged[t] == {"NATIONAL_ID"} and digits(t) < PHONE_MIN_DIGITS for t in plain)
    assert any(flagged[t] == {"EMAIL"} and digits(t) == 0 and "=" not in t for t in flagged)
    assert any(flagged[t] == {"URL_TOKEN"} and digits(t) == 0 and "@" not in t for t in flagged)
    assert any(flagged[t] == {"PHONE"} and any("٠" <= c <= "٩" for c in t) for t in plain)
    assert any(flagged[t] == {"PHONE"} and any("０" <= c <= "９" for c in t) for t in plain)


def test_redact_gives_the_same_result_with_and_without_the_precheck(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _full(CORPUS)
    monkeypatch.setattr(redaction, "may_hold_pii", lambda text: True)
    assert _full(CORPUS) == fast


def test_precheck_skips_ids_without_any_detector_need() -> None:
    for value in ("relationship-nps-2026", "QID12", "survey-42", "#123456", "ticket 98765", "R_abc-def"):
        assert not may_hold_pii(value)
    for value in ("SU-0000123", "a@b", "?token=", "GB00 ABCD EFGH IJKL", "AB 12 34 56 C", "١٢٣٤٥٦٧"):
        assert may_hold_pii(value)


def test_holds_pii_is_find_pii_as_a_verdict(detectors_only) -> None:
    """`holds_pii` asks only the phone detector where no other can fire: the same verdict on every value."""
    assert [redaction.holds_pii(t) for t in CORPUS] == [bool(find_pii(t)) for t in CORPUS]
    assert redaction.holds_pii("SU-0349269") and not redaction.holds_pii("SU-0000123")
    assert not redaction.holds_pii(None) and not redaction.holds_pii("")
