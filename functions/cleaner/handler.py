"""Cleaner: a deleted source loses its variants and its manifest (and nothing else), then one
``Outputs Deleted`` event."""

import os

import boto3
from aws_lambda_powertools import Logger, Tracer

from imgfan_core.contract import ExecutionInput
from imgfan_core.keys import manifest_key, output_folder
from imgfan_core.notifications import OUTPUTS_DELETED, outputs_deleted, put_event

logger = Logger()
tracer = Tracer()
s3 = boto3.client("s3")
events = boto3.client("events")
EVENT_BUS = os.environ.get("EVENT_BUS_NAME", "default")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or None
# DeleteObjects takes at most this many keys per request.
DELETE_BATCH = 1000


def direct_children(bucket: str, folder: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder):
        # Only direct children: "a.jpg/" must not sweep the outputs of a source named "a.jpg/b.jpg".
        keys += [item["Key"] for item in page.get("Contents", []) if "/" not in item["Key"][len(folder):]]
    return keys


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    request = ExecutionInput.from_dict(event)
    output = request.settings.output
    folder = output_folder(output.prefix, request.source.key)
    doomed = direct_children(output.bucket, folder)
    for start in range(0, len(doomed), DELETE_BATCH):
        batch = [{"Key": key} for key in doomed[start:start + DELETE_BATCH]]
        s3.delete_objects(Bucket=output.bucket, Delete={"Objects": batch, "Quiet": True})
    output = output.with_default_base_url(PUBLIC_BASE_URL)
    detail = outputs_deleted(request.source, output, manifest_key(output.prefix, request.source.key), len(doomed))
    put_event(events, EVENT_BUS, OUTPUTS_DELETED, detail)
    logger.info("outputs deleted", extra={"folder": folder, "count": len(doomed)})
    return {"deleted": len(doomed), "folder": folder}
