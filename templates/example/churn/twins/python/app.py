"""Churn prediction, the Python twin of the Rust function.

Scores each customer of a Kinesis batch with the logistic-regression model in model.json and
sends every prediction to SQS. Same model, same order of arithmetic, same messages: only the
runtime differs.
"""

import base64
import json
import logging
import math
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

NUMERIC = ("tenure_months", "monthly_charges", "total_charges", "support_calls", "num_services")
BOOLEAN = ("senior_citizen", "paperless_billing")
LEVELS = {
    "contract": ("month-to-month", "one-year", "two-year"),
    "payment_method": ("electronic-check", "mailed-check", "bank-transfer", "credit-card"),
    "internet_service": ("fiber-optic", "dsl", "none"),
}
# The smallest value of each numeric field; the counts among them must be integers.
MINIMUM = {
    "tenure_months": 0,
    "monthly_charges": 0,
    "total_charges": 0,
    "support_calls": 0,
    "num_services": 1,
}
COUNTS = frozenset(("tenure_months", "support_calls", "num_services"))

# SendMessageBatch takes at most 10 entries, and at most 10 requests go out at once.
CHUNK_SIZE = 10
MAX_IN_FLIGHT = 10

logger = logging.getLogger()


def _is_number(value: Any) -> bool:
    """A finite JSON number; bool is an int subclass in Python but a different JSON type."""
    return type(value) in (int, float) and -sys.float_info.max <= value <= sys.float_info.max


def _same_members(values: list[Any], wanted: tuple[str, ...]) -> bool:
    """Same length and every wanted value present: with distinct `wanted`, each is there once."""
    return len(values) == len(wanted) and all(value in values for value in wanted)


def _section_problem(
    model: dict[str, Any],
    section: str,
    features: tuple[str, ...],
    check: Callable[[dict[str, Any]], str | None],
) -> str | None:
    """model[section] lists each of `features` once; `check` says what else is wrong."""
    entries = model.get(section)
    if not isinstance(entries, list) or not _same_members(
        [entry.get("feature") if isinstance(entry, dict) else None for entry in entries],
        features,
    ):
        return f'"{section}" must list each of {", ".join(features)} once'
    for entry in entries:
        problem = check(entry)
        if problem:
            return f'{section} "{entry["feature"]}": {problem}'
    return None


def _numeric_problem(entry: dict[str, Any]) -> str | None:
    numbers = all(_is_number(entry.get(key)) for key in ("mean", "std", "weight"))
    fine = numbers and entry["std"] > 0
    return None if fine else "mean, std and weight must be finite numbers, std > 0"


def _boolean_problem(entry: dict[str, Any]) -> str | None:
    return None if _is_number(entry.get("weight")) else "weight must be a finite number"


def _categorical_problem(entry: dict[str, Any]) -> str | None:
    levels = LEVELS[entry["feature"]]
    weights = entry.get("weights")
    fine = (
        isinstance(weights, dict)
        and _same_members(list(weights), levels)
        and all(_is_number(weights[level]) for level in levels)
    )
    if fine:
        return None
    return f"weights must give a finite number for each of {', '.join(levels)}, and nothing else"


def _model_problem(model: Any) -> str | None:
    if not isinstance(model, dict):
        return "not a JSON object"
    if not isinstance(model.get("version"), str) or not model["version"]:
        return '"version" must be a non-empty string'
    if not (_is_number(model.get("threshold")) and 0 < model["threshold"] < 1):
        return '"threshold" must be a number between 0 and 1 (exclusive)'
    if not _is_number(model.get("intercept")):
        return '"intercept" must be a finite number'
    return (
        _section_problem(model, "numeric", NUMERIC, _numeric_problem)
        or _section_problem(model, "boolean", BOOLEAN, _boolean_problem)
        or _section_problem(model, "categorical", tuple(LEVELS), _categorical_problem)
    )


def _load_model(path: Path) -> dict[str, Any]:
    """model.json, checked as the contract asks; raises one line naming the first problem."""
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the churn model {path}: {error}") from error
    problem = _model_problem(model)
    if problem:
        raise ValueError(f"invalid churn model {path}: {problem}")
    return model


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"environment variable {name} is not set: template.yaml sets it for the deployed "
            "function; set it yourself when running locally"
        )
    return value


