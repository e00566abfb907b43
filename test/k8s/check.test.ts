// make k8s-check: the real overlays pass, and copies with one defect each (a container's limits removed,
// a probe removed, a field misspelt, a wrong type, a literal secret) fail, naming the object and problem.
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO } from '../helpers.ts'

interface Result { code: number; out: string; stdout: string }

function exec(cmd: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: REPO, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      resolve({ code, out: stdout + stderr, stdout })
    })
  })
}

let checker = ''
const temps: string[] = []

/** A copy of k8s/ (without the checker's sources) in a temp dir, with `edit` applied to one file. */
async function brokenCopy(file: string, from: string, to: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dsmath-k8s-'))
  temps.push(root)
  await cp(join(REPO, 'k8s'), root, { recursive: true, filter: (src) => !src.startsWith(join(REPO, 'k8s', 'check')) })
  const path = join(root, file)
  const text = await readFile(path, 'utf8')
  if (!text.includes(from)) throw new Error(`test setup: ${file} no longer contains ${JSON.stringify(from)}`)
  await writeFile(path, text.replace(from, to))
  return root
}

const check = (root: string): Promise<Result> => exec(checker, ['--root', root])

beforeAll(async () => {
  // Builds once into ~/.cache/dsmath (minutes on a fresh machine), then reuses the binary.
  const built = await exec('bash', [join(REPO, 'k8s/check/build.sh')])
  if (built.code !== 0) throw new Error(`building k8s-check failed:\n${built.out}`)
  checker = built.stdout.trim() // the binary's path (build progress goes to stderr)
}, 900_000)

afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })))
})

