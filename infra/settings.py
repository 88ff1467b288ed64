"""Context settings of the imgfan stack, read once and validated by one pydantic model.

Every setting can be given as ``--context key=value`` (``cdk`` or ``imgfan synth``) or in
``cdk.json``. Values arrive as strings from the command line and as JSON values from cdk.json,
so each kind of value ("512" or 512, "true" or true) is parsed by one function below. A key that
is not a setting is refused: a misspelt ``workflowtype`` would otherwise deploy the default.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Mapping

from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

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
# Context keys that CDK itself puts next to ours, besides feature flags ('@...') and keys with a
# ':' (its own switches such as aws:cdk:version-reporting, and cached lookups): what
# `cdk acknowledge` and `cdk cli-telemetry` store in cdk.context.json, which the CDK CLI passes on.
CDK_KEYS = frozenset({"acknowledged-issue-numbers", "cli-telemetry"})


class SettingsError(ValueError):
    pass


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _whole(low: int, high: int) -> BeforeValidator:
    def parse(value: Any) -> int:
        # int(str(...)) rather than pydantic's int: 512.0 and true are mistakes, not 512 and 1.
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}, got {number}")
        return number

    return BeforeValidator(parse)


def _one_of(choices: tuple[str, ...]) -> BeforeValidator:
    def parse(value: Any) -> str:
        text = str(value).strip().upper()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return BeforeValidator(parse)


def _email(value: Any) -> str:
    if "@" not in str(value):
        raise ValueError(f"expected an e-mail address, got {value!r}")
    return str(value)


def _sns_topic_arn(value: Any) -> str:
    if not str(value).startswith("arn:"):
        raise ValueError(f"expected an SNS topic ARN, got {value!r}")
    return str(value)


def _cloudwatch_retention(days: int) -> int:
    if days not in RETENTION_NAMES:
        raise ValueError(f"CloudWatch accepts {', '.join(map(str, RETENTION_NAMES))}")
    return days


def _event_bus(value: Any) -> str:
    text = str(value).strip()
    if not text or (not text.startswith("arn:") and "/" in text):
        raise ValueError(f"expected an EventBridge bus name (e.g. default) or a bus ARN, got {value!r}")
    return text


def _origins(value: Any) -> tuple[str, ...]:
    """Comma-separated origins for Access-Control-Allow-Origin: '*', or https://… entries; '' for none."""
    origins = tuple(part.strip() for part in str(value).split(",") if part.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("https://", "http://")):
            raise ValueError(f"expected '*' or origins like https://app.example.com, got {origin!r}")
    return origins


Flag = Annotated[bool, BeforeValidator(_flag)]
MemoryMb = Annotated[int, _whole(128, 10240)]
TimeoutS = Annotated[int, _whole(1, 900)]


# SSM's default GetParameter throughput per account and region (the higher throughput setting
# raises it, at a price): the dispatchers' presets reads must stay under it at any concurrency.
SSM_GET_PARAMETER_PER_SECOND = 40


# Express executions last at most 5 minutes
# (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html).
EXPRESS_PATIENCE_MINUTES = 4
STANDARD_PATIENCE_MINUTES = 12 * 60


@dataclass(frozen=True)
class FunctionSettings:
    memory_mb: int
    timeout_s: int