# Init once: the model, the queue, the client and the threads live as long as the execution
# environment and every invocation reuses them. A bad model or a missing queue fails the init.
MODEL = _load_model(Path(__file__).with_name("model.json"))
QUEUE_URL = _required_env("QUEUE_URL")
# Region, credentials and AWS_ENDPOINT_URL (for local emulators) come from the environment. One
# pooled connection per thread, so the chunks never wait for a connection.
SQS = boto3.client("sqs", config=Config(max_pool_connections=MAX_IN_FLIGHT))
EXECUTOR = ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT)


class InvalidRecord(ValueError):
    """A record that is not a customer as the contract has it: reported, never scored."""


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _customer_problem(customer: Any) -> str | None:
    if not isinstance(customer, dict):
        return "not a JSON object"
    customer_id = customer.get("customer_id")
    if not isinstance(customer_id, str) or not customer_id:
        return "customer_id must be a non-empty string"
    for field in NUMERIC:
        value = customer.get(field)
        count = field in COUNTS
        # A JSON number is a number: 14.0 counts as 14, as it does in JavaScript.
        fine = _is_number(value) and (not count or float(value).is_integer())
        if not fine or value < MINIMUM[field]:
            return f"{field} must be {'an integer' if count else 'a number'} >= {MINIMUM[field]}"
    for field in BOOLEAN:
        if type(customer.get(field)) is not bool:
            return f"{field} must be true or false"
    for field, levels in LEVELS.items():
        if customer.get(field) not in levels:
            return f"{field} must be one of {', '.join(levels)}"
    return None


def _read_customer(data: Any) -> dict[str, Any]:
    """A record's base64 data as a customer; InvalidRecord says what is wrong with it."""
    try:
        # NaN and Infinity are not JSON, though Python's parser takes them by default.
        customer = json.loads(base64.b64decode(data), parse_constant=_reject_constant)
    except (ValueError, TypeError) as error:
        raise InvalidRecord(f"not JSON: {error}") from error
    problem = _customer_problem(customer)
    if problem:
        raise InvalidRecord(problem)
    return customer


def _prediction_message(customer: dict[str, Any]) -> str:
    """The message body: the contract's keys in its order, without whitespace."""
    z = MODEL["intercept"]
    for n in MODEL["numeric"]:
        z += n["weight"] * ((customer[n["feature"]] - n["mean"]) / n["std"])
    for b in MODEL["boolean"]:
        if customer[b["feature"]]:
            z += b["weight"]
    for c in MODEL["categorical"]:
        z += c["weights"][customer[c["feature"]]]
    try:
        probability = 1.0 / (1.0 + math.exp(-z))
    except OverflowError:  # z below about -709: JavaScript and Rust get exp = inf, so 0.
        probability = 0.0
    label = "churn" if probability >= MODEL["threshold"] else "stay"
    message = {
        "customer_id": customer["customer_id"],
        "probability": probability,
        "label": label,
        "model_version": MODEL["version"],
    }
    # Non-ASCII as is, not \u-escaped: the bytes then match JavaScript's and Rust's.
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def _send_chunk(entries: list[dict[str, str]]) -> list[tuple[int, str]]:
    """Sends one chunk; returns (record index, reason) for each entry that failed."""
    try:
        response = SQS.send_message_batch(QueueUrl=QUEUE_URL, Entries=entries)
    except (BotoCoreError, ClientError) as error:
        return [(int(entry["Id"]), f"SendMessageBatch failed: {error}") for entry in entries]
    return [
        (int(entry["Id"]), f"SQS rejected it: {entry['Code']}: {entry.get('Message')}")
        for entry in response.get("Failed", [])
    ]


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    records = event["Records"]
    failed: set[int] = set()

    def fail(index: int, reason: str) -> None:
        failed.add(index)
        logger.warning("record %s failed: %s", records[index]["kinesis"]["sequenceNumber"], reason)

    entries = []
    for index, record in enumerate(records):
        try:
            customer = _read_customer(record["kinesis"]["data"])
        except InvalidRecord as invalid:
            fail(index, f"invalid record: {invalid}")
        else:
            entries.append({"Id": str(index), "MessageBody": _prediction_message(customer)})

    chunks = [entries[start : start + CHUNK_SIZE] for start in range(0, len(entries), CHUNK_SIZE)]
    # The pool's 10 threads bound the requests in flight.
    for failures in EXECUTOR.map(_send_chunk, chunks):
        for index, reason in failures:
            fail(index, reason)

    # Lambda retries the shard from the lowest failed sequence number: report them in record order.
    return {
        "batchItemFailures": [
            {"itemIdentifier": record["kinesis"]["sequenceNumber"]}
            for index, record in enumerate(records)
            if index in failed
        ]
    }
