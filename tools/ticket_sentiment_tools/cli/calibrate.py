"""`calibrate`: the escalation threshold for a target precision, from labelled tickets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..evaluation import LabelledDataError
from ..textfiles import NotUtf8Error, not_a_file, read_utf8
from .common import (
    EndpointOption,
    ModelDirOption,
    QuietOption,
    RegionOption,
    aws_session,
    err,
    fail,
    load_scorer,
    out,
    score_with_progress,
)

app = typer.Typer()

if TYPE_CHECKING:
    from ticket_sentiment.pipeline.rules import RuleConfig

    from ..threshold_calibration import CalibrationResult, ThresholdChoice


def _live_rules(
    rules_in: Path | None, rules_param: str | None, endpoint_url: str | None, region: str | None
) -> tuple[RuleConfig, str]:
    """The rules the service runs now, and where they came from: --rules-in, else the SSM parameter, else the
    built-in defaults (what a stack without a rules parameter runs)."""
    from pydantic import ValidationError
    from ticket_sentiment.pipeline.rules import DEFAULT_RULES, RuleConfig

    if rules_in is not None:
        source = str(rules_in)
        if problem := not_a_file(rules_in):
            fail(f"--rules-in {problem}")
        try:
            text = read_utf8(rules_in)
        except NotUtf8Error as exc:
            fail(f"--rules-in {exc}", 1)
    elif rules_param:
        source = f"SSM parameter {rules_param}"
        ssm = aws_session(endpoint_url, region).client("ssm", endpoint_url=endpoint_url)
        try:
            text = ssm.get_parameter(Name=rules_param)["Parameter"]["Value"]
        except Exception as exc:  # AWS errors: the message, not a traceback
            fail(f"reading {source}: {type(exc).__name__}: {exc}", 1)
    else:
        return DEFAULT_RULES, "the built-in default rules (pass --rules-in or --rules-param for yours)"
    try:
        live = RuleConfig.model_validate_json(text)
    except ValidationError as exc:
        fail(f"{source}: not a rules config ({exc.errors()[0]['msg']})", 1)
    for name, mode in _mode_and_shadow_disagree(text):
        err.print(
            f'warning: {source}: rule {name!r} says "mode": "{mode}" and "shadow": true; the service runs it in '
            'shadow, and the merged file keeps only "mode": "shadow"',
            markup=False,
        )
    return live, source


def _mode_and_shadow_disagree(text: str) -> list[tuple[str, str]]:
    """Rules whose `mode` and legacy `shadow` flag say opposite things (the service reads them as shadow, the safe
    side, so a deployed config keeps working; a person editing the file should hear about it)."""
    import json

    rules = json.loads(text).get("rules", [])
    return [
        (str(r.get("name")), str(r["mode"]))
        for r in rules
        if isinstance(r, dict) and r.get("shadow") is True and r.get("mode", "shadow") != "shadow"
    ]


def _write_rules(result: CalibrationResult, live: RuleConfig, source: str, rules_out: Path) -> str:
    """Merge the calibrated rules into the live ones, write them, and return the diff from the live rules."""
    import difflib

    from ..threshold_calibration import merge_rules, rules_json

    merged = rules_json(merge_rules(live, result.rules(live)))
    rules_out.write_text(merged, encoding="utf-8")
    return "".join(
        difflib.unified_diff(
            rules_json(live).splitlines(keepends=True),
            merged.splitlines(keepends=True),
            fromfile=f"live: {source}",
            tofile=str(rules_out),
        )
    )


def _target_note(choice: ThresholdChoice) -> str | None:
    """Said plainly when the labels cannot back the target: the point estimate reaches it, the 95% bound does not."""
    if choice.precision_low >= choice.target_precision:
        return None
    return (
        f"target NOT established: precision {choice.precision:.2f} reaches --target-precision "
        f"{choice.target_precision:.2f}, but its 95% lower bound is {choice.precision_low:.2f} "
        f"(from {round(choice.alerts_per_1000 * choice.n / 1000)} escalated of {choice.n} labelled tickets); "
        f"label more tickets before relying on it"
    )


def _read_calibration_csv(
    path: Path,
    text_col: str,
    label_col: str,
    group_col: str | None,
) -> tuple[list[str], list[str], list[str | None] | None]:
    from ..evaluation import read_labelled_rows

    try:
        rows = read_labelled_rows(path, text_col, label_col, group_col)
    except NotUtf8Error as exc:
        fail(str(exc), 1)
    except LabelledDataError as exc:
        fail(str(exc), exc.exit_code)
    return rows.texts, rows.levels, rows.groups


@app.command()
def calibrate(  # noqa: PLR0917 - typer maps each parameter to an option
    path: Annotated[
        Path,
        typer.Argument(
            help="labelled CSV: text and label (negative/neutral/positive, or the "
            "five levels very_negative ... very_positive)"
        ),
    ],
    target_precision: Annotated[float, typer.Option("--target-precision", min=0.01, max=0.99)] = 0.9,
    by: Annotated[
        str | None,
        typer.Option("--by", help="also calibrate per value of this column (e.g. product_area, customer_tier)"),
    ] = None,
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "label",
    plot: Annotated[Path, typer.Option("--plot", help="precision-recall plot (PNG)")] = Path("calibration-pr.png"),
    rules_out: Annotated[
        Path, typer.Option("--rules-out", help="the live rules with the calibrated ones merged in, to deploy (JSON)")
    ] = Path("escalation-rules.json"),
    rules_in: Annotated[
        Path | None, typer.Option("--rules-in", help="the live rules config (JSON) to merge into")
    ] = None,
    rules_param: Annotated[
        str | None,
        typer.Option(
            "--rules-param", envvar="ESCALATION_RULES_PARAM", help="or read the live rules from this SSM parameter"
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite --rules-out if it exists")] = False,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    model_dir: ModelDirOption = None,
    quiet: QuietOption = False,
) -> None:
    """Find the escalation threshold that reaches --target-precision with the most recall.

    Three-class labels: a ticket whose score is at or below `threshold` is escalated (precision on negative
    tickets). Five-level labels: a ticket the model calls negative is escalated at intensity >= `threshold`
    (precision on very_negative tickets). Writes the precision-recall plot and the rules config (new rules start
    in shadow mode: recorded, not alerted, until the team has reviewed them). The rules file is the live rules
    (--rules-in, --rules-param, else the defaults) with the calibrated rules merged in after them, shown as a diff.
    """
    from ..threshold_calibration import CalibrationError, intensity_keys, is_five_level, plot_pr_curve
    from ..threshold_calibration import calibrate as run_calibration

    if rules_out.exists() and not force:
        fail(f"{rules_out} exists (it may be the rules you deploy); pass --force to overwrite or another --rules-out")
    live, source = _live_rules(rules_in, rules_param, endpoint_url, region)
    texts, labels, groups = _read_calibration_csv(path, text_col, label_col, by)
    scorer = load_scorer(model_dir)
    results = score_with_progress(scorer, texts, quiet=quiet)
    five_level = is_five_level(labels)
    keys = (
        intensity_keys([r.label for r in results], [r.intensity for r in results])
        if five_level
        else [r.score for r in results]
    )
    try:
        result = run_calibration(keys, labels, target_precision, groups, kind="intensity" if five_level else "score")
    except CalibrationError as exc:
        fail(str(exc), 1)
    plot_pr_curve(result.overall, str(plot))
    diff = _write_rules(result, live, source, rules_out)
    note = _target_note(result.overall)
    report = _Report(result, five_level, note, target_precision, plot, rules_out, source, diff, rules_param, by)
    if as_json:
        _print_json(report)
    else:
        _print_table(report)


@dataclass(frozen=True)
class _Report:
    """What `calibrate` found and wrote, for printing."""

    result: CalibrationResult
    five_level: bool
    note: str | None
    target_precision: float
    plot: Path
    rules_out: Path
    source: str
    diff: str
    rules_param: str | None
    by: str | None


def _print_json(r: _Report) -> None:
    overall = r.result.overall
    payload = {
        "kind": overall.kind,
        "target_label": overall.target_label,
        "threshold": overall.threshold,
        "precision": round(overall.precision, 4),
        "precision_low_95": round(overall.precision_low, 4),
        "recall": round(overall.recall, 4),
        "alerts_per_1000": round(overall.alerts_per_1000, 1),
        "n": overall.n,
        "negatives": overall.negatives,
        "target_precision": r.target_precision,
        "groups": {
            g: {
                "threshold": c.threshold,
                "precision": round(c.precision, 4),
                "recall": round(c.recall, 4),
                "alerts_per_1000": round(c.alerts_per_1000, 1),
                "n": c.n,
            }
            for g, c in r.result.groups.items()
        },
        "target_met_at_95": r.note is None,
        "target_note": r.note,
        "skipped_groups": r.result.skipped_groups,
        "plot": str(r.plot),
        "rules_file": str(r.rules_out),
        "live_rules": r.source,
        "rules": json.loads(r.rules_out.read_text()),
        "rules_diff": r.diff,
    }
    out.print_json(json.dumps(payload))


def _print_table(r: _Report) -> None:
    from ..threshold_calibration import table_rows

    o, five_level, by = r.result.overall, r.five_level, r.by
    rule = "negative and intensity >= threshold" if five_level else "score <= threshold"
    table = Table(title=f"Escalating at {rule} ({o.n} tickets, {o.negatives} {o.target_label})")
    for col in ("threshold", "precision", "recall", "alerts / 1,000"):
        table.add_column(col, justify="right")
    for row in table_rows(o):
        table.add_row(
            f"{row.threshold:.2f}" if five_level else f"{row.threshold:+.1f}",
            f"{row.precision:.2f}",
            f"{row.recall:.2f}",
            f"{row.alerts_per_1000:.0f}",
        )
    out.print(table)

    def shown(threshold: float) -> str:  # on the rule's own scale: intensity in [0, 1], score signed
        return f"{threshold:.3f}" if five_level else f"{threshold:+.3f}"

    out.print(
        f"chosen threshold {shown(o.threshold)}: precision {o.precision:.2f} (95% >= {o.precision_low:.2f}), "
        f"recall {o.recall:.2f}, {o.alerts_per_1000:.0f} alerts per 1,000 tickets",
        markup=False,
    )
    for name, choice in r.result.groups.items():
        out.print(
            f"  {by}={name}: threshold {shown(choice.threshold)}, precision {choice.precision:.2f}, "
            f"recall {choice.recall:.2f} ({choice.n} tickets)",
            markup=False,
        )
    for name, reason in r.result.skipped_groups.items():
        out.print(f"  {by}={name}: not calibrated separately ({reason})", markup=False)
    if r.note:
        out.print(r.note, markup=False)
    out.print(
        f"\nrules: {r.rules_out} = {r.source} + the calibrated rules (shadow, after the live ones):", markup=False
    )
    out.print(r.diff or "(no change)", markup=False, highlight=False)
    out.print(f"plot: {r.plot}. Deploy the rules with:", markup=False)
    out.print(  # soft_wrap: one line however long the path, so the command pastes as printed
        f"  aws ssm put-parameter --overwrite --type String "
        f"--name {r.rules_param or '<EscalationRulesParameter>'} --value file://{r.rules_out}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
