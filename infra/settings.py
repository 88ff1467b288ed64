"""Context settings of the imgfan stack, read once and validated.

Every setting can be given as ``--context key=value`` (``cdk`` or ``imgfan synth``) or in
``cdk.json``. Values arrive as strings from the command line, so they are parsed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

FUNCTIONS = ("dispatcher", "resizer", "finalizer", "cleaner")
# (memory MB, timeout s). The resizer decodes up to 50 MP images: memory also buys CPU on Lambda.
FUNCTION_DEFAULTS = {
    "dispatcher": (256, 30),
    "resizer": (1536, 60),
    "finalizer": (256, 30),
    "cleaner": (256, 60),
}
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# CloudWatch Logs accepts only these retention periods (days -> aws_logs.RetentionDays member).
RETENTION_NAMES = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class FunctionSettings:
    memory_mb: int
    timeout_s: int


@dataclass(frozen=True)
class Settings:
    presets_file: Path
    workflow_type: str = "STANDARD"
    kms_key: bool = False
    alarm_email: str | None = None
    alarm_topic_arn: str | None = None
    log_level: str = "INFO"
    log_retention_days: int = 30
    destroy_buckets: bool = False
    access_logs: bool = True
    resizer_error_threshold: int = 5
    presets_cache_seconds: int = 30
    nag: bool = False
    functions: dict[str, FunctionSettings] = field(default_factory=dict)


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise SettingsError(f"context {key}: expected true or false, got {value!r}")


def _int(key: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SettingsError(f"context {key}: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"context {key}: must be between {low} and {high}, got {number}")
    return number


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip().upper()
    if text not in choices:
        raise SettingsError(f"context {key}: expected one of {', '.join(choices)}, got {value!r}")
    return text


def read_settings(get: Callable[[str], Any], cwd: Path) -> Settings:
    """``get`` is ``node.try_get_context``; relative paths are relative to ``cwd``."""

    def value(key: str, default: Any) -> Any:
        found = get(key)
        return default if found is None else found

    presets_file = Path(str(value("presetsFile", "presets.json")))
    if not presets_file.is_absolute():
        presets_file = cwd / presets_file
    functions = {}
    for name in FUNCTIONS:
        memory, timeout = FUNCTION_DEFAULTS[name]
        functions[name] = FunctionSettings(
            memory_mb=_int(f"{name}Memory", value(f"{name}Memory", memory), 128, 10240),
            timeout_s=_int(f"{name}Timeout", value(f"{name}Timeout", timeout), 1, 900),
        )
    retention = _int("logRetentionDays", value("logRetentionDays", 30), 1, 3653)
    if retention not in RETENTION_NAMES:
        raise SettingsError(f"context logRetentionDays: CloudWatch accepts {', '.join(map(str, RETENTION_NAMES))}")
    alarm_topic = value("alarmTopic", None)
    if alarm_topic is not None and not str(alarm_topic).startswith("arn:"):
        raise SettingsError(f"context alarmTopic: expected an SNS topic ARN, got {alarm_topic!r}")
    alarm_email = value("alarmEmail", None)
    if alarm_email is not None and "@" not in str(alarm_email):
        raise SettingsError(f"context alarmEmail: expected an e-mail address, got {alarm_email!r}")
    return Settings(
        presets_file=presets_file,
        workflow_type=_choice("workflowType", value("workflowType", "STANDARD"), WORKFLOW_TYPES),
        kms_key=_bool("kmsKey", value("kmsKey", False)),
        alarm_email=str(alarm_email) if alarm_email else None,
        alarm_topic_arn=str(alarm_topic) if alarm_topic else None,
        log_level=_choice("logLevel", value("logLevel", "INFO"), LOG_LEVELS),
        log_retention_days=retention,
        destroy_buckets=_bool("destroyBuckets", value("destroyBuckets", False)),
        access_logs=_bool("accessLogs", value("accessLogs", True)),
        resizer_error_threshold=_int("resizerErrorThreshold", value("resizerErrorThreshold", 5), 1, 100000),
        presets_cache_seconds=_int("presetsCacheSeconds", value("presetsCacheSeconds", 30), 0, 3600),
        nag=_bool("nag", value("nag", False)),
        functions=functions,
    )
