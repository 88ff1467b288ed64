"""The presets a construct deploys: a file or a model, reconciled with the construct's arguments."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Token
from aws_cdk import aws_s3 as s3

from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import PresetsConfig, load_presets_file, parse_presets


def effective_presets(presets: str | Path | PresetsConfig, source_bucket: s3.IBucket | None,
                      source_prefix: str | None) -> tuple[PresetsConfig, str]:
    """The presets model and the text that goes into the SSM parameter.

    A setting given both in the presets and as an argument must agree: two places that disagree
    about where images come from would deploy one and validate against the other.
    """
    if isinstance(presets, PresetsConfig):
        config, text = presets, presets.model_dump_json(by_alias=True, exclude_defaults=True)
    else:
        loaded = load_presets_file(presets)
        config, text = loaded.config, loaded.text.strip()
    named = config.source.bucket
    if source_bucket is not None and named and not Token.is_unresolved(source_bucket.bucket_name) \
            and source_bucket.bucket_name != named:
        raise InvalidPresets(f"ImageVariants: source_bucket is {source_bucket.bucket_name!r} but the presets' "
                             f"source.bucket is {named!r}; name the bucket in one place")
    if source_prefix is None or source_prefix == config.source.prefix:
        return config, text
    if config.source.prefix:
        raise InvalidPresets(f"ImageVariants: source_prefix is {source_prefix!r} but the presets' source.prefix is "
                             f"{config.source.prefix!r}; set the prefix in one place")
    document = config.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    document.setdefault("source", {})["prefix"] = source_prefix
    config = parse_presets(document)
    return config, config.model_dump_json(by_alias=True, exclude_defaults=True)
