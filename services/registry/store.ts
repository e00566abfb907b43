// The registry's state: one entry per idempotency key, kept in an append-only JSON-lines log that is
// fsynced before a registration is acknowledged, and replayed on start.
import { mkdir, open, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { ShardEntry } from '../../src/gen/dsmath/v1/registry.ts'

export class RegistryStore {
  private entries = new Map<string, ShardEntry>()

  private constructor(private readonly logPath: string) {}

  static async open(logPath: string): Promise<RegistryStore> {
    const store = new RegistryStore(logPath)
    await mkdir(dirname(logPath), { recursive: true })
    const text = await readFile(logPath, 'utf8').catch(() => '')
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      try {
        const e = JSON.parse(line) as ShardEntry
        if (!store.entries.has(e.idempotency_key)) store.entries.set(e.idempotency_key, e)
      } catch {
        // A torn last line from a crash mid-append: that registration was never acknowledged.
      }
    }
    return store
  }

  get(key: string): ShardEntry | undefined {
    return this.entries.get(key)
  }

  list(runId = ''): ShardEntry[] {
    return [...this.entries.values()].filter((e) => !runId || e.run_id === runId)
  }

  async add(entry: ShardEntry): Promise<void> {
    const fh = await open(this.logPath, 'a')
    try {
      await fh.write(JSON.stringify(entry) + '\n')
      await fh.sync()
    } finally {
      await fh.close()
    }
    this.entries.set(entry.idempotency_key, entry)
  }
}
