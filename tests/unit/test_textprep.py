from __future__ import annotations

import re

import emoji
from hypothesis import given
from hypothesis import strategies as st
from mailparser_reply.parser import EmailMessage
from ticket_sentiment import textprep
from ticket_sentiment.textprep import (
    demojize,
    html_to_text,
    looks_like_html,
    normalize_for_model,
    prepare_ticket_text,
    strip_email_history,
    well_formed,
)


def test_html_body_becomes_visible_text_without_quoted_reply() -> None:
    html = "<div><p>Export <b>fails</b> again.</p><blockquote>We love hearing from you!</blockquote></div>"
    assert looks_like_html(html)
    text = html_to_text(html)
    assert "Export" in text
    assert "fails" in text
    assert "love hearing" not in text


def test_quoted_email_history_is_dropped() -> None:
    body = (
        "Still not working.\n\nOn Tue, 3 Mar 2026 at 10:02, Support <help@example.com> wrote:\n"
        "> Thanks for your patience! Happy to help!\n"
    )
    assert strip_email_history(body) == "Still not working."
    assert "patience" not in prepare_ticket_text(body)


def test_angle_quoted_lines_are_dropped_even_without_header() -> None:
    assert prepare_ticket_text("No refund yet.\n> Great news, your refund is on the way!") == "No refund yet."


def test_emojis_and_emoticons_become_words() -> None:
    assert demojize("😡").strip() == "enraged face"
    assert "thumbs up" in normalize_for_model("great 👍")
    assert "frowning face" in normalize_for_model("still broken :(")
    assert "_" not in normalize_for_model("🙏🔥")


def test_normalisation_handles_urls_mentions_and_invisible_characters() -> None:
    text = normalize_for_model("see https://example.com/x?y=1 @bob\u200b   now!!!!!!!")
    assert text == "see http @user now!!!"


def test_empty_and_whitespace_bodies() -> None:
    assert prepare_ticket_text("") == ""
    assert prepare_ticket_text("  \n\t ") == ""


@given(st.text(max_size=300))
def test_prepare_never_raises_and_is_single_line(text: str) -> None:
    out = prepare_ticket_text(text)
    assert "\n" not in out
    assert out == out.strip()


REPLY_BODIES = [
    "Still broken.\n\nOn Tue, 3 Mar 2026 at 10:02, Support <help@example.com> wrote:\n> Thanks!",
    "Thanks, that worked!\n\nBest regards,\nAnna\nSent from my iPhone",
    "It fails again\n-- \nJohn Smith\nACME Ltd",
    "Please call me back\n\n-----Original Message-----\nFrom: help\nSent: Monday\nTo: me\nSubject: x\nold text",
    "Am 3. März 2026 um 10:02 schrieb Support <help@example.com>:\nalter Text",
    "new text\n\n" + "_" * 40 + "\nFrom: a\nSent: b",
    "  padded line  \n\t tabbed line\t\n\n\nlast\r\nwindows line\r\n",
    "- item one\n- item two\nKind Regards\nBob",
    "no header here at all, just words and a date 2026-03-03 and a time 10h02",
]


@given(st.sampled_from(REPLY_BODIES) | st.text(alphabet=st.sampled_from(list("ab -_:>\n\r\t\u00a0\x0b")), max_size=80))
def test_history_fast_path_matches_the_reply_parser(text: str) -> None:
    without_quotes = textprep._BLANK_RUN.sub("\n\n", textprep._QUOTED_LINE.sub("", text))
    languages = list(textprep._reply_parser().languages)  # the scorer's, not a copy of the list
    # The newest reply without its signature, hyphen lists kept as content.
    reply = EmailMessage(text=without_quotes, languages=languages, keep_hyphen_lists=True).read().replies[0]
    parsed = reply.body if reply.body.strip() else reply.content
    expected = parsed.strip() or without_quotes.strip()
    assert strip_email_history(text) == expected


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=120))
def test_ascii_text_skips_emoji_with_the_same_result(text: str) -> None:
    with_emoji = emoji.demojize(
        textprep._EMOTICON_RE.sub(lambda m: textprep._EMOTICONS[m.group(1).lower()], text), delimiters=(" ", " ")
    )
    assert demojize(text) == re.sub(r"(?<= )[a-z0-9_]+(?= )", lambda m: m.group(0).replace("_", " "), with_emoji)


def test_digit_runs_are_never_squashed_so_redaction_sees_them_whole() -> None:
    # Squashing "1111" to "111" broke card 4111 1111 1111 1111's checksum before redaction ran: it slipped through.
    assert prepare_ticket_text("card 4111 1111 1111 1111, sooooo slow!!!!!") == "card 4111 1111 1111 1111, sooo slow!!!"


def test_lone_surrogates_become_replacement_characters_and_pairs_join() -> None:
    assert well_formed("caf\udce9 \ud800") == "caf\ufffd \ufffd"
    assert well_formed("a\ud83d\ude00b") == "a\U0001f600b"  # a pair split in two code points is one emoji
    assert well_formed("plain ascii") == "plain ascii"
    prepared = normalize_for_model("caf\udce9 awful \ud83d\ude21")
    prepared.encode("utf-8")  # no surrogate left for an encoder to refuse
    assert "\ufffd" in prepared and "enraged face" in prepared
