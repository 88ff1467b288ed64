"""Code shared by imgfan's Lambda functions and its CLI; deployed as one Lambda layer.

Sub-packages keep AWS out of the image logic: ``engine`` is pure Pillow, the rest are small
contracts (presets, keys, manifest) that the handlers and the CLI both rely on.
"""
