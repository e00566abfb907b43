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
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\ufeff]/g, '')
    .replace(/[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
