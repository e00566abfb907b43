// A cheap test on raw HTML, before extraction: could this page hold mathematics? Modelled on OpenWebMath's
// three tiers; a page passes on the first tier that fires, so most math pages cost one regex scan.
//   1. math markup: MathJax/KaTeX/MathML, math script types, Stack Exchange math containers, LaTeX images;
//   2. LaTeX in the text: display/inline delimiters or common control words (\frac, \sum, \alpha, ...);
//   3. math vocabulary: at least MIN_VOCAB distinct words such as theorem, integer, polynomial.
// Pages that fail all three skip extraction and scoring (counted as dropped.prefilter).

const MARKUP = /<math[\s>]|mathjax|katex|math\/tex|math-container|mjx-container|class="[^"]*\b(?:tex|latex|math)\b|codecogs|latex\.php|mathtex|wp-latex/i
const LATEX = /\$\$[^$]{2,}\$\$|\\\(|\\\[|\\(?:frac|sum|int|sqrt|alpha|beta|gamma|delta|theta|lambda|sigma|pi|infty|leq|geq|neq|cdot|times|mathbb|mathrm|begin\{(?:equation|align))\b|\$[^$\n<>]{1,80}[=^_\\][^$\n<>]{0,80}\$/
const VOCAB = /\b(theorem|lemma|corollary|proof|equation|integer|integers|polynomial|derivative|integral|matrix|vector|prime|primes|modulo|divisible|factorial|probability|inequality|logarithm|exponent|fraction|denominator|numerator|algebra|geometry|calculus|topology|homomorphism|isomorphism|eigenvalue|manifold|theorem|axiom|conjecture|hypotenuse|quadratic|coefficient|converges|convergence|subgroup)\b/gi
export const MIN_VOCAB = 3

export type PrefilterTier = 'markup' | 'latex' | 'vocabulary' | null

export function mathPrefilter(html: string): PrefilterTier {
  if (MARKUP.test(html)) return 'markup'
  if (LATEX.test(html)) return 'latex'
  const seen = new Set<string>()
  for (const m of html.matchAll(VOCAB)) {
    seen.add(m[1].toLowerCase())
    if (seen.size >= MIN_VOCAB) return 'vocabulary'
  }
  return null
}
