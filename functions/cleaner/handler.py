"""Cleaner: a deleted source loses its variants and its manifest (and nothing else)."""

import boto3
from aws_lambda_powertools import Logger, Tracer

from imgfan_core.contract import ExecutionInput
from imgfan_core.keys import output_folder

logger = Logger()
tracer = Tracer()
s3 = boto3.client("s3")
# DeleteObjects takes at most this many keys per request.
DELETE_BATCH = 1000


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    request = ExecutionInput.from_dict(event)
    output = request.settings.output
    folder = output_folder(output.prefix, request.source.key)
    doomed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=output.bucket, Prefix=folder):
        for item in page.get("Contents", []):
            # Only direct children: "a.jpg/" must not sweep the outputs of a source named "a.jpg/b.jpg".
            if "/" not in item["Key"][len(folder):]:
                doomed.append({"Key": item["Key"]})
    for start in range(0, len(doomed), DELETE_BATCH):
        s3.delete_objects(Bucket=output.bucket, Delete={"Objects": doomed[start:start + DELETE_BATCH], "Quiet": True})
    logger.info("outputs deleted", extra={"folder": folder, "count": len(doomed)})
    return {"deleted": len(doomed), "folder": folder}
