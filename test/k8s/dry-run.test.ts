// make k8s-dry-run: every object of the real overlays is accepted by a real kube-apiserver (server-side apply,
// dryRun=All, with KEDA's CRDs installed), and a copy with defects the offline k8s-check does not see (an enum
// value the API server rejects, a ScaledObject field below its CRD schema's minimum) or does (a pod template
// the namespace's Pod Security level would reject) fails, naming each object and the server's reason.
//
// kube-apiserver and etcd are built from the Go module proxy by k8s/check/dry-run.sh (tens of minutes the
// first time on 2 cores; see README, Deployment), so this file is not in `make test`: the default vitest
// config leaves it out and `make k8s-dry-run` runs it with vitest.k8s-dry-run.config.ts.
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO } from '../helpers.ts'

interface Result { code: number; out: string; stdout: string }

const SCRIPT = join(REPO, 'k8s/check/dry-run.sh')

function exec(cmd: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: REPO, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      resolve({ code, out: stdout + stderr, stdout })
    })
  })
}

const temps: string[] = []

/** A copy of k8s/ (without the checkers' sources) in a temp dir, with each [file, from, to] edit applied. */
async function brokenCopy(edits: [string, string, string][]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dsmath-k8s-dry-'))
  temps.push(root)
  await cp(join(REPO, 'k8s'), root, { recursive: true, filter: (src) => !src.startsWith(join(REPO, 'k8s', 'check')) })
  for (const [file, from, to] of edits) {
    const path = join(root, file)
    const text = await readFile(path, 'utf8')
    if (!text.includes(from)) throw new Error(`test setup: ${file} no longer contains ${JSON.stringify(from)}`)
    await writeFile(path, text.replace(from, to))
  }
  return root
}

describe('k8s dry run against a real kube-apiserver', () => {
  beforeAll(async () => {
    // Builds (or finds) kube-apiserver, etcd, the client and the KEDA CRDs in ~/.cache/dsmath/k8s-dry-run.
    const built = await exec('bash', [SCRIPT, '--build-only'])
    if (built.code !== 0) throw new Error(`building the k8s dry run failed:\n${built.out}`)
  }, 7_200_000)

  afterAll(async () => {
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('accepts every object of the real overlays', async () => {
    const res = await exec('bash', [SCRIPT])
    expect(res.out).toMatch(/k8s-dry-run: 2 overlays rendered \(0 failed to render\), \d+ objects dry-run against kube-apiserver v1\.\d+\.\d+, 0 rejected/)
    expect(res.code).toBe(0)
    for (const overlay of ['dev', 'prod']) {
      for (const obj of ['Namespace dsmath', 'Deployment dsmath/dsmath-corpus-worker', 'StatefulSet dsmath/dsmath-registry', 'Deployment dsmath/dsmath-pretrain',
        'StatefulSet dsmath/dsmath-torch-worker', 'Job dsmath/dsmath-corpus-submit', 'NetworkPolicy dsmath/', 'PodDisruptionBudget dsmath/', 'ServiceAccount dsmath/']) {
        expect(res.out).toMatch(new RegExp(`^ok +overlays/${overlay} +${obj}`, 'm'))
      }
    }
    for (const obj of ['ScaledObject dsmath/dsmath-registry', 'ScaledObject dsmath/dsmath-corpus-worker', 'PriorityClass dsmath-serving']) {
      expect(res.out).toMatch(new RegExp(`^ok +overlays/prod +${obj} `, 'm'))
    }
    expect(res.out).not.toMatch(/^FAIL/m)
  }, 600_000)

  it('rejects invalid objects, naming each with the API server\'s reason', async () => {
    const root = await brokenCopy([
      // An enum the offline checker takes as any string: the API server allows Always, IfNotPresent, Never.
      ['base/corpus-worker.yaml', '          image: dsmath-node\n', '          image: dsmath-node\n          imagePullPolicy: Sometimes\n'],
      // KEDA's CRD schema: pollingInterval has minimum 1 (k8s-check does not check it).
      ['components/autoscaling/scaledobjects.yaml', '  pollingInterval: 15\n', '  pollingInterval: 0\n'],
      // The namespace enforces the restricted Pod Security profile, which forbids privilege escalation.
      ['base/training.yaml', 'allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true'],
    ])
    const res = await exec('bash', [SCRIPT, '--root', root])
    expect(res.code).toBe(1)
    for (const overlay of ['dev', 'prod']) {
      expect(res.out).toMatch(new RegExp(`^FAIL +overlays/${overlay} +Deployment dsmath/dsmath-corpus-worker +base/corpus-worker\\.yaml\\n +error: spec\\.template\\.spec\\.containers\\[0\\]\\.imagePullPolicy: Unsupported value: "Sometimes"`, 'm'))
      expect(res.out).toMatch(new RegExp(`^FAIL +overlays/${overlay} +Deployment dsmath/dsmath-pretrain +base/training\\.yaml\\n +error: the namespace's Pod Security level would reject its pods: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false`, 'm'))
      // Objects without a defect still pass in the same run.
      expect(res.out).toMatch(new RegExp(`^ok +overlays/${overlay} +StatefulSet dsmath/dsmath-registry `, 'm'))
    }
    expect(res.out).toMatch(/^FAIL +overlays\/prod +ScaledObject dsmath\/dsmath-corpus-worker +components\/autoscaling\/scaledobjects\.yaml\n +error: spec\.pollingInterval: Invalid value: 0: spec\.pollingInterval in body should be greater than or equal to 1/m)
    expect(res.out).toMatch(/^ok +overlays\/prod +ScaledObject dsmath\/dsmath-registry /m)
    expect(res.out).toMatch(/, 5 rejected$/m)

    // The offline checker passes the first two defects: this is what the dry run adds.
    const offline = await brokenCopy([
      ['base/corpus-worker.yaml', '          image: dsmath-node\n', '          image: dsmath-node\n          imagePullPolicy: Sometimes\n'],
      ['components/autoscaling/scaledobjects.yaml', '  pollingInterval: 15\n', '  pollingInterval: 0\n'],
    ])
    const built = await exec('bash', [join(REPO, 'k8s/check/build.sh')])
    expect(built.code).toBe(0)
    const check = await exec(built.stdout.trim(), ['--root', offline])
    expect(check.out).toMatch(/, 0 with errors$/m)
  }, 600_000)
})
