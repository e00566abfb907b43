// dsmath command line: each verb group lives in its own file; this one only dispatches.
import { HelpShown, UsageError } from './args.ts'

const USAGE = `
dsmath <command> [options]        (dsmath <command> --help for each)

  corpus run        run the corpus job locally: WARC -> extract -> score -> Parquet shards + manifest
  corpus submit     the same job as a Temporal workflow (fan-out per WARC, shards announced on Kafka)
  worker            run a Temporal worker for corpus workflows
  registry serve    gRPC shard registry fed by the dsmath.shards Kafka topic
  warc ls|get       list the records of a WARC, or print one record
  extract           extract main text (math kept as LaTeX) from HTML on stdin
  fasttext ...      fastText CLI: supervised, predict, predict-prob, test
  seed build        build the classifier's initial training set (math seed vs crawl negatives)
  score             score documents with a fastText model
  dedup             URL, exact-text and MinHash-LSH near-duplicate removal (persistent index)
  decontam          drop documents with benchmark n-gram matches
  shards stats      rows, tokens, score histogram and top domains of a shard set
  sample-crawl      write a realistic labelled crawl from the real pages in sample/crawl
  recall run        the domain-level recall loop (local executor)
  recall submit     the recall loop as a Temporal workflow; recall status RUN shows its progress
  review            review domains of a recall run: list, mark, submit, serve (a web page)
  grade --jsonl     grade final answers: {"id","response","reference"} lines in, {"id","answer","correct"} out
  tokenizer train   train a byte-level BPE tokenizer.json on corpus text (digits split, vocab size a flag)
  tokenizer encode|decode  text lines <-> JSON arrays of token ids
  train pretrain    continued pretraining through the PyTorch worker (--local, or submit to the service)
  train sft         supervised fine-tuning on chain-of-thought examples, loss on response tokens (--local)
  train eval        greedy accuracy (and maj@k, pass@k) of a checkpoint on a problem file or generated problems
  train grpo|rft|online-rft  RL from an SFT checkpoint (GRPO: rule, ORM or PRM rewards; iterative RL with --iterations)
  reward train-orm|train-prm|score  outcome / process reward models through the worker, and scoring with them
  reward serve      gRPC RewardService: reward-model jobs and Score (rule, ORM, PRM rewards)
  grpo serve        gRPC GrpoService: GRPO / online RFT / RFT jobs, iterative RL
  pretrain serve    gRPC PretrainService: jobs fed by dsmath.shards events, checkpoints, status streams
  sft serve         gRPC SftService: fine-tuning jobs from a pretrain checkpoint, status streams, checkpoints
  demo              run the corpus job on the sample data in the repo
`

type Handler = (argv: string[]) => Promise<number>

const COMMANDS: Record<string, () => Promise<Handler>> = {
  'corpus run': async () => (await import('./corpus.ts')).corpusRun,
  'corpus submit': async () => (await import('./submit.ts')).corpusSubmit,
  worker: async () => (await import('./worker.ts')).workerCommand,
  'registry serve': async () => (await import('./registry.ts')).registryServe,
  'warc ls': async () => (await import('./warc.ts')).warcLs,
  'warc get': async () => (await import('./warc.ts')).warcGet,
  extract: async () => (await import('./extract.ts')).extractCommand,
  demo: async () => (await import('./demo.ts')).demoCommand,
  'fasttext supervised': async () => (await import('./fasttext.ts')).fasttextSupervised,
  'fasttext predict': async () => (await import('./fasttext.ts')).fasttextPredict,
  'fasttext predict-prob': async () => (await import('./fasttext.ts')).fasttextPredictProb,
  'fasttext test': async () => (await import('./fasttext.ts')).fasttextTest,
  'seed build': async () => (await import('./seed.ts')).seedBuild,
  score: async () => (await import('./score.ts')).scoreCommand,
  dedup: async () => (await import('./dedup.ts')).dedupCommand,
  decontam: async () => (await import('./decontam.ts')).decontamCommand,
  'shards stats': async () => (await import('./shards.ts')).shardsStats,
  'sample-crawl': async () => (await import('./recall.ts')).sampleCrawl,
  'recall run': async () => (await import('./recall.ts')).recallRun,
  'recall submit': async () => (await import('./recall-temporal.ts')).recallSubmit,
  'recall status': async () => (await import('./recall-temporal.ts')).recallStatusCommand,
  review: async () => (await import('./review.ts')).reviewCommand,
  grade: async () => (await import('./grade.ts')).gradeCommand,
  'tokenizer train': async () => (await import('./tokenizer.ts')).tokenizerTrain,
  'tokenizer encode': async () => (await import('./tokenizer.ts')).tokenizerEncode,
  'tokenizer decode': async () => (await import('./tokenizer.ts')).tokenizerDecode,
  'train pretrain': async () => (await import('./train.ts')).trainPretrain,
  'train sft': async () => (await import('./train.ts')).trainSft,
  'train eval': async () => (await import('./train.ts')).trainEval,
  'train grpo': async () => (await import('../rl/cli.ts')).rlCommand('grpo'),
  'train rft': async () => (await import('../rl/cli.ts')).rlCommand('rft'),
  'train online-rft': async () => (await import('../rl/cli.ts')).rlCommand('online-rft'),
  'reward train-orm': async () => (await import('../rl/cli.ts')).rewardTrain('orm'),
  'reward train-prm': async () => (await import('../rl/cli.ts')).rewardTrain('prm'),
  'reward score': async () => (await import('../rl/cli.ts')).rewardScore,
  'reward serve': async () => (await import('../rl/cli.ts')).rlServe('reward'),
  'grpo serve': async () => (await import('../rl/cli.ts')).rlServe('grpo'),
  'pretrain serve': async () => (await import('./train.ts')).pretrainServe,
  'sft serve': async () => (await import('../train/sft-cli.ts')).sftServe,
}

export async function main(argv: string[]): Promise<number> {
  const two = argv.slice(0, 2).join(' ')
  const key = COMMANDS[two] ? two : COMMANDS[argv[0] ?? ''] ? argv[0] : undefined
  if (!key) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
      process.stdout.write(USAGE.trim() + '\n')
      return argv.length === 0 ? 2 : 0
    }
    const group = Object.keys(COMMANDS).filter((k) => k.startsWith(`${argv[0]} `))
    if (group.length && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
      const lines = USAGE.split('\n').filter((l) => l.startsWith(`  ${argv[0]} `))
      process.stdout.write(`dsmath ${argv[0]} <${group.map((k) => k.split(' ')[1]).join('|')}> [options]   (each with --help)\n\n${lines.join('\n')}\n`)
      return argv.length === 1 ? 2 : 0
    }
    process.stderr.write(`dsmath: unknown command '${argv.slice(0, 2).join(' ')}' (see dsmath --help)\n`)
    return 2
  }
  try {
    const handler = await COMMANDS[key]()
    return await handler(argv.slice(key.split(' ').length))
  } catch (err) {
    if (err instanceof HelpShown) return 0
    if (err instanceof UsageError) {
      process.stderr.write(`dsmath ${key}: ${err.message}\n`)
      return 2
    }
    const e = err as Error
    process.stderr.write(`dsmath ${key}: ${e.message ?? String(err)}\n`)
    if (process.env.DSMATH_DEBUG) process.stderr.write(`${e.stack}\n`)
    return 1
  }
}
