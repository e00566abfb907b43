#!/bin/bash
# RL from one SFT checkpoint at equal samples (STEPS x QUESTIONS x GROUP each), on generated 2-3 step problems:
#   chain A: GRPO (outcome: the rule grader's 1/0), online RFT, RFT
#   chain B: GRPO with process supervision from rule-checked steps (src/rl/step-check.ts), then GRPO for
#            LONG_STEPS (the 30-minute run)
#   chain C (CHAINS="A B C"): the learned reward models: an ORM and a Math-Shepherd PRM trained on the SFT
#            model's samples, GRPO with each
# Every policy run starts AdamW fresh (--fresh-optimizer) with WARMUP steps of warmup.
# Held-out: EVAL_N generated problems, greedy + maj@8/pass@8 at the start, every EVAL_EVERY steps (0: start
# and end only) and at the end.
# usage: bench/rl/run.sh SFT_CHECKPOINT OUT_DIR [MAX_VALUE]   (then: npx tsx bench/rl/report.ts OUT_DIR)
# MAX_VALUE bounds the generated questions and held-out problems as the SFT run's did (bench/sft/run.sh).
cd "$(dirname "$0")/../.."
export PATH=$PWD/.tools/node/bin:$PWD/node_modules/.bin:$PATH
C=${1:?an SFT checkpoint (dsmath train sft)}
O=${2:-out/bench-rl}
MAXV=${3:+--max-value $3}
STEPS=${STEPS:-60} QUESTIONS=${QUESTIONS:-32} GROUP=${GROUP:-8} LR=${LR:-3e-4} LR_SCHEDULE=${LR_SCHEDULE:-cosine} WARMUP=${WARMUP:-5}
EVAL_N=${EVAL_N:-200} EVAL_EVERY=${EVAL_EVERY:-0} LONG_STEPS=${LONG_STEPS:-120} CHAINS=${CHAINS:-A B}
mkdir -p $O
POLICY="$MAXV --local --checkpoint $C --questions $QUESTIONS --group $GROUP --lr $LR --lr-schedule $LR_SCHEDULE --warmup $WARMUP --fresh-optimizer --temperature 0.7 --max-new-tokens 120 --eval-n $EVAL_N --eval-k 8 --threads 1 --seed 1 --json"
COMMON="$POLICY --steps $STEPS --eval-every $EVAL_EVERY"
RM="$MAXV --local --checkpoint $C --samples 4 --epochs 3 --temperature 0.7 --max-new-tokens 120 --threads 1 --json"
run() { local name=$1; shift; bin/dsmath.js "$@" --out $O/$name > $O/$name.json 2> $O/$name.err; }
chainA() {
  run grpo-rule train grpo $COMMON
  run online-rft train online-rft $COMMON
  run rft train rft $COMMON
}
chainB() {
  run grpo-steps train grpo $COMMON --reward rule-steps
  run grpo-long train grpo $POLICY --steps $LONG_STEPS --eval-every 40
}
chainC() {
  run orm reward train-orm $RM --questions 128
  run prm reward train-prm $RM --questions 64 --n 4 --label soft
  run grpo-orm train grpo $COMMON --reward orm --reward-model $O/orm/reward-model
  run grpo-prm train grpo $COMMON --reward prm --reward-model $O/prm/reward-model
}
for c in $CHAINS; do chain$c & done
wait
