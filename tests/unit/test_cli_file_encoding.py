"""Every command that reads a user file answers one that is not UTF-8 (a Latin-1 or UTF-16 spreadsheet export) with
one line naming the file, the byte and the fix, exit 1 (bad input), never a UnicodeDecodeError's traceback; a
directory is said to be one; a UTF-8 byte-order mark is still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ticket_sentiment_tools.backfill import read_rows
from ticket_sentiment_tools.cli import app
from ticket_sentiment_tools.evaluation import LabelledDataError, read_labelled_rows
from ticket_sentiment_tools.textfiles import NotUtf8Error, first_bad_byte, read_utf8
from typer.testing import CliRunner, Result

runner = CliRunner()
LOCAL_SQS = ["--queue-url", "http://127.0.0.1:9/000000000000/events", "--endpoint-url", "http://127.0.0.1:9"]


def _latin1_csv(path: Path, header: str = "text,label", row: str = "café was awful,negative") -> Path:
    path.write_bytes(f"{header}\n{row}\n".encode("latin-1"))  # "é" is the single byte 0xe9: not UTF-8
    return path


def _utf16_csv(path: Path) -> Path:
    path.write_text("text,label\ncafé was awful,negative\n", encoding="utf-16")  # starts with the BOM ff fe
    return path


def _one_line_error(result: Result) -> str:
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _says_not_utf8(result: Result, path: Path, byte: int = 0xE9) -> str:
    """The one line names the file, the first bad byte and its offset in the file."""
    assert result.exit_code == 1, result.output  # bad input, as the README's exit status table says
    line = _one_line_error(result)
    assert line.startswith(f"error: {path} is not UTF-8 text"), line
    assert f"byte 0x{byte:02x} at offset {path.read_bytes().index(bytes([byte]))}," in line
    assert "save it as UTF-8" in line
    return line


def test_eval_on_a_latin1_csv_says_it_is_not_utf8(tmp_path: Path) -> None:
    path = _latin1_csv(tmp_path / "l1.csv")
    line = _says_not_utf8(runner.invoke(app, ["eval", str(path)]), path)
    assert "offset 14, line 2" in line  # "text,label\n" is 11 bytes, "caf" 3 more


def test_eval_on_a_utf16_csv_says_it_is_not_utf8_and_looks_like_utf16(tmp_path: Path) -> None:
    path = _utf16_csv(tmp_path / "u16.csv")
    line = _says_not_utf8(runner.invoke(app, ["eval", str(path)]), path, byte=0xFF)
    assert "UTF-16" in line


def test_eval_on_a_directory_says_it_is_a_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2, result.output  # like a file that does not exist: the argument is wrong
    assert _one_line_error(result) == f"error: {tmp_path} is a directory, not a file"


def test_eval_on_a_bad_byte_past_the_first_read_chunk_names_its_offset_and_line(tmp_path: Path) -> None:
    """The text decoder reads 8 KiB chunks: the offset must be the byte's in the file, not in the chunk."""
    good = ("text,label\n" + "".join(f"ticket {i} was fine,positive\n" for i in range(1000))).encode()
    path = tmp_path / "late.csv"
    path.write_bytes(good + "caf\u00e9,negative\n".encode("latin-1"))
    line = _says_not_utf8(runner.invoke(app, ["eval", str(path)]), path)
    assert f"offset {len(good) + 3}, line 1002" in line


def test_calibrate_on_a_latin1_csv_says_it_is_not_utf8(tmp_path: Path) -> None:
    path = _latin1_csv(tmp_path / "l1.csv")
    rules_out = tmp_path / "rules.json"
    result = runner.invoke(app, ["calibrate", str(path), "--rules-out", str(rules_out), "--plot", str(tmp_path / "p")])
    _says_not_utf8(result, path)
    assert not rules_out.exists()


def test_calibrate_with_a_latin1_rules_in_says_it_is_not_utf8(tmp_path: Path) -> None:
    rules_in = tmp_path / "live.json"
    rules_in.write_bytes('{"rules": [{"name": "caf\u00e9"}]}'.encode("latin-1"))
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("text,label\nfine,positive\n")
    result = runner.invoke(
        app, ["calibrate", str(labelled), "--rules-in", str(rules_in), "--rules-out", str(tmp_path / "out.json")]
    )
    assert result.exit_code == 1, result.output
    line = _one_line_error(result)
    assert line.startswith(f"error: --rules-in {rules_in} is not UTF-8 text (byte 0xe9 at offset 24"), line
    assert "save it as UTF-8" in line


def test_audit_import_on_a_latin1_csv_says_it_is_not_utf8(tmp_path: Path) -> None:
    path = _latin1_csv(tmp_path / "audit.csv", header="text,human_label", row="café was awful,negative")
    out = tmp_path / "labelled.csv"
    result = runner.invoke(app, ["audit", "import", str(path), "--out", str(out)])
    _says_not_utf8(result, path)
    assert not out.exists()


def test_audit_import_on_a_directory_says_it_is_a_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "import", str(tmp_path), "--out", str(tmp_path / "labelled.csv")])
    assert result.exit_code == 2, result.output
    assert _one_line_error(result) == f"error: {tmp_path} is a directory, not a file"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_backfill_on_a_latin1_export_says_it_is_not_utf8_not_rerun(tmp_path: Path, suffix: str) -> None:
    """A decoding error is bad input: "(rerun to resume)" would send the operator round in circles."""
    path = tmp_path / f"export{suffix}"
    if suffix == ".csv":
        _latin1_csv(path, header="ticket_id,text", row="1,café was awful")
    else:
        path.write_bytes('{"ticket_id": "1", "text": "caf\u00e9 was awful"}\n'.encode("latin-1"))
    result = runner.invoke(app, ["backfill", str(path), "--source", "zendesk", *LOCAL_SQS])
    line = _says_not_utf8(result, path)
    assert "rerun" not in line


def test_backfill_on_a_directory_says_it_is_a_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["backfill", str(tmp_path), "--source", "zendesk", *LOCAL_SQS])
    assert result.exit_code == 2, result.output
    assert _one_line_error(result) == f"error: {tmp_path} is a directory, not a file"


def test_finetune_on_a_latin1_csv_says_which_file_is_not_utf8(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="finetune needs the train extra")
    path = _latin1_csv(tmp_path / "l1.csv")
    result = runner.invoke(app, ["finetune", str(path), "--out", str(tmp_path / "m")])
    _says_not_utf8(result, path)
    assert not (tmp_path / "m").exists()


def test_a_utf8_bom_from_a_spreadsheet_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "text,label\ncafé was awful,negative\n".encode())
    rows = read_labelled_rows(path)
    assert rows.texts == ["café was awful"]
    assert rows.levels == ["negative"]
    assert first_bad_byte(path) is None


def test_backfill_reads_a_jsonl_export_with_a_utf8_bom(tmp_path: Path) -> None:
    """Before, the byte-order mark made line 1 "not valid JSON"."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"ticket_id": "1"}).encode() + b"\n")
    assert list(read_rows(path)) == [(1, {"ticket_id": "1"})]


def test_a_sequence_cut_off_at_the_end_of_the_file_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes("text,label\ncafé".encode()[:-1])  # the first byte of "é" without its second
    with pytest.raises(NotUtf8Error) as caught:
        read_utf8(path)
    assert (caught.value.offset, caught.value.line, caught.value.byte) == (14, 2, 0xC3)


def test_a_missing_file_is_still_no_such_file(tmp_path: Path) -> None:
    with pytest.raises(LabelledDataError, match="no such file"):
        read_labelled_rows(tmp_path / "nope.csv")
