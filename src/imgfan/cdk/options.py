"""The construct's settings, validated by one pydantic model.

``ImageVariants`` takes them as keyword arguments (``resizer_memory=2048``); the repository's
own stack reads the same fields from CDK context in camelCase (``-c resizerMemory=2048``,
``infra/settings.py``). Values from the command line arrive as strings and from cdk.json as
JSON values, so each kind of value ("512" or 512, "true" or true) is parsed by one function here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# SSM's default GetParameter throughput per account and region (the higher throughput setting
# raises it, at a price): the dispatchers' presets reads must stay under it at any concurrency.
SSM_GET_PARAMETER_PER_SECOND = 40
# Express executions last at most 5 minutes
# (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html).
EXPRESS_PATIENCE_MINUTES = 4
STANDARD_PATIENCE_MINUTES = 12 * 60


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


def whole(low: int, high: int) -> BeforeValidator:
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


def one_of(choices: tuple[str, ...]) -> BeforeValidator:
    def parse(value: Any) -> str:
        text = str(value).strip().upper()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return BeforeValidator(parse)


def _origins(value: Any) -> tuple[str, ...]:
    """Origins for Access-Control-Allow-Origin: '*', or https://… entries, comma-separated in a
    string or as a list; empty for none."""
    parts = value if isinstance(value, (list, tuple)) else str(value).split(",")
    origins = tuple(str(part).strip() for part in parts if str(part).strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("https://", "http://")):
            raise ValueError(f"expected '*' or origins like https://app.example.com, got {origin!r}")
    return origins


Flag = Annotated[bool, BeforeValidator(_flag)]
MemoryMb = Annotated[int, whole(128, 10240)]
TimeoutS = Annotated[int, whole(1, 900)]


@dataclass(frozen=True)
class FunctionSettings:
    memory_mb: int
    timeout_s: int


class Options(BaseModel):
    """Field names are the construct's keyword arguments; their camelCase aliases the context keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    workflow_type: Annotated[str, one_of(WORKFLOW_TYPES)] = "STANDARD"
    log_level: Annotated[str, one_of(LOG_LEVELS)] = "INFO"
    access_logs: Flag = True
    resizer_error_threshold: Annotated[int, whole(1, 100000)] = 5
    bad_upload_threshold: Annotated[int, whole(1, 100000)] = 10
    presets_cache_seconds: Annotated[int, whole(0, 3600)] = 30
    # Concurrent dispatchers the queue may run (the event source's MaximumConcurrency; Lambda
    # accepts 2 to 1000). One dispatcher hands a batch of 10 over in ~0.3 s, ~30 StartExecution
    # calls a second, so 10 of them meet StartExecution's 300/s refill; more only get throttled.
    dispatcher_max_concurrency: Annotated[int, whole(2, 1000)] = 10
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
    # recorded as failed, and the longest single wait (imgfan/cdk/retry.py). Default: 12 hours on
    # STANDARD; an EXPRESS execution stops after 5 minutes, so there it is 4 at most.
    retry_patience_minutes: Annotated[int | None, whole(1, 7 * 24 * 60)] = None
    retry_max_delay_seconds: Annotated[int, whole(1, 3600)] = 300

    @field_validator("retry_patience_minutes")
    @classmethod
    def _patience_fits_the_workflow(cls, minutes: int | None, info: ValidationInfo) -> int | None:
        if minutes is not None and info.data.get("workflow_type") == "EXPRESS" and minutes > EXPRESS_PATIENCE_MINUTES:
            raise ValueError(
                f"an EXPRESS execution stops after 5 minutes, so it cannot wait {minutes} minutes; use at most "
                f"{EXPRESS_PATIENCE_MINUTES}, or workflowType=STANDARD to ride out long throttles")
        return minutes

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

    @property
    def retry_patience_seconds(self) -> int:
        default = EXPRESS_PATIENCE_MINUTES if self.workflow_type == "EXPRESS" else STANDARD_PATIENCE_MINUTES
        return 60 * (self.retry_patience_minutes or default)

    @property
    def functions(self) -> dict[str, FunctionSettings]:
        return {
            "dispatcher": FunctionSettings(self.dispatcher_memory, self.dispatcher_timeout),
            "resizer": FunctionSettings(self.resizer_memory, self.resizer_timeout),
            "finalizer": FunctionSettings(self.finalizer_memory, self.finalizer_timeout),
            "cleaner": FunctionSettings(self.cleaner_memory, self.cleaner_timeout),
        }


def read_options(given: dict[str, Any]) -> Options:
    """``Options`` from keyword arguments; SettingsError names each bad argument by its own name."""
    from pydantic import ValidationError

    try:
        return Options.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        names = {field.alias: name for name, field in Options.model_fields.items()}
        problems = []
        for error in exc.errors():
            name = names.get(str(error["loc"][0]), str(error["loc"][0]))
            message = error["ctx"]["error"] if error["type"] == "value_error" else error["msg"]
            problems.append(f"{name}: {message}")
        raise SettingsError("ImageVariants: " + "; ".join(problems)) from None
