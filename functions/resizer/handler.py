"""Resizer: ``analyze`` a source once per execution, or ``resize`` it into one preset's variant.

The preset, limits and metadata policy arrive already validated by the dispatcher (they are the
presets model's own dump), so they are read as plain attributes: importing pydantic here would
add about 0.1 s to every cold start. The engine still refuses values it does not know.
"""

from types import SimpleNamespace

import boto3
from aws_lambda_powertools import Logger, Tracer

from imgfan_core.engine import analyze, render_variant
from imgfan_core.keys import variant_key
from imgfan_core.storage import read_source, write_object

logger = Logger()
tracer = Tracer()
s3 = boto3.client("s3")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    source, settings = event["source"], event["settings"]
    limits = SimpleNamespace(**settings["limits"])
    data = read_source(s3, source, limits.max_input_bytes)
    if event["action"] == "analyze":
        return analyze(data, limits).to_dict()

    preset = SimpleNamespace(**event["preset"])
    variant = render_variant(data, preset, limits, SimpleNamespace(**settings["metadata"]))
    output = settings["output"]
    key = variant_key(output["prefix"], source["key"], preset.name, variant.format)
    write_object(s3, output["bucket"], key, variant.data, variant.content_type, output["cache_control"])
    logger.info("variant written", extra={"preset": preset.name, "key": key, "bytes": len(variant.data)})
    return {"preset": preset.name, "status": "ok", "key": key, **variant.to_dict()}
