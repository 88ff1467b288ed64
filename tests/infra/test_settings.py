"""infra.settings: every context setting's default, its two spellings (a string from -c key=value,
a JSON value from cdk.json), every refusal message, and unknown keys. Read directly, without
synthesizing, except the last test, which goes through `imgfan synth`."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings import SettingsError, read_settings

CWD = Path("/project")
# The defaults as docs/deploy/settings.md lists them.
DEFAULTS = {
    "presets_file": CWD / "presets.json",
    "workflow_type": "STANDARD",
    "kms_key": False,
    "alarm_email": None,
    "alarm_topic_arn": None,
    "log_level": "INFO",
    "log_retention_days": 30,
    "destroy_buckets": False,
    "access_logs": True,
    "resizer_error_threshold": 5,
    "presets_cache_seconds": 30,
    "dispatcher_max_concurrency": 10,
    "nag": False,
}
FUNCTION_DEFAULTS = {"dispatcher": (256, 30), "resizer": (1536, 60), "finalizer": (256, 30), "cleaner": (256, 60)}
FUNCTIONS = tuple(FUNCTION_DEFAULTS)
# (key, low, high) of every whole-number setting.
RANGES = [
    *((f"{name}Memory", 128, 10240) for name in FUNCTIONS),
    *((f"{name}Timeout", 1, 900) for name in FUNCTIONS),
    ("logRetentionDays", 1, 3653),
    ("resizerErrorThreshold", 1, 100000),
    ("presetsCacheSeconds", 0, 3600),
    ("dispatcherMaxConcurrency", 2, 1000),
    ("retryPatienceMinutes", 1, 10080),
    ("retryMaxDelaySeconds", 1, 3600),
]
FLAGS = ["kmsKey", "destroyBuckets", "accessLogs", "nag"]
CLOUDWATCH_DAYS = ("1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
                   "2922, 3288, 3653")


def _refusal(context: dict) -> str:
    with pytest.raises(SettingsError) as failure:
        read_settings(context, CWD)
    return str(failure.value)


def _function(settings, key: str) -> int:
    """resizerMemory -> settings.functions['resizer'].memory_mb."""
    for name in FUNCTIONS:
        if key == f"{name}Memory":
            return settings.functions[name].memory_mb
        if key == f"{name}Timeout":
            return settings.functions[name].timeout_s
    raise AssertionError(f"{key} is not a function setting")


def test_an_empty_context_gives_every_default():
    settings = read_settings({}, CWD)
    assert {field: getattr(settings, field) for field in DEFAULTS} == DEFAULTS
    assert {name: (f.memory_mb, f.timeout_s) for name, f in settings.functions.items()} == FUNCTION_DEFAULTS


@pytest.mark.parametrize("key, as_string, as_json, field, expected", [
    ("workflowType", "express", "EXPRESS", "workflow_type", "EXPRESS"),
    ("logLevel", " debug ", "DEBUG", "log_level", "DEBUG"),
    ("kmsKey", "true", True, "kms_key", True),
    ("destroyBuckets", "yes", True, "destroy_buckets", True),
    ("accessLogs", "false", False, "access_logs", False),
    ("nag", "1", True, "nag", True),
    ("logRetentionDays", "90", 90, "log_retention_days", 90),
    ("resizerErrorThreshold", "12", 12, "resizer_error_threshold", 12),
    ("presetsCacheSeconds", "0", 0, "presets_cache_seconds", 0),
    ("dispatcherMaxConcurrency", "20", 20, "dispatcher_max_concurrency", 20),
    ("alarmEmail", "ops@example.com", "ops@example.com", "alarm_email", "ops@example.com"),
    ("alarmTopic", "arn:aws:sns:eu-west-1:123456789012:ops", "arn:aws:sns:eu-west-1:123456789012:ops",
     "alarm_topic_arn", "arn:aws:sns:eu-west-1:123456789012:ops"),
])
def test_a_setting_reads_the_same_from_a_string_and_from_json(key, as_string, as_json, field, expected):
    assert getattr(read_settings({key: as_string}, CWD), field) == expected
    assert getattr(read_settings({key: as_json}, CWD), field) == expected


@pytest.mark.parametrize("key", [f"{name}{kind}" for name in FUNCTIONS for kind in ("Memory", "Timeout")])
def test_function_settings_read_from_a_string_and_from_json(key):
    assert _function(read_settings({key: "300"}, CWD), key) == 300
    assert _function(read_settings({key: 300}, CWD), key) == 300


def test_presets_file_is_relative_to_the_working_directory():
    assert read_settings({"presetsFile": "custom/p.json"}, CWD).presets_file == CWD / "custom" / "p.json"
    assert read_settings({"presetsFile": "/etc/p.json"}, CWD).presets_file == Path("/etc/p.json")


def test_null_in_cdk_json_leaves_the_default():
    settings = read_settings({"resizerMemory": None, "workflowType": None}, CWD)
    assert settings.functions["resizer"].memory_mb == 1536
    assert settings.workflow_type == "STANDARD"


@pytest.mark.parametrize("key, low, high", RANGES)
def test_whole_numbers_accept_their_bounds_and_refuse_beyond(key, low, high):
    for accepted in (low, high):
        read_settings({key: str(accepted)}, CWD)
    for value, number in ((str(low - 1), low - 1), (high + 1, high + 1)):
        assert _refusal({key: value}) == f"context {key}: must be between {low} and {high}, got {number}"


@pytest.mark.parametrize("key", [key for key, _, _ in RANGES])
@pytest.mark.parametrize("value, shown", [("soon", "'soon'"), ("", "''"), (1.5, "1.5"), (True, "True")])
def test_whole_numbers_refuse_anything_else(key, value, shown):
    assert _refusal({key: value}) == f"context {key}: expected a whole number, got {shown}"


@pytest.mark.parametrize("key", FLAGS)
@pytest.mark.parametrize("value, shown", [("maybe", "'maybe'"), (2, "2"), ("t", "'t'")])
def test_flags_refuse_anything_but_true_or_false(key, value, shown):
    assert _refusal({key: value}) == f"context {key}: expected true or false, got {shown}"


@pytest.mark.parametrize("key, value, message", [
    ("workflowType", "SOMETIMES", "expected one of STANDARD, EXPRESS, got 'SOMETIMES'"),
    ("logLevel", "loud", "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'loud'"),
    ("logRetentionDays", "31", f"CloudWatch accepts {CLOUDWATCH_DAYS}"),
    ("alarmEmail", "ops.example.com", "expected an e-mail address, got 'ops.example.com'"),
    ("alarmTopic", "ops-topic", "expected an SNS topic ARN, got 'ops-topic'"),
])
def test_other_refusals_name_the_setting_and_what_it_takes(key, value, message):
    assert _refusal({key: value}) == f"context {key}: {message}"


def test_every_problem_gets_its_own_line():
    lines = _refusal({"kmsKey": "maybe", "resizerMemory": "64"}).splitlines()
    assert sorted(lines) == ["context kmsKey: expected true or false, got 'maybe'",
                             "context resizerMemory: must be between 128 and 10240, got 64"]


@pytest.mark.parametrize("key, suggested", [
    ("workflowtype", "workflowType"),
    ("workflow_type", "workflowType"),
    ("RESIZERMEMORY", "resizerMemory"),
    ("presetFile", "presetsFile"),
    ("alarmTopicArn", "alarmTopic"),
])
def test_a_misspelt_or_miscased_key_is_refused_with_a_suggestion(key, suggested):
    assert _refusal({key: "x"}) == f"context {key}: not a setting of this stack; did you mean '{suggested}'?"


def test_a_key_like_no_setting_is_refused_with_the_list_of_settings():
    message = _refusal({"colour": "blue"})
    assert message.startswith("context colour: not a setting of this stack; the settings are ")
    assert "presetsFile" in message and "workflowType" in message and "resizerMemory" in message


def test_memory_alone_is_refused_and_points_at_a_function_memory():
    message = _refusal({"memory": "512"})
    assert message.startswith("context memory: not a setting of this stack; did you mean '")
    assert message.endswith("Memory'?")


def test_keys_that_belong_to_cdk_are_not_settings_and_not_refused():
    # What the CDK CLI passes to every app (seen with aws-cdk 2.1148 against cdk.context.json):
    # feature flags, its own aws:cdk:* switches, cached lookups and cdk.context.json's bookkeeping.
    cdk_context = {
        "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
        "@aws-cdk/core:newStyleStackSynthesis": True,
        "aws:cdk:enable-path-metadata": True,
        "aws:cdk:enable-asset-metadata": True,
        "aws:cdk:version-reporting": True,
        "aws:cdk:bundling-stacks": ["**"],
        "availability-zones:account=123456789012:region=eu-west-1": ["eu-west-1a"],
        "acknowledged-issue-numbers": [12345],
        "cli-telemetry": False,
    }
    settings = read_settings({**cdk_context, "workflowType": "EXPRESS"}, CWD)
    assert settings.workflow_type == "EXPRESS"
    assert settings.kms_key is False and settings.nag is False


@pytest.mark.synth
def test_synth_refuses_a_miscased_setting_instead_of_deploying_the_default(capsys):
    from imgfan.cli import main

    assert main(["synth", "-c", "workflowtype=EXPRESS"]) == 1
    err = capsys.readouterr().err
    assert "context workflowtype: not a setting of this stack; did you mean 'workflowType'?" in err
    assert "Traceback" not in err


def test_dispatchers_can_never_read_the_presets_faster_than_ssm_allows():
    # The largest concurrency still within 40 GetParameter calls a second at the default 30 s cache.
    assert read_settings({"dispatcherMaxConcurrency": "1000"}, CWD).dispatcher_max_concurrency == 1000
    assert read_settings({"presetsCacheSeconds": "0", "dispatcherMaxConcurrency": "40"}, CWD).presets_cache_seconds == 0
    assert _refusal({"presetsCacheSeconds": "0", "dispatcherMaxConcurrency": "41"}) == (
        "context dispatcherMaxConcurrency: 41 dispatchers reading the presets every 1 s could call SSM GetParameter "
        "more than its default 40/s; raise presetsCacheSeconds to at least 2 or lower dispatcherMaxConcurrency")
    assert "raise presetsCacheSeconds to at least 25" in _refusal(
        {"presetsCacheSeconds": "20", "dispatcherMaxConcurrency": "1000"})
