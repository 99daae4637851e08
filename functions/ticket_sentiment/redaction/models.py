"""Pydantic models at the redaction boundary: what callers configure and what they get back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator


class EntityType(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CARD = "CARD"
    IBAN = "IBAN"
    SSN = "SSN"  # US social security number
    NATIONAL_ID = "NATIONAL_ID"  # NINO, DNI/NIE, NIR, BSN, Aadhaar, PAN, Steuer-ID, passport, licence
    BANK_ACCOUNT = "BANK_ACCOUNT"  # account numbers, sort codes, routing numbers (labelled only)
    IP = "IP"
    SECRET = "SECRET"
    URL = "URL"  # only URLs that carry personal tokens
    NAME = "NAME"
    ADDRESS = "ADDRESS"
    DOB = "DOB"  # a date only when it is labelled as a date of birth


class MaskStyle(StrEnum):
    TYPED = "typed"  # "[EMAIL]": reads naturally to the model and to a reviewer
    FIXED = "fixed"  # the same `mask` for every entity


# When two detections overlap and are equally long, the more specific type names the merged span.
PRIORITY: dict[EntityType, int] = {
    EntityType.SECRET: 12,
    EntityType.CARD: 11,
    EntityType.IBAN: 10,
    EntityType.SSN: 9,
    EntityType.NATIONAL_ID: 8,
    EntityType.BANK_ACCOUNT: 7,
    EntityType.EMAIL: 6,
    EntityType.URL: 5,
    EntityType.IP: 4,
    EntityType.PHONE: 3,
    EntityType.DOB: 2,
    EntityType.ADDRESS: 1,
    EntityType.NAME: 0,
}

DEFAULT_PHONE_REGIONS = ("US", "CA", "GB", "IE", "DE", "AT", "CH", "FR", "BE", "ES", "IT", "NL", "IN", "AU")


@dataclass(frozen=True, slots=True)
class Span:
    """A detected entity: offsets into the text, never the value itself."""

    start: int
    end: int
    type: EntityType


class RedactionConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    entities: frozenset[EntityType] = Field(default=frozenset(EntityType), description="entity types to redact")
    mask_style: MaskStyle = MaskStyle.TYPED
    mask: str = Field(default="[REDACTED]", min_length=1, max_length=40, description="the fixed mask")
    allow: tuple[str, ...] = Field(
        default=(), description="regular expressions; a detected value that fully matches one is kept"
    )
    phone_regions: tuple[str, ...] = Field(
        default=DEFAULT_PHONE_REGIONS, description="regions whose national formats are tried without a + prefix"
    )

    @field_validator("allow")
    @classmethod
    def _compilable(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"allow pattern {pattern!r} is not a regular expression: {exc}") from exc
        return patterns

    @field_validator("phone_regions")
    @classmethod
    def _known_regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"unknown phone regions: {', '.join(unknown)}")
        return regions

    def placeholder(self, entity: EntityType) -> str:
        return f"[{entity.value}]" if self.mask_style is MaskStyle.TYPED else self.mask


class RedactionResult(BaseModel):
    """The redacted text and how many entities of each type were replaced (counts only, never values)."""

    model_config = ConfigDict(frozen=True)

    text: str
    entities: dict[str, int] = Field(default_factory=dict)

    @property
    def redacted(self) -> bool:
        return bool(self.entities)
