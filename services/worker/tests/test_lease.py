"""One job at a time (services/worker/lease.py): over real gRPC, a job's calls hold the worker, other jobs and
calls naming no job are refused while it does, ReleaseWorker frees it; the hold lapses after the lease."""
import grpc
import pytest

from services.worker.lease import Lease
from services.worker.server import RpcError, pb, pb_grpc, serve


def init_req() -> pb.InitModelRequest:
    m = {'vocab_size': 16, 'd_model': 16, 'n_layers': 1, 'n_heads': 2, 'max_seq_len': 16, 'seed': 1}
    return pb.InitModelRequest(model=pb.ModelConfig(**m), optimizer=pb.OptimizerConfig(lr=1e-3))


@pytest.fixture()
def stub():
    server, port, _ = serve('127.0.0.1', 0, None, lease_seconds=300)
    channel = grpc.insecure_channel(f'127.0.0.1:{port}')
    yield pb_grpc.WorkerServiceStub(channel)
    channel.close()
    server.stop(None)


def as_job(job):
    return [('dsmath-job', job)] if job else []


def test_a_job_holds_the_worker_until_it_releases_it(stub):
    stub.InitModel(init_req(), metadata=as_job('job-a'))
    status = stub.GetStatus(pb.GetStatusRequest())
    assert status.held_by_job == 'job-a' and 290 < status.hold_seconds_left <= 300

    with pytest.raises(grpc.RpcError) as other:
        stub.InitModel(init_req(), metadata=as_job('job-b'))
    assert other.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert 'serves job job-a' in other.value.details() and 'refused job job-b' in other.value.details()
    with pytest.raises(grpc.RpcError) as anonymous:
        stub.Generate(pb.GenerateRequest(prompts=[pb.TokenSequence(tokens=[1, 2])], max_new_tokens=2), metadata=as_job(None))
    assert anonymous.value.code() == grpc.StatusCode.FAILED_PRECONDITION and 'naming no job' in anonymous.value.details()

    # the holder goes on; another job's release changes nothing; the holder's own release frees the worker
    stub.Generate(pb.GenerateRequest(prompts=[pb.TokenSequence(tokens=[1, 2])], max_new_tokens=2), metadata=as_job('job-a'))
    assert not stub.ReleaseWorker(pb.ReleaseWorkerRequest(), metadata=as_job('job-b')).released
    assert stub.ReleaseWorker(pb.ReleaseWorkerRequest(), metadata=as_job('job-a')).released
    assert stub.GetStatus(pb.GetStatusRequest()).held_by_job == ''
    stub.InitModel(init_req(), metadata=as_job('job-b'))
    assert stub.GetStatus(pb.GetStatusRequest()).held_by_job == 'job-b'


def test_calls_naming_no_job_to_a_free_worker_take_no_hold(stub):
    stub.InitModel(init_req())
    assert stub.GetStatus(pb.GetStatusRequest()).held_by_job == ''
    stub.InitModel(init_req(), metadata=as_job('job-a'))  # a job can take it next


def test_the_hold_lapses_a_lease_after_the_last_call_and_lasts_through_a_running_call():
    now = [0.0]
    lease = Lease(ttl=10, clock=lambda: now[0])
    lease.enter('a')
    now[0] = 1000.0  # a long call of job a: held however long it runs
    with pytest.raises(RpcError):
        lease.enter('b')
    lease.leave('a')
    now[0] = 1009.0
    assert lease.holder() == ('a', 1.0)
    now[0] = 1010.5
    assert lease.holder() == (None, 0.0)
    lease.enter('b')
    assert lease.holder()[0] == 'b'


def test_get_status_naming_a_job_claims_a_free_worker_and_only_a_free_one(stub):
    assert stub.GetStatus(pb.GetStatusRequest(), metadata=as_job('job-a')).held_by_job == 'job-a'
    assert stub.GetStatus(pb.GetStatusRequest(), metadata=as_job('job-b')).held_by_job == 'job-a'  # answered, not taken
    with pytest.raises(grpc.RpcError):
        stub.InitModel(init_req(), metadata=as_job('job-b'))
    stub.InitModel(init_req(), metadata=as_job('job-a'))
