"""The CLI is a contract other tools drive: exit codes, stdout and stderr are part of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ticket_sentiment_tools.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_score_text_prints_a_table() -> None:
    result = runner.invoke(app, ["score", "I'm still waiting for my refund."])
    assert result.exit_code == 0, result.output
    assert "negative" in result.output


def test_score_json() -> None:
    result = runner.invoke(app, ["score", "--json", "Thank you so much, that fixed it!"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["label"] == "positive"
    assert payload["score"] > 0


def test_jsonl_scores_good_lines_in_order_and_reports_bad_ones() -> None:
    lines = [
        json.dumps({"id": "a", "text": "Still no refund, this is the third time I write."}),
        "this is not json",
        json.dumps({"id": "b"}),
        json.dumps({"id": "c", "text": 42}),
        "",
        json.dumps({"id": 7, "text": "Thanks, works perfectly now!"}),
        json.dumps(["text"]),
    ]
    result = runner.invoke(app, ["score", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", 7]
    assert [r["label"] for r in records] == ["negative", "positive"]
    for record in records:
        assert {"id", "label", "level", "score", "intensity", "confidence", "emotions"} <= record.keys()
    assert records[0]["level"] in {"negative", "very_negative"}
    assert records[1]["level"] in {"positive", "very_positive"}
    assert "line 2: not JSON" in result.stderr
    assert "line 3: no 'text' field" in result.stderr
    assert "line 4: 'text' must be a string" in result.stderr
    assert "line 7: expected a JSON object" in result.stderr


def test_jsonl_all_good_exits_zero() -> None:
    lines = "\n".join(json.dumps({"id": i, "text": f"message {i}"}) for i in range(100))
    result = runner.invoke(app, ["score", "--jsonl"], input=lines)
    assert result.exit_code == 0
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == list(range(100))


def test_score_needs_text_or_jsonl() -> None:
    result = runner.invoke(app, ["score"])
    assert result.exit_code == 2
    assert "give either TEXT or --jsonl" in result.stderr


def test_missing_model_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "--model-dir", str(tmp_path), "hello"])
    assert result.exit_code == 2
    assert "run `make model`" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def labelled_csv(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.csv"
    path.write_text(
        "body,sentiment\n"
        '"I was charged twice, please refund me.",negative\n'
        '"The app crashes every time I log in, this is awful.",negative\n'
        '"How do I change my billing address?",neutral\n'
        '"Thanks a lot, problem solved!",positive\n'
    )
    return path


def test_eval_json(labelled_csv: Path) -> None:
    result = runner.invoke(app, ["eval", str(labelled_csv), "--text-col", "body", "--label-col", "sentiment", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 4
    assert {"accuracy", "macro_f1", "macro_recall", "per_class", "confusion_matrix"} <= report.keys()
    assert sum(map(sum, report["confusion_matrix"])) == 4
    assert report["per_class"]["negative"]["recall"] == 1.0


def test_eval_table(labelled_csv: Path) -> None:
    result = runner.invoke(app, ["eval", str(labelled_csv), "--text-col", "body", "--label-col", "sentiment"])
    assert result.exit_code == 0
    assert "macro-recall" in result.stdout
    assert "confusion matrix" in result.stdout


def test_eval_bad_column_is_a_clear_error(labelled_csv: Path) -> None:
    result = runner.invoke(app, ["eval", str(labelled_csv)])
    assert result.exit_code == 2
    assert "no column 'text'" in result.stderr


def test_eval_on_labels_missing_a_class_says_so_instead_of_a_perfect_macro_f1(tmp_path: Path) -> None:
    """Only negative labels, all predicted negative: macro-F1 over the classes present would read 1.0."""
    path = tmp_path / "one_class.csv"
    path.write_text(
        "text,label\n"
        '"I was charged twice, please refund me.",negative\n'
        '"The app crashes every time I log in, this is awful.",negative\n'
    )
    for extra in ([], ["--json"]):
        result = runner.invoke(app, ["eval", str(path), *extra])
        assert result.exit_code == 1, result.output  # bad input, as the README's exit status table says
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert "no neutral/positive rows among 2 labels" in result.stderr
        assert "Traceback" not in result.output


def test_demo_runs() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Sample tickets" in result.stdout
    assert "trend" in result.stdout


def test_finetune_rejects_too_few_rows(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="finetune needs the train extra")
    path = tmp_path / "few.csv"
    path.write_text("text,label\nbad,negative\ngood,positive\n")
    result = runner.invoke(app, ["finetune", str(path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1  # bad input, as the README's table says
    assert "at least 30 are needed" in result.stderr


def test_finetune_refuses_an_out_folder_that_holds_files_before_training(tmp_path: Path) -> None:
    """A careless --out (layers/model, an earlier run) is refused before minutes of training, unless --force."""
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("text,label\nbad,negative\n")
    shipped = tmp_path / "model"
    shipped.mkdir()
    (shipped / "model.onnx").write_bytes(b"the model you ship")
    result = runner.invoke(app, ["finetune", str(tickets), "--out", str(shipped)])
    assert result.exit_code == 2
    assert "already holds files" in result.stderr and "--force" in result.stderr
    assert (shipped / "model.onnx").read_bytes() == b"the model you ship"
    as_file = runner.invoke(app, ["finetune", str(tickets), "--out", str(tickets)])
    assert as_file.exit_code == 2 and "is a file" in as_file.stderr


@pytest.mark.parametrize("command", ["eval", "calibrate"])
def test_an_unknown_label_is_bad_input_and_a_missing_column_is_usage(tmp_path: Path, command: str) -> None:
    """The README's exit table: a row's content is bad input (1, file:line named); a column the options name
    but the file lacks is fixed with --text-col/--label-col, a usage error (2)."""
    rows = tmp_path / "labels.csv"
    rows.write_text("text,label\nthe app crashes,negative\nlove it,happy\n")
    result = runner.invoke(app, [command, str(rows)])
    assert result.exit_code == 1, result.output
    assert f"{rows}:3: unknown label 'happy'" in result.stderr
    result = runner.invoke(app, [command, str(rows), "--text-col", "body"])
    assert result.exit_code == 2, result.output
    assert "no column 'body'" in result.stderr
