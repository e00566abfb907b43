"""The PyTorch worker: dsmath.v1.WorkerService (schemas/dsmath/v1/worker.proto) over gRPC.

    python -m services.worker.server [--host 127.0.0.1] [--port 50070]

One model, its AdamW optimizer and its step count per process. CPU by default, CUDA when present (or
DSMATH_DEVICE=cpu|cuda|cuda:N). gRPC health checking and reflection; optional bearer-token auth with
DSMATH_AUTH_TOKEN. Prints one ready line on stdout once it listens:

    dsmath worker listening on 127.0.0.1:50070 (device cpu, torch 2.x)
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

# cuBLAS needs this before CUDA starts for deterministic matmuls.
os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')

import grpc  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # noqa: E402
from grpc_reflection.v1alpha import reflection  # noqa: E402
from safetensors.torch import load_file, load_model, save_file, save_model  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / 'gen'))
from dsmath.v1 import worker_pb2 as pb  # noqa: E402
from dsmath.v1 import worker_pb2_grpc as pb_grpc  # noqa: E402

from . import metrics  # noqa: E402
from .errors import RpcError, invalid, require_finite_update  # noqa: E402,F401 (RpcError and invalid are this module's API too)
from .lease import DEFAULT_TTL_SECONDS, Lease, job_of  # noqa: E402
from . import reward  # noqa: E402
from .model import Config, Transformer  # noqa: E402

SERVICE_NAME = 'dsmath.v1.WorkerService'
CHECKPOINT_FORMAT = 1
# Below this, logits / temperature overflow float32 and sampling has no distribution left.
MIN_TEMPERATURE = 1e-3


def pick_device() -> torch.device:
    want = os.environ.get('DSMATH_DEVICE', '')
    if want:
        return torch.device(want)
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


@dataclass
class OptimConfig:
    lr: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.95
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eps: float = 1e-8


# ---- validation: every check names the field it refuses ----

def check_model_config(m: pb.ModelConfig) -> Config:
    for f in ('vocab_size', 'd_model', 'n_layers', 'n_heads', 'max_seq_len'):
        if getattr(m, f) <= 0:
            raise invalid(f'model.{f}', f'must be > 0 (got {getattr(m, f)})')
    if m.d_model % m.n_heads:
        raise invalid('model.n_heads', f'must divide d_model {m.d_model} (got {m.n_heads})')
    if (m.d_model // m.n_heads) % 2:
        raise invalid('model.n_heads', f'head size d_model / n_heads = {m.d_model // m.n_heads} must be even (RoPE)')
    if m.ffn_hidden < 0:
        raise invalid('model.ffn_hidden', f'must be >= 0 (got {m.ffn_hidden})')
    for f in ('rope_theta', 'norm_eps'):
        v = getattr(m, f)
        if not math.isfinite(v) or v < 0:
            raise invalid(f'model.{f}', f'must be >= 0 (got {v})')
    if m.rope_theta and m.rope_theta <= 1:
        raise invalid('model.rope_theta', f'must be > 1 (got {m.rope_theta})')
    if m.dtype not in pb.Dtype.values():
        raise invalid('model.dtype', f'unknown value {m.dtype}')
    return Config(vocab_size=m.vocab_size, d_model=m.d_model, n_layers=m.n_layers, n_heads=m.n_heads,
                  max_seq_len=m.max_seq_len, ffn_hidden=m.ffn_hidden, rope_theta=m.rope_theta or 10000.0,
                  norm_eps=m.norm_eps or 1e-6, tie_embeddings=m.tie_embeddings)


def check_optim_config(o: pb.OptimizerConfig) -> OptimConfig:
    c = OptimConfig(lr=o.lr)
    for f in ('beta1', 'beta2', 'weight_decay', 'grad_clip', 'eps'):
        if o.HasField(f):
            setattr(c, f, getattr(o, f))
    for f in ('lr', 'beta1', 'beta2', 'weight_decay', 'grad_clip', 'eps'):
        v = getattr(c, f)
        if not math.isfinite(v) or v < 0:
            raise invalid(f'optimizer.{f}', f'must be a finite number >= 0 (got {v})')
    for f in ('beta1', 'beta2'):
        if getattr(c, f) >= 1:
            raise invalid(f'optimizer.{f}', f'must be < 1 (got {getattr(c, f)})')
    if c.eps == 0:
        raise invalid('optimizer.eps', 'must be > 0')
    return c


def check_tokens(field: str, tokens, vocab_size: int) -> list[int]:
    toks = list(tokens)
    for i, t in enumerate(toks):
        if t < 0 or t >= vocab_size:
            raise invalid(f'{field}[{i}]', f'token id {t} is outside [0, vocab_size {vocab_size})')
    return toks


def check_sequences(field: str, seqs, cfg: Config, min_len: int, max_len: int) -> list[tuple[list[int], list[bool] | None]]:
    if len(seqs) == 0:
        raise invalid(field, 'at least one sequence is required')
    out = []
    for i, s in enumerate(seqs):
        n = len(s.tokens)
        if n < min_len or n > max_len:
            raise invalid(f'{field}[{i}].tokens', f'length {n} is outside [{min_len}, {max_len}] (max_seq_len {cfg.max_seq_len})')
        toks = check_tokens(f'{field}[{i}].tokens', s.tokens, cfg.vocab_size)
        mask = None
        if len(s.loss_mask):
            if len(s.loss_mask) != n:
                raise invalid(f'{field}[{i}].loss_mask', f'length {len(s.loss_mask)} differs from tokens length {n}')
            mask = list(s.loss_mask)
        out.append((toks, mask))
    return out


# ---- the worker ----

GENERATE_BATCH = 256
LOGPROBS_BATCH = 64


class Worker:
    def __init__(self, device: torch.device, lease_seconds: float = DEFAULT_TTL_SECONDS) -> None:
        self.device = device
        self.lock = threading.Lock()  # the model is shared state: one call at a time
        self.model: Transformer | None = None
        self.opt: torch.optim.AdamW | None = None
        self.ocfg = OptimConfig()
        self.dtype_enum = pb.DTYPE_UNSPECIFIED
        self.step = 0
        self.reference: Transformer | None = None  # frozen copy of the policy for the KL term (ResetReference)
        self.lease = Lease(lease_seconds)
        torch.use_deterministic_algorithms(True, warn_only=True)

    # -- helpers --

    @property
    def compute_dtype(self) -> torch.dtype:
        if self.dtype_enum == pb.DTYPE_BFLOAT16 or (self.dtype_enum == pb.DTYPE_UNSPECIFIED and self.device.type == 'cuda'):
            return torch.bfloat16
        return torch.float32

    def autocast(self):
        dt = self.compute_dtype
        return torch.autocast(device_type=self.device.type, dtype=dt, enabled=dt != torch.float32)

    def require_model(self) -> Transformer:
        if self.model is None:
            raise RpcError(grpc.StatusCode.FAILED_PRECONDITION, 'model: none loaded; call InitModel or LoadCheckpoint first')
        return self.model

    def model_pb(self) -> pb.ModelConfig:
        c = self.model.cfg
        return pb.ModelConfig(vocab_size=c.vocab_size, d_model=c.d_model, n_layers=c.n_layers, n_heads=c.n_heads,
                              ffn_hidden=c.ffn_hidden, max_seq_len=c.max_seq_len, rope_theta=c.rope_theta,
                              dtype=self.dtype_enum, seed=self.seed, tie_embeddings=c.tie_embeddings, norm_eps=c.norm_eps)

    def optim_pb(self) -> pb.OptimizerConfig:
        o = self.ocfg
        return pb.OptimizerConfig(lr=o.lr, beta1=o.beta1, beta2=o.beta2, weight_decay=o.weight_decay, grad_clip=o.grad_clip, eps=o.eps)

    def build(self, cfg: Config, ocfg: OptimConfig, dtype_enum: int, seed: int) -> None:
        torch.manual_seed(seed)
        model = Transformer(cfg).to(self.device)
        opt = torch.optim.AdamW(model.param_groups(ocfg.weight_decay), lr=ocfg.lr, betas=(ocfg.beta1, ocfg.beta2),
                                eps=ocfg.eps, foreach=False)
        self.model, self.opt, self.ocfg, self.dtype_enum, self.seed, self.step = model, opt, ocfg, dtype_enum, seed, 0
        self.reference = None

    def batch(self, seqs: list[tuple[list[int], list[bool] | None]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded inputs (tokens[:-1]) and targets (tokens[1:], -100 where not counted or padding)."""
        t = max(len(toks) for toks, _ in seqs) - 1
        inputs = torch.zeros((len(seqs), t), dtype=torch.long)
        targets = torch.full((len(seqs), t), -100, dtype=torch.long)
        for i, (toks, mask) in enumerate(seqs):
            x = torch.tensor(toks, dtype=torch.long)
            inputs[i, :len(toks) - 1] = x[:-1]
            y = x[1:].clone()
            if mask is not None:
                y[~torch.tensor(mask[1:], dtype=torch.bool)] = -100
            targets[i, :len(toks) - 1] = y
        return inputs.to(self.device), targets.to(self.device)

    def sync(self) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    # -- RPCs (called with the lock held) --

    def init_model(self, req: pb.InitModelRequest) -> pb.InitModelResponse:
        if not req.HasField('model'):
            raise invalid('model', 'required')
        cfg = check_model_config(req.model)
        ocfg = check_optim_config(req.optimizer)
        self.build(cfg, ocfg, req.model.dtype, req.model.seed)
        return pb.InitModelResponse(num_params=self.model.num_params(), device=str(self.device),
                                    compute_dtype=str(self.compute_dtype).removeprefix('torch.'),
                                    model=self.model_pb(), optimizer=self.optim_pb())

    def train_step(self, req: pb.TrainStepRequest) -> pb.TrainStepResponse:
        model = self.require_model()
        cfg = model.cfg
        seqs = check_sequences('sequences', req.sequences, cfg, 2, cfg.max_seq_len + 1)
        lr = self.ocfg.lr
        if req.HasField('learning_rate'):
            lr = req.learning_rate
            if not math.isfinite(lr) or lr < 0:
                raise invalid('learning_rate', f'must be a finite number >= 0 (got {lr})')
        inputs, targets = self.batch(seqs)
        counted = int((targets != -100).sum())
        if counted == 0:
            raise invalid('sequences', 'loss_mask counts no token in the whole batch')

        self.sync()
        t0 = time.perf_counter()
        model.train()
        for g in self.opt.param_groups:
            g['lr'] = lr
        with self.autocast():
            logits = model(inputs)
        loss = F.cross_entropy(logits.view(-1, cfg.vocab_size), targets.view(-1), ignore_index=-100, reduction='sum') / counted
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        max_norm = self.ocfg.grad_clip if self.ocfg.grad_clip > 0 else float('inf')
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        require_finite_update(loss, grad_norm, self.opt)
        self.opt.step()
        self.step += 1
        loss_v, norm_v = float(loss.detach()), float(grad_norm)
        self.sync()
        ms = (time.perf_counter() - t0) * 1000
        return pb.TrainStepResponse(loss=loss_v, tokens=counted, grad_norm=norm_v, step=self.step, step_time_ms=ms,
                                    learning_rate=lr, input_tokens=sum(len(t) - 1 for t, _ in seqs))

    @torch.no_grad()
    def generate(self, req: pb.GenerateRequest, context) -> pb.GenerateResponse:
        model = self.require_model()
        cfg = model.cfg
        prompts = check_sequences('prompts', req.prompts, cfg, 1, cfg.max_seq_len)
        if req.max_new_tokens <= 0:
            raise invalid('max_new_tokens', f'must be > 0 (got {req.max_new_tokens})')
        if not math.isfinite(req.temperature) or req.temperature < 0 or 0 < req.temperature < MIN_TEMPERATURE:
            raise invalid('temperature', f'must be 0 (greedy) or at least {MIN_TEMPERATURE} (got {req.temperature})')
        if not math.isfinite(req.top_p) or req.top_p < 0 or req.top_p > 1:
            raise invalid('top_p', f'must be in [0, 1] (got {req.top_p})')
        stops = set(check_tokens('stop_tokens', req.stop_tokens, cfg.vocab_size))
        gen = torch.Generator(device=self.device).manual_seed(req.seed)
        model.eval()
        out: list[pb.Completion] = []
        # Prompts decode in batches of up to GENERATE_BATCH rows (one forward per token for all of them), left-padded
        # to the longest when lengths differ. Padding moves a row's positions right, so when the longest prompt plus
        # max_new_tokens would pass max_seq_len, runs of identical prompts (a question's G samples) decode apart.
        longest = max(len(t) for t, _ in prompts)
        if longest + req.max_new_tokens <= cfg.max_seq_len:
            for s in range(0, len(prompts), GENERATE_BATCH):
                out.extend(self._generate_batch(model, [t for t, _ in prompts[s:s + GENERATE_BATCH]], req, stops, gen, context))
        else:
            i = 0
            while i < len(prompts):
                j = i + 1
                while j < len(prompts) and prompts[j][0] == prompts[i][0]:
                    j += 1
                out.extend(self._generate_batch(model, [prompts[i][0]] * (j - i), req, stops, gen, context))
                i = j
        return pb.GenerateResponse(completions=out)

    def _generate_batch(self, model: Transformer, rows: list[list[int]], req, stops: set[int], gen, context) -> list[pb.Completion]:
        """Decodes the rows as one batch; a row stops at a stop token, max_new_tokens or max_seq_len."""
        cfg = model.cfg
        n, width = len(rows), max(len(r) for r in rows)
        pads = [width - len(r) for r in rows]
        caches: list[dict] = [{} for _ in range(cfg.n_layers)]
        key_mask = None
        if any(pads):
            key_mask = torch.tensor([[i >= p for i in range(width)] for p in pads], device=self.device)
        with self.autocast():
            logits = model(torch.tensor([[0] * p + r for p, r in zip(pads, rows)], device=self.device), 0, caches, key_mask)
        pos = width
        new: list[list[int]] = [[] for _ in range(n)]
        logps: list[list[float]] = [[] for _ in range(n)]
        reasons = [pb.FINISH_REASON_LENGTH] * n
        active = list(range(n))
        stop_t = torch.tensor(sorted(stops), device=self.device, dtype=torch.long)
        while True:
            if not context.is_active():
                raise RpcError(grpc.StatusCode.CANCELLED, 'generate: call cancelled')
            last = logits[:, -1].float()
            logp = F.log_softmax(last, dim=-1)
            if req.temperature == 0:
                tok = torch.argmax(last, dim=-1)
            else:
                probs = F.softmax(last / req.temperature, dim=-1)
                if 0 < req.top_p < 1:
                    sp, idx = torch.sort(probs, dim=-1, descending=True)
                    keep = (torch.cumsum(sp, -1) - sp) < req.top_p  # the smallest prefix reaching top_p
                    probs = torch.zeros_like(probs).scatter_(-1, idx, sp * keep)
                tok = torch.multinomial(probs, 1, generator=gen)[:, 0]
            tok_lp = logp.gather(1, tok[:, None])[:, 0]
            toks_l, lps_l = tok.tolist(), tok_lp.tolist()
            stopped = torch.isin(tok, stop_t).tolist() if len(stops) else [False] * len(toks_l)
            still = []
            for r, row in enumerate(active):
                new[row].append(toks_l[r])
                logps[row].append(lps_l[r])
                if stopped[r]:
                    reasons[row] = pb.FINISH_REASON_STOP
                elif len(new[row]) >= req.max_new_tokens:
                    reasons[row] = pb.FINISH_REASON_LENGTH
                elif pos >= cfg.max_seq_len:
                    reasons[row] = pb.FINISH_REASON_MAX_SEQ_LEN
                else:
                    still.append(r)
            if not still:
                break
            if len(still) < len(active):  # drop finished rows from the batch and the caches
                keep_idx = torch.tensor(still, device=self.device)
                for c in caches:
                    c['k'], c['v'] = c['k'][keep_idx], c['v'][keep_idx]
                tok = tok[keep_idx]
                if key_mask is not None:
                    key_mask = key_mask[keep_idx]
                active = [active[r] for r in still]
            if key_mask is not None:
                key_mask = torch.cat([key_mask, torch.ones((len(active), 1), dtype=torch.bool, device=self.device)], dim=1)
            with self.autocast():
                logits = model(tok[:, None], pos, caches, key_mask)
            pos += 1
        return [pb.Completion(tokens=new[r], logprobs=logps[r], finish_reason=reasons[r]) for r in range(n)]

    @torch.no_grad()
    def log_probs(self, req: pb.LogProbsRequest) -> pb.LogProbsResponse:
        model = self.require_model()
        cfg = model.cfg
        if req.reference:
            if self.reference is None:
                raise RpcError(grpc.StatusCode.FAILED_PRECONDITION, 'reference: none set; call ResetReference first')
            model = self.reference
        seqs = check_sequences('sequences', req.sequences, cfg, 2, cfg.max_seq_len + 1)
        model.eval()
        res = []
        # Right-padded batches: a causal model's values at a row's own positions ignore the padding after them.
        for s in range(0, len(seqs), LOGPROBS_BATCH):
            part = seqs[s:s + LOGPROBS_BATCH]
            width = max(len(t) for t, _ in part)
            x = torch.zeros((len(part), width), dtype=torch.long)
            for i, (toks, _) in enumerate(part):
                x[i, :len(toks)] = torch.tensor(toks, dtype=torch.long)
            x = x.to(self.device)
            with self.autocast():
                logits = model(x[:, :-1])
            lp_all = F.log_softmax(logits.float(), dim=-1).gather(2, x[:, 1:, None])[..., 0].double().cpu()
            for i, (toks, mask) in enumerate(part):
                lp = lp_all[i, :len(toks) - 1]
                counted = lp if mask is None else lp[torch.tensor(mask[1:], dtype=torch.bool)]
                res.append(pb.SequenceLogProbs(logprobs=lp.tolist(), sum=float(counted.sum())))
        return pb.LogProbsResponse(sequences=res)

    def reset_reference(self) -> pb.ResetReferenceResponse:
        model = self.require_model()
        ref = copy.deepcopy(model).eval()
        for p in ref.parameters():
            p.requires_grad_(False)
        self.reference = ref
        return pb.ResetReferenceResponse(step=self.step)

    def policy_step(self, req: pb.PolicyStepRequest) -> pb.PolicyStepResponse:
        """-(clipped surrogate - beta * k3) over completion tokens, aggregated; see src/rl/grpo.ts (the reference)."""
        model = self.require_model()
        cfg = model.cfg
        if not req.sequences:
            raise invalid('sequences', 'at least one sequence is required')
        if not math.isfinite(req.clip_eps) or req.clip_eps <= 0:
            raise invalid('clip_eps', f'must be > 0 (got {req.clip_eps})')
        eps_high = req.clip_eps_high if req.HasField('clip_eps_high') else req.clip_eps
        if not math.isfinite(eps_high) or eps_high <= 0:
            raise invalid('clip_eps_high', f'must be > 0 (got {eps_high})')
        if not math.isfinite(req.kl_beta) or req.kl_beta < 0:
            raise invalid('kl_beta', f'must be >= 0 (got {req.kl_beta})')
        if req.max_length < 0:
            raise invalid('max_length', f'must be >= 0 (got {req.max_length})')
        lr = self.ocfg.lr
        if req.HasField('learning_rate'):
            lr = req.learning_rate
            if not math.isfinite(lr) or lr < 0:
                raise invalid('learning_rate', f'must be a finite number >= 0 (got {lr})')
        seqs = []
        for i, sq in enumerate(req.sequences):
            f = f'sequences[{i}]'
            toks = check_tokens(f'{f}.tokens', sq.tokens, cfg.vocab_size)
            if not 2 <= len(toks) <= cfg.max_seq_len + 1:
                raise invalid(f'{f}.tokens', f'needs 2 to {cfg.max_seq_len + 1} tokens (got {len(toks)})')
            n = len(toks) - sq.prompt_length
            if sq.prompt_length < 1 or n < 1:
                raise invalid(f'{f}.prompt_length', f'must leave at least one prompt and one completion token (got {sq.prompt_length} of {len(toks)})')
            for name in ('advantages', 'old_logprobs') + (('ref_logprobs',) if req.kl_beta > 0 else ()):
                vals = getattr(sq, name)
                if len(vals) != n:
                    raise invalid(f'{f}.{name}', f'needs one value per completion token ({n}), got {len(vals)}')
                if not all(math.isfinite(v) for v in vals):
                    raise invalid(f'{f}.{name}', 'values must be finite')
            seqs.append((toks, sq.prompt_length, sq))

        self.sync()
        t0 = time.perf_counter()
        model.train()
        for g in self.opt.param_groups:
            g['lr'] = lr
        # One padded (batch, width) tensor per quantity, completion positions marked: per-sequence slices of the
        # log-softmax would each backpropagate a full-size gradient, which costs ten forward passes at batch 128.
        n_seq, width = len(seqs), max(len(t) for t, _, _ in seqs) - 1
        inputs = torch.zeros((n_seq, width), dtype=torch.long)
        targets = torch.zeros((n_seq, width), dtype=torch.long)
        mask = torch.zeros((n_seq, width), dtype=torch.bool)
        adv, old, ref = (torch.zeros((n_seq, width), dtype=torch.float64) for _ in range(3))
        for i, (toks, p, sq) in enumerate(seqs):
            end = len(toks) - 1
            inputs[i, :end] = torch.tensor(toks[:-1], dtype=torch.long)
            targets[i, :end] = torch.tensor(toks[1:], dtype=torch.long)
            mask[i, p - 1:end] = True
            adv[i, p - 1:end] = torch.tensor(list(sq.advantages), dtype=torch.float64)
            old[i, p - 1:end] = torch.tensor(list(sq.old_logprobs), dtype=torch.float64)
            if req.kl_beta > 0:
                ref[i, p - 1:end] = torch.tensor(list(sq.ref_logprobs), dtype=torch.float64)
        inputs, targets, mask, adv, old, ref = (t.to(self.device) for t in (inputs, targets, mask, adv, old, ref))
        with self.autocast():
            logits = model(inputs)
        lp = F.log_softmax(logits.float(), dim=-1).gather(2, targets[..., None])[..., 0].double()
        lp = torch.where(mask, lp, old)  # outside the completions: ratio 1, advantage 0, k3 0
        ratio = torch.exp(lp - old)
        clipped_ratio = torch.clamp(ratio, 1 - req.clip_eps, 1 + eps_high)
        surrogate = torch.minimum(ratio * adv, clipped_ratio * adv)
        if req.kl_beta > 0:
            d = torch.where(mask, ref - lp, torch.zeros_like(lp))
            k3 = torch.exp(d) - d - 1
        else:
            k3 = torch.zeros_like(lp)
        per_token = torch.where(mask, surrogate - req.kl_beta * k3, torch.zeros_like(lp))
        lengths = mask.sum(1)
        total = int(lengths.sum())
        clipped = int((((ratio < 1 - req.clip_eps) | (ratio > 1 + eps_high)) & mask).sum())
        kl = float(k3.detach()[mask].mean())
        if req.aggregation == pb.LOSS_AGGREGATION_TOKEN_MEAN:
            objective = per_token.sum() / total
        elif req.aggregation == pb.LOSS_AGGREGATION_DR_GRPO:
            max_len = req.max_length or int(lengths.max())
            objective = per_token.sum() / (n_seq * max_len)
        else:
            objective = (per_token.sum(1) / lengths).mean()
        loss = -objective
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        max_norm = self.ocfg.grad_clip if self.ocfg.grad_clip > 0 else float('inf')
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        require_finite_update(loss, grad_norm, self.opt)
        self.opt.step()
        self.step += 1
        self.sync()
        return pb.PolicyStepResponse(loss=float(loss.detach()), kl=kl, clip_fraction=clipped / total,
                                     grad_norm=float(grad_norm), step=self.step, tokens=total,
                                     step_time_ms=(time.perf_counter() - t0) * 1000)

    def save_checkpoint(self, req: pb.SaveCheckpointRequest) -> pb.SaveCheckpointResponse:
        model = self.require_model()
        if not req.path:
            raise invalid('path', 'required')
        client_state = None
        if req.client_state_json:
            try:
                client_state = json.loads(req.client_state_json)
            except ValueError as e:
                raise invalid('client_state_json', f'not JSON: {e}') from None
        final = Path(req.path)
        tmp = final.with_name(f'{final.name}.tmp-{os.getpid()}')
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        save_model(model, str(tmp / 'model.safetensors'))
        sd = self.opt.state_dict()
        names = {id(p): n for n, p in model.named_parameters()}
        ordered = [p for g in self.opt.param_groups for p in g['params']]
        tensors = {f'{i}.{k}': v.detach().cpu().contiguous() for i, st in sd['state'].items() for k, v in st.items()}
        save_file(tensors, str(tmp / 'optimizer.safetensors'))
        state = {
            'format': CHECKPOINT_FORMAT, 'step': self.step, 'seed': self.seed, 'dtype': pb.Dtype.Name(self.dtype_enum),
            'model': model.cfg.to_dict(), 'optimizer': vars(self.ocfg),
            'optimizer_param_groups': [{k: v for k, v in g.items() if k != 'params'} | {'params': g['params']} for g in sd['param_groups']],
            'optimizer_param_names': [names[id(p)] for p in ordered],
            'client_state': client_state,
        }
        (tmp / 'state.json').write_text(json.dumps(state, indent=1))
        for f in tmp.iterdir():
            with open(f, 'rb') as fh:
                os.fsync(fh.fileno())
        old = final.with_name(f'{final.name}.old-{os.getpid()}')
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        return pb.SaveCheckpointResponse(step=self.step, path=str(final))

    def load_checkpoint(self, req: pb.LoadCheckpointRequest) -> pb.LoadCheckpointResponse:
        if not req.path:
            raise invalid('path', 'required')
        d = Path(req.path)
        if not (d / 'state.json').is_file():
            raise RpcError(grpc.StatusCode.NOT_FOUND, f'path: no checkpoint at {req.path} (state.json missing)')
        try:
            state = json.loads((d / 'state.json').read_text())
        except ValueError as e:
            raise RpcError(grpc.StatusCode.FAILED_PRECONDITION, f'path: {d / "state.json"} is not valid JSON ({e})') from None
        if state.get('kind') == 'reward_model':
            raise RpcError(grpc.StatusCode.FAILED_PRECONDITION, f'path: {req.path} is a reward model, not a policy checkpoint')
        if state.get('format') != CHECKPOINT_FORMAT:
            raise RpcError(grpc.StatusCode.FAILED_PRECONDITION, f'path: checkpoint format {state.get("format")} is not {CHECKPOINT_FORMAT}')
        self.build(Config(**state['model']), OptimConfig(**state['optimizer']), pb.Dtype.Value(state['dtype']), state['seed'])
        missing, unexpected = load_model(self.model, str(d / 'model.safetensors'), device=str(self.device))
        if missing or unexpected:
            raise RpcError(grpc.StatusCode.FAILED_PRECONDITION, f'path: model.safetensors does not match the config (missing {missing}, unexpected {unexpected})')
        names = [n for g in self.opt.param_groups for p in g['params'] for n, q in self.model.named_parameters() if q is p]
        if names != state['optimizer_param_names']:
            raise RpcError(grpc.StatusCode.FAILED_PRECONDITION, 'path: optimizer parameters differ from the model')
        opt_state: dict[int, dict] = {}
        if not req.fresh_optimizer:
            for key, v in load_file(str(d / 'optimizer.safetensors')).items():
                i, k = key.split('.', 1)
                opt_state.setdefault(int(i), {})[k] = v
        self.opt.load_state_dict({'state': opt_state, 'param_groups': state['optimizer_param_groups']})
        self.step = state['step']
        cs = state.get('client_state')
        return pb.LoadCheckpointResponse(step=self.step, client_state_json='' if cs is None else json.dumps(cs),
                                         model=self.model_pb(), optimizer=self.optim_pb())

    def get_status(self) -> pb.GetStatusResponse:
        runtime = f'torch {torch.__version__}' + (f', CUDA {torch.version.cuda}' if self.device.type == 'cuda' else '')
        res = pb.GetStatusResponse(device=str(self.device), compute_dtype=str(self.compute_dtype).removeprefix('torch.'), runtime=runtime)
        model = self.model
        if model is not None:
            res.model_loaded, res.step, res.num_params = True, self.step, model.num_params()
            res.model.CopyFrom(self.model_pb())
        held, left = self.lease.holder()
        if held is not None:
            res.held_by_job, res.hold_seconds_left = held, left
        return res


