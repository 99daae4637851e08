from __future__ import annotations

import pytest
from ticket_sentiment.language import detect_language


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm still waiting for my refund, this is the third time I write.", "en"),
    ("The export button does nothing", "en"),
    ("Ich warte seit zwei Wochen auf meine Rückerstattung, das ist wirklich ärgerlich.", "de"),
    ("Je suis très déçu, personne ne répond à mes messages depuis une semaine.", "fr"),
    ("Todavía no he recibido el reembolso de mi pedido, es inaceptable.", "es"),
    ("Ik wacht nog steeds op mijn terugbetaling van vorige maand.", "nl"),
    ("ok thanks", "en"),
    ("😡😡", "en"),
    ("", "en"),
])
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected
