"""Pillow's format plugins, imported for the formats a render uses and no others.

``Image.preinit()``, which every ``Image.open`` and ``Image.save`` calls, imports the BMP, GIF,
JPEG, PPM and PNG plugins. Any other format must have its plugin imported before an image is
opened or saved in it, or Pillow falls back to ``Image.init()``, which imports about 40 plugins.
Importing AVIF's plugin loads libavif with its codecs (about 3.5 CPU ms and 1.5 MB a process),
which a JPEG-to-WebP render never needs. The MPO plugin (an Ultra HDR photo) is imported by the
JPEG plugin itself when a file has more than one picture, and the TIFF plugin by Pillow's EXIF
reader.
"""

from __future__ import annotations

import functools
import importlib

from PIL import Image

# Pillow format name -> the module that registers its opener and saver.
PLUGIN_MODULES = {
    "WEBP": "PIL.WebPImagePlugin",
    "AVIF": "PIL.AvifImagePlugin",
    "TIFF": "PIL.TiffImagePlugin",
    "MPO": "PIL.MpoImagePlugin",
}


def register(fmt: str | None) -> None:
    """Make Pillow able to open and save ``fmt`` (a Pillow format name, e.g. ``"WEBP"``).

    ``None``, a file whose format is not known yet, registers every format above; ``"HEIF"``
    registers pillow-heif's opener.
    """
    Image.preinit()
    if fmt is None:
        names = list(PLUGIN_MODULES.values())
    elif fmt.upper() == "HEIF":
        _register_heif()
        # An AVIF under a generic major brand (mif1) is claimed as HEIF too: Pillow's plugin opens it.
        names = [PLUGIN_MODULES["AVIF"]]
    else:
        names = [PLUGIN_MODULES[fmt.upper()]] if fmt.upper() in PLUGIN_MODULES else []
    for name in names:
        importlib.import_module(name)


@functools.cache
def _register_heif() -> None:
    # pillow-heif costs tens of milliseconds to import: paid only for HEIC uploads.
    from pillow_heif import register_heif_opener

    register_heif_opener()
