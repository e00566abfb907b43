import { connectClient, submitCorpusRun, type CorpusRunProgress } from '../../workflows/client.ts'
import { ProgressBar } from '../train/progress.ts'
import { DEFAULT_BATCH_SIZE } from '../../workflows/limits.ts'
import { ensureDefaultModel } from '../fasttext/default-model.ts'
import { joinLocation } from '../storage/location.ts'
import { readAll, writeObject } from '../storage/store.ts'
import { CORPUS_FLAGS, filterOptions, stageOptions } from './corpus.ts'
import { intFlag, log, parse, required } from './args.ts'

const USAGE = `
dsmath corpus submit --input SRC --out DST [--model M] [--wait] [options]

Runs the corpus job as a Temporal workflow (Temporal at $DSMATH_TEMPORAL_ADDRESS): one activity per WARC
file, at most --concurrency at once, each heartbeating its resume point; every finished shard is announced
on the Kafka topic dsmath.shards exactly once. Flags as for 'corpus run', plus:
  --wait            wait for the run to finish and print its result
  --chunk-rows N    rows per staged chunk, i.e. per checkpoint (default 2000)
  --heartbeat-timeout S   seconds without a heartbeat before a WARC activity is retried (default 30)
  --batch-size N    WARCs per child workflow (default 256 or 4 x --concurrency, the larger); batches run in
                    list order, so a Common Crawl dump's 90,000 WARCs never sit in one workflow's history
Workers must be able to read --input and --model and write --out (use s3:// for many machines).
`

/** Draws a run's progress on stderr once its WARC list is known: WARCs filtered and announced, shards, docs. */
function progressBar(): { update(p: CorpusRunProgress): void; done(): void } {
  let bar: ProgressBar | null = null
  return {
    update: (p) => {
      if (p.warcs === null) return
      bar ??= new ProgressBar(p.warcs, 'corpus')
      bar.update(p.warcsDone, `WARCs, batch ${Math.min(p.batchesDone + 1, p.batches ?? 1)}/${p.batches}, ${p.shards} shards, ${p.docs} docs`)
    },
    done: () => bar?.done(),
  }
}

export async function corpusSubmit(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...CORPUS_FLAGS, wait: { type: 'boolean' }, 'chunk-rows': { type: 'string' }, 'heartbeat-timeout': { type: 'string' }, 'batch-size': { type: 'string' } }, USAGE)
  const input = required(values, 'input')
  const out = required(values, 'out')
  const runId = (values['run-id'] as string | undefined) ?? `run-${new Date().toISOString().replace(/[:.]/g, '-')}`
  let modelUri = values.model as string | undefined
  if (!modelUri) {
    const local = await ensureDefaultModel(log)
    modelUri = out.startsWith('s3://') ? joinLocation(out, '_model', 'math-classifier.bin') : local
    if (modelUri !== local) await writeObject(modelUri, await readAll(local))
  }
  const client = await connectClient()
  const bar = progressBar()
  try {
    const { workflowId, result } = await submitCorpusRun(client, {
      runId, input, base: values.base as string | undefined, out, modelUri,
      concurrency: intFlag(values, 'concurrency', 4, 1), chunkRows: intFlag(values, 'chunk-rows', 2000, 1),
      heartbeatTimeoutSeconds: intFlag(values, 'heartbeat-timeout', 30, 1), ...(values['batch-size'] ? { batchSize: intFlag(values, 'batch-size', DEFAULT_BATCH_SIZE, 1) } : {}), stages: await stageOptions(values), filters: filterOptions(values),
    }, Boolean(values.wait), bar.update)
    bar.done()
    if (!result) {
      process.stdout.write(values.json ? JSON.stringify({ workflowId, runId }) + '\n' : `submitted ${workflowId} (run ${runId})\n`)
      return 0
    }
    if (values.json) process.stdout.write(JSON.stringify({ workflowId, ...result }, null, 2) + '\n')
    else process.stdout.write(`run ${runId} finished: ${result.shards} shards, ${result.docs} docs, ${result.announced} announced (${result.alreadyAnnounced} already announced)\n  ${result.manifestPath}\n`)
    if (!result.failedInputs) return 0
    log(`${result.failedInputs} WARC files could not be read: see failed_inputs in ${result.manifestPath}`)
    return 1
  } finally {
    await client.connection.close()
  }
}
