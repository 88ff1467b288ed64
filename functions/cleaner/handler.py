"""Cleaner: a deleted source loses its variants and its manifest (and nothing else), then one
``Outputs Deleted`` event."""

import boto3
from aws_lambda_powertools import Logger, Tracer

from imgfan_core.contract import ExecutionInput
from imgfan_core.keys import manifest_key, output_folder
from imgfan_core.notifications import OUTPUTS_DELETED, Announcer, outputs_deleted
from imgfan_core.storage import delete_keys, list_folder

logger = Logger()
tracer = Tracer()
s3 = boto3.client("s3")
announcer = Announcer.from_environment(boto3.client("events"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    request = ExecutionInput.from_dict(event)
    output = request.settings.output.with_default_base_url(announcer.public_base_url)
    folder = output_folder(output.prefix, request.source.key)
    doomed = [entry["Key"] for entry in list_folder(s3, output.bucket, folder)]
    delete_keys(s3, output.bucket, doomed)
    detail = outputs_deleted(request.source, output, manifest_key(output.prefix, request.source.key), len(doomed))
    announcer.send(OUTPUTS_DELETED, detail)
    logger.info("outputs deleted", extra={"folder": folder, "count": len(doomed)})
    return {"deleted": len(doomed), "folder": folder}
