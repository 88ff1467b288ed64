"""engine.gainmap's metadata handling on hand-written inputs: hdrgm parsing, the neutral value,
escaping, and MPF in either byte order."""

from __future__ import annotations

import struct

import pytest

from imgfan_core.engine import gainmap


def test_hdrgm_values_are_read_from_attributes_and_per_channel_elements():
    xmp = (b'<rdf:Description xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0" '
           b'hdrgm:Gamma="1" other:GPSLatitude="1,2N"><hdrgm:GainMapMax><rdf:Seq><rdf:li>2.5</rdf:li>'
           b'<rdf:li>2.0</rdf:li><rdf:li>1.5</rdf:li></rdf:Seq></hdrgm:GainMapMax>'
           b'<hdrgm:HDRCapacityMax>3</hdrgm:HDRCapacityMax></rdf:Description>')
    assert gainmap.hdrgm_fields(xmp) == {
        "Version": "1.0", "GainMapMax": ("2.5", "2.0", "1.5"), "Gamma": "1", "HDRCapacityMax": "3"}


@pytest.mark.parametrize(("fields", "channels", "expected"), [
    ({"GainMapMin": "0", "GainMapMax": "6.6"}, 1, (0,)),
    # log2 gain 0 is halfway from -1 to 1: 0.5 * 255
    ({"GainMapMin": "-1", "GainMapMax": "1"}, 1, (128,)),
    # stored values are the normalised gain raised to Gamma: 0.5 ** 2 * 255
    ({"GainMapMin": "-1", "GainMapMax": "1", "Gamma": "2"}, 1, (64,)),
    ({"GainMapMin": ("-1", "-3", "0"), "GainMapMax": ("1", "1", "2")}, 3, (128, 191, 0)),
    # a map that only ever darkens: no boost is its top value
    ({"GainMapMin": "-2", "GainMapMax": "-1"}, 1, (255,)),
])
def test_the_neutral_value_means_no_boost(fields, channels, expected):
    assert gainmap.neutral(fields, channels) == expected


def test_values_from_the_file_cannot_break_out_of_the_xmp():
    xmp = gainmap.gain_map_xmp({"Version": '1.0" x:evil="1', "GainMapMax": ("<b>",)})
    assert b'x:evil="1"' not in xmp and b"<b>" not in xmp
    assert gainmap.hdrgm_fields(xmp) == {"Version": '1.0" x:evil="1', "GainMapMax": ("<b>",)}


@pytest.mark.parametrize("block", [b"MM\x00*\x00\x00\x00\x08\x00\x03\xb0", b"II*\x00\xff\xff\xff\x00", b"MM"])
def test_a_truncated_mpf_block_has_no_entries(block):
    assert gainmap.mp_entries(block) == []


@pytest.mark.parametrize("order", [">", "<"])
def test_mp_entries_read_either_byte_order(order):
    magic = b"MM\x00*" if order == ">" else b"II*\x00"
    entries_at = 8 + 2 + 12 * 3 + 4
    block = magic + struct.pack(order + "I", 8) + struct.pack(order + "H", 3)
    block += struct.pack(order + "HHI", 0xB000, 7, 4) + b"0100"
    block += struct.pack(order + "HHII", 0xB001, 4, 1, 2)
    block += struct.pack(order + "HHII", 0xB002, 7, 32, entries_at) + struct.pack(order + "I", 0)
    block += struct.pack(order + "IIIHH", 0x030000, 5000, 0, 0, 0) + struct.pack(order + "IIIHH", 0, 700, 4900, 0, 0)
    assert gainmap.mp_entries(block) == [(0x030000, 5000, 0), (0, 700, 4900)]


def test_a_block_that_is_not_mpf_has_no_entries():
    assert gainmap.mp_entries(b"XX\x00*\x00\x00\x00\x08") == []


@pytest.mark.parametrize("gamma", ["0", "-1", "nan", "inf"])
def test_a_gain_map_with_an_impossible_gamma_is_not_used(gamma):
    fields = gainmap.hdrgm_fields(gainmap.gain_map_xmp({"GainMapMax": "2", "HDRCapacityMax": "2", "Gamma": gamma}))
    assert gainmap._numbers(fields) is False
    assert gainmap._numbers({**fields, "Gamma": "1"}) is True
