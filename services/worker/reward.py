"""Reward models on the policy architecture (DeepSeekMath section 4.1; Math-Shepherd's process labels).

The reward model is the policy's transformer with its language-model head replaced by a scalar value head
on the final (normed) hidden state. An outcome reward model (ORM) is scored at the last token of a response
and trained on the grader's 0/1 labels; a process reward model (PRM) is scored at the last token of each
reasoning step and trained on hard (some completion from the step is correct) or soft (the share of correct
completions) labels. Both train with binary cross-entropy of sigmoid(head) against the label, so one model
serves both; which positions are labelled is the caller's choice.

The worker holds one reward model beside the policy (self.rm on the Worker), with its own AdamW.
"""
from __future__ import annotations

import copy
import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file, save_model

from .errors import RpcError, invalid, require_finite_update
from .model import Config, Transformer

REWARD_FORMAT = 1


class RewardModel(nn.Module):
    def __init__(self, backbone: Transformer) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.cfg.d_model, 1)
        nn.init.normal_(self.head.weight, mean=0.0, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (batch, seq) -> value logits (batch, seq): the head on each position's final hidden state."""
        b = self.backbone
        t = tokens.shape[1]
        if t > b.cfg.max_seq_len:
            raise ValueError(f'sequence of {t} tokens exceeds max_seq_len {b.cfg.max_seq_len}')
        x = b.embed(tokens)
        for layer in b.layers:
            x = layer(x, b.rope_cos[:t], b.rope_sin[:t], None)
        return self.head(b.norm(x)).squeeze(-1).float()

    def num_params(self) -> int:
        # the language-model head is not used for scoring; count what scores
        return sum(p.numel() for n, p in self.named_parameters() if not n.startswith('backbone.lm_head'))

    def param_groups(self, weight_decay: float) -> list[dict]:
        ps = [p for n, p in self.named_parameters() if not n.startswith('backbone.lm_head')]
        return [{'params': [p for p in ps if p.dim() >= 2], 'weight_decay': weight_decay},
                {'params': [p for p in ps if p.dim() < 2], 'weight_decay': 0.0}]


@dataclass
class RewardSlot:
    model: RewardModel
    opt: torch.optim.AdamW
    ocfg: object
    step: int = 0


def _invalid(field: str, why: str):
    return invalid(field, why)


def _rpc_error(code, msg: str):
    return RpcError(code, msg)


def check_scored(field: str, seqs, cfg: Config, need_labels: bool) -> list[tuple[list[int], list[int], list[float]]]:
    from .server import check_tokens
    if len(seqs) == 0:
        raise _invalid(field, 'at least one sequence is required')
    out = []
    for i, s in enumerate(seqs):
        f = f'{field}[{i}]'
        n = len(s.tokens)
        if n < 1 or n > cfg.max_seq_len:
            raise _invalid(f'{f}.tokens', f'length {n} is outside [1, {cfg.max_seq_len}] (max_seq_len)')
        toks = check_tokens(f'{f}.tokens', s.tokens, cfg.vocab_size)
        pos = list(s.positions)
        if not pos:
            raise _invalid(f'{f}.positions', 'at least one position is required')
        for j, p in enumerate(pos):
            if p < 0 or p >= n:
                raise _invalid(f'{f}.positions[{j}]', f'{p} is outside [0, {n})')
        labels = list(s.labels)
        if need_labels:
            if len(labels) != len(pos):
                raise _invalid(f'{f}.labels', f'needs one label per position ({len(pos)}), got {len(labels)}')
            for j, v in enumerate(labels):
                if not math.isfinite(v) or v < 0 or v > 1:
                    raise _invalid(f'{f}.labels[{j}]', f'must be in [0, 1] (got {v})')
        out.append((toks, pos, labels))
    return out


def _build(worker, backbone: Transformer, ocfg, seed: int) -> RewardSlot:
    torch.manual_seed(seed)
    rm = RewardModel(backbone).to(worker.device)
    opt = torch.optim.AdamW(rm.param_groups(ocfg.weight_decay), lr=ocfg.lr, betas=(ocfg.beta1, ocfg.beta2), eps=ocfg.eps, foreach=False)
    return RewardSlot(rm, opt, ocfg)


def init_reward_model(worker, req, pb):
    import grpc
    from .server import check_optim_config
    ocfg = check_optim_config(req.optimizer)
    head_loaded, step, client_state = False, 0, None
    if not req.checkpoint:
        policy = worker.require_model()
        backbone = copy.deepcopy(policy)
        slot = _build(worker, backbone, ocfg, req.seed)
    else:
        d = Path(req.checkpoint)
        if not (d / 'state.json').is_file():
            raise _rpc_error(grpc.StatusCode.NOT_FOUND, f'checkpoint: no checkpoint at {req.checkpoint} (state.json missing)')
        state = json.loads((d / 'state.json').read_text())
        cfg = Config(**state['model'])
        torch.manual_seed(req.seed)
        backbone = Transformer(cfg)
        tensors = load_file(str(d / 'model.safetensors'), device=str(worker.device))
        if state.get('kind') == 'reward_model':
            if state.get('format') != REWARD_FORMAT:
                raise _rpc_error(grpc.StatusCode.FAILED_PRECONDITION, f'checkpoint: reward model format {state.get("format")} is not {REWARD_FORMAT}')
            slot = _build(worker, backbone, ocfg, req.seed)
            missing, unexpected = slot.model.load_state_dict(tensors, strict=False)
            missing = [k for k in missing if not k.startswith('backbone.lm_head')]
            head_loaded, step, client_state = True, int(state.get('step', 0)), state.get('client_state')
        else:
            missing, unexpected = backbone.load_state_dict(tensors, strict=False)
            missing = [k for k in missing if not (cfg.tie_embeddings and k in ('lm_head.weight', 'embed.weight'))]  # tied: stored once
            slot = _build(worker, backbone, ocfg, req.seed)
        if missing or unexpected:
            raise _rpc_error(grpc.StatusCode.FAILED_PRECONDITION, f'checkpoint: weights do not match the config (missing {missing}, unexpected {unexpected})')
        slot.step = step
    worker.rm = slot
    return pb.InitRewardModelResponse(num_params=slot.model.num_params(), head_loaded=head_loaded, step=step,
                                      client_state_json='' if client_state is None else json.dumps(client_state))


def _require(worker) -> RewardSlot:
    import grpc
    slot = getattr(worker, 'rm', None)
    if slot is None:
        raise _rpc_error(grpc.StatusCode.FAILED_PRECONDITION, 'reward model: none loaded; call InitRewardModel first')
    return slot


def _batch(worker, seqs) -> torch.Tensor:
    width = max(len(t) for t, _, _ in seqs)
    x = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, (toks, _, _) in enumerate(seqs):
        x[i, :len(toks)] = torch.tensor(toks, dtype=torch.long)  # right padding: causal, so earlier positions are unaffected
    return x.to(worker.device)


def reward_train_step(worker, req, pb):
    slot = _require(worker)
    seqs = check_scored('sequences', req.sequences, slot.model.backbone.cfg, need_labels=True)
    lr = slot.ocfg.lr
    if req.HasField('learning_rate'):
        lr = req.learning_rate
        if not math.isfinite(lr) or lr < 0:
            raise _invalid('learning_rate', f'must be a finite number >= 0 (got {lr})')
    t0 = time.perf_counter()
    slot.model.train()
    for g in slot.opt.param_groups:
        g['lr'] = lr
    with worker.autocast():
        values = slot.model(_batch(worker, seqs))
    rows = torch.tensor([i for i, (_, pos, _) in enumerate(seqs) for _ in pos], device=worker.device)
    cols = torch.tensor([p for _, pos, _ in seqs for p in pos], device=worker.device)
    labels = torch.tensor([v for _, _, lab in seqs for v in lab], dtype=torch.float32, device=worker.device)
    logits = values[rows, cols]
    loss = F.binary_cross_entropy_with_logits(logits, labels)
    acc = float(((logits.detach() > 0) == (labels >= 0.5)).float().mean())
    slot.opt.zero_grad(set_to_none=True)
    loss.backward()
    max_norm = slot.ocfg.grad_clip if slot.ocfg.grad_clip > 0 else float('inf')
    grad_norm = torch.nn.utils.clip_grad_norm_([p for g in slot.opt.param_groups for p in g['params']], max_norm)
    require_finite_update(loss, grad_norm, slot.opt)
    slot.opt.step()
    slot.step += 1
    worker.sync()
    return pb.RewardTrainStepResponse(loss=float(loss.detach()), labels=len(labels), accuracy=acc, grad_norm=float(grad_norm),
                                      step=slot.step, step_time_ms=(time.perf_counter() - t0) * 1000)


@torch.no_grad()
def reward_score(worker, req, pb):
    slot = _require(worker)
    seqs = check_scored('sequences', req.sequences, slot.model.backbone.cfg, need_labels=False)
    slot.model.eval()
    out = []
    for toks, pos, _ in seqs:  # one at a time: no padding, so a score does not depend on the batch
        with worker.autocast():
            v = slot.model(torch.tensor([toks], device=worker.device))[0]
        out.append(pb.SequenceScores(scores=torch.sigmoid(v[torch.tensor(pos, device=worker.device)]).double().cpu().tolist()))
    return pb.RewardScoreResponse(sequences=out)


def save_reward_model(worker, req, pb):
    slot = _require(worker)
    if not req.path:
        raise _invalid('path', 'required')
    client_state = None
    if req.client_state_json:
        try:
            client_state = json.loads(req.client_state_json)
        except ValueError as e:
            raise _invalid('client_state_json', f'not JSON: {e}') from None
    final = Path(req.path)
    tmp = final.with_name(f'{final.name}.tmp-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_model(slot.model, str(tmp / 'model.safetensors'))
    sd = slot.opt.state_dict()
    save_file({f'{i}.{k}': v.detach().cpu().contiguous() for i, st in sd['state'].items() for k, v in st.items()}, str(tmp / 'optimizer.safetensors'))
    state = {'format': REWARD_FORMAT, 'kind': 'reward_model', 'step': slot.step, 'model': slot.model.backbone.cfg.to_dict(),
             'optimizer': vars(slot.ocfg), 'client_state': client_state}
    (tmp / 'state.json').write_text(json.dumps(state, indent=1))
    old = final.with_name(f'{final.name}.old-{os.getpid()}')
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return pb.SaveCheckpointResponse(step=slot.step, path=str(final))