class Settings(BaseModel):
    """Field names are the context keys in snake_case (``workflow_type`` is ``workflowType``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel)

    presets_file: Annotated[Path, BeforeValidator(str)] = Field(Path("presets.json"), validate_default=True)
    workflow_type: Annotated[str, _one_of(WORKFLOW_TYPES)] = "STANDARD"
    kms_key: Flag = False
    alarm_email: Annotated[str | None, BeforeValidator(_email)] = None
    alarm_topic_arn: Annotated[str | None, BeforeValidator(_sns_topic_arn)] = Field(None, alias="alarmTopic")
    log_level: Annotated[str, _one_of(LOG_LEVELS)] = "INFO"
    log_retention_days: Annotated[int, _whole(1, 3653), AfterValidator(_cloudwatch_retention)] = 30
    destroy_buckets: Flag = False
    access_logs: Flag = True
    resizer_error_threshold: Annotated[int, _whole(1, 100000)] = 5
    bad_upload_threshold: Annotated[int, _whole(1, 100000)] = 10
    presets_cache_seconds: Annotated[int, _whole(0, 3600)] = 30
    # Concurrent dispatchers the queue may run (the event source's MaximumConcurrency; Lambda
    # accepts 2 to 1000). One dispatcher hands a batch of 10 over in ~0.3 s, ~30 StartExecution
    # calls a second, so 10 of them meet StartExecution's 300/s refill; more only get throttled.
    dispatcher_max_concurrency: Annotated[int, _whole(2, 1000)] = 10
    nag: Flag = False
    # The completion events' bus: a name in the stack's account and region, or a bus ARN.
    event_bus: Annotated[str, BeforeValidator(_event_bus)] = "default"
    cdn: Flag = False
    # Who may read variants cross-origin (canvas, fetch) through the CDN.
    cdn_cors_origins: Annotated[tuple[str, ...], BeforeValidator(_origins)] = ("*",)
    dispatcher_memory: MemoryMb = 256
    dispatcher_timeout: TimeoutS = 30
    # The resizer decodes up to 50 MP images: memory also buys CPU on Lambda.
    resizer_memory: MemoryMb = 1536
    resizer_timeout: TimeoutS = 60
    finalizer_memory: MemoryMb = 256
    finalizer_timeout: TimeoutS = 30
    cleaner_memory: MemoryMb = 256
    cleaner_timeout: TimeoutS = 60
    # How long a transient failure (throttling, a service error) is waited out before the image is
    # recorded as failed, and the longest single wait (infra/retry.py). Default: 12 hours on
    # STANDARD; an EXPRESS execution stops after 5 minutes, so there it is 4 at most.
    retry_patience_minutes: Annotated[int | None, _whole(1, 7 * 24 * 60)] = None
    retry_max_delay_seconds: Annotated[int, _whole(1, 3600)] = 300

    @field_validator("retry_patience_minutes")
    @classmethod
    def _patience_fits_the_workflow(cls, minutes: int | None, info: ValidationInfo) -> int | None:
        if minutes is not None and info.data.get("workflow_type") == "EXPRESS" and minutes > EXPRESS_PATIENCE_MINUTES:
            raise ValueError(
                f"an EXPRESS execution stops after 5 minutes, so it cannot wait {minutes} minutes; use at most "
                f"{EXPRESS_PATIENCE_MINUTES}, or workflowType=STANDARD to ride out long throttles")
        return minutes

    @property
    def retry_patience_seconds(self) -> int:
        default = EXPRESS_PATIENCE_MINUTES if self.workflow_type == "EXPRESS" else STANDARD_PATIENCE_MINUTES
        return 60 * (self.retry_patience_minutes or default)

    @field_validator("dispatcher_max_concurrency")
    @classmethod
    def _presets_reads_within_ssm_quota(cls, concurrency: int, info: ValidationInfo) -> int:
        # Each warm dispatcher reads the presets at most once per cache period, or once per batch
        # (at least the 1 s batching window) with no cache: the most reads a second there can be.
        cache_seconds = info.data.get("presets_cache_seconds")
        if cache_seconds is not None and concurrency / max(cache_seconds, 1) > SSM_GET_PARAMETER_PER_SECOND:
            raise ValueError(
                f"{concurrency} dispatchers reading the presets every {max(cache_seconds, 1)} s could call SSM "
                f"GetParameter more than its default {SSM_GET_PARAMETER_PER_SECOND}/s; raise presetsCacheSeconds to "
                f"at least {-(-concurrency // SSM_GET_PARAMETER_PER_SECOND)} or lower dispatcherMaxConcurrency")
        return concurrency

    @field_validator("presets_file")
    @classmethod
    def _relative_to_cwd(cls, path: Path, info: ValidationInfo) -> Path:
        return path if path.is_absolute() else info.context["cwd"] / path

    @property
    def functions(self) -> dict[str, FunctionSettings]:
        return {
            "dispatcher": FunctionSettings(self.dispatcher_memory, self.dispatcher_timeout),
            "resizer": FunctionSettings(self.resizer_memory, self.resizer_timeout),
            "finalizer": FunctionSettings(self.finalizer_memory, self.finalizer_timeout),
            "cleaner": FunctionSettings(self.cleaner_memory, self.cleaner_timeout),
        }


SETTING_KEYS = tuple(sorted(field.alias for field in Settings.model_fields.values() if field.alias))


def belongs_to_cdk(key: str) -> bool:
    return key.startswith("@") or ":" in key or key in CDK_KEYS


def _did_you_mean(key: str) -> str:
    # Compared in lower case, so a miscased key (workflowtype) finds its setting.
    by_lower = {name.lower(): name for name in SETTING_KEYS}
    close = difflib.get_close_matches(key.lower(), by_lower, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{by_lower[close[0]]}'?"
    return f"the settings are {', '.join(SETTING_KEYS)} (docs/deploy/settings.md)"


def _describe(error: ErrorDetails) -> str:
    key = error["loc"][0]
    if error["type"] == "extra_forbidden":
        return f"context {key}: not a setting of this stack; {_did_you_mean(str(key))}"
    if error["type"] == "value_error":
        return f"context {key}: {error['ctx']['error']}"
    return f"context {key}: {error['msg']}"


def read_settings(context: Mapping[str, Any], cwd: Path) -> Settings:
    """``context`` is the app's whole context (``app.node.get_all_context()``): CDK's own keys are
    skipped and every other key must be a setting. A relative presetsFile is relative to ``cwd``.

    SettingsError has one line per problem, each naming the key.
    """
    given = {
        key: value for key, value in context.items()
        # null in cdk.json leaves a setting at its default, as if it were absent.
        if not belongs_to_cdk(key) and (value is not None or key not in SETTING_KEYS)
    }
    try:
        return Settings.model_validate(given, context={"cwd": cwd})
    except ValidationError as exc:
        raise SettingsError("\n".join(_describe(error) for error in exc.errors())) from None
