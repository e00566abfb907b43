"""The worker's request errors. Their own module: the server runs as __main__ (python -m), so a class defined
there and imported again by reward.py as services.worker.server would be a second class that the
servicer's `except RpcError` does not catch."""
from __future__ import annotations

import grpc


class RpcError(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def invalid(field: str, why: str) -> RpcError:
    """INVALID_ARGUMENT whose message starts with the field's path."""
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, f'{field}: {why}')


def require_finite_update(loss, grad_norm, opt) -> None:
    """Before opt.step(): a non-finite loss or gradient (extreme old_logprobs, an overflow) would ruin the weights
    for good, so the step is refused and the gradients are dropped."""
    import math
    loss_v, norm_v = float(loss.detach()), float(grad_norm)
    if not (math.isfinite(loss_v) and math.isfinite(norm_v)):
        opt.zero_grad(set_to_none=True)
        raise RpcError(grpc.StatusCode.FAILED_PRECONDITION, f'the loss ({loss_v}) or gradient norm ({norm_v}) is not finite: no update made')
