"""imgfan.local.moto.speedups: its patches keep moto's answers the same; each only stops repeated work."""

from __future__ import annotations

import copy
import datetime
import os
from pathlib import Path

import moto

from imgfan.local.moto import speedups

DEFINITION = (Path(__file__).resolve().parents[2] / "statemachine" / "imgfan.asl.json").read_text()


def concrete(definition: str) -> str:
    """The repository's ASL with its substitutions filled, as deployed."""
    values = {"${TransientErrors}": '["TransientError"]', "${CrashErrors}": '["Runtime.ExitError"]',
              "${PermanentErrors}": '["NotAnImage"]', "${MaxConcurrency}": "4",
              "${RetryMaxDelaySeconds}": "300", "${RetryMaxAttempts}": "295"}
    for name in ("CleanerFunctionArn", "ResizerFunctionArn", "FinalizerFunctionArn"):
        values["${" + name + "}"] = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    for placeholder, value in values.items():
        definition = definition.replace(placeholder, value)
    return definition


def test_json_values_are_copied_deeply_and_anything_else_as_deepcopy_would():
    value = {"presets": [{"name": "thumb", "width": 200, "enlarge": False, "q": 0.5}], "none": None}
    copied = speedups.json_deepcopy(value)
    assert copied == value
    copied["presets"][0]["width"] = 1
    assert value["presets"][0]["width"] == 200
    with_date = {"StartTime": datetime.datetime(2026, 1, 1), "items": [1, 2]}
    assert speedups.json_deepcopy(with_date) == copy.deepcopy(with_date)


def test_one_parse_per_definition_with_every_heap_key_drawn():
    program = speedups.parsed_program(concrete(DEFINITION))
    assert speedups.parsed_program(concrete(DEFINITION)) is program
    assert speedups.parsed_program(concrete(DEFINITION).replace('"MaxConcurrency": 4', '"MaxConcurrency": 2')) \
        is not program
    undrawn = []

    def walk(node, seen):
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, speedups.EvalComponent) and node._EvalComponent__heap_key is None:
            undrawn.append(type(node).__name__)
        children = vars(node).values() if isinstance(node, speedups.Component) else (
            node.values() if isinstance(node, dict) else node)
        for child in children:
            if isinstance(child, (speedups.Component, list, tuple, dict)):
                walk(child, seen)

    walk(program, set())
    assert undrawn == []


def test_the_cached_module_list_is_moto_s_package_folders():
    speedups.cache_request_routing()
    folder = os.path.dirname(moto.__file__)
    expected = sorted(name for name in os.listdir(folder)
                      if os.path.isdir(os.path.join(folder, name)) and not name.startswith("__"))
    assert list(moto.backends.list_of_moto_modules()) == expected


def test_random_strings_keep_their_length_and_alphabet_and_follow_the_seed():
    import string

    from moto.moto_api._internal.moto_random import MotoRandom

    speedups.draw_random_strings_at_once()
    generator = MotoRandom()
    generator.seed(5)
    drawn = [generator.get_random_string(52), generator.get_random_string(8, include_digits=False, lower_case=True)]
    assert len(drawn[0]) == 52 and set(drawn[0]) <= set(string.ascii_letters + string.digits)
    assert len(drawn[1]) == 8 and set(drawn[1]) <= set(string.ascii_lowercase)
    generator.seed(5)
    assert [generator.get_random_string(52), generator.get_random_string(8, False, True)] == drawn


def test_the_sqs_clock_reads_moto_s_epoch_milliseconds_and_message_visibility_follows_it():
    from moto.core import utils as core_utils
    from moto.sqs import models as sqs_models

    speedups.read_the_sqs_clock_directly()
    before = core_utils.unix_time_millis()
    patched = sqs_models.unix_time_millis()
    after = core_utils.unix_time_millis()
    assert before - 1 <= patched <= after + 1
    fixed = datetime.datetime(2026, 12, 4, 12, 0, 0)
    assert sqs_models.unix_time_millis(fixed) == core_utils.unix_time_millis(fixed)
    message = sqs_models.Message("id", "body")
    assert message.visible and not message.delayed
    message.change_visibility(30)
    message.delay(30)
    assert not message.visible and message.delayed
