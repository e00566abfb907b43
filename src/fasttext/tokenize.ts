/**
 * The one tokenisation used for math classification, in training files and at scoring time alike:
 * 1. lower-case (Unicode aware);
 * 2. LaTeX control words (`\frac`, `\alpha`) stay whole tokens; a backslash before a symbol (`\{`) too;
 * 3. every other non-letter, non-digit character is its own token ($, ^, _, {, }, =, +, ...);
 * 4. letters and digits runs are tokens (numbers keep their digits together);
 * 5. tokens are joined by single spaces on one line (fastText reads one example per line).
 * fastText reads at most 1024 tokens of a line, so long documents are scored on their beginning.
 */
export function classifierText(text: string): string {
  const tokens = text.toLowerCase().match(/\\[a-z]+|\\[^a-z\s]|[\p{L}\p{M}]+|\p{N}+|[^\s\p{L}\p{M}\p{N}]/gu)
  return tokens ? tokens.join(' ') : ''
}
