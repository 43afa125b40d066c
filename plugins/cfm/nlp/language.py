"""Language detection for short feedback texts (ISO 639-1 code or 'und').

Script decides first (Arabic, Han, kana, Devanagari, Cyrillic are unambiguous within our
configured set and cheap to check); lingua-language-detector decides among Latin-script
languages. A declared language (from the survey or the source) wins when it is plausible
for the text: same script, and for Latin scripts not clearly contradicted by lingua.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

MODEL_NAME = "lingua-language-detector+script-rules"
UNDETERMINED = "und"

_SCRIPT_OF = {
    "ar": "arabic",
    "zh": "han",
    "ja": "japanese",
    "hi": "devanagari",
    "ru": "cyrillic",
}
_LATIN = {"en", "fr", "es", "de", "pt", "it", "tr", "nl", "pl", "sv", "id", "ms", "vi"}

# One-word replies that statistical detectors get wrong (lingua says "ok" is Turkish).
_SHORT_REPLIES = {
    "ok": "en",
    "okay": "en",
    "thx": "en",
    "ty": "en",
    "lol": "en",
    "super": "en",
    "cool": "en",
    "nice": "en",
    "merci": "fr",
    "bof": "fr",
    "nul": "fr",
    "vale": "es",
    "genial": "es",
}

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_HAN = re.compile(r"[\u4E00-\u9FFF\u3400-\u4DBF]")
_KANA = re.compile(r"[\u3040-\u30FF]")
_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F]")


def dominant_script(text: str) -> str | None:
    """Name of the script with most letters in `text` ('latin', 'arabic', 'han', ...), or None."""
    counts = {
        "arabic": len(_ARABIC.findall(text)),
        "han": len(_HAN.findall(text)),
        "japanese": len(_KANA.findall(text)),
        "devanagari": len(_DEVANAGARI.findall(text)),
        "cyrillic": len(_CYRILLIC.findall(text)),
        "latin": len(_LATIN_LETTER.findall(text)),
    }
    if counts["japanese"]:
        # Japanese mixes kanji and kana; any kana means Japanese rather than Chinese.
        counts["japanese"] += counts["han"]
        counts["han"] = 0
    script, n = max(counts.items(), key=lambda kv: kv[1])
    return script if n else None


# From this many words on, lingua's low-accuracy mode (trigram models only) decides: it is
# about twice as fast and, on texts this long, as right as the full mode. On the dev sets
# (5,996 English, 8,262 Arabic, 12,000 Chinese texts) it changed 1 answer in 26,258
# (bench/results/enrichment_overhead.md); below it, the full mode keeps short texts right.
LOW_ACCURACY_MIN_WORDS = 20


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...], low_accuracy: bool = False):
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    latin = [code for code in languages if code in _LATIN]
    langs = []
    for code in latin or ["en"]:
        try:
            langs.append(getattr(IsoCode639_1, code.upper()))
        except AttributeError:
            continue
    if len(langs) == 1:
        return None
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*langs)
    return (builder.with_low_accuracy_mode() if low_accuracy else builder).build()


def _lingua_confidences(text: str, languages: tuple[str, ...], n_words: int = 0) -> dict[str, float]:
    detector = _detector(languages, n_words >= LOW_ACCURACY_MIN_WORDS)
    if detector is None:
        return {"en": 1.0}
    return {
        cv.language.iso_code_639_1.name.lower(): cv.value
        for cv in detector.compute_language_confidence_values(text)
    }


def detect_language(
    text: str | None,
    declared: str | None = None,
    languages: Sequence[str] = ("en", "ar", "zh", "fr", "es", "de", "pt", "it", "tr", "hi", "ja", "ru"),
) -> str:
    """Detect the language of one feedback text.

    Returns an ISO 639-1 code from `languages`, or 'und' when the text has no letters or
    its script belongs to none of the configured languages.
    """
    text = unicodedata.normalize("NFKC", text or "")
    langs = tuple(languages)
    declared_code = (declared or "").strip().lower().replace("_", "-").split("-")[0] or None
    script = dominant_script(text)
    if script is None:
        return declared_code if declared_code in langs else UNDETERMINED
    if script != "latin":
        for code, code_script in _SCRIPT_OF.items():
            if code_script == script and code in langs:
                return code
        return UNDETERMINED
    latin_langs = tuple(code for code in langs if code in _LATIN)
    if not latin_langs:
        return UNDETERMINED
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) == 1 and words[0] in _SHORT_REPLIES and _SHORT_REPLIES[words[0]] in latin_langs:
        short = _SHORT_REPLIES[words[0]]
        return declared_code if declared_code in latin_langs else short
    confidences = _lingua_confidences(text, langs, len(words))
    best = max(confidences, key=confidences.get)
    if declared_code in latin_langs:
        # Short texts ("ok", "merci!") are ambiguous: trust the declaration unless lingua is
        # clearly sure of another language.
        if confidences.get(declared_code, 0.0) >= 0.1 or confidences[best] < 0.6:
            return declared_code
    if len(words) <= 2 and confidences[best] < 0.3 and "en" in latin_langs:
        return "en"  # too short to tell; English is the most common fallback in our data
    return best


def detect_languages(
    texts: Iterable[str | None],
    declared: Iterable[str | None] | None = None,
    languages: Sequence[str] = ("en", "ar", "zh", "fr", "es", "de", "pt", "it", "tr", "hi", "ja", "ru"),
) -> list[str]:
    """`detect_language` over many texts (declared languages aligned with texts, or None), once per
    distinct (text, declared) pair: feedback repeats itself, within a batch and across batches (a
    bounded cache per process)."""
    texts = list(texts)
    declared_list = list(declared) if declared is not None else [None] * len(texts)
    langs = tuple(languages)
    return [_detect_cached(t, d, langs) for t, d in zip(texts, declared_list, strict=True)]


@lru_cache(maxsize=65_536)
def _detect_cached(text: str | None, declared: str | None, languages: tuple[str, ...]) -> str:
    return detect_language(text, declared, languages)
