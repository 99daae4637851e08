"""Build the first-name gazetteer that the local name detector reads (redaction/first_names.txt).

Faker's person providers list first names for some 90 locales; this writes their union, case-folded, one a line,
so the run-time package needs neither Faker nor its data. Names that are also common words in the languages we
read ("Will", "May", "Hope", "Pay") are left out here, where they would cost precision in running prose.

    python -m ticket_sentiment_tools.redaction.gazetteer   # rewrites the committed file; deterministic
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from ticket_sentiment.redaction.names import FIRST_NAMES_PATH, NOT_FIRST_NAMES


def _locale_names(locale: str) -> set[str]:
    try:
        module = importlib.import_module(f"faker.providers.person.{locale}")
    except ImportError:
        return set()
    provider = module.Provider
    names: set[str] = set()
    for attribute in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"):
        value = getattr(provider, attribute, None)
        if isinstance(value, dict):
            names.update(value)
        elif isinstance(value, (list, tuple, set, frozenset)):
            names.update(str(v) for v in value)
    return names


def common_words() -> set[str]:
    """Faker's lorem word lists of every locale but Latin: everyday words that are also some locale's first name
    ("can", "job", "red") would redact sentence after sentence."""
    from faker.providers import lorem

    words: set[str] = set()
    for module_info in pkgutil.iter_modules(lorem.__path__):
        if module_info.name == "la":
            continue
        module = importlib.import_module(f"faker.providers.lorem.{module_info.name}")
        words |= {str(w).casefold() for w in getattr(module.Provider, "word_list", ())}
    return words


def build() -> list[str]:
    from faker.config import AVAILABLE_LOCALES

    names: set[str] = set()
    for locale in AVAILABLE_LOCALES:
        names |= _locale_names(locale)
    # Three letters or more: two-letter romanised names ("An", "Le", "Bo") are words in too many languages.
    kept = {n.casefold() for n in names if n and n[0].isalpha() and " " not in n and 3 <= len(n) <= 20}
    return sorted(kept - NOT_FIRST_NAMES - common_words())


def main(argv: list[str] | None = None) -> None:
    out = Path(argv[0]) if argv else FIRST_NAMES_PATH
    names = build()
    out.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"{len(names)} first names -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
