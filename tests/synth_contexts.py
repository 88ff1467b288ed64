"""Every CDK context the suite synthesizes, in one place, so that the session can synthesize them
all in one process before the tests that read them start (tests/conftest.py).

A context listed here and one a test passes are the same dict, so both hash to the same cached
assembly (imgfan.synth); one missing here is still synthesized, alone, when its test asks.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INFRA_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "infra"

# The test stack: a short presets cache, so tests that push presets do not leak them into the
# next test; transient failures waited out with waits of at most 3 s, so a test sees an image
# recover seconds after its fault ends (the default cap is 300 s).
TEST_STACK = {"presetsCacheSeconds": "1", "retryMaxDelaySeconds": "3", "retryPatienceMinutes": "15"}

STANDARD = {"nag": "true"}
EXPRESS = {"nag": "true", "workflowType": "EXPRESS"}
# Every optional feature on at once, to keep the number of synths small; its presets use
# source/output prefixes, two suffixes and max_concurrency 7.
HARDENED = {"nag": "true", "kmsKey": "true", "alarmEmail": "ops@example.com", "cdn": "true", "resizerMemory": "2048",
            "resizerTimeout": "90", "dispatcherTimeout": "20", "logRetentionDays": "90",
            "presetsFile": str(INFRA_FIXTURES / "presets-prefixed.json")}

NO_PRESETS_CACHE = {"nag": "true", "presetsCacheSeconds": "0"}
DISPATCHER_CONCURRENCY = {"dispatcherMaxConcurrency": "3"}
EXISTING_BUCKET = {"nag": "true", "presetsFile": str(INFRA_FIXTURES / "presets-existing-bucket.json")}
EVENT_BUS = {"eventBus": "arn:aws:events:eu-west-1:111122223333:event-bus/apps"}
CDN_CORS = {"cdn": "true", "cdnCorsOrigins": "https://app.example.com,https://admin.example.com"}
PREFIXED = {"presetsFile": str(INFRA_FIXTURES / "presets-prefixed.json")}
# `imgfan demo` (tests/cloud/test_demo.py) deploys the app as it is.
DEFAULT: dict[str, str] = {}

PREPARED = [TEST_STACK, STANDARD, EXPRESS, HARDENED, NO_PRESETS_CACHE, DISPATCHER_CONCURRENCY, EXISTING_BUCKET,
            EVENT_BUS, CDN_CORS, PREFIXED, DEFAULT]
