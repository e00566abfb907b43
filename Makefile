# dsmath: every target runs with Node 24 first on PATH (installed into .tools/ when the machine's Node is older).
SHELL := /bin/bash
NODE_VERSION := 24.22.3
TOOLS := $(CURDIR)/.tools
NODE_BIN := $(TOOLS)/node/bin
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(CURDIR)/.venv/bin:$(PATH)
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED := true
PY := $(CURDIR)/.venv/bin/python

.PHONY: all install node deps native pydeps pylock proto typecheck demo test test-unit pytest infra-install infra-up infra-down chaos bench-deps bench-fasttext bench-warc bench-minhash bench-extract bench-prefilter bench-grader bench-tokenizer k8s-check k8s-check-build k8s-dry-run k8s-dry-run-build clean

all: install

node: $(NODE_BIN)/node
$(NODE_BIN)/node:
	@bash scripts/install-node.sh "$(NODE_VERSION)" "$(TOOLS)"

deps: node_modules/.installed
node_modules/.installed: package.json package-lock.json | node
	@# npm ci rejects this lock: vite lists an optional Windows-only package the registry here does not serve.
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

pydeps: .venv/.installed
# requirements.lock pins every package (torch's CUDA wheels among them: torch from PyPI loads them even on a CPU);
# scripts/install-python.sh installs them one at a time without pip's cache, so the disk never holds much more
# than the finished venv (4.7 GB).
.venv/.installed: requirements.lock requirements.txt services/worker/requirements.txt
	bash scripts/install-python.sh .venv requirements.lock requirements.txt services/worker/requirements.txt
	@touch $@

# Regenerates requirements.lock after a pin in requirements.txt or services/worker/requirements.txt changes.
pylock:
	@rm -rf .venv-lock && python3 -m venv .venv-lock
	.venv-lock/bin/pip install -q --disable-pip-version-check --no-cache-dir -r requirements.txt -r services/worker/requirements.txt
	@{ sed -n '1,3p' requirements.lock; .venv-lock/bin/pip freeze --all | grep -vE '^(pip|triton)=='; } > requirements.lock.new
	@mv requirements.lock.new requirements.lock && rm -rf .venv-lock && echo "requirements.lock: $$(grep -c '==' requirements.lock) pins"

install: node deps pydeps native

# The WARC reader's libdeflate addon (native/inflate, N-API, built with cc from libdeflate 1.26's sources in the
# PyPI sdist of deflate 0.9.0, or against Debian's libdeflate-dev when PyPI is out of reach; cached in
# ~/.cache/dsmath). Optional: when it cannot build, the reader uses node:zlib.
# The fastText addon (native/fasttext, N-API over the official C++ code from the fasttext-numpy2 sdist on
# PyPI, cached in ~/.cache/dsmath). Optional too: without it, fastText runs as WebAssembly, one thread.
native: node
	@bash native/inflate/build.sh || echo "native/inflate: not built; the WARC reader falls back to node:zlib"
	@bash native/fasttext/build.sh || echo "native/fasttext: not built; fastText runs as WebAssembly (one thread)"

# TypeScript (ts-proto, grpc-js) into src/gen; Python (grpcio-tools) for the PyTorch worker into services/worker/gen.
proto: deps pydeps
	cd schemas && buf generate
	$(PY) -m grpc_tools.protoc -I schemas --python_out=services/worker/gen --pyi_out=services/worker/gen \
	  --grpc_python_out=services/worker/gen schemas/dsmath/v1/worker.proto schemas/dsmath/v1/training.proto

typecheck: deps
	tsc --noEmit -p .

demo: deps
	node bin/dsmath.js demo

infra-install:
	bash infra/install.sh

infra-up: infra-install
	bash infra/up.sh

infra-down:
	bash infra/down.sh

# Installs everything, starts the dev services, runs every test, stops the services.
test: install infra-install typecheck k8s-check pytest
	@bash infra/up.sh
	@set -o pipefail; status=0; npx vitest run || status=$$?; bash infra/down.sh; exit $$status

# Fault campaigns on the dev services, loopback only, bounded (10 worker kills, 30 S3 faults, 2 Kafka and 2 Temporal
# restarts, 2 pretrain kills; 8 min at most per campaign): starts the services, runs chaos/chaos.ts, stops them.
# Prints the table and writes it to docs/chaos.md. Not part of `make test` (about 15-20 min here).
chaos: install infra-install
	@bash infra/up.sh
	@set -o pipefail; status=0; npx tsx chaos/chaos.ts || status=$$?; bash infra/down.sh; exit $$status

# Renders every k8s/overlays/* in-process with kustomize and validates each object offline: strict
# decoding into the Kubernetes API types, and policy (limits, probes, non-root, no secret values). The
# checker (k8s/check, Go) is built once into ~/.cache/dsmath, keyed by a hash of its sources.
k8s-check:
	@bin="$$(bash k8s/check/build.sh)" && "$$bin" --root k8s

k8s-check-build:
	@bash k8s/check/build.sh >/dev/null

# Server-side dry run (dryRun=All) of every rendered overlay against a real kube-apiserver and etcd on loopback
# (throwaway token and certificate, KEDA's CRDs installed), one line per object; then test/k8s/dry-run.test.ts
# (copies with invalid objects are rejected). kube-apiserver and etcd are built once from the Go module proxy
# into ~/.cache/dsmath/k8s-dry-run, keyed by version. Not part of `make test`: the first build is long (README).
k8s-dry-run: deps
	@bash k8s/check/dry-run.sh
	@npx vitest run --config vitest.k8s-dry-run.config.ts

k8s-dry-run-build:
	@bash k8s/check/dry-run.sh --build-only

test-unit: install pytest
	npx vitest run --project unit

# Python unit tests of the PyTorch worker (the gRPC behaviour is tested from TypeScript: test/services/worker.test.ts).
pytest: pydeps
	$(PY) -m pytest -q -p no:cacheprovider services/worker/tests

bench-deps: .venv-bench/.installed
.venv-bench/.installed: bench/requirements.txt
	python3 -m venv .venv-bench
	.venv-bench/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
	@touch $@

# Benches compare against the Python anchors in the same run and print ratios (never run by `make test`).
bench-fasttext: deps bench-deps
	npx tsx bench/fasttext.ts

bench-warc: deps bench-deps native
	taskset -c 0 npx tsx bench/warc.ts

# dsmath dedupDocs vs DataTrove's MinHash stages (signature, buckets, cluster, filter) on the same JSONL with planted
# near-duplicates, at DataTrove's 14x8 and dsmath's 64x4: MB/s per core, removed documents. One core, best of 3.
bench-minhash: deps bench-deps
	taskset -c 0 npx tsx bench/minhash.ts

# dsmath extractText vs trafilatura and resiliparse: readability + trafilatura eval sets (P, R, F1) and pages/s, one core.
bench-extract: deps bench-deps
	taskset -c 0 npx tsx bench/extract.ts

bench-prefilter: deps
	npx tsx bench/prefilter.ts

# dsmath grade vs Python math-verify on answer pairs drawn from MATH solutions: agreement and throughput.
bench-grader: deps bench-deps
	npx tsx bench/grader.ts

# dsmath tokenizer (TypeScript BPE) vs Python tokenizers: training time, encode MB/s, same merges and ids.
bench-tokenizer: deps bench-deps
	npx tsx bench/tokenizer.ts

clean:
	rm -rf out models .infra
