"""The embedded cloud, imgfan's emulator of the AWS side: moto's server with the deployed stack,
a local Lambda runtime and its sandboxes, the SQS event-source poller, fault injection and the
IAM audit.

What moto is patched or read for lives in ``imgfan.local.moto``, the whole surface of a moto
upgrade. ``__all__`` names the modules other packages use; ``api_faults`` and ``worker`` (a
script each sandbox runs) are this package's own.
"""

__all__ = [
    "asset_zips",
    "cloud",
    "deploy",
    "fault_middleware",
    "faults",
    "iam_audit",
    "iam_calls",
    "lambda_runtime",
    "layer_imports",
    "moto",
    "sandbox",
    "sqs_poller",
    "tally",
    "unpacked_code",
]