describe('k8s-check', () => {
  it('passes on the real overlays, checking every workload in each', async () => {
    const res = await check(join(REPO, 'k8s'))
    expect(res.out).toMatch(/2 overlays rendered \(0 failed to render\), \d+ objects checked, 0 with errors/)
    expect(res.code).toBe(0)
    for (const overlay of ['dev', 'prod']) {
      for (const workload of ['Deployment dsmath/dsmath-corpus-worker', 'StatefulSet dsmath/dsmath-registry', 'Deployment dsmath/dsmath-pretrain',
        'Deployment dsmath/dsmath-sft', 'Deployment dsmath/dsmath-reward', 'Deployment dsmath/dsmath-grpo', 'StatefulSet dsmath/dsmath-torch-worker',
        'Job dsmath/dsmath-corpus-submit']) {
        expect(res.out).toMatch(new RegExp(`^ok +overlays/${overlay} +${workload} `, 'm'))
      }
    }
    expect(res.out).toMatch(/^ok +overlays\/prod +ScaledObject dsmath\/dsmath-registry /m)
  })

  it('passes on an unmodified copy (so the failures below come from the defects alone)', async () => {
    const root = await brokenCopy('base/pdb.yaml', '# Voluntary', '# Voluntary')
    const res = await check(root)
    expect(res.out).toMatch(/, 0 with errors/)
    expect(res.code).toBe(0)
  })

  it("fails when a container's limits are removed", async () => {
    const root = await brokenCopy('base/corpus-worker.yaml', '            limits:\n              cpu: "2"\n              memory: 2Gi\n', '')
    const res = await check(root)
    expect(res.code).toBe(1)
    // dev takes the base's resources; prod patches its own limits in, so only dev fails.
    expect(res.out).toMatch(/^FAIL +overlays\/dev +Deployment dsmath\/dsmath-corpus-worker +base\/corpus-worker\.yaml\n +error: container "worker": no resources\.limits\.cpu\n +error: container "worker": no resources\.limits\.memory$/m)
    expect(res.out).toMatch(/^ok +overlays\/prod +Deployment dsmath\/dsmath-corpus-worker /m)
    expect(res.out).toMatch(/, 1 with errors$/m)
  })

  it('fails when a probe is removed', async () => {
    const root = await brokenCopy('base/registry.yaml', '          readinessProbe:\n            grpc:\n              port: 50051\n            initialDelaySeconds: 5\n            periodSeconds: 10\n', '')
    const res = await check(root)
    expect(res.code).toBe(1)
    for (const overlay of ['dev', 'prod']) {
      expect(res.out).toMatch(new RegExp(`^FAIL +overlays/${overlay} +StatefulSet dsmath/dsmath-registry +base/registry\\.yaml\\n +error: container "registry": no readinessProbe$`, 'm'))
    }
    expect(res.out).toMatch(/, 2 with errors$/m)
  })

  it('fails when a field is misspelt', async () => {
    const root = await brokenCopy('base/training.yaml', 'terminationGracePeriodSeconds: 60', 'terminationGracePeriodSecond: 60')
    const res = await check(root)
    expect(res.code).toBe(1)
    expect(res.out).toMatch(/^FAIL +overlays\/dev +Deployment dsmath\/dsmath-pretrain +base\/training\.yaml\n +error: schema: strict decoding error: unknown field "spec\.template\.spec\.terminationGracePeriodSecond"$/m)
  })

  it('fails on a value of the wrong type', async () => {
    const root = await brokenCopy('overlays/prod/torch-worker-gpu.yaml', 'nvidia.com/gpu: "1"\n            limits:', 'nvidia.com/gpu: [1]\n            limits:')
    const res = await check(root)
    expect(res.code).toBe(1)
    expect(res.out).toMatch(/^FAIL +overlays\/prod +StatefulSet dsmath\/dsmath-torch-worker +base\/torch-worker\.yaml\n +error: schema: .*(quantit|Quantity)/im)
    expect(res.out).toMatch(/^ok +overlays\/dev +StatefulSet dsmath\/dsmath-torch-worker /m)
  })

  it('fails on a secret value written into a manifest', async () => {
    const root = await brokenCopy('overlays/dev/kustomization.yaml', 'configMapGenerator:', 'secretGenerator:\n  - name: dsmath-s3\n    literals:\n      - AWS_SECRET_ACCESS_KEY=not-a-real-key\nconfigMapGenerator:')
    const res = await check(root)
    expect(res.code).toBe(1)
    expect(res.out).toMatch(/^FAIL +overlays\/dev +Secret dsmath\/dsmath-s3-\w+ .*\n +error: a Secret with values is in the manifests/m)
  })

  it("fails when the Prometheus annotation's port is not the port the metrics are served on", async () => {
    const root = await brokenCopy('base/registry.yaml', 'prometheus.io/port: "9464"', 'prometheus.io/port: "9465"')
    const res = await check(root)
    expect(res.code).toBe(1)
    for (const overlay of ['dev', 'prod']) {
      expect(res.out).toMatch(new RegExp(`^FAIL +overlays/${overlay} +StatefulSet dsmath/dsmath-registry +base/registry\\.yaml\\n +error: container "registry": serves metrics on 9464 but prometheus.io/port is 9465\\n +error: spec.template.metadata.annotations: prometheus.io/port 9465 is not served by any container`, 'm'))
    }
  })

  it('fails when a container serves metrics on a port it does not declare', async () => {
    const root = await brokenCopy('base/torch-worker.yaml', '            - name: metrics\n              containerPort: 9464\n              protocol: TCP\n', '')
    const res = await check(root)
    expect(res.code).toBe(1)
    expect(res.out).toMatch(/^FAIL +overlays\/dev +StatefulSet dsmath\/dsmath-torch-worker +base\/torch-worker\.yaml\n +error: container "torch-worker": serves metrics on --metrics-port 9464 but declares no such containerPort$/m)
  })

  it('fails when a kustomization does not render', async () => {
    const root = await brokenCopy('overlays/prod/kustomization.yaml', '  - path: torch-worker-gpu.yaml', '  - path: torch-worker-gpu-missing.yaml')
    const res = await check(root)
    expect(res.code).toBe(1)
    expect(res.out).toMatch(/^FAIL +overlays\/prod +kustomize build failed: .*torch-worker-gpu-missing\.yaml/m)
    expect(res.out).toMatch(/1 overlays rendered \(1 failed to render\)/)
  })
})
