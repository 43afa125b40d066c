"""Case rules: which of the configured rules fire on one enriched feedback item, and the case priority."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cfm.loop.settings import LoopSettings
from cfm.nlp.keywords import normalise_arabic


@dataclass(frozen=True)
class Fired:
    rule: str
    priority: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "priority": self.priority, "reason": self.reason}


@lru_cache(maxsize=16)
def _phrase_patterns(phrases: tuple[str, ...]) -> dict[str, re.Pattern[str]]:
    # Latin phrases match as whole words; Arabic and Chinese ones as substrings (Arabic
    # clitics attach to the word, Chinese has no spaces). One pattern per phrase, so that
    # overlapping phrases are all reported.
    words = {normalise_arabic(p.lower().strip()) for p in phrases if p.strip()}
    return {w: re.compile(rf"(?<![a-z]){re.escape(w)}(?![a-z])" if re.fullmatch(r"[a-z0-9 ']+", w) else re.escape(w))
            for w in sorted(words)}


def risk_phrases_found(text: str, risk_phrases: Mapping[str, list[str]]) -> list[str]:
    """The listed risk phrases (any language's list, Arabic normalised) present in `text`."""
    norm = normalise_arabic((text or "").lower())
    patterns = _phrase_patterns(tuple(p for ps in risk_phrases.values() for p in ps))
    return [w for w, pattern in patterns.items() if pattern.search(norm)]


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def evaluate(item: Mapping[str, Any], settings: LoopSettings) -> list[Fired]:
    """Every enabled rule that fires on `item` (a row of intermediate.int_loop_feedback), in rule order."""
    rules = settings.rules
    fired: list[Fired] = []
    kind = item.get("rating_type")
    value = _num(item.get("rating_value"))
    lo, hi = _num(item.get("rating_scale_min")), _num(item.get("rating_scale_max"))

    def fire(name: str, reason: str) -> None:
        fired.append(Fired(name, rules[name].priority, reason))

    for name, rule in rules.items():
        if not rule.enabled:
            continue
        t = rule.threshold
        if name == "risk_phrase":
            found = risk_phrases_found(item.get("text_redacted") or "", settings.risk_phrases)
            if found:
                fire(name, "risk phrase: " + ", ".join(found))
        elif name == "nps_detractor" and kind == "nps" and value is not None and value <= t:
            fire(name, f"NPS detractor ({value:g}/10)")
        elif name == "csat_low" and kind == "csat" and value is not None and lo is not None and value <= lo + t - 1:
            fire(name, f"CSAT in the bottom {t:g} boxes ({value:g} on {lo:g}-{hi:g})")
        elif name == "star_low" and kind == "star" and value is not None and value <= t:
            fire(name, f"{value:g}-star review")
        elif name == "ces_hard" and kind == "ces" and value is not None and lo is not None and hi is not None and hi > lo:
            easy_share = (value - lo) / (hi - lo)
            if item.get("ces_higher_is_easier") is False:
                easy_share = 1 - easy_share
            if easy_share < t:
                fire(name, f"CES on the hard side ({value:g} on {lo:g}-{hi:g})")
        elif name == "complaint" and item.get("feedback_type") == "complaint":
            fire(name, "feedback type: complaint")
        elif (name == "negative_sentiment" and item.get("sentiment_label") == "negative"
              and item.get("sentiment_score") is not None and float(item["sentiment_score"]) <= -t):
            fire(name, f"confident negative sentiment ({float(item['sentiment_score']):.2f})")
    return fired


def case_priority(fired: list[Fired]) -> str:
    """The most urgent priority among the fired rules (P1 before P3)."""
    return min(f.priority for f in fired)
