"""Reward models (services/worker/reward.py): the value head reads the policy's own hidden states, learns an
outcome and a process labelling, survives a save/load, and bad requests name their field."""
import json
import grpc
import pytest
import torch

from services.worker import reward
from services.worker.server import RpcError, Worker, pb


def init_req(**kw) -> pb.InitModelRequest:
    m = {'vocab_size': 16, 'd_model': 32, 'n_layers': 2, 'n_heads': 4, 'max_seq_len': 24, 'seed': 5, **kw}
    return pb.InitModelRequest(model=pb.ModelConfig(**m), optimizer=pb.OptimizerConfig(lr=3e-3))


def worker(**kw) -> Worker:
    w = Worker(torch.device('cpu'))
    w.init_model(init_req(**kw))
    return w


def test_value_head_reads_the_hidden_state_the_lm_head_reads():
    # With the head set to row k of the language-model head, its values are the policy's logits for token k.
    w = worker()
    reward.init_reward_model(w, pb.InitRewardModelRequest(seed=1), pb)
    rm = w.rm.model
    with torch.no_grad():
        rm.head.weight.copy_(w.model.lm_head.weight[7:8])
        rm.head.bias.zero_()
        x = torch.tensor([[1, 2, 3, 4, 5, 6]])
        assert torch.allclose(rm(x), w.model(x)[..., 7], atol=1e-5)


def scored(tokens, positions, labels=()):
    return pb.ScoredSequence(tokens=tokens, positions=positions, labels=list(labels))


def test_outcome_reward_model_learns_which_responses_end_right():
    # label 1 when the response's last token is 9, else 0; scored at the last token
    w = worker()
    reward.init_reward_model(w, pb.InitRewardModelRequest(seed=2, optimizer=pb.OptimizerConfig(lr=3e-3)), pb)
    g = torch.Generator().manual_seed(0)

    def batch(n):
        out = []
        for _ in range(n):
            toks = [1] + torch.randint(2, 9, (5,), generator=g).tolist()
            good = bool(torch.rand(1, generator=g) < 0.5)
            toks.append(9 if good else int(torch.randint(2, 9, (1,), generator=g)))
            out.append(scored(toks, [len(toks) - 1], [1.0 if good else 0.0]))
        return out
    first = reward.reward_train_step(w, pb.RewardTrainStepRequest(sequences=batch(16)), pb)
    for _ in range(40):
        last = reward.reward_train_step(w, pb.RewardTrainStepRequest(sequences=batch(16)), pb)
    assert last.step == 41 and last.labels == 16
    assert last.loss < 0.5 * first.loss
    held = batch(40)
    res = reward.reward_score(w, pb.RewardScoreRequest(sequences=held), pb)
    right = sum((s.scores[0] > 0.5) == (q.labels[0] == 1) for s, q in zip(res.sequences, held))
    assert right >= 38


def test_process_reward_model_scores_each_step_and_takes_soft_labels():
    # steps end at token 3 (a step separator); a step is good (soft label 0.8) when it holds a 6, else 0.1
    w = worker()
    reward.init_reward_model(w, pb.InitRewardModelRequest(seed=3, optimizer=pb.OptimizerConfig(lr=3e-3)), pb)
    g = torch.Generator().manual_seed(1)

    def seq():
        toks, pos, lab = [1], [], []
        for _ in range(3):
            step = torch.randint(4, 9, (2,), generator=g).tolist()
            toks += step + [3]
            pos.append(len(toks) - 1)
            lab.append(0.8 if 6 in step else 0.1)
        return scored(toks, pos, lab)
    for _ in range(80):
        reward.reward_train_step(w, pb.RewardTrainStepRequest(sequences=[seq() for _ in range(16)]), pb)
    held = [seq() for _ in range(20)]
    res = reward.reward_score(w, pb.RewardScoreRequest(sequences=held), pb)
    errors = [abs(s - l) for r, q in zip(res.sequences, held) for s, l in zip(r.scores, q.labels)]
    assert len(errors) == 60
    assert sum(errors) / len(errors) < 0.15  # near the soft targets 0.8 / 0.1, not only on the right side of 0.5


