"""Dispatcher: S3 event notifications (via SQS) → one Step Functions execution per object."""

import json
import os
from functools import lru_cache

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from imgfan_core.dispatch import ExecutionRequest, plan_execution
from imgfan_core.events import S3Notification, is_test_event
from imgfan_core.presets import parse_presets

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
stepfunctions = boto3.client("stepfunctions")

STATE_MACHINE_ARN = os.environ["STATE_MACHINE_ARN"]
PRESETS_PARAMETER_NAME = os.environ["PRESETS_PARAMETER_NAME"]
OUTPUT_BUCKET = os.environ["OUTPUT_BUCKET"]
# Presets are re-read at most this often, so `imgfan presets push` takes effect without a redeploy.
PRESETS_MAX_AGE = int(os.environ.get("PRESETS_CACHE_SECONDS", "30"))


@lru_cache(maxsize=4)
def _parsed(document: str):
    return parse_presets(document)


def load_presets():
    # The string is cached by Parameters; parsing is cached per distinct value of it.
    return _parsed(parameters.get_parameter(PRESETS_PARAMETER_NAME, max_age=PRESETS_MAX_AGE))


def start(request: ExecutionRequest) -> None:
    try:
        stepfunctions.start_execution(
            stateMachineArn=STATE_MACHINE_ARN, name=request.name, input=json.dumps(request.input)
        )
        metrics.add_metric(name="ExecutionsStarted", unit=MetricUnit.Count, value=1)
    except stepfunctions.exceptions.ExecutionAlreadyExists:
        # A duplicate SQS delivery of an event we already handed over: nothing to do.
        logger.info("execution already exists", extra={"execution_name": request.name})
        metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    try:
        dispatch(record)
    except Exception:
        # The batch processor only reports the failure to SQS; say why, where people look.
        logger.exception("could not dispatch message", extra={"message_id": record.message_id})
        raise


def dispatch(record: SQSRecord) -> None:
    body = record.json_body
    if is_test_event(body):
        logger.info("skipping s3:TestEvent")
        return
    notification = S3Notification.model_validate(body)
    config = load_presets()
    for s3_record in notification.Records:
        s3_object = s3_record.s3.object
        plan = plan_execution(
            event_name=s3_record.eventName,
            bucket=s3_record.s3.bucket.name,
            raw_key=s3_object.key,
            size=s3_object.size,
            etag=s3_object.eTag,
            version_id=s3_object.versionId,
            sequencer=s3_object.sequencer,
            event_time=s3_record.eventTime.isoformat(),
            config=config,
            output_bucket=OUTPUT_BUCKET,
        )
        if isinstance(plan, ExecutionRequest):
            start(plan)
        else:
            logger.warning("skipped object", extra={"key": s3_object.key, "reason": plan.reason})
            metrics.add_metric(name="SkippedObjects", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
