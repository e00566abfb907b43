// One job at a time on a shared worker, through the TypeScript client: a connection with a job id holds the
// worker, another job's connection is refused with FAILED_PRECONDITION naming the holder, and release() frees it.
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { claimWorker, poolAddresses, spawnWorker, WorkerConn, type SpawnedWorker } from '../../src/train/worker.ts'

let spawned: SpawnedWorker, second: SpawnedWorker
beforeAll(async () => {
  [spawned, second] = await Promise.all([spawnWorker({ threads: 1, device: 'cpu' }), spawnWorker({ threads: 1, device: 'cpu' })])
}, 90_000)
afterAll(async () => { await Promise.all([spawned?.stop(), second?.stop()]) })

const init = {
  model: { vocab_size: 16, d_model: 16, n_layers: 1, n_heads: 2, ffn_hidden: 0, max_seq_len: 16, rope_theta: 0, dtype: 0, seed: 1, tie_embeddings: false, norm_eps: 0 },
  optimizer: { lr: 1e-3, beta1: undefined, beta2: undefined, weight_decay: undefined, grad_clip: 1, eps: undefined },
}

it('serves one job at a time and frees the worker on release', { timeout: 60_000 }, async () => {
  const a = new WorkerConn(spawned.address, undefined, undefined, 'sft/job-a')
  const b = new WorkerConn(spawned.address, undefined, undefined, 'grpo/job-b')
  const anonymous = new WorkerConn(spawned.address)
  await a.initModel(init)
  expect((await anonymous.getStatus()).held_by_job).toBe('sft/job-a')
  const refused = await b.initModel(init).then(() => null, (e: Error & { code: number }) => e)
  expect(refused?.code).toBe(grpc.status.FAILED_PRECONDITION)
  expect(refused?.message).toMatch(/serves job sft\/job-a.*refused job grpo\/job-b/)
  await expect(anonymous.initModel(init)).rejects.toThrow(/naming no job/)

  await a.release()
  expect((await anonymous.getStatus()).held_by_job).toBe('')
  await b.initModel(init)
  expect((await anonymous.getStatus()).held_by_job).toBe('grpo/job-b')
  await b.release()
  anonymous.close()
})

it('a job claims a free worker of a pool, and is told which are busy when none is', { timeout: 60_000 }, async () => {
  const pool = [spawned.address, second.address]
  const a = await claimWorker(pool, 'pretrain/a')
  expect(a.address).toBe(spawned.address)
  const b = await claimWorker(pool, 'sft/b')
  expect(b.address).toBe(second.address)
  await expect(claimWorker(pool, 'grpo/c')).rejects.toThrow(`job grpo/c: no free worker: ${spawned.address} serves job pretrain/a; ${second.address} serves job sft/b`)
  await b.release()
  expect((await claimWorker(pool, 'grpo/c')).address).toBe(second.address)
  await a.release()
  // a name resolves to each of its addresses (a headless Service names every worker pod)
  const port = spawned.address.split(':').at(-1)
  expect(await poolAddresses(`localhost:${port}`)).toContain(`127.0.0.1:${port}`)
  await expect(poolAddresses('no-port')).rejects.toThrow(/expected HOST:PORT/)
})
