"""Output formats: the file extension and Content-Type each one is written with.

Its own module, free of Pillow, because both the engine (encoding) and the key scheme (which
the dispatcher imports on every cold start) need it.
"""

EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif", "gif": "gif", "jxl": "jxl"}
CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",
    "jxl": "image/jxl",
}
