"""Prometheus metrics of the PyTorch worker (prometheus_client), served on --metrics-port / DSMATH_METRICS_PORT.

Names match the TypeScript services' (src/obs/metrics.ts) where they overlap: dsmath_train_loss,
dsmath_train_tokens_per_second, dsmath_train_tokens_total, dsmath_train_steps_total.
"""
from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client import ProcessCollector, PlatformCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY, namespace='dsmath_worker')
PlatformCollector(registry=REGISTRY)

STEP_SECONDS = Histogram('dsmath_worker_step_seconds', 'Time of one training step on the worker, by kind (train, policy)', ['kind'],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=REGISTRY)
LOSS = Gauge('dsmath_train_loss', 'Loss of the last training step', ['kind'], registry=REGISTRY)
TOKENS_PER_SECOND = Gauge('dsmath_train_tokens_per_second', 'Tokens per second of the last training step (on the worker)', ['kind'], registry=REGISTRY)
TOKENS = Counter('dsmath_train_tokens', 'Tokens trained on', ['kind'], registry=REGISTRY)
STEPS = Counter('dsmath_train_steps', 'Training steps', ['kind'], registry=REGISTRY)
STEP = Gauge('dsmath_train_step', 'Optimizer step of the loaded model', registry=REGISTRY)
GRAD_NORM = Gauge('dsmath_train_grad_norm', 'Gradient norm before clipping, last step', ['kind'], registry=REGISTRY)


def observe_step(kind: str, loss: float, tokens: int, step_ms: float, step: int, grad_norm: float) -> None:
    STEP_SECONDS.labels(kind).observe(step_ms / 1000)
    LOSS.labels(kind).set(loss)
    TOKENS.labels(kind).inc(tokens)
    STEPS.labels(kind).inc()
    STEP.set(step)
    GRAD_NORM.labels(kind).set(grad_norm)
    if step_ms > 0:
        TOKENS_PER_SECOND.labels(kind).set(tokens / (step_ms / 1000))


def metrics_port(flag: int | None) -> int | None:
    """The flag, else DSMATH_METRICS_PORT; None when neither is set (no metrics server)."""
    if flag is not None:
        return flag
    env = os.environ.get('DSMATH_METRICS_PORT', '')
    if env == '':
        return None
    try:
        port = int(env)
    except ValueError:
        raise SystemExit(f'dsmath worker: DSMATH_METRICS_PORT must be an integer, got {env!r}')
    return port


def serve_metrics(port: int, host: str | None = None) -> int:
    """Starts the /metrics HTTP server in a daemon thread; returns the bound port."""
    server, _thread = start_http_server(port, addr=host or os.environ.get('DSMATH_METRICS_HOST', '0.0.0.0'), registry=REGISTRY)
    return server.server_address[1]
