// Answer normalisation after DeepSeekMath's evaluation (strip_string in its answer_extraction.py, itself from the
// MATH/Minerva graders): wrappers, units, degrees, dollars, percent signs, thousands separators and fraction
// shorthands are rewritten so that equal answers usually become equal strings before any CAS is asked.

// Words that follow a number as a unit; only ever removed after a number, so "\text{Monday}" stays.
const UNIT_WORDS = [
  'units?', 'square units?', 'sq(?:uare)? ?(?:units|feet|foot|ft|inches|inch|in|meters|m|cm|centimeters|miles)',
  'cubic ?(?:units|feet|ft|inches|inch|in|meters|m|cm|centimeters)', 'degrees?', 'cm', 'mm', 'km', 'm', 'meters?',
  'centimeters?', 'kilometers?', 'inch(?:es)?', 'in', 'feet', 'foot', 'ft', 'yards?', 'miles?', 'mph', 'hours?',
  'minutes?', 'seconds?', 'days?', 'weeks?', 'months?', 'years?', 'dollars?', 'cents?', 'pounds?', 'lbs?', 'ounces?',
  'kg', 'grams?', 'g', 'liters?', 'ml', 'gallons?', 'cups?', 'people', 'students?', 'ways', 'points?', 'p\\.m\\.',
  'a\\.m\\.', 'pm', 'am', 'percent',
]
const UNIT_AFTER_NUMBER = new RegExp(`(\\d|\\}|\\))\\s+(?:\\^\\{?[23]\\}?)?\\s*(?:${UNIT_WORDS.join('|')})(?:\\^\\{?[23]\\}?)?\\.?$`, 'i')

/** The normalised form of a raw answer: the string dsmath reports and compares. */
export function normalizeAnswer(raw: string): string {
  let s = raw.replace(/\s+/g, ' ').trim()
  s = stripWrappers(s)
  s = stripUnitsAndSigns(s)
  s = stripAssignment(s)
  s = fixShorthands(s)
  s = removeSpaces(s)
  s = s.replace(/^(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?)(%?)$/, (_, n: string, pct: string) => n.replace(/,/g, '') + pct)
  s = s.replace(/^\{([^{}]*)\}$/, '$1')
  return s.replace(/(\\\\|,|\.)+$/, '')
}

function stripWrappers(s: string): string {
  s = s.replace(/\.$/, '').replace(/\\!/g, '').replace(/(?<!\\)\\[,;: ]|~/g, ' ').replace(/\\text\{\s*and\s*\}/g, ',').replace(/\\(?:displaystyle|textstyle)\b/g, '')
  s = s.replace(/\\[tdc]frac/g, '\\frac').replace(/\\left\b|\\right\b/g, '').replace(/\\middle\b/g, '')
  s = s.replace(/^\$+|\$+$/g, '').replace(/^\\\(|\\\)$/g, '').replace(/^\\\[|\\\]$/g, '')
  s = s.replace(/\\(?:mathbf|mathrm|boldsymbol|textbf|mathit)\{([^{}]*)\}/g, '$1')
  const whole = /^\\(?:text|textnormal|mbox|mathrm)\{(.*)\}$/.exec(s)
  if (whole && !whole[1].includes('}')) s = whole[1].trim()
  return s.trim()
}

function stripUnitsAndSigns(s: string): string {
  // A trailing \text{...}/\mbox{...} after the value is a unit ("5\text{ cm}", "10\mbox{ inches}").
  const unitless = s.replace(/\s*\\(?:text|mbox|textnormal)\{[^{}]*\}\s*(?:\^\{?[23]\}?)?$/, '').trim()
  if (unitless !== '') s = unitless
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°/g, '')
  s = s.replace(/\\\$|\$/g, '').replace(/\\%/g, '%').replace(/\s*\\?percent$/i, '%')
  s = s.replace(/\\mbox\{[^{}]*\}/g, '').replace(/^\\text\{\s*\}|\\text\{\s*\}$/g, '')
  for (let previous = ''; previous !== s;) {
    previous = s
    s = s.replace(UNIT_AFTER_NUMBER, '$1').trim()
  }
  return s
}

/** "x = 5", "k=\frac12", "x \in [1,2]": a short variable name before '=' or '\in' is not part of the answer. */
function stripAssignment(s: string): string {
  const m = /^\s*([a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+)\s*(?:=|\\in\b)\s*(.+)$/.exec(s)
  if (!m || m[2].includes('=')) return s
  return m[2].trim()
}

function fixShorthands(s: string): string {
  s = s.replace(/\\frac\s*(\d)\s*(\d)/g, '\\frac{$1}{$2}').replace(/\\frac\s*(\w)\s*\{/g, '\\frac{$1}{')
  s = s.replace(/\\frac\s*\{([^{}]*)\}\s*(\w)/g, '\\frac{$1}{$2}')
  s = s.replace(/\\sqrt\s*(\d+|[a-zA-Z])/g, '\\sqrt{$1}')
  s = s.replace(/^(-?)(\d+)\s*\/\s*(\d+)$/, '$1\\frac{$2}{$3}')
  s = s.replace(/(^|[^\d.])\.(\d)/g, '$10.$2')
  s = s.replace(/(\d+)\.0+(?=$|[^\d])/g, '$1').replace(/(\d+\.\d*?[1-9])0+(?=$|[^\d])/g, '$1')
  s = s.replace(/(\d)\{,\}(\d{3})/g, '$1$2')
  s = s.replace(/\binfinity\b/g, '\\infty').replace(/\\inf\b/g, '\\infty')
  return s.replace(/\\cdot\s*(?=[a-zA-Z\\(])/g, '\\cdot ')
}

/** Drops spaces, except where one ends a command name ("\pi r" must not become "\pir"). */
function removeSpaces(s: string): string {
  return s.replace(/(\\[a-zA-Z]+)\s+(?=[a-zA-Z])|\s+/g, (m, command: string | undefined) => command ? command + ' ' : '')
}
