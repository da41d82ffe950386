"""Where a Python cold start goes: the Python twin's init (boto3, one SQS client configured as
the twin's), then two SendMessageBatch requests, with the process's CPU time (every thread) and
the wall time since the bench spawned it marked between phases."""

import json
import os
import time

SPAWNED_AT = float(os.environ["PROBE_SPAWNED_AT"])


def mark():
    return {"cpu": time.process_time() * 1000, "wall": time.time() * 1000 - SPAWNED_AT}


marks = {"start": mark()}
import boto3  # noqa: E402  (after the first mark: importing it is a phase)
from botocore.config import Config  # noqa: E402

marks["sdkImported"] = mark()
# As twins/python/app.py builds it: a pool for its ten threads, three attempts.
sqs = boto3.client("sqs", config=Config(max_pool_connections=10, retries={"mode": "standard", "total_max_attempts": 3}))
marks["client"] = mark()
ENTRIES = [{"Id": "0", "MessageBody": "{}"}]
sqs.send_message_batch(QueueUrl=os.environ["QUEUE_URL"], Entries=ENTRIES)
marks["firstSend"] = mark()
sqs.send_message_batch(QueueUrl=os.environ["QUEUE_URL"], Entries=ENTRIES)
marks["secondSend"] = mark()
print(json.dumps(marks))
