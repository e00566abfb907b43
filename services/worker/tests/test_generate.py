"""Generate decodes its prompts as one batch (left-padded when their lengths differ): the same completions as
one at a time for greedy decoding, per-row stops, and log-probs equal to LogProbs."""
import torch

from services.worker.server import Worker, pb


class Live:
    def is_active(self):
        return True


def worker() -> Worker:
    w = Worker(torch.device('cpu'))
    w.init_model(pb.InitModelRequest(model=pb.ModelConfig(vocab_size=40, d_model=32, n_layers=2, n_heads=4, max_seq_len=40, seed=2),
                                     optimizer=pb.OptimizerConfig(lr=1e-3)))
    return w


def test_a_batched_run_matches_single_prompt_greedy_decoding():
    w = worker()
    p = pb.TokenSequence(tokens=[1, 2, 3, 4])
    alone = w.generate(pb.GenerateRequest(prompts=[p], max_new_tokens=12, temperature=0), Live()).completions[0]
    run = w.generate(pb.GenerateRequest(prompts=[p, p, p, pb.TokenSequence(tokens=[5, 6])], max_new_tokens=12, temperature=0), Live()).completions
    assert len(run) == 4
    for c in run[:3]:
        assert list(c.tokens) == list(alone.tokens)
        assert max(abs(a - b) for a, b in zip(c.logprobs, alone.logprobs)) < 1e-5


def test_rows_stop_on_their_own_and_log_probs_match():
    w = worker()
    p = [1, 2, 3]
    req = pb.GenerateRequest(prompts=[pb.TokenSequence(tokens=p)] * 16, max_new_tokens=15, temperature=1.5, seed=4, stop_tokens=[7, 8, 9])
    comps = w.generate(req, Live()).completions
    stopped = [c for c in comps if c.finish_reason == pb.FINISH_REASON_STOP]
    assert stopped and len(stopped) < 16  # some rows stop early, others run on
    for c in comps:
        toks = list(c.tokens)
        assert not any(t in (7, 8, 9) for t in toks[:-1])
        assert (toks[-1] in (7, 8, 9)) == (c.finish_reason == pb.FINISH_REASON_STOP)
        assert c.finish_reason == pb.FINISH_REASON_STOP or len(toks) == 15
        lp = w.log_probs(pb.LogProbsRequest(sequences=[pb.TokenSequence(tokens=p + toks)])).sequences[0].logprobs
        assert max(abs(a - b) for a, b in zip(lp[len(p) - 1:], c.logprobs)) < 1e-4
    # same seed, same completions
    assert [list(c.tokens) for c in w.generate(req, Live()).completions] == [list(c.tokens) for c in comps]


def test_prompts_of_different_lengths_decode_as_they_would_alone():
    w = worker()
    prompts = [[1, 2, 3, 4, 5, 6, 7], [5, 6], [9, 3, 2, 8], [5, 6]]
    alone = [w.generate(pb.GenerateRequest(prompts=[pb.TokenSequence(tokens=p)], max_new_tokens=10, temperature=0), Live()).completions[0]
             for p in prompts]
    batch = w.generate(pb.GenerateRequest(prompts=[pb.TokenSequence(tokens=p) for p in prompts], max_new_tokens=10, temperature=0), Live()).completions
    for a, b, p in zip(alone, batch, prompts):
        assert list(b.tokens) == list(a.tokens)
        assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-5
        lp = w.log_probs(pb.LogProbsRequest(sequences=[pb.TokenSequence(tokens=p + list(b.tokens))])).sequences[0].logprobs
        assert max(abs(x - y) for x, y in zip(lp[len(p) - 1:], b.logprobs)) < 1e-4


def test_a_batch_that_would_pass_max_seq_len_when_padded_decodes_each_run_apart():
    w = worker()  # max_seq_len 40
    long, short = list(range(1, 31)), [5, 6]
    req = pb.GenerateRequest(prompts=[pb.TokenSequence(tokens=long), pb.TokenSequence(tokens=short)], max_new_tokens=30, temperature=0)
    long_c, short_c = w.generate(req, Live()).completions
    assert long_c.finish_reason == pb.FINISH_REASON_MAX_SEQ_LEN and len(long_c.tokens) == 11  # the last token needs no position
    assert short_c.finish_reason == pb.FINISH_REASON_LENGTH and len(short_c.tokens) == 30
