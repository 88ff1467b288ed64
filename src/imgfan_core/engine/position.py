"""Where a crop or a letterbox goes: a compass gravity, a focal point, or a content-aware strategy.

``entropy`` picks the window whose greyscale histogram has the most Shannon entropy (the
busiest, most detailed region), like sharp's ``entropy`` strategy.

``attention`` is a saliency heuristic modelled on sharp's ``attention`` strategy, which looks
for "the highest luminance frequency, colour saturation and presence of skin tones". Each
pixel of a small analysis image scores

    edges (Pillow FIND_EDGES on luminance)  +  saturation (HSV S)  +  skin bonus

where the skin bonus marks pixels inside the classic YCbCr skin box (Cb 77-127, Cr 133-173,
Chai & Ngan 1999). The window with the greatest total score wins. It needs no model and runs
on a <=128 px proxy, so it costs a few milliseconds.

Both strategies slide the window along the one axis that has slack (cover always keeps one
axis whole), on a coarse grid of at most ``_STEPS`` candidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

GRAVITY = {
    "center": (0.5, 0.5),
    "north": (0.5, 0.0),
    "northeast": (1.0, 0.0),
    "east": (1.0, 0.5),
    "southeast": (1.0, 1.0),
    "south": (0.5, 1.0),
    "southwest": (0.0, 1.0),
    "west": (0.0, 0.5),
    "northwest": (0.0, 0.0),
}
STRATEGIES = ("entropy", "attention")
ANALYSIS_SIZE = 128
_STEPS = 24
_SKIN_BONUS = 96


def gravity_offset(slack: tuple[float, float], position: str) -> tuple[float, float]:
    """Offset of the kept window inside the whole, for a compass gravity (pure)."""
    gx, gy = GRAVITY.get(position, GRAVITY["center"])
    return slack[0] * gx, slack[1] * gy


def focus_offset(
    point: tuple[float, float], whole: tuple[float, float], window: tuple[float, float]
) -> tuple[float, float]:
    """Offset of ``window`` inside ``whole`` that centres it on ``point`` (fractions of ``whole``),
    clamped so that the window never leaves the image (pure)."""
    return tuple(  # type: ignore[return-value]
        min(max(0.0, fraction * size - kept / 2), max(0.0, size - kept))
        for fraction, size, kept in zip(point, whole, window)
    )


def _candidates(slack: float) -> list[float]:
    if slack <= 0:
        return [0.0]
    steps = min(_STEPS, max(1, int(slack)))
    return [slack * i / steps for i in range(steps + 1)]


def _best_window(score_of, whole: tuple[int, int], window: tuple[float, float]) -> tuple[float, float]:
    slack_x, slack_y = whole[0] - window[0], whole[1] - window[1]
    centre = (slack_x / 2, slack_y / 2)
    scored = []
    for ox in _candidates(slack_x):
        for oy in _candidates(slack_y):
            box = (round(ox), round(oy), round(ox + window[0]), round(oy + window[1]))
            # Ties go to the candidate nearest the centre, the least surprising crop.
            distance = abs(ox - centre[0]) + abs(oy - centre[1])
            scored.append((score_of(box), -distance, (ox, oy)))
    best = max(scored)
    lowest = min(scored)[0]
    if best[0] - lowest <= 1e-6 * max(1.0, abs(best[0])):
        # A flat image has nothing to aim at.
        return centre
    return best[2]


def analysis_proxy(image: Image.Image) -> Image.Image:
    """``image`` in RGB, at most ANALYSIS_SIZE on its long side: what a strategy scores."""
    from PIL import Image as PILImage

    ratio = min(1.0, ANALYSIS_SIZE / max(image.size))
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if size != image.size:
        # BOX is the cheapest filter that still averages every pixel; plenty for a score map.
        rgb = rgb.resize(size, PILImage.Resampling.BOX)
    return rgb


def _attention_map(rgb: Image.Image) -> Image.Image:
    from PIL import ImageChops, ImageFilter, ImageOps

    # FIND_EDGES reports the image border as an edge; blank it so it attracts nothing.
    edges = rgb.convert("L").filter(ImageFilter.FIND_EDGES)
    if min(edges.size) > 2:
        edges = ImageOps.expand(edges.crop((1, 1, edges.width - 1, edges.height - 1)), 1, 0)
    saturation = rgb.convert("HSV").getchannel("S")
    _, cb, cr = rgb.convert("YCbCr").split()
    skin_cb = cb.point(lambda v: 255 if 77 <= v <= 127 else 0)
    skin_cr = cr.point(lambda v: 255 if 133 <= v <= 173 else 0)
    skin = ImageChops.multiply(skin_cb, skin_cr).point(lambda v: _SKIN_BONUS if v else 0)
    return ImageChops.add(ImageChops.add(edges, saturation.point(lambda v: v // 2)), skin)


def _prefix_sums(values, weight: int) -> list[float]:
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value * weight)
    return sums


def _projected_sum(score_map: Image.Image, window: tuple[float, float]):
    """Window sums from one row or column projection, when the window spans the other axis.

    Cover always keeps one axis whole, so this is the usual case and avoids a crop and a
    statistics pass per candidate.
    """
    from PIL import Image as PILImage

    width, height = score_map.size
    if window[1] >= height - 1:
        columns = score_map.resize((width, 1), PILImage.Resampling.BOX).get_flattened_data()
        sums = _prefix_sums(columns, height)
        return lambda box: sums[min(width, box[2])] - sums[max(0, box[0])]
    if window[0] >= width - 1:
        rows = score_map.resize((1, height), PILImage.Resampling.BOX).get_flattened_data()
        sums = _prefix_sums(rows, width)
        return lambda box: sums[min(height, box[3])] - sums[max(0, box[1])]
    return None


def strategy_offset(
    image: Image.Image, whole: tuple[float, float], window: tuple[float, float], strategy: str
) -> tuple[float, float]:
    """Offset (in ``whole``'s units) of the most interesting ``window`` of ``image``.

    ``whole`` is the size the image will be scaled to; the analysis runs on a small proxy and
    the answer is scaled back.
    """
    from PIL import ImageStat

    proxy = analysis_proxy(image)
    kx, ky = proxy.width / whole[0], proxy.height / whole[1]
    win = (max(1.0, window[0] * kx), max(1.0, window[1] * ky))
    if strategy == "attention":
        score_map = _attention_map(proxy)
        score_of = _projected_sum(score_map, win) or (lambda box: ImageStat.Stat(score_map.crop(box)).sum[0])
    else:
        grey = proxy.convert("L")

        def score_of(box):
            return grey.crop(box).entropy()

    ox, oy = _best_window(score_of, proxy.size, win)
    return ox / kx, oy / ky
