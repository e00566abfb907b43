// A progress bar on stderr: redrawn in place on a terminal, a line every ~10% otherwise (logs stay short).
export class ProgressBar {
  private lastPct = -1
  private readonly tty = Boolean(process.stderr.isTTY)
  constructor(private readonly total: number, private readonly label = 'train') {}

  update(done: number, info: string): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 0
    const width = 30
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.')
    const line = `${this.label} [${bar}] ${done}/${this.total} ${info}`
    if (this.tty) { process.stderr.write(`\r${line}\x1b[K`); return }
    const pct = Math.floor(frac * 10)
    if (pct !== this.lastPct || done === this.total) { this.lastPct = pct; process.stderr.write(line + '\n') }
  }

  done(): void { if (this.tty) process.stderr.write('\n') }
}
