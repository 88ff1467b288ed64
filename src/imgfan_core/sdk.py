"""The AWS SDK a function runs must know the S3 requests the function sends.

The layer bundles the pinned boto3/botocore (``src/imgfan/cdk/layer_requirements.txt``), and Lambda puts
``/opt/python`` ahead of the runtime's own SDK on ``sys.path``. Should a function still run on
another botocore (deployed without the layer, say), one from before late 2024 does not know
PutObject's ``IfMatch``/``IfNoneMatch``: the finalizer's compare-and-swap of the manifest would
fail only at its first write, as a ParamValidationError after every variant was rendered.
Checked at init, it fails at once and names the SDK. The check reads the S3 model that creating
the client loaded already; the first ``put_object`` would build the same operation model.
"""

from __future__ import annotations

from typing import Any

import botocore

CONDITIONAL_WRITE_PARAMETERS = ("IfMatch", "IfNoneMatch")


class SdkTooOld(RuntimeError):
    """The botocore in use cannot send a request this function depends on."""


def require_conditional_writes(s3: Any) -> None:
    """Raise ``SdkTooOld`` unless ``s3`` (a boto3 S3 client) can send conditional PutObjects."""
    members = s3.meta.service_model.operation_model("PutObject").input_shape.members
    missing = [name for name in CONDITIONAL_WRITE_PARAMETERS if name not in members]
    if missing:
        raise SdkTooOld(
            f"botocore {botocore.__version__} ({botocore.__file__}) has no PutObject {' or '.join(missing)}: "
            "S3 conditional writes need a botocore from late 2024 or newer. Deploy this function with the "
            "imgfan layer, which bundles the pinned SDK (src/imgfan/cdk/layer_requirements.txt)."
        )
