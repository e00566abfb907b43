// A TCP fault proxy for S3 (HTTP/1.1) on loopback: forwards to the real server and, at the start of a request,
// with probability `rate` (at most `max` times in all) injects one of:
//   reset  the client's connection is reset (RST) before the request reaches the server;
//   5xx    the proxy answers 503 SlowDown itself (S3's throttling error) and closes the connection;
//   slow   the request is held `slowMs` before it is forwarded (a slow response, from the client's side).
// Decisions come from a seeded generator, so a campaign injects the same faults at the same request numbers.
import { createServer, connect, type Server, type Socket } from 'node:net'

export type FaultKind = 'reset' | '5xx' | 'slow'
export interface Injection { kind: FaultKind; at: number; request: number }

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const REQUEST_START = /^(GET|PUT|POST|HEAD|DELETE) /
const SLOW_DOWN_BODY = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate (chaos).</Message></Error>'

export class FaultProxy {
  readonly injections: Injection[] = []
  requests = 0
  enabled = true
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  private readonly rand: () => number

  constructor(private readonly opts: { targetHost: string; targetPort: number; rate: number; max: number; kinds: FaultKind[]; slowMs: number; seed: number }) {
    this.rand = mulberry32(opts.seed)
  }

  async listen(): Promise<number> {
    this.server = createServer((client) => this.handle(client))
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(0, '127.0.0.1', () => resolve())
    })
    return (this.server.address() as { port: number }).port
  }

  count(kind: FaultKind): number {
    return this.injections.filter((i) => i.kind === kind).length
  }

  private handle(client: Socket): void {
    const upstream = connect(this.opts.targetPort, this.opts.targetHost)
    this.sockets.add(client).add(upstream)
    let dead = false
    let chain = Promise.resolve()
    const kill = (): void => {
      dead = true
      upstream.destroy()
    }
    client.on('data', (chunk: Buffer) => {
      if (dead) return
      let fault: FaultKind | undefined
      if (REQUEST_START.test(chunk.subarray(0, 8).toString('latin1'))) {
        this.requests++
        if (this.enabled && this.injections.length < this.opts.max && this.rand() < this.opts.rate) {
          fault = this.opts.kinds[Math.floor(this.rand() * this.opts.kinds.length)]
          this.injections.push({ kind: fault, at: Date.now(), request: this.requests })
        }
      }
      if (fault === 'reset') {
        kill()
        client.resetAndDestroy()
        return
      }
      if (fault === '5xx') {
        kill()
        client.end(`HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(SLOW_DOWN_BODY)}\r\nConnection: close\r\n\r\n${SLOW_DOWN_BODY}`)
        return
      }
      const delay = fault === 'slow' ? this.opts.slowMs : 0
      chain = chain.then(async () => {
        if (delay > 0) await new Promise((r) => setTimeout(r, delay))
        if (!dead) upstream.write(chunk)
      })
    })
    upstream.on('data', (d: Buffer) => { if (!client.destroyed) client.write(d) })
    upstream.on('end', () => { void chain.then(() => client.end()) })
    client.on('end', () => { void chain.then(() => upstream.end()) })
    const close = (): void => {
      dead = true
      client.destroy()
      upstream.destroy()
      this.sockets.delete(client)
      this.sockets.delete(upstream)
    }
    client.on('error', close)
    upstream.on('error', close)
    client.on('close', close)
    upstream.on('close', () => { void chain.then(close) })
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}
