// Plain data passed between the corpus workflow, its activities and the client (no imports with side effects).
import type { StageOptions } from '../src/pipeline/document.ts'
import type { FilterOptions } from '../src/pipeline/filter-shard.ts'
export interface CorpusRunInput {
  runId: string
  input: string
  base?: string
  out: string
  modelUri: string
  /** WARC activities in flight at once. */
  concurrency: number
  /** Rows per staged chunk (and so per heartbeated checkpoint). */
  chunkRows: number
  /** How long a silent WARC activity may go before it is retried elsewhere (default 30). */
  heartbeatTimeoutSeconds?: number
  stages: StageOptions
  filters: FilterOptions
}

export interface ProcessWarcInput {
  runId: string
  warcPath: string
  out: string
  modelUri: string
  chunkRows: number
  stages: StageOptions
}

export interface CorpusRunResult {
  runId: string
  manifestPath: string
  shards: number
  docs: number
  announced: number
  alreadyAnnounced: number
  /** WARCs that could not be read at all (missing, not a file); listed with the reason in the manifest. */
  failedInputs: number
}

export const CORPUS_TASK_QUEUE = process.env.DSMATH_TASK_QUEUE ?? 'dsmath-corpus'
