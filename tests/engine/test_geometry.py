"""Fit modes as pure geometry: exact output sizes for every mode, source shape and enlarge."""

from __future__ import annotations

import pytest

from imgfan_core.engine.geometry import plan, upright_size

LANDSCAPE = (4000, 3000)
PORTRAIT = (3000, 4000)
TINY = (40, 30)


@pytest.mark.parametrize(
    ("source", "box", "fit", "enlarge", "expected"),
    [
        # cover: exactly the box whenever no upscaling is needed
        (LANDSCAPE, (200, 200), "cover", False, (200, 200)),
        (PORTRAIT, (200, 200), "cover", False, (200, 200)),
        (LANDSCAPE, (1200, 630), "cover", False, (1200, 630)),
        (PORTRAIT, (1200, 630), "cover", False, (1200, 630)),
        (TINY, (200, 200), "cover", True, (200, 200)),
        # without enlarge a tiny source keeps the box's shape at the source's scale
        (TINY, (200, 200), "cover", False, (30, 30)),
        (TINY, (120, 60), "cover", False, (40, 20)),
        # contain: exactly the box, letterboxed
        (LANDSCAPE, (200, 200), "contain", False, (200, 200)),
        (PORTRAIT, (300, 100), "contain", False, (300, 100)),
        (TINY, (200, 200), "contain", True, (200, 200)),
        (TINY, (200, 200), "contain", False, (40, 40)),
        # fill: exactly the box, aspect ignored
        (LANDSCAPE, (100, 300), "fill", False, (100, 300)),
        (PORTRAIT, (300, 100), "fill", False, (300, 100)),
        (TINY, (200, 100), "fill", True, (200, 100)),
        (TINY, (200, 100), "fill", False, (40, 20)),
        (TINY, (20, 100), "fill", False, (6, 30)),
        # inside: within the box, aspect kept
        (LANDSCAPE, (200, 200), "inside", False, (200, 150)),
        (PORTRAIT, (200, 200), "inside", False, (150, 200)),
        (TINY, (200, 200), "inside", True, (200, 150)),
        (TINY, (200, 200), "inside", False, (40, 30)),
        # outside: covers the box, aspect kept, nothing cropped
        (LANDSCAPE, (200, 200), "outside", False, (267, 200)),
        (PORTRAIT, (200, 200), "outside", False, (200, 267)),
        (TINY, (200, 200), "outside", True, (267, 200)),
        (TINY, (200, 200), "outside", False, (40, 30)),
    ],
)
def test_output_size(source, box, fit, enlarge, expected):
    assert plan(*source, *box, fit=fit, enlarge=enlarge).output == expected


@pytest.mark.parametrize(
    ("source", "width", "height", "fit", "enlarge", "expected"),
    [
        (LANDSCAPE, 480, None, "inside", False, (480, 360)),
        (PORTRAIT, 480, None, "inside", False, (480, 640)),
        (LANDSCAPE, None, 300, "inside", False, (400, 300)),
        (TINY, 480, None, "inside", False, (40, 30)),
        (TINY, 480, None, "inside", True, (480, 360)),
        (LANDSCAPE, 480, None, "outside", False, (480, 360)),
        (PORTRAIT, None, 100, "outside", False, (75, 100)),
        (TINY, None, 90, "outside", True, (120, 90)),
    ],
)
def test_one_sided_box(source, width, height, fit, enlarge, expected):
    assert plan(*source, width, height, fit=fit, enlarge=enlarge).output == expected


@pytest.mark.parametrize("fit", ["cover", "contain", "fill", "inside", "outside"])
@pytest.mark.parametrize("source", [LANDSCAPE, PORTRAIT, TINY, (1, 1), (1, 5000), (5000, 1)])
@pytest.mark.parametrize("enlarge", [True, False])
def test_invariants(fit, source, enlarge):
    p = plan(*source, 300, 200, fit=fit, enlarge=enlarge)
    assert min(p.output) >= 1
    assert p.crop[0] <= p.canvas[0] and p.crop[1] <= p.canvas[1]
    assert p.crop[0] <= round(p.scaled[0]) + 1 and p.crop[1] <= round(p.scaled[1]) + 1
    if not enlarge:
        assert p.scale[0] <= 1.0 + 1e-9 and p.scale[1] <= 1.0 + 1e-9
    if fit in ("cover", "contain", "fill") and (enlarge or (source[0] >= 300 and source[1] >= 200)):
        assert p.output == (300, 200)
    if fit == "inside":
        assert p.output[0] <= 300 and p.output[1] <= 200
    if fit == "outside" and enlarge:
        assert p.output[0] >= 300 and p.output[1] >= 200


def test_cover_keeps_aspect_before_crop():
    p = plan(4000, 3000, 200, 200, fit="cover")
    assert p.scaled == pytest.approx((266.67, 200.0), abs=0.01)
    assert p.crop == (200, 200) and p.needs_crop


@pytest.mark.parametrize("fit", ["cover", "contain", "fill"])
def test_two_sided_fits_need_both_sides(fit):
    with pytest.raises(ValueError):
        plan(100, 100, 50, None, fit=fit)


@pytest.mark.parametrize(("orientation", "expected"), [(1, (4, 3)), (3, (4, 3)), (5, (3, 4)), (6, (3, 4)),
                                                        (7, (3, 4)), (8, (3, 4))])
def test_upright_size(orientation, expected):
    assert upright_size((4, 3), orientation) == expected
