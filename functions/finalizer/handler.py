"""Finalizer: every variant result of one execution → a validated ``manifest.json``."""

from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from imgfan_core.contract import ManifestInputs
from imgfan_core.keys import manifest_key
from imgfan_core.manifest import (
    MANIFEST_CACHE_CONTROL,
    MANIFEST_CONTENT_TYPE,
    build_manifest,
    dumps_manifest,
    validate_manifest,
)
from imgfan_core.storage import write_object

logger = Logger()
tracer = Tracer()
metrics = Metrics()
s3 = boto3.client("s3")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    inputs = ManifestInputs.from_state(event["state"], event["execution"])
    manifest = validate_manifest(build_manifest(inputs, now=datetime.now(UTC)))
    key = manifest_key(inputs.output.prefix, inputs.source.key)
    write_object(s3, inputs.output.bucket, key, dumps_manifest(manifest), MANIFEST_CONTENT_TYPE,
                 MANIFEST_CACHE_CONTROL)
    metrics.add_metric(name=f"Images{manifest['status'].capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("manifest written", extra={"key": key, "status": manifest["status"]})
    return {"status": manifest["status"], "manifest_key": key}