class Servicer(pb_grpc.WorkerServiceServicer):
    def __init__(self, worker: Worker) -> None:
        self.w = worker

    def _run(self, context, fn, locked: bool = True):
        try:
            if locked:
                with self.w.lock:
                    remaining = context.time_remaining()
                    if remaining is not None and remaining <= 0:
                        raise RpcError(grpc.StatusCode.DEADLINE_EXCEEDED, 'deadline passed while waiting for the worker')
                    job = job_of(context)
                    self.w.lease.enter(job)
                    try:
                        return fn()
                    finally:
                        self.w.lease.leave(job)
            return fn()
        except RpcError as e:
            context.abort(e.code, str(e))
        except OSError as e:  # a checkpoint path that cannot be written or read
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, f'{e.filename or "path"}: {e.strerror or e}')
        except torch.cuda.OutOfMemoryError as e:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f'out of device memory: {e}')

    def InitModel(self, request, context):
        return self._run(context, lambda: self.w.init_model(request))

    def TrainStep(self, request, context):
        res = self._run(context, lambda: self.w.train_step(request))
        metrics.observe_step('train', res.loss, res.tokens, res.step_time_ms, res.step, res.grad_norm)
        return res

    def Generate(self, request, context):
        return self._run(context, lambda: self.w.generate(request, context))

    def LogProbs(self, request, context):
        return self._run(context, lambda: self.w.log_probs(request))

    def SaveCheckpoint(self, request, context):
        return self._run(context, lambda: self.w.save_checkpoint(request))

    def LoadCheckpoint(self, request, context):
        return self._run(context, lambda: self.w.load_checkpoint(request))

    def GetStatus(self, request, context):
        job = job_of(context)
        if job is not None:
            self.w.lease.try_take(job)
        return self._run(context, self.w.get_status, locked=False)

    def PolicyStep(self, request, context):
        res = self._run(context, lambda: self.w.policy_step(request))
        metrics.observe_step('policy', res.loss, res.tokens, res.step_time_ms, res.step, res.grad_norm)
        return res

    def ReleaseWorker(self, request, context):
        return self._run(context, lambda: pb.ReleaseWorkerResponse(released=self.w.lease.release(job_of(context))), locked=False)

    def ResetReference(self, request, context):
        return self._run(context, self.w.reset_reference)

    # reward models: services/worker/reward.py
    def InitRewardModel(self, request, context):
        return self._run(context, lambda: reward.init_reward_model(self.w, request, pb))

    def RewardTrainStep(self, request, context):
        return self._run(context, lambda: reward.reward_train_step(self.w, request, pb))

    def RewardScore(self, request, context):
        return self._run(context, lambda: reward.reward_score(self.w, request, pb))

    def SaveRewardModel(self, request, context):
        return self._run(context, lambda: reward.save_reward_model(self.w, request, pb))


