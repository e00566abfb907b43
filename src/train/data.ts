// Pretraining data: named sources mixed by weight, documents packed into fixed-length token sequences with
// EOS between documents, and a streaming loader whose whole position (per-source file/row, the mixing RNG,
// the tokens waiting to be packed, the sequence index) is a small JSON object: a loader rebuilt from it
// yields exactly the sequences the original would have yielded next.
import { gunzipSync } from 'node:zlib'
import { readAll, listObjects } from '../storage/store.ts'
import { decodeParquet } from '../shard/parquet.ts'
import { arithmeticDocument, GENERATED_ARITHMETIC, parseGeneratedUri } from './arithmetic.ts'
import { Rng } from './rng.ts'

export { GENERATED_ARITHMETIC }

export interface SourceSpec {
  name: string
  /** Relative weight (normalised over the sources that have data). */
  weight: number
  /** Files (Parquet, JSON lines, optionally gzipped, or plain text = one document), directories/prefixes
   * (local or s3://) holding such files, or GENERATED_ARITHMETIC alone. */
  uris: string[]
  /** Parquet/JSON field holding the text; default "text". */
  textColumn?: string
  /** Kafka topic whose shard events add files to this source (handled by the pretrain service). */
  shardsTopic?: string
}

/** The paper's pretraining mixture (section 2.3) and what each source maps to in this repository. */
export const PAPER_MIXTURE: readonly { name: string; weight: number; paper: string; here: string }[] = [
  { name: 'math_corpus', weight: 56, paper: 'DeepSeekMath Corpus', here: 'corpus shards (dsmath corpus run output, dsmath.shards events), or generated:arithmetic when no data is given' },
  { name: 'algebraic_stack', weight: 4, paper: 'AlgebraicStack', here: 'math code files given with --data algebraic_stack=...' },
  { name: 'arxiv', weight: 10, paper: 'arXiv', here: 'papers given with --data arxiv=...' },
  { name: 'github_code', weight: 20, paper: 'GitHub code', here: 'code given with --data github_code=...' },
  { name: 'common_crawl', weight: 10, paper: 'Common Crawl (natural language)', here: 'e.g. sample/seed/negatives.jsonl.gz (crawl pages)' },
]

export interface SourcePosition {
  /** Files known to the source, in the order they are read (shards announced later are appended). */
  files: string[]
  file: number
  row: number
  epoch: number
  docs: number
  tokens: number
  /** Every file was read through without a document (kept in the state, so a resumed mix is the same). */
  empty?: boolean
}

export interface LoaderState {
  version: 1
  seq_len: number
  rng: number
  /** Sequences produced so far: the next one has this index. */
  seq_index: number
  /** Tokens read from documents but not yet packed into a sequence. */
  buffer: number[]
  sources: Record<string, SourcePosition>
}

export interface TextEncoder { encode(text: string, opts?: { plainText?: boolean }): number[] }

const DOC_FILE = /\.(parquet|jsonl|ndjson|txt|md|tex)(\.gz)?$/i

/** Expands directories/prefixes into their document files (sorted); GENERATED_ARITHMETIC stays as is. */
export async function expandUris(uris: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const uri of uris) {
    if (parseGeneratedUri(uri)) { out.push(uri); continue }
    const listed = await listObjects(uri)
    out.push(...(listed.length === 1 && listed[0] === uri.replace(/^file:\/\//, '') ? listed : listed.filter((p) => DOC_FILE.test(p))))
  }
  return out
}

/** The texts of one document file. */
export async function readTexts(path: string, column = 'text'): Promise<string[]> {
  const raw = await readAll(path)
  if (/\.parquet$/i.test(path)) {
    return decodeParquet(raw).map((r) => (r as unknown as Record<string, unknown>)[column]).filter((t): t is string => typeof t === 'string' && t.length > 0)
  }
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8')
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(path)) {
    const out: string[] = []
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      const t = (JSON.parse(line) as Record<string, unknown>)[column]
      if (typeof t === 'string' && t.length > 0) out.push(t)
    }
    return out
  }
  return text.length ? [text] : []
}

