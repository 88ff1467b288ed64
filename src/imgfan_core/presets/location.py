"""Where variants may be written: never where the pipeline listens for sources.

Outputs under the source prefix of the same bucket would trigger the pipeline again for every
variant it writes; the model refuses that when the file names the buckets, and the dispatcher
and the CLI check again with the bucket names they resolved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imgfan_core.errors import InvalidPresets

if TYPE_CHECKING:
    from imgfan_core.presets.model import PresetsConfig


def output_location_problem(
    source_bucket: str | None, source_prefix: str, output_bucket: str | None, output_prefix: str
) -> str | None:
    """Why writing there would feed the pipeline its own output, or None when it is safe."""
    if source_bucket is None or output_bucket is None or source_bucket != output_bucket:
        return None
    if not (output_prefix.startswith(source_prefix) or source_prefix.startswith(output_prefix)):
        return None
    return (
        f"output bucket '{output_bucket}' with prefix '{output_prefix}' overlaps the source prefix "
        f"'{source_prefix}' in the same bucket, so every variant would trigger the pipeline again; "
        "use a separate output bucket (set output.bucket to null for the stack's own) or disjoint prefixes"
    )


def check_output_location(
    config: PresetsConfig, source_bucket: str | None, output_bucket: str | None
) -> None:
    """Refuse a config whose outputs would land where the pipeline listens, with real bucket names.

    ``presets.json`` usually leaves both buckets null (the stack creates them), so the model alone
    cannot see an overlap; the dispatcher and the CLI call this with the names they resolved.
    A bucket named in the file wins over the resolved one for output, as that is where writes go;
    for the source, the resolved name (the bucket the event came from) wins.
    """
    effective_source = source_bucket or config.source.bucket
    effective_output = config.output.bucket or output_bucket
    problem = output_location_problem(
        effective_source, config.source.prefix, effective_output, config.output.prefix
    )
    if problem:
        raise InvalidPresets(f"output.prefix: {problem}")
