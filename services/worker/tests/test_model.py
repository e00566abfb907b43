"""Unit tests of the transformer and the worker's checks, without gRPC (the TypeScript test covers the wire)."""
import json

import grpc
import pytest
import torch

from services.worker.model import Config, Transformer, apply_rope, rope_tables
from services.worker.server import RpcError, Worker, pb


def tiny(**kw) -> Config:
    return Config(**{'vocab_size': 50, 'd_model': 32, 'n_layers': 2, 'n_heads': 4, 'max_seq_len': 24, **kw})


def test_ffn_hidden_default_is_8_thirds_rounded_to_64():
    assert tiny().ffn_hidden == 128  # 8/3 * 32 = 85.3 -> 128
    assert tiny(d_model=96, n_heads=4).ffn_hidden == 256
    assert tiny(ffn_hidden=40).ffn_hidden == 40


def test_causal_a_later_token_does_not_change_earlier_logits():
    torch.manual_seed(0)
    m = Transformer(tiny()).eval()
    x = torch.randint(0, 50, (1, 12))
    y = x.clone()
    y[0, 8] = (x[0, 8] + 1) % 50
    with torch.no_grad():
        a, b = m(x), m(y)
    assert torch.equal(a[0, :8], b[0, :8])
    assert not torch.allclose(a[0, 8:], b[0, 8:])


def test_kv_cache_decoding_matches_the_full_forward():
    torch.manual_seed(1)
    m = Transformer(tiny()).eval()
    x = torch.randint(0, 50, (1, 10))
    with torch.no_grad():
        full = m(x)
        caches = [{} for _ in range(2)]
        steps = [m(x[:, :4], 0, caches)]
        for i in range(4, 10):
            steps.append(m(x[:, i:i + 1], i, caches))
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-5)


def test_rope_scores_depend_on_relative_position_only():
    cos, sin = rope_tables(8, 64, 10000.0)
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)

    def score(m, n):
        return (apply_rope(q, cos[m:m + 1], sin[m:m + 1]) * apply_rope(k, cos[n:n + 1], sin[n:n + 1])).sum()
    assert torch.allclose(score(5, 2), score(25, 22), atol=1e-5)
    assert not torch.allclose(score(5, 2), score(5, 3), atol=1e-3)


def test_tied_and_untied_embeddings():
    untied, tied = Transformer(tiny()), Transformer(tiny(tie_embeddings=True))
    assert untied.lm_head.weight is not untied.embed.weight
    assert tied.lm_head.weight is tied.embed.weight
    assert untied.num_params() - tied.num_params() == 50 * 32


def test_weight_decay_on_matrices_only():
    m = Transformer(tiny())
    decay, no_decay = m.param_groups(0.1)
    assert decay['weight_decay'] == 0.1 and no_decay['weight_decay'] == 0.0
    assert all(p.dim() == 2 for p in decay['params'])
    assert len(no_decay['params']) == 2 * 2 + 1  # two norms per block + the final norm


def init_req(**model) -> pb.InitModelRequest:
    cfg = {'vocab_size': 50, 'd_model': 32, 'n_layers': 2, 'n_heads': 4, 'max_seq_len': 16, 'seed': 3, **model}
    return pb.InitModelRequest(model=pb.ModelConfig(**cfg), optimizer=pb.OptimizerConfig(lr=1e-2))


@pytest.mark.parametrize('field,value', [('vocab_size', 0), ('n_heads', 5), ('max_seq_len', -1), ('rope_theta', 0.5)])
def test_init_model_names_the_bad_field(field, value):
    with pytest.raises(RpcError) as e:
        Worker(torch.device('cpu')).init_model(init_req(**{field: value}))
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert str(e.value).startswith(f'model.{field}: ')


def test_optimizer_defaults_and_bad_beta():
    w = Worker(torch.device('cpu'))
    res = w.init_model(init_req())
    assert (res.optimizer.beta1, res.optimizer.beta2, res.optimizer.weight_decay, res.optimizer.grad_clip) == (0.9, 0.95, 0.1, 1.0)
    with pytest.raises(RpcError, match=r'^optimizer\.beta2: '):
        w.init_model(pb.InitModelRequest(model=init_req().model, optimizer=pb.OptimizerConfig(lr=1e-3, beta2=1.0)))


def test_loss_mask_limits_the_loss_to_masked_tokens():
    w = Worker(torch.device('cpu'))
    w.init_model(init_req())
    toks = [1, 2, 3, 4, 5, 6]
    r = w.train_step(pb.TrainStepRequest(sequences=[pb.TokenSequence(tokens=toks, loss_mask=[0, 0, 0, 1, 1, 1])], learning_rate=0.0))
    assert r.tokens == 3 and r.input_tokens == 5
    lp = w.log_probs(pb.LogProbsRequest(sequences=[pb.TokenSequence(tokens=toks, loss_mask=[0, 0, 0, 1, 1, 1])]))
    # lr 0 left the weights unchanged: the masked loss is minus the mean of the masked log-probs.
    assert abs(r.loss + lp.sequences[0].sum / 3) < 1e-5
    with pytest.raises(RpcError, match=r'^sequences: loss_mask counts no token'):
        w.train_step(pb.TrainStepRequest(sequences=[pb.TokenSequence(tokens=toks, loss_mask=[1, 0, 0, 0, 0, 0])]))