def test_save_and_reload_gives_the_same_scores_and_steps(tmp_path):
    w = worker(tie_embeddings=True)
    reward.init_reward_model(w, pb.InitRewardModelRequest(seed=4, optimizer=pb.OptimizerConfig(lr=1e-3)), pb)
    req = pb.RewardTrainStepRequest(sequences=[scored([1, 2, 3, 4], [3], [1.0]), scored([1, 2, 5], [2], [0.0])])
    for _ in range(3):
        reward.reward_train_step(w, req, pb)
    reward.save_reward_model(w, pb.SaveRewardModelRequest(path=str(tmp_path / 'rm'), client_state_json='{"kind": "orm"}'), pb)
    probe = pb.RewardScoreRequest(sequences=[scored([1, 2, 3, 4, 6], [2, 4])])
    before = list(reward.reward_score(w, probe, pb).sequences[0].scores)
    next_loss = reward.reward_train_step(w, req, pb).loss
    w2 = Worker(torch.device('cpu'))
    res = reward.init_reward_model(w2, pb.InitRewardModelRequest(checkpoint=str(tmp_path / 'rm')), pb)
    assert res.head_loaded and res.step == 3 and json.loads(res.client_state_json) == {'kind': 'orm'}
    assert list(reward.reward_score(w2, probe, pb).sequences[0].scores) == pytest.approx(before, abs=1e-6)
    # the loss (computed before the update) depends on the weights only: it matches
    assert reward.reward_train_step(w2, req, pb).loss == pytest.approx(next_loss, abs=1e-5)


def test_starts_from_a_policy_checkpoint_with_a_fresh_head(tmp_path):
    w = worker()
    w.save_checkpoint(pb.SaveCheckpointRequest(path=str(tmp_path / 'p')))
    w2 = Worker(torch.device('cpu'))
    res = reward.init_reward_model(w2, pb.InitRewardModelRequest(checkpoint=str(tmp_path / 'p'), seed=9), pb)
    assert not res.head_loaded and res.step == 0 and res.client_state_json == ''
    assert torch.equal(w2.rm.model.backbone.embed.weight, w.model.embed.weight)
    assert float(w2.rm.model.head.bias.detach()) == 0.0


def test_a_reward_model_is_not_loaded_as_a_policy(tmp_path):
    w = worker()
    reward.init_reward_model(w, pb.InitRewardModelRequest(seed=1, optimizer=pb.OptimizerConfig(lr=1e-3)), pb)
    reward.save_reward_model(w, pb.SaveRewardModelRequest(path=str(tmp_path / 'rm'), client_state_json='{"kind": "prm"}'), pb)
    with pytest.raises(RpcError) as e:
        Worker(torch.device('cpu')).load_checkpoint(pb.LoadCheckpointRequest(path=str(tmp_path / 'rm')))
    assert e.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert str(e.value) == f'path: {tmp_path / "rm"} is a reward model, not a policy checkpoint'


def test_bad_requests_name_the_field():
    w = worker()
    with pytest.raises(RpcError) as e:
        reward.reward_score(w, pb.RewardScoreRequest(sequences=[scored([1, 2], [0])]), pb)
    assert e.value.code == grpc.StatusCode.FAILED_PRECONDITION
    reward.init_reward_model(w, pb.InitRewardModelRequest(), pb)
    cases = [
        (pb.RewardTrainStepRequest(sequences=[scored([1, 2], [2], [1.0])]), 'sequences[0].positions[0]: '),
        (pb.RewardTrainStepRequest(sequences=[scored([1, 2], [1], [])]), 'sequences[0].labels: '),
        (pb.RewardTrainStepRequest(sequences=[scored([1, 2], [1], [1.5])]), 'sequences[0].labels[0]: '),
        (pb.RewardTrainStepRequest(sequences=[scored([1, 99], [1], [1.0])]), 'sequences[0].tokens[1]: '),
        (pb.RewardTrainStepRequest(sequences=[scored([1, 2], [], [])]), 'sequences[0].positions: '),
        (pb.RewardTrainStepRequest(sequences=[]), 'sequences: '),
    ]
    for req, prefix in cases:
        with pytest.raises(RpcError) as e:
            reward.reward_train_step(w, req, pb)
        assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT and str(e.value).startswith(prefix), str(e.value)
