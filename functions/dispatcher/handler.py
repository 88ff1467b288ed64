"""Dispatcher: S3 event notifications (via SQS) → one Step Functions execution per object."""

import os
from functools import lru_cache

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from imgfan_core.dispatch import ExecutionRequest, plan_execution, start_execution
from imgfan_core.events import BACKFILL_EVENT, S3EventQueueRecord, S3TestEvent
from imgfan_core.presets import PresetsConfig, parse_presets

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# A body that is not an S3 notification fails validation here: that record, and only that one,
# returns to the queue and reaches the DLQ after maxReceiveCount. With the logger, every failed
# record is logged with its exception, where people look.
# powertools annotates logging.Logger, yet only calls .warning(msg, exc_info=...), which its Logger has.
processor = BatchProcessor(event_type=EventType.SQS, model=S3EventQueueRecord, logger=logger)  # type: ignore[arg-type]
stepfunctions = boto3.client("stepfunctions")

STATE_MACHINE_ARN = os.environ["STATE_MACHINE_ARN"]
# Deletes run in a state machine of their own (imgfan/cdk/construct.py): no Choice state billed per upload.
DELETE_STATE_MACHINE_ARN = os.environ["DELETE_STATE_MACHINE_ARN"]
PRESETS_PARAMETER_NAME = os.environ["PRESETS_PARAMETER_NAME"]
OUTPUT_BUCKET = os.environ["OUTPUT_BUCKET"]
# Presets are re-read at most this often, so `imgfan presets push` takes effect without a redeploy.
PRESETS_MAX_AGE = int(os.environ.get("PRESETS_CACHE_SECONDS", "30"))


@lru_cache(maxsize=4)
def _parsed(document: str) -> PresetsConfig:
    return parse_presets(document)


def load_presets() -> PresetsConfig:
    # The string is cached by Parameters; parsing is cached per distinct value of it.
    return _parsed(parameters.get_parameter(PRESETS_PARAMETER_NAME, max_age=PRESETS_MAX_AGE))


def start(request: ExecutionRequest, event_name: str) -> None:
    machine = DELETE_STATE_MACHINE_ARN if request.input.action == "delete" else STATE_MACHINE_ARN
    if start_execution(stepfunctions, machine, request):
        metrics.add_metric(name="ExecutionsStarted", unit=MetricUnit.Count, value=1)
        return
    # Handed over before: a duplicate SQS delivery, or a repeated backfill of a current image.
    logger.info("execution already exists", extra={"execution_name": request.name, "event": event_name})
    repeated = "BackfillsAlreadyStarted" if event_name == BACKFILL_EVENT else "DuplicateDeliveries"
    metrics.add_metric(name=repeated, unit=MetricUnit.Count, value=1)


@tracer.capture_method
def record_handler(record: S3EventQueueRecord) -> None:
    if isinstance(record.body, S3TestEvent):
        logger.info("skipping s3:TestEvent")
        return
    config = load_presets()
    for event in record.body.object_events():
        plan = plan_execution(event, config, OUTPUT_BUCKET)
        if isinstance(plan, ExecutionRequest):
            start(plan, event.name)
        else:
            logger.warning("skipped object", extra={"key": event.key, "reason": plan.reason})
            metrics.add_metric(name="SkippedObjects", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
