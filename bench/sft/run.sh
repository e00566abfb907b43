#!/bin/bash
# The training-services goal, end to end on CPU: pretrain a small model on generated arithmetic text plus
# corpus text, SFT it (chain-of-thought), and compare held-out greedy accuracy on generated 2-3 step problems
# before and after SFT (the base is evaluated with the same SFT prompt). Every number of the generated
# problems (pretraining, SFT and held-out alike, each from its own seed) stays in [0, MAX_VALUE].
# usage: bench/sft/run.sh [OUT_DIR] [MAX_VALUE] [PRETRAIN_STEPS] [SFT_STEPS]   (then: npx tsx bench/sft/report.ts OUT_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PWD/.tools/node/bin:$PWD/node_modules/.bin:$PATH
O=${1:-out/bench-sft}
MAXV=${2:-99}
PRETRAIN_STEPS=${3:-4000}
SFT_STEPS=${4:-1500}
THREADS=${THREADS:-1}
rm -rf "$O" && mkdir -p "$O"
MODEL=${MODEL:-"--d-model 64 --layers 4 --heads 4"}  # env MODEL and PRETRAIN_LR override the policy size and pretraining lr
PRETRAIN_LR=${PRETRAIN_LR:-3e-3}
field() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$1','utf8'))['$2']))"; }
start=$(date +%s)
# 85% generated arithmetic (the math corpus's place in the paper's mix), 7.5% PlanetMath text (arXiv's place),
# 7.5% general web text (Common Crawl's); the sources without data give their weight to these.
bin/dsmath.js train pretrain --local --steps "$PRETRAIN_STEPS" --seq-len 256 --batch 4 --lr "$PRETRAIN_LR" --warmup 50 $MODEL \
  --data "math_corpus=generated:arithmetic?max-value=$MAXV" --weight math_corpus=85 \
  --data arxiv=sample/seed/positives.jsonl.gz --weight arxiv=7.5 \
  --data common_crawl=sample/seed/negatives.jsonl.gz --weight common_crawl=7.5 \
  --threads "$THREADS" --out "$O/pretrain" --json > "$O/pretrain.json"
BASE=$(field "$O/pretrain.json" checkpoint)
bin/dsmath.js train eval --local --checkpoint "$BASE" --generated 100 --max-value "$MAXV" --threads "$THREADS" --out "$O/eval-base.jsonl" --json > "$O/eval-base.json"
# The base also in its own pretraining format (no instruction line), which the SFT prompt hides from it.
bin/dsmath.js train eval --local --checkpoint "$BASE" --generated 100 --max-value "$MAXV" --threads "$THREADS" \
  --prompt-template 'Question: {question}\nSolution:\n' --out "$O/eval-base-own.jsonl" --json > "$O/eval-base-own.json"
bin/dsmath.js train sft --local --checkpoint "$BASE" --max-value "$MAXV" --steps "$SFT_STEPS" --threads "$THREADS" --out "$O/sft" --json > "$O/sft.json"
SFT=$(field "$O/sft.json" checkpoint)
bin/dsmath.js train eval --local --checkpoint "$SFT" --generated 100 --max-value "$MAXV" --threads "$THREADS" --out "$O/eval-sft.jsonl" --json > "$O/eval-sft.json"
echo "{\"max_value\":$MAXV,\"pretrain_steps\":$PRETRAIN_STEPS,\"sft_steps\":$SFT_STEPS,\"threads\":$THREADS,\"wall_sec\":$(( $(date +%s) - start ))}" > "$O/run.json"
npx tsx bench/sft/report.ts "$O"
