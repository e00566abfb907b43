/**
 * Text normalisation applied to every extracted document:
 * 1. Unicode NFC.
 * 2. Control characters other than tab and newline are removed; CR and CRLF become LF.
 * 3. Non-breaking and other Unicode spaces become a plain space; runs of spaces and tabs collapse to one
 *    space, and spaces at the start and end of each line are trimmed.
 * 4. At most one blank line in a row; leading and trailing blank lines are removed.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    // Steps 2 and 3's character rules in one pass (the three sets are disjoint).
    .replace(ODD_CHARS, oddChar)
    // Only runs that change: a single space between words is not a match (most text has thousands of them).
    .replace(/ [ \t]+|\t[ \t]*/g, ' ')
    .replace(/ +\n *|\n +/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

// CR and CRLF; control characters (not tab or newline), zero-width space and BOM; Unicode spaces.
// eslint-disable-next-line no-control-regex
const ODD_CHARS = /\r\n?|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\ufeff]|[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g
const UNICODE_SPACE = /^[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]$/
const oddChar = (c: string): string => (c.charCodeAt(0) === 13 ? '\n' : UNICODE_SPACE.test(c) ? ' ' : '')
