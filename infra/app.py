"""CDK entry point (`npx cdk synth|deploy`): the stack for the stage in context, checked by cdk-nag."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from .config import load_config
from .layers import BUILD
from .stack import TicketSentimentStack


def build_app(app: App | None = None, layers_dir: Path = BUILD) -> tuple[App, TicketSentimentStack]:
    app = app or App()
    config = load_config(app.node.try_get_context)
    stack = TicketSentimentStack(
        app,
        f"TicketSentiment-{config.stage}",
        config=config,
        layers_dir=layers_dir,
        env=Environment(account=app.node.try_get_context("account"), region=app.node.try_get_context("region")),
    )
    Tags.of(stack).add("service", "ticket-sentiment")
    Tags.of(stack).add("stage", config.stage)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