export interface MixtureEntry { name: string; weight: number; effective: number; files: number; generated: boolean; note?: string }

export class PretrainLoader {
  private readonly rng: Rng
  private readonly cache = new Map<string, string[]>()
  readonly state: LoaderState

  constructor(
    readonly specs: readonly SourceSpec[], readonly seqLen: number, readonly batchSize: number,
    private readonly tokenizer: TextEncoder, private readonly eosId: number, readonly seed: number,
    state?: LoaderState,
  ) {
    this.state = state ? structuredClone(state) : {
      version: 1, seq_len: seqLen, rng: Rng.fromSeed(seed, 17).state, seq_index: 0, buffer: [],
      sources: Object.fromEntries(specs.map((s) => [s.name, { files: [], file: 0, row: 0, epoch: 0, docs: 0, tokens: 0 }])),
    }
    if (this.state.seq_len !== seqLen) throw new Error(`loader state was written for seq_len ${this.state.seq_len}, not ${seqLen}`)
    for (const s of specs) this.state.sources[s.name] ??= { files: [], file: 0, row: 0, epoch: 0, docs: 0, tokens: 0 }
    this.rng = new Rng(this.state.rng)
  }

  /** A fresh loader over the specs' files (directories expanded now, in sorted order). */
  static async create(specs: readonly SourceSpec[], seqLen: number, batchSize: number, tokenizer: TextEncoder, eosId: number, seed: number): Promise<PretrainLoader> {
    const loader = new PretrainLoader(specs, seqLen, batchSize, tokenizer, eosId, seed)
    for (const s of specs) loader.addFiles(s.name, await expandUris(s.uris))
    return loader
  }

  /**
   * The loader of a checkpoint, given the run's sources again: files the sources gained since (a directory's new
   * shards, a new source) are appended, so a resumed run reads them; a source cannot switch between the
   * generator and files, or change the generator's settings.
   */
  static async resume(specs: readonly SourceSpec[], seqLen: number, batchSize: number, tokenizer: TextEncoder, eosId: number, seed: number, state: LoaderState): Promise<PretrainLoader> {
    const loader = new PretrainLoader(specs, seqLen, batchSize, tokenizer, eosId, seed, state)
    for (const s of specs) {
      const files = await expandUris(s.uris)
      const had = loader.state.sources[s.name]!.files
      const generatedBefore = had.length > 0 && parseGeneratedUri(had[0]!) !== null
      const generatedNow = files.length > 0 && parseGeneratedUri(files[0]!) !== null
      if (had.length > 0 && files.length > 0 && (generatedBefore !== generatedNow || (generatedBefore && had[0] !== files[0]))) {
        throw new Error(`source ${s.name}: the checkpoint reads ${had[0]}, the config now ${files[0]}; a source cannot switch between the generator and files, or change the generator (start a new --out)`)
      }
      loader.addFiles(s.name, files)
    }
    return loader
  }

  /** Appends files (e.g. shards announced on Kafka) to a source; files it already has are ignored. */
  addFiles(source: string, files: readonly string[]): number {
    const pos = this.state.sources[source]
    if (!pos) throw new Error(`no source named ${source}`)
    let added = 0
    for (const f of files) if (!pos.files.includes(f)) { pos.files.push(f); added++ }
    if (added) pos.empty = false
    return added
  }

  private generated(name: string) { const f = this.state.sources[name]!.files[0]; return f === undefined ? null : parseGeneratedUri(f) }

  private hasData(s: SourceSpec): boolean {
    const pos = this.state.sources[s.name]!
    return s.weight > 0 && pos.files.length > 0 && !pos.empty
  }

