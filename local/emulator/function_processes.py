"""Each local Lambda function in worker processes of its own: its own environment and identity.

Handlers called in the emulator's process share one environment, so one set of credentials: every
function would act as one role. A function registered here (`serve_in_processes`) instead runs in
a small pool of `local.function_worker` processes started with exactly the environment given (the
function's configuration from the template and a session of its execution role, as Lambda hands
them over), so the emulator holds each function to its own role's policies. An invocation goes to
an idle worker of its function, or to a new one while the pool is below its size, else waits; a
worker that dies or outlives the function's timeout is killed and the invocation fails as Lambda's
would. Functions not registered (the emulator's own tests) still run in-process.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

from local.function_worker import LambdaContext, error_payload

#: Seconds a new worker may take to import its handler, on top of the function's timeout.
COLD_START_ALLOWANCE_S = 30.0

_registry: dict[str, FunctionProcesses] = {}
_registry_lock = threading.Lock()


class WorkerGone(Exception):
    """The worker exited, answered nonsense or took too long: it is killed and not reused."""


class _Worker:
    def __init__(self, handler: str, environment: Mapping[str, str], cwd: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [sys.executable, "-m", "local.function_worker", handler],
            env=dict(environment),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._ready = False

    def call(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        if not self._ready:
            ready = self._read(timeout_s + COLD_START_ALLOWANCE_S)
            if not ready.get("ready"):
                raise WorkerGone(f"the handler did not load: {ready.get('error')}")
            self._ready = True
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerGone("the worker exited") from exc
        return self._read(timeout_s)

    def _read(self, timeout_s: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        readable, _, _ = select.select([self.process.stdout], [], [], timeout_s)
        if not readable:
            raise TimeoutError
        line = self.process.stdout.readline()
        if not line:
            raise WorkerGone(f"the worker exited with status {self.process.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class FunctionProcesses:
    """Up to `size` warm workers of one function, each running one invocation at a time."""

    def __init__(
        self, function_name: str, handler: str, environment: Mapping[str, str], cwd: str, size: int = 2
    ) -> None:
        self.function_name = function_name
        self.handler = handler
        self.environment = dict(environment)
        self._cwd = cwd
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._stopped = False

    def warm(self) -> None:
        """Start one worker now, so the first invocation finds its imports done."""
        with self._lock:
            if not self._idle and not self._stopped:
                worker = _Worker(self.handler, self.environment, self._cwd)
                self._all.add(worker)
                self._idle.append(worker)

    def invoke(self, event: Any, context: LambdaContext) -> tuple[str, bool, str]:
        """(JSON payload, errored, logs) of one invocation, as `lambda_runtime.run_handler` gives."""
        request = {"event": event, "context": context.fields()}
        with self._slots:
            worker = self._take()
            try:
                answer = worker.call(request, context.timeout_seconds)
            except TimeoutError:
                self._discard(worker)
                message = f"Task timed out after {context.timeout_seconds:.2f} seconds"
                return error_payload("Sandbox.Timedout", message), True, ""
            except WorkerGone as exc:
                self._discard(worker)
                return error_payload("Runtime.ExitError", f"{self.function_name}: {exc}"), True, ""
            with self._lock:
                self._idle.append(worker)
        return str(answer["payload"]), bool(answer["errored"]), str(answer["logs"])

    def _take(self) -> _Worker:
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self.function_name}'s workers are stopped")
            if self._idle:
                return self._idle.pop()
            worker = _Worker(self.handler, self.environment, self._cwd)
            self._all.add(worker)
            return worker

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            workers, self._all, self._idle = list(self._all), set(), []
        for worker in workers:
            worker.kill()


def serve_in_processes(processes: FunctionProcesses) -> None:
    """Run every later invocation of `processes.function_name` in its workers."""
    with _registry_lock:
        previous = _registry.get(processes.function_name)
        _registry[processes.function_name] = processes
    if previous is not None:
        previous.stop()


def processes_of(function_name: str) -> FunctionProcesses | None:
    with _registry_lock:
        return _registry.get(function_name)


def stop_all() -> None:
    """Stop every registered function's workers and forget them."""
    with _registry_lock:
        registered = list(_registry.values())
        _registry.clear()
    for processes in registered:
        processes.stop()
