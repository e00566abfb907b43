// Presentation MathML to LaTeX, for <math> without a TeX annotation or alttext (MathJax 3's assistive MathML,
// hand-written MathML): fractions, scripts, roots, fences, matrices and the common operators keep their
// structure instead of flattening to "x2+12".

export interface MathNode { tag: string; attrs: Record<string, string>; children: (MathNode | string)[] }

/** Builds the element tree of one <math> from parser events. */
export class MathTree {
  readonly root: MathNode = { tag: 'math', attrs: {}, children: [] }
  private readonly open: MathNode[] = [this.root]

  openTag(tag: string, attrs: Record<string, string | undefined> = {}): void {
    const node: MathNode = { tag, attrs: Object.fromEntries(Object.entries(attrs).filter((e): e is [string, string] => e[1] !== undefined)), children: [] }
    this.top().children.push(node)
    this.open.push(node)
  }

  text(t: string): void {
    this.top().children.push(t)
  }

  closeTag(tag: string): void {
    const i = this.open.map((n) => n.tag).lastIndexOf(tag)
    if (i > 0) this.open.length = i
  }

  private top(): MathNode { return this.open[this.open.length - 1] }
}

// Characters of <mo>/<mi> that have a LaTeX command (the rest go through as they are).
const SYMBOLS: Record<string, string> = {
  '×': '\\times', '·': '\\cdot', '⋅': '\\cdot', '÷': '\\div', '±': '\\pm', '∓': '\\mp', '≤': '\\le', '≥': '\\ge', '≠': '\\ne',
  '≈': '\\approx', '≡': '\\equiv', '∼': '\\sim', '→': '\\to', '←': '\\leftarrow', '⇒': '\\Rightarrow', '⇔': '\\Leftrightarrow',
  '∞': '\\infty', '∑': '\\sum', '∏': '\\prod', '∫': '\\int', '∮': '\\oint', '∂': '\\partial', '∇': '\\nabla', '∈': '\\in', '∉': '\\notin',
  '⊂': '\\subset', '⊆': '\\subseteq', '∪': '\\cup', '∩': '\\cap', '∅': '\\emptyset', '∀': '\\forall', '∃': '\\exists', '¬': '\\neg',
  '∧': '\\wedge', '∨': '\\vee', '°': '^\\circ', '′': "'", '…': '\\ldots', '⋯': '\\cdots', '−': '-', '∣': '\\mid', '∠': '\\angle',
  'α': '\\alpha', 'β': '\\beta', 'γ': '\\gamma', 'δ': '\\delta', 'ε': '\\epsilon', 'ϵ': '\\epsilon', 'ζ': '\\zeta', 'η': '\\eta', 'θ': '\\theta',
  'ι': '\\iota', 'κ': '\\kappa', 'λ': '\\lambda', 'μ': '\\mu', 'ν': '\\nu', 'ξ': '\\xi', 'π': '\\pi', 'ρ': '\\rho', 'σ': '\\sigma',
  'τ': '\\tau', 'υ': '\\upsilon', 'φ': '\\phi', 'ϕ': '\\phi', 'χ': '\\chi', 'ψ': '\\psi', 'ω': '\\omega', 'Γ': '\\Gamma', 'Δ': '\\Delta',
  'Θ': '\\Theta', 'Λ': '\\Lambda', 'Ξ': '\\Xi', 'Π': '\\Pi', 'Σ': '\\Sigma', 'Φ': '\\Phi', 'Ψ': '\\Psi', 'Ω': '\\Omega',
  '\u2061': '', '\u2062': '', '\u2063': '', '\u2064': '',
}
const FUNCTIONS = new Set(['sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'log', 'ln', 'exp', 'lim', 'max', 'min', 'sup', 'inf', 'det', 'gcd', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh'])

/** LaTeX of a <math> tree (its <annotation> children are left out: callers use a TeX annotation directly). */
export function mathmlToLatex(node: MathNode): string {
  return tidy(latexOf(node))
}

