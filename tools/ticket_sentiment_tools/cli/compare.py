"""`report --compare-models`: the live model against the shadow model, from the shadow records in the table."""

from __future__ import annotations

from datetime import datetime

from .common import aws_session, fail, out


def print_comparison(
    table: str | None,
    endpoint_url: str | None,
    region: str | None,
    *,
    start: datetime,
    end: datetime,
    as_json: bool,
) -> None:
    from ticket_sentiment.adapters.aws.shadow import DynamoShadowStore

    from ..model_comparison import compare_models, comparison_tables

    if not table:
        fail("no table: pass --table or set TABLE_NAME (the stack output TableName)")
    store = DynamoShadowStore(table, aws_session(endpoint_url, region).resource("dynamodb", endpoint_url=endpoint_url))
    try:
        result = compare_models(store.shadow_between(start, end), start=start, end=end)
    except Exception as exc:  # AWS errors: the message, not a traceback
        fail(f"{type(exc).__name__}: {exc}", 1)
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    if result.shadowed == 0:
        out.print(
            "no shadow records in the window: set shadow_model in the stack context (SHADOW_MODEL_DIR) and let "
            "it score for a while, or widen --since",
            markup=False,
        )
    for rendered in comparison_tables(result):
        out.print(rendered)
