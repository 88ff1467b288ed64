"""CPU per S3 request through the embedded cloud's own HTTP stack, client and server apart.

    .venv/bin/python benchmarks/request_cost.py [--repeat 200]

The floor under the soak's efficiency: every request a function makes costs botocore's work in
the function (signing, serializing, parsing: billed Lambda time on AWS too) and werkzeug's, Flask's
and moto's in the process running moto. Both run here in one process on a free port, the server
built as the embedded cloud builds it (moto's app, imgfan's speed-ups, werkzeug's threaded server),
so thread CPU time splits them. Multiply by the soak's "S3 requests per image" for the floor per
image.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import boto3

from imgfan.local.cloud import free_port
from imgfan.local.moto import server, speedups

PHOTO = REPO / "src" / "imgfan" / "samples" / "jardin-royal-4k.jpg"
BUCKET = "request-cost"


def serve() -> str:
    speedups.apply()
    port = free_port()
    moto_server = server.make_server("127.0.0.1", port, lambda moto_app: moto_app)
    threading.Thread(target=moto_server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


def process_cpu() -> float:
    times = os.times()
    return times.user + times.system


def measure(call, repeat: int) -> tuple[float, float]:
    """(client ms, server ms) of CPU per call: this thread's CPU, and the rest of the process's."""
    call()
    process, thread = process_cpu(), time.thread_time()
    for _ in range(repeat):
        call()
    client = time.thread_time() - thread
    return client / repeat * 1000, (process_cpu() - process - client) / repeat * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    s3 = boto3.client("s3", endpoint_url=serve(), region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket=BUCKET)
    photo = PHOTO.read_bytes()
    s3.put_object(Bucket=BUCKET, Key="photo.jpg", Body=photo)
    for index in range(10):
        s3.put_object(Bucket=BUCKET, Key=f"out/{index}.webp", Body=b"x" * 1000)
    calls = {
        "HeadObject": lambda: s3.head_object(Bucket=BUCKET, Key="photo.jpg"),
        f"GetObject {len(photo) / 1e6:.1f} MB": lambda: s3.get_object(Bucket=BUCKET, Key="photo.jpg")["Body"].read(),
        "PutObject 100 KB": lambda: s3.put_object(Bucket=BUCKET, Key="out/v.webp", Body=photo[:100_000]),
        "ListObjectsV2 11 keys": lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix="out/"),
    }
    print(f"CPU ms per request, best of 3 x {args.repeat} (client = botocore in the caller; server = werkzeug, "
          "Flask and moto)")
    for name, call in calls.items():
        client, server = min((measure(call, args.repeat) for _ in range(3)), key=sum)
        print(f"  {name:24} client {client:5.2f}  server {server:5.2f}  total {client + server:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
