"""math-verify on the bench's answer pairs: one {"id","correct"} line per pair on stdout, then a summary line
{"summary": {...}} with the seconds spent in parse + verify (import and file reading excluded)."""
import json
import sys
import time
from importlib.metadata import version

from math_verify import parse, verify


def main(path: str) -> None:
    pairs = [json.loads(line) for line in open(path, encoding="utf8") if line.strip()]
    start = time.perf_counter()
    results = []
    for p in pairs:
        try:
            correct = bool(verify(parse(p["reference"]), parse(p["response"])))
        except Exception:  # math-verify raises on some inputs; the pair then counts as not matched
            correct = False
        results.append({"id": p["id"], "correct": correct})
    seconds = time.perf_counter() - start
    for r in results:
        print(json.dumps(r))
    print(json.dumps({"summary": {"pairs": len(pairs), "seconds": seconds, "version": version("math-verify")}}))


if __name__ == "__main__":
    main(sys.argv[1])
