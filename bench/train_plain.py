"""bench/train: the plain PyTorch loop. The same model (services/worker/model.py), the same AdamW settings,
the same loss (masked mean next-token cross-entropy), clipping and per-step learning rate as the worker's
TrainStep, on the same batches, with no gRPC and no service in between.

    python bench/train_plain.py BATCHES.json THREADS  -> one JSON line: per-step ms and losses
"""
import json
import sys
import time

sys.path.insert(0, '.')
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from services.worker.model import Config, Transformer  # noqa: E402


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(int(sys.argv[2]))
    m = spec['model']
    cfg = Config(vocab_size=m['vocab_size'], d_model=m['d_model'], n_layers=m['n_layers'], n_heads=m['n_heads'],
                 max_seq_len=m['max_seq_len'])
    torch.manual_seed(m['seed'])
    model = Transformer(cfg)
    opt = torch.optim.AdamW(model.param_groups(0.1), lr=spec['lr'], betas=(0.9, 0.95), eps=1e-8, foreach=False)
    step_ms, losses = [], []
    for batch in spec['batches']:
        t0 = time.perf_counter()  # from the batch as lists of ids, as the worker gets it
        x = torch.tensor(batch, dtype=torch.long)
        inputs, targets = x[:, :-1], x[:, 1:]
        model.train()
        for g in opt.param_groups:
            g['lr'] = spec['lr']
        logits = model(inputs)
        counted = targets.numel()
        loss = F.cross_entropy(logits.view(-1, cfg.vocab_size), targets.reshape(-1), reduction='sum') / counted
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_v = float(loss.detach())
        step_ms.append((time.perf_counter() - t0) * 1000)
        losses.append(loss_v)
    print(json.dumps({'step_ms': step_ms, 'losses': losses, 'threads': torch.get_num_threads(), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
