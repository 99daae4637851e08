"""ticket-sentiment's tools: the `ticket-sentiment` CLI, the local stack (moto), bench, the OpenAPI document,
reports, threshold calibration, backfill, evaluation and the sample tickets. They run on a laptop or in CI and
import the run-time package (functions/ticket_sentiment); the run-time package never imports them, and they are
not part of any Lambda function's code asset."""