class AuthInterceptor(grpc.ServerInterceptor):
    """With a token, every WorkerService call needs `authorization: Bearer <token>`; health and reflection stay open."""

    def __init__(self, token: str) -> None:
        self.expected = f'Bearer {token}'

        def deny(request, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, 'authorization: missing or wrong bearer token')
        self.deny = grpc.unary_unary_rpc_method_handler(deny)

    def intercept_service(self, continuation, details):
        if details.method.startswith(f'/{SERVICE_NAME}/'):
            md = dict(details.invocation_metadata)
            if md.get('authorization') != self.expected:
                return self.deny
        return continuation(details)


def serve(host: str, port: int, token: str | None, lease_seconds: float = DEFAULT_TTL_SECONDS) -> tuple[grpc.Server, int, health.HealthServicer]:
    worker = Worker(pick_device(), lease_seconds)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         interceptors=[AuthInterceptor(token)] if token else [],
                         options=[('grpc.max_receive_message_length', 256 << 20), ('grpc.max_send_message_length', 256 << 20)])
    pb_grpc.add_WorkerServiceServicer_to_server(Servicer(worker), server)
    hs = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(hs, server)
    for name in ('', SERVICE_NAME):
        hs.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    bound = server.add_insecure_port(f'{host}:{port}')
    if bound == 0:
        raise SystemExit(f'dsmath worker: cannot listen on {host}:{port}')
    server.start()
    print(f'dsmath worker listening on {host}:{bound} (device {worker.device}, torch {torch.__version__})', flush=True)
    return server, bound, hs


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog='python -m services.worker.server', description='dsmath PyTorch worker (gRPC)')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=50070, help='0 picks a free port (printed in the ready line)')
    ap.add_argument('--threads', type=int, default=0, help='torch intra-op threads (0: torch default)')
    ap.add_argument('--metrics-port', type=int, default=None,
                    help='serve Prometheus metrics on http://0.0.0.0:PORT/metrics (default: $DSMATH_METRICS_PORT, else none)')
    ap.add_argument('--lease-seconds', type=float, default=DEFAULT_TTL_SECONDS,
                    help='how long a job holds the worker after its last call (metadata dsmath-job; default %(default)s)')
    args = ap.parse_args(argv)
    if args.lease_seconds <= 0:
        ap.error(f'--lease-seconds must be > 0 (got {args.lease_seconds})')
    if args.threads:
        torch.set_num_threads(args.threads)
    mport = metrics.metrics_port(args.metrics_port)
    if mport is not None:
        bound = metrics.serve_metrics(mport)
        print(f'dsmath worker metrics on port {bound}', flush=True)
    server, _, hs = serve(args.host, args.port, os.environ.get('DSMATH_AUTH_TOKEN') or None, args.lease_seconds)
    done = threading.Event()

    def stop(*_):
        hs.enter_graceful_shutdown()
        server.stop(grace=10).wait()
        done.set()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    done.wait()


if __name__ == '__main__':
    main()
