"""Execution names: the same event always gets the same name, anything else a different one.

A redelivered SQS message must meet ExecutionAlreadyExists (same name), while a new upload of the
same key, even of identical bytes, must start a new execution (a different revision, a new name).
"""

from __future__ import annotations

import re

import pytest

from imgfan_core.keys import execution_name

# Step Functions' rule for names, restricted to what the console shows without escaping.
STEP_FUNCTIONS_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
IDENTITY = {"action": "render", "bucket": "uploads", "key": "photos/cat.jpg", "revision": "v1",
            "presets_digest": "e2429e7c6dd45a2c"}


def test_the_same_identity_gives_the_same_name():
    assert execution_name(**IDENTITY) == execution_name(**dict(IDENTITY))


@pytest.mark.parametrize(
    ("field", "other"),
    [("action", "delete"), ("bucket", "uploads-2"), ("key", "photos/dog.jpg"), ("revision", "v2"),
     ("presets_digest", "0000000000000000")],
)
def test_every_part_of_the_identity_changes_the_name(field, other):
    assert execution_name(**dict(IDENTITY, **{field: other})) != execution_name(**IDENTITY)


def test_keys_that_differ_only_in_the_folder_get_different_names():
    # The readable part keeps only the file name, so the folders must still tell them apart.
    first = execution_name(**dict(IDENTITY, key="2024/cat.jpg"))
    assert first != execution_name(**dict(IDENTITY, key="2025/cat.jpg"))


def test_the_name_starts_with_the_action_and_the_file_name():
    assert execution_name(**IDENTITY).startswith("render-cat.jpg-")


@pytest.mark.parametrize(
    "key",
    [
        "photos/" + "très long nom, avec des espaces & $ymbols " * 8 + ".jpg",
        "x" * 1000,
        "dir/%%%",
        "日本.png",
    ],
)
def test_awkward_keys_give_valid_step_functions_names(key):
    name = execution_name(**dict(IDENTITY, key=key))
    assert STEP_FUNCTIONS_NAME.fullmatch(name), name
