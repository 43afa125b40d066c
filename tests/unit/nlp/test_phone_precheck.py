"""`may_hold_phone` skips the phone matcher only where the matcher would find nothing.

The corpus: generated record ids (`SU-0000123` ... as bench/scale.py writes them, 7 digits, some
of which are phones to the detector), phone numbers of many regions written every way, and random
id-like and phone-like strings with IDD and trunk prefixes, separators, extensions and other digits.
bench/phone_precheck_exact.py makes the same comparison on 100,000 ids and more hostile strings.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest

from cfm.nlp.redaction import (
    PHONE_REGIONS,
    _matched_phone_spans,
    _regions_to_match,
    find_pii,
    may_hold_phone,
    normalise_digits,
)

FORMATS = (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL)


def _phones() -> list[str]:
    out = []
    for region in (*PHONE_REGIONS, "DE", "AT", "SH", "NU", "FR", "IN", "JP"):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                out += [phonenumbers.format_number(number, fmt) for fmt in FORMATS]
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                out += ["00" + e164[1:], "011" + e164[1:], "SU-" + e164[1:]]
    return out


def _hostile(count: int, rng: random.Random) -> list[str]:
    heads = ["", "", "0", "00", "011", "+", "00 ", "(0", "1", "0044", "00966", "0098", "0086", "00290", "1", "9"]
    befores = ["", "", "SU-", "ID ", "order #", "call me at ", "tel: ", "رقمي ", "电话", "A1-"]
    afters = ["", "", " ext 12", "x3", "-A", "/2", "."]
    out = []
    for _ in range(count):
        body = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 12)))
        if rng.random() < 0.4:
            cut = rng.randrange(1, len(body))
            body = body[:cut] + rng.choice([" ", "-", ".", "/"]) + body[cut:]
        text = rng.choice(befores) + rng.choice(heads) + body + rng.choice(afters)
        if rng.random() < 0.1:
            text = text.translate(str.maketrans("0123456789", rng.choice(["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"])))
        out.append(text)
    return out


def _corpus() -> list[str]:
    rng = random.Random(7)
    ids = [f"{rng.choice(['SU', 'CH', 'PH', 'RE', 'EM', 'BAD'])}-{rng.randrange(10**7):07d}" for _ in range(1500)]
    ids += [f"SU-{i:07d}" for i in range(1, 400)]
    return ids + _phones() + _hostile(1500, rng)


CORPUS = _corpus()


def test_what_the_precheck_skips_the_matcher_finds_no_phone_in() -> None:
    skipped = [t for t in CORPUS if not may_hold_phone(normalise_digits(t))]
    assert len(skipped) > len(CORPUS) // 3  # it does skip: most generated ids
    assert [t for t in skipped if _matched_phone_spans(normalise_digits(t), PHONE_REGIONS)] == []


def test_corpus_holds_ids_that_are_phones_and_the_precheck_passes_them_on() -> None:
    """7-digit generated ids the detector calls a phone (national numbers of IR or CN): a shape
    rule would skip them, the precheck does not."""
    ids = [t for t in CORPUS if t[:3] in ("SU-", "CH-", "PH-", "RE-", "EM-") and len(t) == 10 and t[3:].isdigit()]
    flagged = [t for t in ids if find_pii(t)]
    assert len(flagged) >= 5
    assert all(may_hold_phone(t) for t in flagged)
    assert not may_hold_phone("SU-0000123")


@pytest.mark.parametrize("text", ["+290 1234", "＋２９０ １２３４", "00290 1234", "tel 0٢١١٢٣٤", "call 4155550132",
                                  "020 7946 0958", "SU-0349269"])
def test_phones_at_the_edges_pass_the_precheck(text: str) -> None:
    assert may_hold_phone(normalise_digits(text))
    assert find_pii(text) == ["PHONE"]


def test_a_region_that_writes_numbers_out_of_order_turns_the_precheck_off() -> None:
    # Argentina rewrites national numbers (a transform rule): its digits need not be one slice of the text.
    assert may_hold_phone("SU-0000123", ("AR",))
    assert may_hold_phone("SU-0000123", ("US", "AR"))


def test_only_the_regions_whose_needs_a_text_meets_run_their_matcher() -> None:
    """A region left out would have found nothing: every region's matcher that finds a phone is kept."""
    for text in CORPUS:
        ascii_text = normalise_digits(text)
        kept = _regions_to_match(ascii_text, PHONE_REGIONS)
        finds = [r for r in PHONE_REGIONS if _matched_phone_spans(ascii_text, (r,))]
        assert set(finds) <= set(kept), text


def test_a_seven_digit_id_that_is_an_iranian_number_runs_one_matcher_not_seven() -> None:
    assert find_pii("SU-0349269") == ["PHONE"]
    assert _regions_to_match("SU-0349269", PHONE_REGIONS) == ("IR",)
    # In doubt (a plus sign, a region that rewrites its numbers) every region runs.
    assert _regions_to_match("+290 1234", PHONE_REGIONS) == PHONE_REGIONS
    assert _regions_to_match("SU-0349269", ("US", "AR")) == ("AR",)