def test_a_policy_step_with_a_non_finite_loss_is_refused_and_leaves_the_weights(tmp_path):
    w = Worker(torch.device('cpu'))
    w.init_model(init_req())
    before = {k: v.clone() for k, v in w.model.state_dict().items()}
    seq = pb.PolicySequence(tokens=[1, 2, 3, 4], prompt_length=2, advantages=[-1.0, -1.0], old_logprobs=[-1e308, -1.0])
    with pytest.raises(RpcError) as e:
        w.policy_step(pb.PolicyStepRequest(sequences=[seq], clip_eps=0.2, kl_beta=0.0))
    assert e.value.code == grpc.StatusCode.FAILED_PRECONDITION and 'not finite: no update made' in str(e.value)
    assert all(torch.equal(before[k], v) for k, v in w.model.state_dict().items())
    r = w.train_step(pb.TrainStepRequest(sequences=[pb.TokenSequence(tokens=[1, 2, 3, 4])]))
    assert r.loss == r.loss and r.step == 1  # finite, and the refused step was not counted


def test_fresh_optimizer_loads_the_weights_and_zero_moments(tmp_path):
    w = Worker(torch.device('cpu'))
    w.init_model(init_req())
    batch = pb.TrainStepRequest(sequences=[pb.TokenSequence(tokens=[1, 4, 9, 16, 25, 36, 49])])
    for _ in range(3):
        w.train_step(batch)
    w.save_checkpoint(pb.SaveCheckpointRequest(path=str(tmp_path / 'c')))
    kept, fresh = Worker(torch.device('cpu')), Worker(torch.device('cpu'))
    kept.load_checkpoint(pb.LoadCheckpointRequest(path=str(tmp_path / 'c')))
    fresh.load_checkpoint(pb.LoadCheckpointRequest(path=str(tmp_path / 'c'), fresh_optimizer=True))
    for a, b in zip(kept.model.parameters(), fresh.model.parameters()):
        assert torch.equal(a, b)
    assert all(len(kept.opt.state[p]) > 0 for p in kept.model.parameters())
    assert all(len(fresh.opt.state[p]) == 0 for p in fresh.model.parameters())
    # a fresh AdamW's first step moves each weight by about lr (bias-corrected sign of the gradient)
    before = [p.detach().clone() for p in fresh.model.parameters()]
    fresh.train_step(pb.TrainStepRequest(sequences=batch.sequences, learning_rate=1e-3))
    moved = max(float((p.detach() - q).abs().max()) for p, q in zip(fresh.model.parameters(), before))
    assert 0.5e-3 < moved < 1.5e-3
    assert fresh.opt.param_groups[0]['lr'] == 1e-3


def test_checkpoint_round_trip_with_tied_embeddings(tmp_path):
    w = Worker(torch.device('cpu'))
    w.init_model(init_req(tie_embeddings=True))
    batch = pb.TrainStepRequest(sequences=[pb.TokenSequence(tokens=[1, 4, 9, 16, 25, 36, 49])])
    for _ in range(3):
        w.train_step(batch)
    w.save_checkpoint(pb.SaveCheckpointRequest(path=str(tmp_path / 'c'), client_state_json='{"offset": 7}'))
    w.save_checkpoint(pb.SaveCheckpointRequest(path=str(tmp_path / 'c'), client_state_json='{"offset": 8}'))  # replaces
    expected = [w.train_step(batch).loss for _ in range(2)]
    w2 = Worker(torch.device('cpu'))
    res = w2.load_checkpoint(pb.LoadCheckpointRequest(path=str(tmp_path / 'c')))
    assert res.step == 3 and json.loads(res.client_state_json) == {'offset': 8} and res.model.tie_embeddings
    assert w2.model.lm_head.weight is w2.model.embed.weight
    assert [w2.train_step(batch).loss for _ in range(2)] == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ['c']
    with pytest.raises(RpcError) as e:
        w2.load_checkpoint(pb.LoadCheckpointRequest(path=str(tmp_path / 'missing')))
    assert e.value.code == grpc.StatusCode.NOT_FOUND
    with pytest.raises(RpcError, match=r'^client_state_json: '):
        w2.save_checkpoint(pb.SaveCheckpointRequest(path=str(tmp_path / 'd'), client_state_json='{nope'))


def test_sampling_temperature_is_greedy_or_large_enough_to_sample():
    w = Worker(torch.device('cpu'))
    w.init_model(init_req())
    for t in (1e-300, -1.0):
        with pytest.raises(RpcError, match=r'^temperature: must be 0 \(greedy\) or at least'):
            w.generate(pb.GenerateRequest(prompts=[pb.TokenSequence(tokens=[1, 2])], max_new_tokens=2, temperature=t), None)


def test_a_corrupt_checkpoint_state_is_named(tmp_path):
    w = Worker(torch.device('cpu'))
    w.init_model(init_req())
    w.save_checkpoint(pb.SaveCheckpointRequest(path=str(tmp_path / 'c')))
    (tmp_path / 'c' / 'state.json').write_text('{"format": 1, ')
    with pytest.raises(RpcError) as e:
        Worker(torch.device('cpu')).load_checkpoint(pb.LoadCheckpointRequest(path=str(tmp_path / 'c')))
    assert e.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert str(e.value).startswith(f'path: {tmp_path / "c" / "state.json"} is not valid JSON')
