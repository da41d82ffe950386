"""A minimal Lambda runtime interface client for Python.

The bench runs a Python function under our Runtime API emulator as the python3.13 managed
runtime runs it:

    LAMBDA_TASK_ROOT=<function dir> _HANDLER=app.handler AWS_LAMBDA_RUNTIME_API=<host:port> \\
        python3 python_runtime.py

It imports the handler's module once (the init), then loops: take the next event, call the
handler, post its result or its error. Its own start-up counts in the function's cold start, so
it does what the real runtime does and nothing more: the standard library, one kept-alive
connection.
"""

import http.client
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any, Callable

PREFIX = "/2018-06-01/runtime"


class LambdaContext:
    """The attributes and the method of the context object Lambda passes to Python handlers."""

    def __init__(self, headers: http.client.HTTPMessage) -> None:
        self.aws_request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        self.invoked_function_arn = headers["Lambda-Runtime-Invoked-Function-Arn"]
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = _json_header(headers, "Lambda-Runtime-Client-Context")
        self.identity = _json_header(headers, "Lambda-Runtime-Cognito-Identity")
        self._deadline_ms = int(headers["Lambda-Runtime-Deadline-Ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _json_header(headers: http.client.HTTPMessage, name: str) -> Any:
    value = headers.get(name)
    return None if value is None else json.loads(value)


class RuntimeApi:
    """The Runtime API over one connection, kept alive as long as each reply is read whole."""

    def __init__(self, address: str) -> None:
        self._connection = http.client.HTTPConnection(address)

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[http.client.HTTPMessage, bytes]:
        self._connection.request(method, PREFIX + path, body=body, headers=headers or {})
        response = self._connection.getresponse()
        return response.headers, response.read()

    def post_error(self, path: str, error: BaseException) -> None:
        """The error document Lambda expects; the exception's class is its type, as in Lambda."""
        error_type = getattr(error, "error_type", type(error).__name__)
        document = {
            "errorType": error_type,
            "errorMessage": str(error),
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
        body = json.dumps(document).encode()
        self.call("POST", path, body, {"Lambda-Runtime-Function-Error-Type": error_type})


class RuntimeFault(Exception):
    """An init failure that Lambda reports with a Runtime.* type of its own."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def load_handler(spec: str) -> Callable[[Any, LambdaContext], Any]:
    """`app.handler` -> the function `handler` of the module app in the task root."""
    module_name, _, function_name = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        message = f"Unable to import module '{module_name}': {error}"
        raise RuntimeFault("Runtime.ImportModuleError", message) from error
    handler = getattr(module, function_name, None)
    if not callable(handler):
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise RuntimeFault("Runtime.HandlerNotFound", message)
    return handler


def main() -> None:
    api = RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"])
    # Lambda's runtime writes each print at once; a pipe would otherwise hold it back.
    sys.stdout.reconfigure(line_buffering=True)
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    spec = os.environ.get("_HANDLER", "")
    try:
        handler = load_handler(spec)
    except Exception as error:  # whatever the module raises at import fails the init
        print(f"init failed: {type(error).__name__}: {error}", file=sys.stderr)
        api.post_error("/init/error", error)
        sys.exit(1)

    while True:
        headers, event = api.call("GET", "/invocation/next")
        context = LambdaContext(headers)
        # The X-Ray SDK and Powertools read the trace id from here, as they do in Lambda.
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("Lambda-Runtime-Trace-Id", "")
        path = f"/invocation/{context.aws_request_id}"
        try:
            result = json.dumps(handler(json.loads(event), context)).encode()
        except Exception as error:  # the function's error is the invocation's answer
            print(f"invocation failed: {type(error).__name__}: {error}", file=sys.stderr)
            api.post_error(f"{path}/error", error)
        else:
            api.call("POST", f"{path}/response", result)


if __name__ == "__main__":
    main()
