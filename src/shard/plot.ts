// A bar chart as a standalone SVG (no browser, no dependency): used for score histograms.
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

export function barChartSvg(title: string, labels: string[], values: number[], xLabel: string, yLabel: string): string {
  const W = 640, H = 360, left = 60, bottom = 50, top = 40, right = 20
  const plotW = W - left - right, plotH = H - top - bottom
  const max = Math.max(1, ...values)
  const bw = plotW / values.length
  const bars = values.map((v, i) => {
    const h = (v / max) * plotH
    const x = left + i * bw
    return `<rect x="${(x + 2).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="#4c78a8"/>` +
      `<text x="${(x + bw / 2).toFixed(1)}" y="${(top + plotH - h - 4).toFixed(1)}" font-size="11" text-anchor="middle">${v}</text>` +
      `<text x="${(x + bw / 2).toFixed(1)}" y="${top + plotH + 16}" font-size="10" text-anchor="middle">${esc(labels[i])}</text>`
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" font-size="15" text-anchor="middle">${esc(title)}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${W - right}" y2="${top + plotH}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="black"/>`,
    ...bars,
    `<text x="${W / 2}" y="${H - 12}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${top + plotH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${top + plotH / 2})">${esc(yLabel)}</text>`,
    `</svg>`,
  ].join('\n') + '\n'
}
