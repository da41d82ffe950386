"""Churn prediction, the Python twin of the Rust function.

Scores each customer of a Kinesis batch with the logistic-regression model in model.json and
sends every prediction to SQS. Same model, same order of arithmetic, same messages: only the
runtime differs.
"""

import base64
import json
import logging
import os
import re
import struct
import sys
import time
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
# Counts are u32 in the Rust function: the twins accept the same range.
MAX_COUNT = 4294967295

# SendMessageBatch takes at most 10 entries, and at most 10 requests go out at once.
CHUNK_SIZE = 10
MAX_IN_FLIGHT = 10
# A message SQS refuses through no fault of ours (throttling, an internal error) is sent up to 3
# times in all, 25 ms then 50 ms apart, as the Rust function and the Node.js twin do.
ENTRY_ATTEMPTS = 3
FIRST_BACKOFF_S = 0.025

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
# pooled connection per thread, so the chunks never wait for a connection. Retries as the other
# SDKs make them: 3 attempts in all, the first included (boto3's default "legacy" mode makes 5,
# and its `max_attempts` would count retries only).
SQS = boto3.client(
    "sqs",
    config=Config(
        max_pool_connections=MAX_IN_FLIGHT,
        retries={"mode": "standard", "total_max_attempts": 3},
    ),
)
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
        fine = _is_number(value) and (
            not count or (float(value).is_integer() and value <= MAX_COUNT)
        )
        if not fine or value < MINIMUM[field]:
            wanted = f"from {MINIMUM[field]} to {MAX_COUNT}" if count else f">= {MINIMUM[field]}"
            return f"{field} must be {'an integer' if count else 'a number'} {wanted}"
    for field in BOOLEAN:
        if type(customer.get(field)) is not bool:
            return f"{field} must be true or false"
    for field, levels in LEVELS.items():
        if customer.get(field) not in levels:
            return f"{field} must be one of {', '.join(levels)}"
    return None


# A \uD800-\uDFFF escape; only then does the slower check for lone surrogates run.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    """json.loads takes "\\ud800" alone, which is no character: Rust and JavaScript refuse it."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def _read_customer(data: Any) -> dict[str, Any]:
    """A record's base64 data as a customer; InvalidRecord says what is wrong with it."""
    try:
        # UTF-8 only, as in the Rust function: json.loads(bytes) would also take UTF-16 and a BOM.
        text = base64.b64decode(data).decode("utf-8")
        # NaN and Infinity are not JSON, though Python's parser takes them by default.
        customer = json.loads(text, parse_constant=_reject_constant)
        if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(customer):
            raise ValueError("lone surrogate in a string")
    except (ValueError, TypeError) as error:
        raise InvalidRecord(f"not JSON: {error}") from error
    problem = _customer_problem(customer)
    if problem:
        raise InvalidRecord(problem)
    return customer


def _prediction_message(customer: dict[str, Any]) -> str:
    """The message body: the contract's keys in its order, without whitespace, byte for byte
    what JSON.stringify writes in the Node.js twin (and the Rust function by hand)."""
    z = MODEL["intercept"]
    for n in MODEL["numeric"]:
        z += n["weight"] * ((customer[n["feature"]] - n["mean"]) / n["std"])
    for b in MODEL["boolean"]:
        if customer[b["feature"]]:
            z += b["weight"]
    for c in MODEL["categorical"]:
        z += c["weights"][customer[c["feature"]]]
    # Values too large for the model overflow the score: its probability would mean nothing.
    if not -sys.float_info.max <= z <= sys.float_info.max:
        raise InvalidRecord(f"its score is {_js_name(z)}: a value is too large for the model")
    probability = 1.0 / (1.0 + _exp(-z))
    label = "churn" if probability >= MODEL["threshold"] else "stay"
    # Non-ASCII as is, not \u-escaped: the bytes then match JavaScript's and Rust's.
    return "".join(
        (
            '{"customer_id":',
            json.dumps(customer["customer_id"], ensure_ascii=False),
            ',"probability":',
            _js_number(probability),
            ',"label":"',
            label,
            '","model_version":',
            json.dumps(MODEL["version"], ensure_ascii=False),
            "}",
        )
    )


