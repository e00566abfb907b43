"""One job at a time drives a worker: the model, its optimizer, the reference and the reward model are that
job's state, and a second job's LoadCheckpoint would replace them under the first. A call whose metadata names
a job (`dsmath-job`) holds the worker for it; the hold lasts while one of its calls runs and `ttl` seconds
after the last one ends, or until the job releases it. While a job holds the worker, calls of other jobs and
calls naming no job are refused (FAILED_PRECONDITION, naming the holder). Calls naming no job to a free worker
(a worker a CLI started for itself) are served as before and take no hold. GetStatus naming a job takes the
hold when the worker is free: a job claims a worker of a pool with it, and reads in held_by_job whether it got it."""
from __future__ import annotations

import threading
import time

import grpc

from .errors import RpcError

JOB_METADATA = 'dsmath-job'
DEFAULT_TTL_SECONDS = 300.0


def job_of(context) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == JOB_METADATA and value:
            return value
    return None


class Lease:
    """enter() before a call that uses the model, leave() after it; holder() and release() from any thread."""

    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, clock=time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.job: str | None = None
        self.until = 0.0  # the hold ends here; inf while a call of the job runs
        self.mutex = threading.Lock()

    def holder(self) -> tuple[str | None, float]:
        """The job holding the worker and the seconds left of its hold (None, 0 when free)."""
        with self.mutex:
            return self._holder()

    def _holder(self) -> tuple[str | None, float]:
        left = self.until - self.clock()
        if self.job is None or left <= 0:
            return None, 0.0
        return self.job, (0.0 if left == float('inf') else left)

    def enter(self, job: str | None) -> None:
        with self.mutex:
            held, left = self._holder()
            if held is not None and held != job:
                who = f'job {job}' if job else 'a call naming no job'
                raise RpcError(grpc.StatusCode.FAILED_PRECONDITION,
                               f'worker busy: it serves job {held} (free when that job releases it, or {left:.0f} s after its last call); refused {who}')
            if job is not None:
                self.job, self.until = job, float('inf')

    def try_take(self, job: str) -> bool:
        """Takes the hold for `job` when the worker is free (or already its): how a job claims a worker of a pool."""
        with self.mutex:
            held, _ = self._holder()
            if held is not None and held != job:
                return False
            if self.until != float('inf'):
                self.job, self.until = job, self.clock() + self.ttl
            return True

    def leave(self, job: str | None) -> None:
        with self.mutex:
            if job is not None and job == self.job:
                self.until = self.clock() + self.ttl

    def release(self, job: str | None) -> bool:
        with self.mutex:
            held, _ = self._holder()
            if job is None or held != job:
                return False
            self.job, self.until = None, 0.0
            return True
