#!/bin/bash
# GRPO vs online RFT vs RFT at equal samples (30 steps x 4 questions x 8 samples = 960), and outcome (ORM) vs
# process (PRM) supervision, from the same SFT checkpoint; held-out: 50 generated problems, greedy + maj@8/pass@8.
cd "$(dirname "$0")/../.."
export PATH=$PWD/.tools/node/bin:$PWD/node_modules/.bin:$PATH
# usage: bench/rl/run.sh SFT_CHECKPOINT OUT_DIR [MAX_VALUE]   (then: npx tsx bench/rl/report.ts OUT_DIR)
# MAX_VALUE bounds the generated questions and held-out problems as the SFT run's did (bench/sft/run.sh).
C=${1:?an SFT checkpoint (dsmath train sft)}
O=${2:-out/bench-rl}
MAXV=${3:+--max-value $3}
mkdir -p $O
COMMON="$MAXV --local --checkpoint $C --steps 30 --questions 4 --group 8 --lr 2e-4 --temperature 0.7 --max-new-tokens 120 --eval-n 50 --eval-k 8 --threads 1 --seed 1 --json"
chainA() {
  bin/dsmath.js train grpo $COMMON --out $O/grpo-rule > $O/grpo-rule.json 2> $O/grpo-rule.err
  bin/dsmath.js train online-rft $COMMON --out $O/online-rft > $O/online-rft.json 2> $O/online-rft.err
  bin/dsmath.js train rft $COMMON --out $O/rft > $O/rft.json 2> $O/rft.err
}
chainB() {
  bin/dsmath.js reward train-orm $MAXV --local --checkpoint $C --questions 40 --samples 4 --epochs 3 --temperature 0.7 --max-new-tokens 120 --threads 1 --out $O/orm --json > $O/orm.json 2> $O/orm.err
  bin/dsmath.js reward train-prm $MAXV --local --checkpoint $C --questions 24 --samples 4 --n 4 --label soft --epochs 3 --temperature 0.7 --max-new-tokens 120 --threads 1 --out $O/prm --json > $O/prm.json 2> $O/prm.err
  bin/dsmath.js train grpo $COMMON --reward orm --reward-model $O/orm/reward-model --out $O/grpo-orm > $O/grpo-orm.json 2> $O/grpo-orm.err
  bin/dsmath.js train grpo $COMMON --reward prm --reward-model $O/prm/reward-model --out $O/grpo-prm > $O/grpo-prm.json 2> $O/grpo-prm.err
}
chainA &
chainB &
wait
