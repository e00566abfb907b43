#!/bin/bash
# RL from one SFT checkpoint at equal samples (STEPS x QUESTIONS x GROUP each), on generated 2-3 step problems:
#   chain A: GRPO (outcome: the rule grader's 1/0), online RFT, RFT
#   chain B: GRPO with process supervision from rule-checked steps (src/rl/step-check.ts), then the learned reward
#            models: an ORM and a Math-Shepherd PRM trained on the SFT model's samples, GRPO with each
# Held-out: EVAL_N generated problems, greedy + maj@8/pass@8 at the start, every 50 steps and at the end.
# usage: bench/rl/run.sh SFT_CHECKPOINT OUT_DIR [MAX_VALUE]   (then: npx tsx bench/rl/report.ts OUT_DIR)
# MAX_VALUE bounds the generated questions and held-out problems as the SFT run's did (bench/sft/run.sh).
cd "$(dirname "$0")/../.."
export PATH=$PWD/.tools/node/bin:$PWD/node_modules/.bin:$PATH
C=${1:?an SFT checkpoint (dsmath train sft)}
O=${2:-out/bench-rl}
MAXV=${3:+--max-value $3}
STEPS=${STEPS:-150} QUESTIONS=${QUESTIONS:-8} GROUP=${GROUP:-8} LR=${LR:-1e-4} LR_SCHEDULE=${LR_SCHEDULE:-cosine} EVAL_N=${EVAL_N:-200}
mkdir -p $O
COMMON="$MAXV --local --checkpoint $C --steps $STEPS --questions $QUESTIONS --group $GROUP --lr $LR --lr-schedule $LR_SCHEDULE --temperature 0.7 --max-new-tokens 120 --eval-n $EVAL_N --eval-k 8 --eval-every 50 --threads 1 --seed 1 --json"
RM="$MAXV --local --checkpoint $C --samples 4 --epochs 3 --temperature 0.7 --max-new-tokens 120 --threads 1 --json"
run() { local name=$1; shift; bin/dsmath.js "$@" --out $O/$name > $O/$name.json 2> $O/$name.err; }
chainA() {
  run grpo-rule train grpo $COMMON
  run online-rft train online-rft $COMMON
  run rft train rft $COMMON
}
chainB() {
  run grpo-steps train grpo $COMMON --reward rule-steps
  run orm reward train-orm $RM --questions 128
  run prm reward train-prm $RM --questions 64 --n 4 --label soft
  run grpo-orm train grpo $COMMON --reward orm --reward-model $O/orm/reward-model
  run grpo-prm train grpo $COMMON --reward prm --reward-model $O/prm/reward-model
}
chainA &
chainB &
wait
