"""An estimate of SSIMULACRA2 computed with Pillow alone, to choose an encoder quality.

SSIMULACRA2 (libjxl's perceptual metric) needs numpy and scipy, too heavy for the resizer's
Lambda layer and its cold start. This estimate gathers the same kind of evidence with Pillow's
float ("F") images: SSIMULACRA2's form of 1 - SSIM over local windows, at three scales, in
luma (Y) and the blue-difference chroma (Cb), pooled with the L1 and L4 norms, weighted and
mapped to a score by SSIMULACRA2's own final curve. Window statistics are box means from
``Image.reduce`` over 4x4 pixels, so the work is a few passes over the pixels and arithmetic on
a grid 16 times smaller; the reference's side is computed once per search. The weights were
fitted against the ``ssimulacra2`` package by ``benchmarks/quality.py --fit``, which also
reports how closely the estimate tracks it.

Small variants simply have fewer scales. (SSIMULACRA2 itself shifts its weights when an image
under 256 pixels a side lacks scales, so its scores of thumbnails run low; see docs/engine/quality.md.)
"""

from __future__ import annotations

from PIL import Image, ImageMath

WINDOW = 4
# Halvings whose windows enter the score; in the fit, scale 1 added nothing to 0 and 2.
SCALES = (0, 2, 3)
# SSIMULACRA2's stabilising constant, for values in 0..1 (ours are 0..255).
C2 = 0.0009
UNIT = 1.0 / (255.0 * 255.0)
# (L1, L4) weights per (channel, scale), from benchmarks/quality.py --fit.
WEIGHTS = {
    ("Y", 0): (1.543, 6.995),
    ("Y", 2): (167.899, 11.482),
    ("Y", 3): (191.024, 22.201),
    ("Cb", 0): (1.653, 0.928),
    ("Cb", 2): (0.0, 1.121),
    ("Cb", 3): (49.453, 0.0),
}


def _product(a: Image.Image, b: Image.Image) -> Image.Image:
    return ImageMath.lambda_eval(lambda v: v["a"] * v["b"], a=a, b=b)


def _mean(image: Image.Image) -> float:
    return image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[return-value]


class _Windows:
    """One plane at one scale: its pixels, and each window's mean and variance."""

    def __init__(self, plane: Image.Image):
        self.plane = plane
        self.mean = plane.reduce(WINDOW)
        self.variance = ImageMath.lambda_eval(
            lambda v: v["sq"] - v["m"] * v["m"], sq=_product(plane, plane).reduce(WINDOW), m=self.mean
        )


def _dissimilarity(ref: _Windows, other: _Windows) -> tuple[float, float]:
    """SSIMULACRA2's per-window 1 - SSIM (no luminance normalisation), pooled as (L1, L4)."""
    covariance = ImageMath.lambda_eval(
        lambda v: v["xy"] - v["m1"] * v["m2"],
        xy=_product(ref.plane, other.plane).reduce(WINDOW),
        m1=ref.mean,
        m2=other.mean,
    )
    d = ImageMath.lambda_eval(
        lambda v: v["max"](
            1.0
            - (1.0 - (v["m1"] - v["m2"]) * (v["m1"] - v["m2"]) * UNIT)
            * (2.0 * UNIT * v["c"] + C2)
            / (UNIT * (v["s1"] + v["s2"]) + C2),
            0.0,
        ),
        m1=ref.mean,
        m2=other.mean,
        s1=ref.variance,
        s2=other.variance,
        c=covariance,
    )
    fourth = _product(_product(d, d), _product(d, d))
    return _mean(d), _mean(fourth) ** 0.25


def _pyramid(image: Image.Image) -> dict[tuple[str, int], _Windows]:
    """Window statistics per (channel, scale), for the scales the image is large enough for."""
    y, cb, _ = image.convert("RGB").convert("YCbCr").split()
    planes = {"Y": y.convert("F"), "Cb": cb.convert("F")}
    levels: dict[tuple[str, int], _Windows] = {}
    for scale in range(max(SCALES) + 1):
        if min(planes["Y"].size) < 2 * WINDOW:
            break
        if scale in SCALES:
            levels.update({(channel, scale): _Windows(plane) for channel, plane in planes.items()})
        planes = {channel: plane.reduce(2) for channel, plane in planes.items()}
    return levels


def ssimulacra2_curve(raw: float) -> float:
    """SSIMULACRA2's mapping from its weighted error sum to a score of at most 100."""
    x = raw * 0.9562382616834844
    x = 2.326765642916932 * x - 0.020884521182843837 * x * x + 6.248496625763138e-05 * x * x * x
    return 100.0 - 10.0 * x**0.6276336467831387 if x > 0 else 100.0


class Reference:
    """The pixels before encoding; ``score`` estimates SSIMULACRA2 of a decoded candidate."""

    def __init__(self, image: Image.Image):
        self.size = image.size
        self.levels = _pyramid(image)

    def features(self, candidate: Image.Image) -> dict[tuple[str, int], tuple[float, float]]:
        """(L1, L4) of the dissimilarity per (channel, scale): what the weights apply to."""
        if candidate.size != self.size:
            raise ValueError(f"candidate is {candidate.size[0]}x{candidate.size[1]}, "
                             f"reference {self.size[0]}x{self.size[1]}")
        other = _pyramid(candidate)
        return {key: _dissimilarity(ref, other[key]) for key, ref in self.levels.items()}

    def score(self, candidate: Image.Image) -> float:
        features = self.features(candidate)
        raw = sum(w1 * features[key][0] + w4 * features[key][1] for key, (w1, w4) in WEIGHTS.items()
                  if key in features)
        return ssimulacra2_curve(raw)
