import { stripControlInline } from '../report/sanitize.js'

/** Longest text kept of one value, in characters, before escaping. */
export const MAX_VALUE_CHARS = 200

/** ASCII punctuation: every character Markdown or HTML could give a meaning (`|` `<` `` ` `` `*` `[` `\` `&` `@` `#` ...). */
const PUNCTUATION = /[!-/:-@[-`{-~]/g

const clip = (text: string, max: number): string => {
  const chars = [...text]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text
}

/**
 * Text made inert for GitHub-flavoured Markdown: control characters, escape sequences and
 * bidi overrides removed, newlines turned into spaces (a line break would end a table row),
 * clipped to `max` characters, and every ASCII punctuation character written as a numeric
 * character reference. References are always literal text in Markdown, so the result can start
 * no markup, no HTML tag, no table cell (`|`) and no code span, wherever it is placed.
 */
export const inertText = (text: string, max = MAX_VALUE_CHARS): string =>
  clip(stripControlInline(text).trim(), max).replace(PUNCTUATION, (c) => `&#${c.charCodeAt(0)};`)

/**
 * A package-controlled value (name, event, command, host, message) for a step summary:
 * {@link inertText} inside `<code>`, which GitHub never autolinks (URLs, @mentions, #refs) and
 * shows verbatim. Empty text gives an empty string.
 */
export const inertCode = (text: string, max = MAX_VALUE_CHARS): string => {
  const inner = inertText(text, max)
  return inner === '' ? '' : `<code>${inner}</code>`
}

/** A Markdown table; cells must already be inert (built with {@link inertCode} or our own fixed words). */
export const renderTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string[] => [
  `| ${headers.join(' | ')} |`,
  `| ${headers.map(() => '---').join(' | ')} |`,
  ...rows.map((cells) => `| ${cells.join(' | ')} |`),
]
