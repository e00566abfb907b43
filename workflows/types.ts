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
  /** WARCs per child workflow (default: DEFAULT_BATCH_SIZE of limits.ts or 4 × concurrency, whichever is larger). */
  batchSize?: number
  /** Batches before the run continues as new (default BATCHES_PER_RUN). */
  batchesPerRun?: number
}

/** The WARC list of a run, written once to storage: workflows pass its location and size, never the list. */
export interface WarcList { path: string; count: number }

/** One child workflow's share of a run: WARCs [start, end) of the list, in list order. */
export interface CorpusBatchInput {
  run: CorpusRunInput
  list: WarcList
  batch: number
  start: number
  end: number
}

/** A batch's counts; its shards and failed inputs are in storage at `resultPath` (read by the manifest). */
export interface BatchSummary {
  batch: number
  resultPath: string
  shards: number
  docs: number
  announced: number
  alreadyAnnounced: number
  failedInputs: number
}

/** What `corpusProgress` answers: null counts until the WARC list is resolved. */
export interface CorpusProgress {
  warcs: number | null
  batchSize: number
  batches: number | null
  batchesDone: number
  shards: number
  docs: number
  failedInputs: number
}

/** What `batchProgress` answers: the batch's WARCs, how many are scored and how many filtered and announced. */
export interface BatchProgress { warcs: number; scored: number; filtered: number }

/** What a corpus run carries over continue-as-new. */
export interface CorpusCarry {
  list: WarcList
  nextBatch: number
  totals: Omit<BatchSummary, 'batch' | 'resultPath'>
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
