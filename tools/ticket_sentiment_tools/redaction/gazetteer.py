"""Build the first-name gazetteer that the local name detector reads (redaction/first_names.txt).

Faker's person providers list first names for some 90 locales; this writes their union, case-folded, one a line,
so the run-time package needs neither Faker nor its data. Names that are also common words in the languages we
read ("Will", "May", "Hope", "Pay") are left out here, where they would cost precision in running prose.

    python -m ticket_sentiment_tools.redaction.gazetteer   # rewrites the committed files; deterministic

The names left out as common words are written to a second file (ambiguous_first_names.txt), minus English
words (Faker's English lorem), places, titles and the phonetic alphabet: the detector takes one of those only
with a capitalised surname after it ("Grace Singh", "Sam Connor", "Pedro Alvarez"), never alone.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from ticket_sentiment.redaction.names import AMBIGUOUS_NAMES_PATH, BRANDS, FIRST_NAMES_PATH, NOT_FIRST_NAMES

# Left out of the ambiguous list too: words that begin two-word things that are not people ("Will you", "Santa
# Claus", "New York", "Delta Air", "Chase Bank", "Park Avenue", "Max Plan", "Oscar Night").
_NEVER_NAMES_TEXT = """
will may can dear team best thanks hello said pay sale van von del con les server metro london paris parís india
china york washington santa saint villa ville park lane king prince duke brown silver delta alpha echo oscar
sierra romeo junior urban unique winter storm stone jet chip cash chase cap doc dot max mark cuba asia dallas
austin sydney américa francia hunter porter trace monte mayo mar mare verde vino tierra sol uno una era ebb odd
owe icy ion mad sad male fed gay tab tan tal ver vide angel river sky sunny misty stormy dusty rusty candy cherry
ginger crystal pearl ruby nova luna stella victoria justice patience precious faith joy hope august april june
jordan frank gene lee drew bill
"""
_NEVER_NAMES = frozenset(_NEVER_NAMES_TEXT.split())


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


def _all_names() -> set[str]:
    from faker.config import AVAILABLE_LOCALES

    names: set[str] = set()
    for locale in AVAILABLE_LOCALES:
        names |= _locale_names(locale)
    # Three letters or more: two-letter romanised names ("An", "Le", "Bo") are words in too many languages.
    return {n.casefold() for n in names if n and n[0].isalpha() and " " not in n and 3 <= len(n) <= 20}


def build() -> list[str]:
    return sorted(_all_names() - NOT_FIRST_NAMES - common_words())


def build_ambiguous() -> list[str]:
    """First names left out of the gazetteer as common words, that are not English words (ambiguous_first_names)."""
    english = {str(w).casefold() for w in importlib.import_module("faker.providers.lorem.en_US").Provider.word_list}
    ambiguous = _all_names() & (common_words() | NOT_FIRST_NAMES)
    return sorted(ambiguous - english - BRANDS - _NEVER_NAMES)


def main(argv: list[str] | None = None) -> None:
    out = Path(argv[0]) if argv else FIRST_NAMES_PATH
    ambiguous_out = Path(argv[1]) if argv and len(argv) > 1 else AMBIGUOUS_NAMES_PATH
    for path, names in ((out, build()), (ambiguous_out, build_ambiguous())):
        path.write_text("\n".join(names) + "\n", encoding="utf-8")
        print(f"{len(names)} names -> {path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