function latexOf(n: MathNode | string): string {
  if (typeof n === 'string') return n
  const kids = n.children.filter((c) => typeof c !== 'string' || c.trim() !== '')
  const arg = (i: number): string => group(kids[i] === undefined ? '' : latexOf(kids[i]))
  switch (n.tag) {
    case 'mi': case 'mo': case 'mn': return token(textOf(n), n.tag)
    case 'mtext': return textOf(n).trim() ? `\\text{${textOf(n).trim()}}` : ' '
    case 'mspace': return ' '
    case 'msup': return `${base(kids[0])}^${arg(1)}`
    case 'msub': return `${base(kids[0])}_${arg(1)}`
    case 'msubsup': return `${base(kids[0])}_${arg(1)}^${arg(2)}`
    case 'munder': return `${base(kids[0])}_${arg(1)}`
    case 'mover': return accent(kids) ?? `${base(kids[0])}^${arg(1)}`
    case 'munderover': return `${base(kids[0])}_${arg(1)}^${arg(2)}`
    case 'mfrac': return `\\frac${arg(0)}${arg(1)}`
    case 'msqrt': return `\\sqrt{${kids.map(latexOf).join('')}}`
    case 'mroot': return `\\sqrt[${latexOf(kids[1] ?? '')}]${arg(0)}`
    case 'mfenced': return fenced(n, kids)
    case 'mtable': return `\\begin{matrix}${kids.map(latexOf).join(' \\\\ ')}\\end{matrix}`
    case 'mtr': case 'mlabeledtr': return kids.map(latexOf).join(' & ')
    case 'annotation': case 'annotation-xml': return ''
    case 'semantics': return kids.length ? latexOf(kids[0]) : ''
    default: return kids.map(latexOf).join('')
  }
}

function textOf(n: MathNode | string): string {
  return typeof n === 'string' ? n : n.children.map(textOf).join('')
}

function token(raw: string, tag: string): string {
  const t = raw.trim()
  if (tag === 'mi' && FUNCTIONS.has(t)) return `\\${t} `
  if (tag === 'mi' && t.length > 1 && /^[A-Za-z]+$/.test(t)) return `\\mathrm{${t}}`
  let out = ''
  for (const ch of t) out += SYMBOLS[ch] !== undefined ? (SYMBOLS[ch].startsWith('\\') ? `${SYMBOLS[ch]} ` : SYMBOLS[ch]) : ch
  return out
}

/** A script's base: a compound base gets braces so that x^{2} stays on what it belongs to. */
function base(n: MathNode | string | undefined): string {
  if (n === undefined) return '{}'
  const s = latexOf(n).trim()
  return /^(.|\d+|\\[A-Za-z]+)$/u.test(s) ? s : `{${s}}`
}

const group = (s: string): string => `{${s.trim()}}`

function accent(kids: (MathNode | string)[]): string | undefined {
  const over = kids[1] === undefined ? '' : textOf(kids[1]).trim()
  const cmd = { '¯': 'overline', '‾': 'overline', '^': 'hat', 'ˆ': 'hat', '→': 'vec', '˙': 'dot', '~': 'tilde', '˜': 'tilde' }[over]
  return cmd ? `\\${cmd}{${latexOf(kids[0] ?? '').trim()}}` : undefined
}

function fenced(n: MathNode, kids: (MathNode | string)[]): string {
  const open = n.attrs.open ?? '(', close = n.attrs.close ?? ')', sep = n.attrs.separators ?? ','
  return `\\left${fence(open)}${kids.map(latexOf).join(sep.trim().charAt(0) || ',')}\\right${fence(close)}`
}

const fence = (f: string): string => (f === '{' ? '\\{' : f === '}' ? '\\}' : f === '' ? '.' : f)

function tidy(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/ ([\^_}])/g, '$1').replace(/\{ /g, '{').trim()
}