def _js_name(x: float) -> str:
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


def _js_number(x: float) -> str:
    """A finite float as JavaScript's String(x) writes it: the shortest digits that read back to
    the same float (repr's), laid out by ECMAScript's rules: 0.5, 1, 0.000001, 1e-7, 1e+21."""
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # The value is 0.<digits> × 10^n.
    n = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    tail = "." + digits[1:] if k > 1 else ""
    return f"{sign}{digits[0]}{tail}e{'-' if n - 1 < 0 else '+'}{abs(n - 1)}"


# e^x as V8's Math.exp computes it (fdlibm's algorithm), written out so that the Rust function
# and the Node.js twin, which carry the same code, get the same bits: math.exp (the C library's)
# differs from V8's in the last bit for about one argument in ten.
_INFINITY = float("inf")
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_P1, _P2, _P3, _P4, _P5 = (
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
)


def _exp(x: float) -> float:
    if x != x:
        return x
    if x > 7.09782712893383973096e02:
        return _INFINITY
    if x < -7.45133219101941108420e02:
        return 0.0
    high = (struct.unpack("<Q", struct.pack("<d", x))[0] >> 32) & 0x7FFFFFFF
    negative = x < 0
    hi = lo = 0.0
    k = 0
    if high > 0x3FD62E42:
        if high < 0x3FF0A2B2:
            if x == 1.0:
                return 2.718281828459045
            hi, lo, k = (x + _LN2_HI, -_LN2_LO, -1) if negative else (x - _LN2_HI, _LN2_LO, 1)
        else:
            k = int(_INV_LN2 * x + (-0.5 if negative else 0.5))
            hi, lo = x - k * _LN2_HI, k * _LN2_LO
        x = hi - lo
    elif high < 0x3E300000:
        return 1.0 + x
    t = x * x
    c = x - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi)
    if k > 1023:
        return y * 2.0 * _power_of_two(k - 1)
    if k >= -1021:
        return y * _power_of_two(k)
    return y * _power_of_two(k + 1000) * _power_of_two(-1000)


def _power_of_two(k: int) -> float:
    """2^k for -1022 <= k <= 1023, built from its bits."""
    return struct.unpack("<d", struct.pack("<Q", (0x3FF + k) << 52))[0]



def _send_chunk(entries: list[dict[str, str]]) -> list[tuple[int, str]]:
    """Sends one chunk; returns (record index, reason) for each entry that failed: refused by
    SQS (after the attempts above when it was not our fault), or in a failed request (after the
    SDK's own retries)."""
    pending = entries
    unsent: list[tuple[int, str]] = []
    for attempt in range(1, ENTRY_ATTEMPTS + 1):
        try:
            response = SQS.send_message_batch(QueueUrl=QUEUE_URL, Entries=pending)
        except (BotoCoreError, ClientError) as error:
            reason = f"SendMessageBatch failed: {error}"
            return unsent + [(int(entry["Id"]), reason) for entry in pending]
        again = []
        for failed in response.get("Failed", []):
            if failed["SenderFault"] or attempt == ENTRY_ATTEMPTS:
                reason = f"SQS rejected it: {failed['Code']}: {failed.get('Message')}"
                unsent.append((int(failed["Id"]), reason))
            else:
                again.extend(entry for entry in pending if entry["Id"] == failed["Id"])
        if not again:
            break
        time.sleep(FIRST_BACKOFF_S * 2 ** (attempt - 1))
        pending = again
    return unsent


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    records = event["Records"]
    failed: set[int] = set()

    def fail(index: int, reason: str) -> None:
        failed.add(index)
        logger.warning("record %s failed: %s", records[index]["kinesis"]["sequenceNumber"], reason)

    entries = []
    for index, record in enumerate(records):
        try:
            message = _prediction_message(_read_customer(record["kinesis"]["data"]))
        except InvalidRecord as invalid:
            fail(index, f"invalid record: {invalid}")
        else:
            entries.append({"Id": str(index), "MessageBody": message})

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
