"""ThumbHash: Evan Wallace's ~25-byte image placeholder (https://evanw.github.io/thumbhash/).

A page decodes the hash into a blurred preview with the aspect ratio, the average colour, alpha
and the broad shapes of the picture (the reference decoders are a few dozen lines of JS, Swift,
Java or Rust). This is the reference encoder (``rgbaToThumbHash`` in evanw/thumbhash), written
loop for loop and in the same order of floating-point operations, so that it gives the same
bytes: tests/engine/test_thumbhash.py checks it against hashes the reference produced.

Two details decide equality. JavaScript's ``Math.round`` rounds halves up where Python's
``round`` rounds them to even (a 10x10 picture with 30 opaque pixels has an alpha of exactly
4.5/15). And ``sum()`` of floats is compensated from Python 3.12 on, so the sums are plain loops.
PyPI's pure-Python ports use ``round``, hence this module.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence

MAX_SIZE = 100


def _js_round(value: float) -> int:
    return math.floor(value + 0.5)


def _average(w: int, h: int, rgba: Sequence[int]) -> tuple[float, float, float, float]:
    avg_r = avg_g = avg_b = avg_a = 0.0
    for j in range(0, w * h * 4, 4):
        alpha = rgba[j + 3] / 255
        avg_r += alpha / 255 * rgba[j]
        avg_g += alpha / 255 * rgba[j + 1]
        avg_b += alpha / 255 * rgba[j + 2]
        avg_a += alpha
    if avg_a:
        avg_r /= avg_a
        avg_g /= avg_a
        avg_b /= avg_a
    return avg_r, avg_g, avg_b, avg_a


def _lpqa(w: int, h: int, rgba: Sequence[int], average: tuple[float, float, float, float]):
    """Luminance, yellow-blue, red-green and alpha channels, composited atop the average colour."""
    avg_r, avg_g, avg_b, _ = average
    l, p, q, a = [], [], [], []
    for j in range(0, w * h * 4, 4):
        alpha = rgba[j + 3] / 255
        r = avg_r * (1 - alpha) + alpha / 255 * rgba[j]
        g = avg_g * (1 - alpha) + alpha / 255 * rgba[j + 1]
        b = avg_b * (1 - alpha) + alpha / 255 * rgba[j + 2]
        l.append((r + g + b) / 3)
        p.append((r + g) / 2 - b)
        q.append(r - g)
        a.append(alpha)
    return l, p, q, a


def _encode_channel(
    channel: list[float], w: int, h: int, nx: int, ny: int
) -> tuple[float, list[float], float]:
    """DCT into a DC term and AC terms normalised to 0..1, with their scale."""
    dc, ac, scale = 0.0, [], 0.0
    for cy in range(ny):
        cx = 0
        while cx * ny < nx * (ny - cy):
            fx = [math.cos(math.pi / w * cx * (x + 0.5)) for x in range(w)]
            f = 0.0
            for y in range(h):
                fy = math.cos(math.pi / h * cy * (y + 0.5))
                for value, cos_x in zip(channel[y * w : (y + 1) * w], fx):
                    f += value * cos_x * fy
            f /= w * h
            if cx or cy:
                ac.append(f)
                scale = max(scale, abs(f))
            else:
                dc = f
            cx += 1
    if scale:
        ac = [0.5 + 0.5 / scale * value for value in ac]
    return dc, ac, scale


def rgba_to_thumbhash(w: int, h: int, rgba: Sequence[int]) -> bytes:
    """The ThumbHash of a ``w`` x ``h`` picture (at most 100x100) given as RGBA bytes, row by row."""
    if w > MAX_SIZE or h > MAX_SIZE:
        raise ValueError(f"{w}x{h} doesn't fit in {MAX_SIZE}x{MAX_SIZE}")
    average = _average(w, h, rgba)
    has_alpha = average[3] < w * h
    l_limit = 5 if has_alpha else 7  # fewer luminance terms when alpha needs the bytes
    lx = max(1, _js_round(l_limit * w / max(w, h)))
    ly = max(1, _js_round(l_limit * h / max(w, h)))
    l, p, q, a = _lpqa(w, h, rgba, average)
    l_dc, l_ac, l_scale = _encode_channel(l, w, h, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = _encode_channel(p, w, h, 3, 3)
    q_dc, q_ac, q_scale = _encode_channel(q, w, h, 3, 3)
    is_landscape = w > h
    header24 = (_js_round(63 * l_dc) | (_js_round(31.5 + 31.5 * p_dc) << 6)
                | (_js_round(31.5 + 31.5 * q_dc) << 12) | (_js_round(31 * l_scale) << 18) | (has_alpha << 23))
    header16 = ((ly if is_landscape else lx) | (_js_round(63 * p_scale) << 3) | (_js_round(63 * q_scale) << 9)
                | (is_landscape << 15))
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    terms = [l_ac, p_ac, q_ac]
    if has_alpha:
        a_dc, a_ac, a_scale = _encode_channel(a, w, h, 5, 5)
        out.append(_js_round(15 * a_dc) | (_js_round(15 * a_scale) << 4))
        terms.append(a_ac)
    nibbles = [_js_round(15 * value) for ac in terms for value in ac]
    for index in range(0, len(nibbles), 2):
        pair = nibbles[index : index + 2]
        out.append(pair[0] | (pair[1] << 4 if len(pair) == 2 else 0))
    return bytes(out)


def thumbhash_base64(w: int, h: int, rgba: Sequence[int]) -> str:
    return base64.b64encode(rgba_to_thumbhash(w, h, rgba)).decode("ascii")
