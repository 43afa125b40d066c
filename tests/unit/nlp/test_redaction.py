"""PII redaction: each type is replaced, ordinary numbers are left alone."""

import pytest

from cfm.nlp.redaction import iban_valid, luhn_valid, normalise_digits, redact


@pytest.mark.parametrize(
    "text, kind",
    [
        ("write to jane.doe+cx@example.co.uk please", "EMAIL"),
        ("邮箱wang.li@mail.cn谢谢", "EMAIL"),
        ("call me on +44 20 7946 0958", "PHONE"),
        ("my number is 020 7946 0958", "PHONE"),
        ("call (555) 123-4567 after 5", "PHONE"),
        ("اتصل على ٠٥٠١٢٣٤٥٦٧ من فضلك", "PHONE"),
        ("رقمي +٩٦٦ ٥٠ ١٢٣ ٤٥٦٧", "PHONE"),
        ("رقمي ۰۹۱۲۳۴۵۶۷۸۹", "PHONE"),
        ("我的手机号是13812345678，请回电", "PHONE"),
        ("card 4111 1111 1111 1111 was charged twice", "CARD"),
        ("卡号5555555555554444被扣款", "CARD"),
        ("بطاقتي ٤١١١١١١١١١١١١١١١ انسحب منها", "CARD"),
        ("refund to GB82 WEST 1234 5698 7654 32 THANKS", "IBAN"),
        ("IBAN SA0380000000608010167519", "IBAN"),
        ("the link https://app.example.com/reset?token=abc123XYZ&u=1 failed", "URL_TOKEN"),
        ("see https://x.example.com/cb?foo=1&access_token=eyJhbGciOi", "URL_TOKEN"),
    ],
)
def test_each_pii_type_is_replaced_by_its_placeholder(text, kind):
    result = redact(text)
    assert result.found == {kind: 1}
    assert f"[{kind}]" in result.text


@pytest.mark.parametrize(
    "text",
    [
        "order #123456789012 on 2024-03-15 cost $1,299.99",
        "card 4111 1111 1111 1112 failed",  # Luhn fails
        "numbers 2023 2024 2025 2026",  # Luhn passes by chance but no card prefix
        "order 98765432 arrived on 12/05/2024 at 10:30",
        "طلب رقم ١٢٣٤٥٦٧ بتاريخ ٢٠٢٤/٠٣/١٥ بسعر ٢٥٠ ريال",
        "订单号20240315001，价格1299元",
        "IBAN GB82 WEST 1234 5698 7654 33",  # mod-97 fails
        "see https://example.com/help?page=2 for help",
        "tracking 1Z999AA10123456784",
    ],
)
def test_ordinary_numbers_and_invalid_candidates_are_kept(text):
    result = redact(text)
    assert result.found == {}
    assert result.text == text


def test_counts_and_types_for_mixed_text():
    r = redact("a@b.io, c@d.io and +1 415 555 2671")
    assert r.found == {"EMAIL": 2, "PHONE": 1}
    assert r.pii_types == ["EMAIL", "PHONE"]
    assert r.text == "[EMAIL], [EMAIL] and [PHONE]"


def test_checksums_and_digit_normalisation():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE89 3704 0044 0532 0130 01")
    assert normalise_digits("٠١٢٣۴۵٦") == "0123456"


def test_empty_text():
    assert redact("").text == "" and redact(None).found == {}


@pytest.mark.parametrize(
    "text, kind",
    [
        ("call me 5551234567 tomorrow", "PHONE"),
        ("call me at 5551234567", "PHONE"),
        ("my number is 4155551234, after 5", "PHONE"),
        ("Order #2345678901, please call me on 4155551234", "PHONE"),
        ("my SSN is 123-45-6789", "NATIONAL_ID"),
        ("رقم الضمان ١٢٣-٤٥-٦٧٨٩ لو سمحت", "NATIONAL_ID"),
        ("اتصلوا بي 5551234567 شكرا", "PHONE"),
        ("请打5551234567联系我", "PHONE"),
        ("رقمي ٠٠٩٦٦٥٠١٢٣٤٥٦٧", "PHONE"),
        ("身份证11010519491231002X", "NATIONAL_ID"),
        ("NI number AB 12 34 56 C", "NATIONAL_ID"),
        ("text me on +44 7700 900372", "PHONE"),
    ],
)
def test_phones_and_national_ids_in_every_language(text, kind):
    result = redact(text)
    assert result.found == {kind: 1}
    assert f"[{kind}]" in result.text


@pytest.mark.parametrize(
    "text",
    [
        "delivered on 2026-10-20 10:00, order 1234567890",
        "تم التوصيل في 2026-10-20 10:00 والطلب رقم 1234567890",
        "تم التوصيل في ٢٠٢٦-١٠-٢٠ ١٠:٠٠ الطلب ١٢٣٤٥٦٧٨٩٠",
        "订单1234567890于2026-10-20 10:00送达",
        "invoice 2026-000123 ticket 20261020",
        "SSN-like but never issued: 000-12-3456 666-12-3456 900-12-3456",
        "feedback_id 9f0e5551234567ab3c1d2e3f4a5b6c7d",  # digits inside a hash
        "thread 18c2f3a45551234567",
        # Bare ten-digit numbers that fit the North American plan, with nothing saying they are phones.
        "order 2345678901 arrived broken",
        "order number 2345678901, please call me back",
        "I want to talk about order 5551234567",
        "الطلب رقم 2345678901 وصل متأخرا",
        "订单号2345678901，价格1299元",
    ],
)
def test_dates_order_numbers_and_unissued_ids_are_not_pii(text):
    result = redact(text)
    assert result.found == {}
    assert result.text == text


def test_redact_many_redacts_each_distinct_text_once(monkeypatch) -> None:
    from cfm.nlp import redaction

    calls = []
    real = redaction.redact
    monkeypatch.setattr(redaction, "redact", lambda t: calls.append(t) or real(t))
    redaction._redact_cached.cache_clear()
    texts = ["mail me at a@b.co", None, "no pii", "mail me at a@b.co", ""]
    out = redaction.redact_many(texts)
    assert out == [real(t) for t in texts]
    assert sorted(calls) == sorted({"mail me at a@b.co", "no pii", ""})
    assert redaction.redact_many(["no pii", "mail me at a@b.co"]) == [out[2], out[0]]
    assert len(calls) == 3  # the next batch's repeats come from the cache
