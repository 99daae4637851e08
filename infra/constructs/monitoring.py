"""Alarms wired to an operations topic, and the dashboard support leads and on-call engineers read."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from ticket_sentiment import metric_names as m

from ..config import StackConfig

WEEK = Duration.days(7)
FIVE_MINUTES = Duration.minutes(5)
DAY = Duration.days(1)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        key: kms.IKey,
        functions: dict[str, lambda_.IFunction],
        scorer: lambda_.IFunction,
        dead_letter_queues: dict[str, sqs.IQueue],
        events_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.ops_topic = sns.Topic(
            self,
            "OpsTopic",
            topic_name=f"{config.prefix}-ops",
            master_key=key,
            enforce_ssl=True,
            display_name="ticket-sentiment operations alarms",
        )
        if config.alarm_email:
            self.ops_topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.alarms: list[cw.Alarm] = []
        thresholds = config.alarms

        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"),
                thresholds.dlq_messages,
                f"{name}: messages in the dead-letter queue (nothing is lost: inspect and redrive)",
            )
        for name, fn in functions.items():
            self._alarm(f"{name}Errors", fn.metric_errors(period=FIVE_MINUTES), 1, f"{name} function errors")
            self._alarm(f"{name}Throttles", fn.metric_throttles(period=FIVE_MINUTES), 1, f"{name} function throttled")
        self._alarm(
            "ScorerP95Duration",
            scorer.metric_duration(period=FIVE_MINUTES, statistic="p95"),
            thresholds.scorer_p95_ms,
            "scorer p95 duration per SQS batch (ms)",
            periods=3,
        )
        self._alarm(
            "ComprehendFallbackRate",
            self.fallback_rate(),
            thresholds.comprehend_fallback_rate,
            "share of messages scored by Comprehend instead of the bundled model",
            periods=3,
        )
        self._alarm(
            "ModelUnavailable",
            self.metric(m.MODEL_UNAVAILABLE, "Sum", FIVE_MINUTES),
            1,
            "the bundled model failed to load; scoring fell back to Comprehend",
        )
        # Two daily evaluations in a row: a release-day shift shows on the dashboard at once, one odd day pages no one.
        self._alarm(
            "ScoreDrift",
            self.metric(m.SCORE_DRIFT, "Maximum", Duration.days(1)),
            thresholds.score_drift,
            "score distribution drifted from the 28-day baseline (PSI over the last 7 days)",
            periods=2,
        )
        self._alarm(
            "EscalationPrecision",
            self.metric(m.ESCALATION_PRECISION, "Minimum", Duration.days(1)),
            thresholds.escalation_precision,
            "reviewed escalations that were right fell under tolerance",
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
        )

        self.dashboard = cw.Dashboard(
            self, "Dashboard", dashboard_name=config.prefix, default_interval=Duration.days(28)
        )
        self.dashboard.add_widgets(
            cw.TextWidget(
                markdown=f"# ticket-sentiment ({config.stage})\nSentiment is a signal, not a verdict: escalations "
                "go to humans, and precision is tracked from their reviews.",
                width=24,
                height=2,
            )
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Average sentiment and share very negative, by week",
                width=6,
                left=[self.metric(m.SENTIMENT_SCORE, "Average", WEEK)],
                left_y_axis=cw.YAxisProps(min=-1, max=1),
                right=[self.very_negative_share()],
                right_y_axis=cw.YAxisProps(min=0, max=1),
            ),
            cw.GraphWidget(
                title="Negative messages by product area (weekly)",
                width=6,
                stacked=True,
                left=[
                    cw.MathExpression(
                        expression=f"SEARCH('{{{m.NAMESPACE},{m.PRODUCT_AREA_DIMENSION},service}} "
                        f'MetricName="{m.NEGATIVE_MESSAGES}" service="{config.prefix}"\', '
                        "'Sum', 604800)",
                        label="",
                        period=WEEK,
                    )
                ],
            ),
            cw.GraphWidget(
                title="First response to negative tickets (s)",
                width=6,
                left=[
                    self.metric(m.NEGATIVE_FIRST_RESPONSE, "p50", Duration.days(1)),
                    self.metric(m.NEGATIVE_FIRST_RESPONSE, "p90", Duration.days(1)),
                ],
            ),
            cw.GraphWidget(
                title="Precision of automated escalations (7 d)",
                width=6,
                left=[self.metric(m.ESCALATION_PRECISION, "Average", Duration.days(1))],
                left_y_axis=cw.YAxisProps(min=0, max=1),
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Throughput",
                width=6,
                left=[
                    self.metric(m.EVENTS_ACCEPTED, "Sum", FIVE_MINUTES),
                    self.metric(m.EVENTS_SCORED, "Sum", FIVE_MINUTES),
                    self.metric(m.ALERTS_PUBLISHED, "Sum", FIVE_MINUTES),
                ],
            ),
            cw.GraphWidget(
                title="Scorer latency per batch (ms)",
                width=6,
                left=[
                    scorer.metric_duration(statistic="p50", period=FIVE_MINUTES),
                    scorer.metric_duration(statistic="p95", period=FIVE_MINUTES),
                ],
            ),
            cw.GraphWidget(
                title="Errors and throttles",
                width=6,
                left=[fn.metric_errors(period=FIVE_MINUTES, label=f"{name} errors") for name, fn in functions.items()]
                + [self.metric(m.EVENTS_FAILED, "Sum", FIVE_MINUTES), self.metric(m.SLACK_FAILED, "Sum", FIVE_MINUTES)],
            ),
            cw.GraphWidget(
                title="Comprehend fallback rate",
                width=6,
                left=[self.fallback_rate()],
                left_y_axis=cw.YAxisProps(min=0, max=1),
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Score drift (PSI, 7 d vs 28 d baseline)",
                width=8,
                left=[self.metric(m.SCORE_DRIFT, "Maximum", Duration.days(1))],
                left_annotations=[cw.HorizontalAnnotation(value=thresholds.score_drift, label="alarm")],
            ),
            cw.GraphWidget(
                title="Last 7 days: negative, low-signal, fallback rates and confidence",
                width=8,
                left=[
                    self.metric(name, "Average", Duration.days(1))
                    for name in (m.SHARE_NEGATIVE_7D, m.LOW_SIGNAL_RATE_7D, m.FALLBACK_RATE_7D, m.MEAN_CONFIDENCE_7D)
                ],
                left_y_axis=cw.YAxisProps(min=0, max=1),
            ),
            cw.GraphWidget(
                title="Reviews and escalation precision (30 d)",
                width=8,
                left=[
                    self.metric(m.REVIEWS_30D, "Maximum", Duration.days(1)),
                    self.metric(m.FALSE_ALARMS_30D, "Maximum", Duration.days(1)),
                ],
                right=[self.metric(m.ESCALATION_PRECISION_30D, "Average", Duration.days(1))],
            ),
        )
        self.dashboard.add_widgets(self.model_versions_widget())
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Dead-letter queues and backlog",
                width=12,
                left=[
                    q.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label=f"{name} DLQ"
                    )
                    for name, q in dead_letter_queues.items()
                ]
                + [
                    events_queue.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, label="oldest event (s)")
                ],
            ),
            cw.AlarmStatusWidget(title="Alarms", width=12, alarms=self.alarms),
        )

    def model_versions_widget(self) -> cw.GraphWidget:
        """Scored messages per day, one line per live model version (and per shadow model version): a model change
        shows where one version's line ends and the next one's starts, beside the drift graph it explains.

        A metric dimension rather than annotations: CloudWatch's vertical annotations are fixed dates written into
        the dashboard body at deploy time, while a new model starts scoring when its layer is live (and a finetune
        may be deployed by another pipeline); each deploy would also have to carry every earlier date along. The
        dimension marks each change from the data itself, and SEARCH picks up a new version without a redeploy.
        The values are a closed set (pipeline.dimensions.model_version_dimension): one per model layer shipped.
        """
        return cw.GraphWidget(
            title="Model versions: scored messages per day (a new line marks a model change)",
            width=24,
            left=[self._by_model_version(m.SCORED_BY_MODEL_VERSION, "live ")],
            right=[self._by_model_version(m.SHADOW_SCORED, "shadow "), self.metric(m.SHADOW_FAILED, "Sum", DAY)],
        )

    def _by_model_version(self, name: str, label: str) -> cw.MathExpression:
        return cw.MathExpression(
            expression=f"SEARCH('{{{m.NAMESPACE},{m.MODEL_VERSION_DIMENSION},service}} "
            f'MetricName="{name}" service="{self.config.prefix}"\', \'Sum\', 86400)',
            label=f"{label}${{PROP('Dim.{m.MODEL_VERSION_DIMENSION}')}}",  # CloudWatch's dynamic label: the version
            period=DAY,
        )

    def very_negative_share(self) -> cw.MathExpression:
        """Very negative messages over every scored message with a score, per week (both exclude low signal)."""
        return cw.MathExpression(
            expression="IF(scored > 0, very_negative / scored, 0)",
            label="share very negative",
            period=WEEK,
            using_metrics={
                "very_negative": self.metric(m.VERY_NEGATIVE_MESSAGES, "Sum", WEEK),
                "scored": self.metric(m.SENTIMENT_SCORE, "SampleCount", WEEK),
            },
        )

    def metric(self, name: str, statistic: str, period: Duration) -> cw.Metric:
        return cw.Metric(
            namespace=m.NAMESPACE,
            metric_name=name,
            statistic=statistic,
            period=period,
            dimensions_map={"service": self.config.prefix},
        )

    def fallback_rate(self) -> cw.MathExpression:
        return cw.MathExpression(
            expression="IF(model + comprehend > 0, comprehend / (model + comprehend), 0)",
            label="fallback rate",
            period=FIVE_MINUTES,
            using_metrics={
                "model": self.metric(m.SCORED_BY_MODEL, "Sum", FIVE_MINUTES),
                "comprehend": self.metric(m.SCORED_BY_COMPREHEND, "Sum", FIVE_MINUTES),
            },
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cw.IMetric,
        threshold: float,
        description: str,
        *,
        periods: int = 1,
        comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=comparison,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
            alarm_name=f"{self.config.prefix}-{construct_id}",
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.ops_topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.ops_topic))
        self.alarms.append(alarm)
        return alarm

    @property
    def dashboard_url(self) -> str:
        region = Stack.of(self).region
        return (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards:name={self.config.prefix}"
        )
