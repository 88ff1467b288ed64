"""Cleaner: a deleted source loses its variants and its manifest (and nothing else), then one
``Outputs Deleted`` event; a delete that left an object at the key (an old version, or a delete
older than the upload that followed it) removes nothing."""

import boto3
from aws_lambda_powertools import Logger, Tracer

from imgfan_core.cleanup import clean_outputs
from imgfan_core.contract import ExecutionInput
from imgfan_core.keys import manifest_key
from imgfan_core.notifications import OUTPUTS_DELETED, Announcer, outputs_deleted

logger = Logger()
tracer = Tracer()
s3 = boto3.client("s3")
announcer = Announcer.from_environment(boto3.client("events"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    request = ExecutionInput.from_dict(event)
    output = request.settings.output.with_default_base_url(announcer.public_base_url)
    cleanup = clean_outputs(s3, request.source, output)
    if cleanup.kept_because is not None:
        logger.info("outputs kept", extra={"folder": cleanup.folder, "reason": cleanup.kept_because})
        return {"deleted": 0, "folder": cleanup.folder, "kept_because": cleanup.kept_because}
    manifest = manifest_key(output.prefix, request.source.key)
    announcer.send(OUTPUTS_DELETED, outputs_deleted(request.source, output, manifest, len(cleanup.deleted)))
    logger.info("outputs deleted", extra={"folder": cleanup.folder, "count": len(cleanup.deleted)})
    return {"deleted": len(cleanup.deleted), "folder": cleanup.folder}
