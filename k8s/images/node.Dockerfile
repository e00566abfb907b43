# syntax=docker/dockerfile:1
# The TypeScript services and workers: `dsmath worker`, `dsmath registry serve`, `dsmath corpus submit`,
# `dsmath {pretrain,sft,reward,grpo} serve`. Node 24, run as uid 1000, no build step (tsx at run time).
# Build from the repository root:
#   docker build -f k8s/images/node.Dockerfile -t dsmath/node:0.1.0 .
ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci` rejects this lock (vite lists an optional Windows-only package the registry does not serve),
# so install against the lock as the Makefile does.
RUN npm install --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

# The two N-API addons (`make native`): libdeflate for WARC gzip members, and fastText's official C++ code
# from the fasttext-numpy2 sdist on PyPI. Compiled for x86-64-v2, not the build host's CPU, so the image
# runs on any node of the pool. Without them the code falls back to node:zlib and WebAssembly.
FROM ${NODE_IMAGE} AS native
RUN apt-get update -q && apt-get install -y -q --no-install-recommends g++ libdeflate-dev python3-pip \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY native ./native
RUN DSMATH_MARCH=x86-64-v2 DSMATH_CACHE=/tmp/dsmath-cache bash native/inflate/build.sh \
    && DSMATH_MARCH=x86-64-v2 DSMATH_CACHE=/tmp/dsmath-cache bash native/fasttext/build.sh

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update -q && apt-get install -y -q --no-install-recommends libdeflate0 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=native /app/native ./native
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY services ./services
COPY schemas ./schemas
# Classifier seed, bundled benchmark sets for decontamination, the recall sample crawl.
COPY sample ./sample
# models/ and /tmp are the only paths written at run time (emptyDir volumes in k8s: the root FS is read-only).
RUN mkdir -p models && chown 1000:1000 models
# The base image's `node` user (uid 1000), named by number so that runAsNonRoot can verify it.
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/dsmath.js"]
CMD ["--help"]
