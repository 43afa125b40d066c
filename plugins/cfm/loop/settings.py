"""The loop's configuration (`loop:` in cfm.yml), validated with pydantic; defaults are documented in the README."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Priority = Literal["P1", "P2", "P3"]
DEFAULT_ROUTING = Path(__file__).with_name("routing.yml")

DEFAULT_RISK_PHRASES: dict[str, list[str]] = {
    "en": ["cancel my", "cancel the", "cancellation", "lawyer", "attorney", "legal action", "sue you", "fraud",
           "scam", "chargeback", "charge back", "refund me", "want a refund", "demand a refund", "money back"],
    "ar": ["الغاء", "إلغاء", "محامي", "محامى", "قضية", "احتيال", "نصب", "استرداد المبلغ", "استرجاع المبلغ",
           "رد المبلغ", "اريد استرداد", "أريد استرداد"],
    "zh": ["取消", "律师", "起诉", "欺诈", "诈骗", "骗子", "拒付", "退款", "退钱"],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rule(_Strict):
    """One case rule. `threshold` means what the rule says it means (see rules.py)."""

    enabled: bool = True
    priority: Priority
    send: bool = False  # follow-ups for cases this rule opened are sent, not only drafted
    threshold: float | None = None


def _default_rules() -> dict[str, Rule]:
    return {
        "risk_phrase": Rule(priority="P1"),
        "nps_detractor": Rule(priority="P2", threshold=6),  # 0..threshold on 0-10
        "csat_low": Rule(priority="P2", threshold=2),  # the bottom N boxes
        "star_low": Rule(priority="P2", threshold=2),  # 1..threshold stars
        "complaint": Rule(priority="P2"),
        "ces_hard": Rule(priority="P3", threshold=0.5),  # below this share of the scale, on the hard side
        "negative_sentiment": Rule(priority="P3", threshold=0.6),  # sentiment_score <= -threshold
    }


class SlaTarget(_Strict):
    first_response_hours: float = Field(gt=0)
    resolution_hours: float = Field(gt=0)


class BusinessHours(_Strict):
    start: time = time(9)
    end: time = time(17)
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])  # Monday = 0

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, v: list[int]) -> list[int]:
        if not v or any(d < 0 or d > 6 for d in v):
            raise ValueError("weekdays are 0 (Monday) .. 6 (Sunday), at least one")
        return v


class Sla(_Strict):
    timezone: str | None = None  # default: the top-level `timezone`
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    holiday_country: str | None = None  # a `holidays` country code (AE, CN, GB, US...)
    holiday_subdivision: str | None = None
    holidays: list[date] = Field(default_factory=list)  # extra closed days
    targets: dict[Priority, SlaTarget] = Field(default_factory=lambda: {
        "P1": SlaTarget(first_response_hours=2, resolution_hours=16),
        "P2": SlaTarget(first_response_hours=8, resolution_hours=40),
        "P3": SlaTarget(first_response_hours=16, resolution_hours=80),
    })


class FollowUp(_Strict):
    enabled: bool = True
    inbox: str | None = None  # the Gmail inbox drafts are written in (default: the case's own inbox)
    contact_cooldown_days: int = Field(default=30, ge=0)  # a customer contacted within N days gets nothing
    resurvey_url: str = "https://survey.example/to/recovery#case_id={case_id}"
    languages: list[str] = Field(default_factory=lambda: ["en", "ar", "zh"])
    default_language: str = "en"


class LoopSettings(_Strict):
    rules: dict[str, Rule] = Field(default_factory=_default_rules)
    risk_phrases: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_RISK_PHRASES))
    routing_file: Path = DEFAULT_ROUTING
    sla: Sla = Field(default_factory=Sla)
    followup: FollowUp = Field(default_factory=FollowUp)

    @field_validator("rules", mode="before")
    @classmethod
    def _merge_rules(cls, v: Any) -> Any:
        """A rule given in cfm.yml overrides only the keys it names."""
        merged = {name: rule.model_dump() for name, rule in _default_rules().items()}
        for name, override in (v or {}).items():
            if name not in merged:
                raise ValueError(f"unknown case rule {name!r}; rules: {', '.join(merged)}")
            merged[name].update(override or {})
        return merged


def loop_settings(config: dict[str, Any]) -> LoopSettings:
    """`loop:` from the project config, validated (a bad key fails naming it)."""
    from cfm.config import project_path

    raw = dict(config.get("loop") or {})
    settings = LoopSettings.model_validate(raw)
    settings.routing_file = project_path(settings.routing_file)
    if settings.sla.timezone is None:
        settings.sla.timezone = config.get("timezone") or "UTC"
    return settings