  /** Configured weights (normalised) and the weights in effect: sources without data give theirs to the rest. */
  mixture(): MixtureEntry[] {
    const total = this.specs.reduce((a, s) => a + s.weight, 0)
    const live = this.specs.filter((s) => this.hasData(s)).reduce((a, s) => a + s.weight, 0)
    return this.specs.map((s) => {
      const has = this.hasData(s)
      const e: MixtureEntry = {
        name: s.name, weight: total ? s.weight / total : 0, effective: has && live ? s.weight / live : 0,
        files: this.generated(s.name) ? 0 : this.state.sources[s.name]!.files.length, generated: this.generated(s.name) !== null,
      }
      if (!has && s.weight > 0) e.note = 'no data: weight redistributed over the other sources'
      return e
    })
  }

  /**
   * The live source furthest below its share of the tokens so far. The paper's mixture is a share of training
   * tokens, and documents differ in length by orders of magnitude (a generated problem is ~100 tokens, a
   * paper tens of thousands), so drawing sources by document would not give it. Deterministic, and a pure
   * function of the token counts in the state, so a resumed loader picks as the uninterrupted one would.
   */
  private async pickSource(): Promise<SourceSpec> {
    const live = this.specs.filter((s) => this.hasData(s))
    if (live.length === 0) throw new Error(`no source has data (sources: ${this.specs.map((s) => s.name).join(', ')})`)
    const weights = live.reduce((a, s) => a + s.weight, 0)
    const tokens = live.reduce((a, s) => a + this.state.sources[s.name]!.tokens, 0)
    let best = live[0]!, bestDeficit = -Infinity
    for (const s of live) {
      const deficit = (s.weight / weights) * (tokens + 1) - this.state.sources[s.name]!.tokens
      if (deficit > bestDeficit) { best = s; bestDeficit = deficit }
    }
    return best
  }

  private async texts(path: string, column: string): Promise<string[]> {
    let t = this.cache.get(path)
    if (!t) {
      t = await readTexts(path, column)
      if (this.cache.size >= 4) this.cache.delete(this.cache.keys().next().value!)
      this.cache.set(path, t)
    }
    return t
  }

  /** The next document of a source (cycling over its files: epoch counts the passes), or null if it has none. */
  private async nextDoc(s: SourceSpec): Promise<string | null> {
    const pos = this.state.sources[s.name]!
    const limits = this.generated(s.name)
    if (limits) return arithmeticDocument(this.seed, pos.row++, limits)
    for (let tried = 0; tried <= pos.files.length; tried++) {
      if (pos.file >= pos.files.length) { pos.file = 0; pos.epoch++ }
      const texts = await this.texts(pos.files[pos.file]!, s.textColumn || 'text')
      if (pos.row < texts.length) return texts[pos.row++]!
      pos.file++
      pos.row = 0
    }
    pos.empty = true
    return null
  }

  /** One sequence of seq_len + 1 tokens (the model reads seq_len and predicts seq_len). */
  async nextSequence(): Promise<number[]> {
    const want = this.seqLen + 1
    while (this.state.buffer.length < want) {
      const s = await this.pickSource()
      const text = await this.nextDoc(s)
      if (text === null) continue
      const ids = this.tokenizer.encode(text, { plainText: true })
      ids.push(this.eosId)
      const pos = this.state.sources[s.name]!
      pos.docs++
      pos.tokens += ids.length
      for (const id of ids) this.state.buffer.push(id)
    }
    this.state.rng = this.rng.state
    this.state.seq_index++
    return this.state.buffer.splice(0, want)
  }

  async nextBatch(): Promise<number[][]> {
    const out: number[][] = []
    for (let i = 0; i < this.batchSize; i++) out.push(await this.nextSequence())
    return out
  }

  /** A copy of the position, safe to serialise while the loader goes on. */
  snapshot(): LoaderState {
    return structuredClone({ ...this.state, rng: this.rng.state })
  }
}
