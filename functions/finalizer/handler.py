"""Finalizer: every variant result of one execution → the key's current ``manifest.json``, then one
``Manifest Written`` event. An execution whose source was replaced or deleted meanwhile writes nothing.
A ``failed`` manifest, once written and announced, is raised as ``ImageFailed`` so that the
execution ends failed straight from Finalize (see ``imgfan_core.errors.ImageFailed``)."""

from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from imgfan_core.contract import ManifestInputs
from imgfan_core.errors import ImageFailed
from imgfan_core.manifest import build_manifest, dumps_manifest, failure_of, validate_manifest
from imgfan_core.notifications import MANIFEST_WRITTEN, Announcer, manifest_written
from imgfan_core.publish import publish_manifest
from imgfan_core.sdk import require_conditional_writes

logger = Logger()
tracer = Tracer()
metrics = Metrics()
s3 = boto3.client("s3")
require_conditional_writes(s3)  # the manifest compare-and-swap; fails init on an older SDK
announcer = Announcer.from_environment(boto3.client("events"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    inputs = ManifestInputs.from_state(event["state"], event["execution"])
    inputs = inputs.with_default_base_url(announcer.public_base_url)
    manifest = validate_manifest(build_manifest(inputs, now=datetime.now(UTC)))
    published = publish_manifest(s3, inputs, manifest, dumps_manifest(manifest))
    if not published.written:
        logger.info("manifest not written", extra={"key": published.key, "reason": published.skipped_because})
        metrics.add_metric(name="SupersededExecutions", unit=MetricUnit.Count, value=1)
        return {"status": "superseded", "manifest_key": published.key, "reason": published.skipped_because}
    detail = manifest_written(manifest, inputs.source, published.key, inputs.output.public_base_url)
    announcer.send(MANIFEST_WRITTEN, detail)
    metrics.add_metric(name=f"Images{manifest['status'].capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("manifest written", extra={"key": published.key, "status": manifest["status"],
                                           "swept": len(published.deleted)})
    failure = failure_of(manifest)
    if failure is not None:
        # After the write and the event, never before: the Retry never repeats ImageFailed, and
        # Powertools flushes the metrics above even when the handler raises.
        raise ImageFailed(f"{failure['type']}: {failure['message']}")
    return {"status": manifest["status"], "manifest_key": published.key, "error": None}
