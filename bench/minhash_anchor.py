# The Python side of bench/minhash.ts: DataTrove's MinHash dedup (MinhashDedupSignature -> MinhashDedupBuckets ->
# MinhashDedupCluster -> MinhashDedupFilter), each stage run by a LocalPipelineExecutor with one worker (the
# buckets stage has one task per bucket, as DataTrove requires, run one after another), reading the JSONL input
# with JsonlReader and writing the kept documents with JsonlWriter (uncompressed, like dsmath's side). Also the
# signatures alone (spaCy word tokenisation + 5-gram hashing + MinHash, in memory, no files).
#   python bench/minhash_anchor.py INPUT.jsonl WORKDIR '[{"name":"14x8","n_grams":5,"num_buckets":14,"hashes_per_bucket":8}, ...]'
# Prints one JSON object: per config, the wall and CPU seconds of each stage, of the whole pipeline and of the in-memory
# signatures, and the ids DataTrove removed.
import json, os, shutil, sys, time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.word_tokenizers import load_word_tokenizer

load_word_tokenizer("en").word_tokenize("warm up")  # imports spaCy once, outside the timings

src, work, configs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
in_dir, in_name = os.path.dirname(os.path.abspath(src)), os.path.basename(src)
with open(src, encoding="utf-8") as f:
    docs = [json.loads(line) for line in f if line.strip()]
texts = [d["text"] for d in docs]


def reader():
    return JsonlReader(in_dir, glob_pattern=in_name, compression=None, doc_progress=False, file_progress=False)


def timed(run):
    """(wall seconds, CPU seconds of this process)"""
    t0, c0 = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - t0, time.process_time() - c0


# Warm-up, not timed: the first executor run of a process pays one-off costs (imports, logger set-up).
os.makedirs(work, exist_ok=True)
with open(os.path.join(work, "warm.jsonl"), "w", encoding="utf-8") as f:
    f.writelines(json.dumps(x) + "\n" for x in docs[:20])
LocalPipelineExecutor(
    pipeline=[JsonlReader(work, glob_pattern="warm.jsonl", compression=None, doc_progress=False, file_progress=False),
              MinhashDedupSignature(output_folder=os.path.join(work, "warm-sigs"))],
    tasks=1, workers=1, logging_dir=os.path.join(work, "warm-logs")).run()

out = {"configs": {}, "docs": len(docs)}
for c in configs:
    cfg = MinhashConfig(n_grams=c["n_grams"], num_buckets=c["num_buckets"], hashes_per_bucket=c["hashes_per_bucket"])
    base = os.path.join(work, c["name"])
    shutil.rmtree(base, ignore_errors=True)
    d = {k: os.path.join(base, k) for k in ("sigs", "buckets", "remove", "kept", "logs")}
    stages = [
        ("signature", dict(pipeline=[reader(), MinhashDedupSignature(output_folder=d["sigs"], config=cfg)], tasks=1)),
        ("buckets", dict(pipeline=[MinhashDedupBuckets(input_folder=d["sigs"], output_folder=d["buckets"], config=cfg)],
                         tasks=cfg.num_buckets)),
        ("cluster", dict(pipeline=[MinhashDedupCluster(input_folder=d["buckets"], output_folder=d["remove"], config=cfg)],
                         tasks=1)),
        ("filter", dict(pipeline=[reader(), MinhashDedupFilter(input_folder=d["remove"]),
                                  JsonlWriter(d["kept"], compression=None)], tasks=1)),
    ]
    seconds = {}
    for name, kw in stages:
        ex = LocalPipelineExecutor(**kw, workers=1, logging_dir=os.path.join(d["logs"], name))
        seconds[name], seconds[name + "_cpu"] = timed(ex.run)
    seconds["total"] = sum(seconds[name] for name, _ in stages)
    seconds["total_cpu"] = sum(seconds[name + "_cpu"] for name, _ in stages)

    kept = set()
    for fn in os.listdir(d["kept"]):
        with open(os.path.join(d["kept"], fn), encoding="utf-8") as f:
            kept.update(json.loads(line)["id"] for line in f if line.strip())
    removed = [x["id"] for x in docs if x["id"] not in kept]

    # The signature stage's own work, in memory: DataTrove's simplify_text + spaCy tokeniser + n-gram xxhash64 + MinHash.
    step = MinhashDedupSignature(output_folder=os.path.join(base, "unused"), config=cfg)
    step.get_signature(step.get_shingles(texts[0]))  # loads spaCy's tokeniser
    seconds["signatures_in_memory"], seconds["signatures_in_memory_cpu"] = timed(lambda: [step.get_signature(s) for s in map(step.get_shingles, texts) if s.size])

    out["configs"][c["name"]] = {"seconds": seconds, "removed": removed}
    shutil.rmtree(base, ignore_errors=True)

print(json.dumps(out))
