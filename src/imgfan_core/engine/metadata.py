"""Which EXIF of the source a variant carries: none by default, never where the photo was taken.

``strip`` (the default) writes no EXIF at all, except the tags named in ``keep``: ``copyright``
keeps Artist and Copyright, so a photographer's credit survives resizing. ``strip: false`` keeps
the source's EXIF, with the orientation reset (the pixels are already upright) and the GPS block
removed: a location is never copied into a public variant, whatever the settings.

Only EXIF is ever written from the source; its XMP and comments are dropped by the encoder in
every case. The one XMP a variant can carry is an Ultra HDR gain map's, written afresh from its
``hdrgm`` values alone (``engine/gainmap.py``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from imgfan_core.engine.decode import ORIENTATION_TAG

if TYPE_CHECKING:
    from PIL import Image

    from imgfan_core.engine.models import MetadataSpec

ARTIST_TAG = 0x013B
COPYRIGHT_TAG = 0x8298
GPS_IFD_TAG = 0x8825
KEEPABLE = {"copyright": (ARTIST_TAG, COPYRIGHT_TAG)}


def _source_exif(image: Image.Image) -> Image.Exif | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return image.getexif() or None
    except Exception:
        # A broken EXIF block costs the metadata, not the picture.
        return None


def kept_exif(image: Image.Image, metadata: MetadataSpec) -> bytes | None:
    """The EXIF block for the variant's encoder, or None for none."""
    if metadata.strip and not metadata.keep:
        return None
    exif = _source_exif(image)
    if exif is None:
        return None
    if metadata.strip:
        return _only(exif, [tag for name in metadata.keep for tag in KEEPABLE[name]])
    exif.pop(GPS_IFD_TAG, None)
    if ORIENTATION_TAG in exif:
        # The pixels are already upright; a kept tag would rotate them a second time.
        exif[ORIENTATION_TAG] = 1
    return exif.tobytes()


def _only(exif: Image.Exif, tags: list[int]) -> bytes | None:
    from PIL import Image

    kept = Image.Exif()
    for tag in tags:
        if tag in exif:
            kept[tag] = exif[tag]
    return kept.tobytes() if kept else None
