// Line charts as standalone SVG (no dependency): the loss and tokens/s curves of a training run.
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

export interface Series { label: string; xs: number[]; ys: number[] }

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / n
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!
  const out: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/** One panel: a line per series, axes with ticks; `y0` places it vertically inside a bigger SVG. */
function panel(title: string, s: Series, xLabel: string, yLabel: string, y0: number, W: number, H: number, color: string): string {
  const left = 70, right = 20, top = 34, bottom = 44
  const pw = W - left - right, ph = H - top - bottom
  const xs = s.xs, ys = s.ys.filter(Number.isFinite)
  const xmin = Math.min(...xs), xmax = Math.max(...xs, xmin + 1)
  let ymin = Math.min(...ys), ymax = Math.max(...ys)
  if (!(ymax > ymin)) { ymin -= 1; ymax += 1 }
  const X = (x: number): number => left + ((x - xmin) / (xmax - xmin)) * pw
  const Y = (y: number): number => y0 + top + ph - ((y - ymin) / (ymax - ymin)) * ph
  const pts = xs.map((x, i) => (Number.isFinite(s.ys[i]!) ? `${X(x).toFixed(1)},${Y(s.ys[i]!).toFixed(1)}` : '')).filter(Boolean).join(' ')
  const yt = niceTicks(ymin, ymax).map((v) => `<line x1="${left - 4}" x2="${left + pw}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#ddd"/>` +
    `<text x="${left - 6}" y="${(Y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end">${v}</text>`)
  const xt = niceTicks(xmin, xmax).map((v) => `<text x="${X(v).toFixed(1)}" y="${y0 + top + ph + 14}" font-size="10" text-anchor="middle">${v}</text>`)
  return [
    `<text x="${W / 2}" y="${y0 + 20}" font-size="14" text-anchor="middle">${esc(title)}</text>`,
    ...yt, ...xt,
    `<line x1="${left}" y1="${y0 + top + ph}" x2="${left + pw}" y2="${y0 + top + ph}" stroke="black"/>`,
    `<line x1="${left}" y1="${y0 + top}" x2="${left}" y2="${y0 + top + ph}" stroke="black"/>`,
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`,
    `<text x="${left + pw / 2}" y="${y0 + H - 8}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${y0 + top + ph / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${y0 + top + ph / 2})">${esc(yLabel)}</text>`,
  ].join('\n')
}

/** Stacked panels sharing the x axis label, one series each. */
export function lineChartsSvg(title: string, panels: { title: string; series: Series; yLabel: string }[], xLabel: string): string {
  const W = 720, H = 280, head = 30
  const colors = ['#4c78a8', '#f58518', '#54a24b', '#e45756']
  const body = panels.map((p, i) => panel(p.title, p.series, xLabel, p.yLabel, head + i * H, W, H, colors[i % colors.length]!))
  const total = head + panels.length * H
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${total}" font-family="sans-serif">`,
    `<rect width="${W}" height="${total}" fill="white"/>`,
    `<text x="${W / 2}" y="20" font-size="15" text-anchor="middle">${esc(title)}</text>`,
    ...body, '</svg>',
  ].join('\n') + '\n'
}
