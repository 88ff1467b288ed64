"""Resizer: ``analyze`` a source once per execution, or ``resize`` it into one preset's variant.

Everything arrives as contract types (plain dataclasses): importing pydantic here would add
about 0.1 s to every cold start, and the dispatcher validated the presets already. The engine
still refuses values it does not know.
"""

import os

import boto3
from aws_lambda_powertools import Logger, Tracer

from imgfan_core.contract import ResizerRequest, VariantResult
from imgfan_core.engine import OverlayImage, analyze, parse_focus, render_variant, renderer_for
from imgfan_core.engine.focus import METADATA_KEY as FOCUS_METADATA
from imgfan_core.keys import key_for_variant
from imgfan_core.source_cache import SourceCache
from imgfan_core.storage import SourceObject, read_overlay, read_source, write_object

logger = Logger()
tracer = Tracer()
s3 = boto3.client("s3")
# A sixth of the function's memory: the engine's own peak stays far below the rest
# (docs/engine/features.md, "Input limits, set from measured memory"), and one image's analyze and
# presets often land on the same warm sandbox.
sources: SourceCache[SourceObject] = SourceCache(int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1536")) * 1024 * 1024 // 6)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    request = ResizerRequest.from_dict(event)
    settings = request.settings
    source = read_source(s3, request.source, settings.limits.max_input_bytes, sources)
    # Parsed on analyze too: a bad focus fails the source once, with a manifest saying why.
    focus = parse_focus(source.metadata.get(FOCUS_METADATA))
    if request.action == "analyze":
        return analyze(source.data, settings.limits).to_dict()

    preset, overlay = request.resize_preset, None
    if preset.overlay is not None:
        overlay = OverlayImage(read_overlay(s3, request.source.bucket, preset.overlay.image,
                                            settings.limits.max_input_bytes))
    variant = render_variant(source.data, preset, settings.limits, settings.metadata, focus=focus, overlay=overlay)
    key = key_for_variant(request, variant.format, renderer_for(variant.format), focus,
                          overlay.revision if overlay else None, variant.gain_map)
    write_object(s3, settings.output.bucket, key, variant.data, variant.content_type, settings.output.cache_control)
    logger.info("variant written", extra={"preset": preset.name, "key": key, "bytes": len(variant.data)})
    return VariantResult.written(preset.name, key, variant).to_dict()
