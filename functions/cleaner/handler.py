"""Cleaner: a deleted source loses its variants and its manifest (and nothing else)."""

import boto3
from aws_lambda_powertools import Logger, Tracer

from imgfan_core.keys import output_folder

logger = Logger()
tracer = Tracer()
s3 = boto3.client("s3")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    output = event["settings"]["output"]
    folder = output_folder(output["prefix"], event["source"]["key"])
    paginator = s3.get_paginator("list_objects_v2")
    doomed = []
    for page in paginator.paginate(Bucket=output["bucket"], Prefix=folder):
        for item in page.get("Contents", []):
            # Only direct children: "a.jpg/" must not sweep the outputs of a source named "a.jpg/b.jpg".
            if "/" not in item["Key"][len(folder):]:
                doomed.append({"Key": item["Key"]})
    for start in range(0, len(doomed), 1000):
        s3.delete_objects(Bucket=output["bucket"], Delete={"Objects": doomed[start:start + 1000], "Quiet": True})
    logger.info("outputs deleted", extra={"folder": folder, "count": len(doomed)})
    return {"deleted": len(doomed), "folder": folder}
