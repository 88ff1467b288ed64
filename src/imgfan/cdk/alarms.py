"""The stack's alarms and their optional SNS topic."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


def alarm_topic(scope: Construct, topic_arn: str | None, email: str | None) -> sns.ITopic | None:
    if topic_arn:
        return sns.Topic.from_topic_arn(scope, "AlarmTopic", topic_arn)
    if email:
        topic = sns.Topic(scope, "AlarmTopic", display_name="imgfan alarms", enforce_ssl=True)
        topic.add_subscription(subscriptions.EmailSubscription(email))
        return topic
    return None


def _alarm(scope: Construct, construct_id: str, description: str, metric: cloudwatch.IMetric,
           threshold: float = 0, at_least: bool = False) -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        scope, construct_id,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD if at_least
        else cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        # No data means nothing happened (no traffic), which is healthy.
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )


def bad_uploads_metric(period: Duration) -> cloudwatch.Metric:
    """Images whose manifest is ``failed``, as the finalizer counts them (Powertools EMF)."""
    return cloudwatch.Metric(namespace="Imgfan", metric_name="ImagesFailed",
                             dimensions_map={"service": "imgfan-finalizer"}, period=period, statistic="Sum")


def add_alarms(scope: Construct, *, dead_letter_queue: sqs.IQueue, state_machine: sfn.StateMachine,
               delete_state_machine: sfn.StateMachine, resizer: lambda_.Function, resizer_error_threshold: int, bad_upload_threshold: int,
               topic: sns.ITopic | None) -> list[cloudwatch.Alarm]:
    five_minutes = Duration.minutes(5)
    alarms = [
        _alarm(scope, "DeadLetterQueueNotEmpty",
               "imgfan: messages the dispatcher could not hand over are in the DLQ "
               "(imgfan dlq list / imgfan dlq redrive)",
               dead_letter_queue.metric_approximate_number_of_messages_visible(
                   period=Duration.minutes(1), statistic="Maximum")),
        # A bad upload fails its execution on purpose (a Fail state after its manifest is written),
        # so executions that failed for any other reason are the pipeline's problem.
        _alarm(scope, "PipelineFailures",
               "imgfan: executions failed for a reason other than a bad upload (a bug, a permission, "
               "an outage); see the Step Functions console",
               cloudwatch.MathExpression(
                   expression="failed - FILL(bad, 0)",
                   using_metrics={"failed": state_machine.metric_failed(period=five_minutes, statistic="Sum"),
                                  "bad": bad_uploads_metric(five_minutes)},
                   label="Executions failed, not counting bad uploads", period=five_minutes)),
        _alarm(scope, "BadUploads",
               f"imgfan: {bad_upload_threshold}+ uploads in 5 minutes were not usable images (their manifests "
               "say why); the uploader's problem, not the pipeline's",
               bad_uploads_metric(five_minutes), threshold=bad_upload_threshold, at_least=True),
        _alarm(scope, "ExecutionsTimedOut", "imgfan: state machine executions timed out",
               state_machine.metric_timed_out(period=five_minutes, statistic="Sum")),
        # No delete fails on purpose: each failed one left outputs of a deleted source behind.
        _alarm(scope, "DeletesFailed",
               "imgfan: delete executions failed (OutputsNotDeleted): a deleted source's variants and manifest "
               "are still there; redrive once the cause is fixed",
               delete_state_machine.metric_failed(period=five_minutes, statistic="Sum")),
        # Not-an-image uploads are raised as errors by design (and recorded in the manifest), so
        # one error is not an incident: the threshold is the context setting resizerErrorThreshold.
        _alarm(scope, "ResizerErrors", f"imgfan: {resizer_error_threshold}+ resizer errors in 5 minutes",
               resizer.metric_errors(period=five_minutes, statistic="Sum"),
               threshold=resizer_error_threshold, at_least=True),
        _alarm(scope, "ResizerThrottles", "imgfan: resizer invocations throttled",
               resizer.metric_throttles(period=five_minutes, statistic="Sum")),
    ]
    if topic is not None:
        for alarm in alarms:
            alarm.add_alarm_action(cw_actions.SnsAction(topic))
    return alarms
