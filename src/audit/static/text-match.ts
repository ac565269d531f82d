/**
 * Plain-text matching for catalogue patterns: case-insensitive `indexOf`, with word boundaries at
 * the pattern's alphanumeric ends (so `ix.io` is not found in `six.iowa`). No regular expression
 * ever runs over untrusted text here, so nothing can backtrack.
 */

export interface TextPattern {
  readonly text: string
  /** Caller's data (an entry index, a flag kind ...). */
  readonly tag: number
}

export interface TextPatterns {
  readonly patterns: readonly TextPattern[]
}

export interface TextMatch {
  readonly pattern: TextPattern
  /** Offset of the match in the text searched. */
  readonly index: number
}

export const compileTextPatterns = (patterns: readonly TextPattern[]): TextPatterns =>
  ({ patterns: patterns.map((p) => ({ text: p.text.toLowerCase(), tag: p.tag })) })

const isWordChar = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || (code >= 65 && code <= 90)

const boundedAt = (text: string, index: number, pattern: string): boolean => {
  if (isWordChar(pattern.charCodeAt(0)) && index > 0) {
    const before = text.charCodeAt(index - 1)
    if (isWordChar(before) || before === 45) return false
  }
  const after = index + pattern.length
  return !(isWordChar(pattern.charCodeAt(pattern.length - 1)) && after < text.length && isWordChar(text.charCodeAt(after)))
}

/** Every pattern found in `text`, each once (at its first bounded occurrence). */
export const matchText = (text: string, set: TextPatterns): TextMatch[] => {
  const lower = text.toLowerCase()
  const found: TextMatch[] = []
  for (const pattern of set.patterns) {
    for (let at = lower.indexOf(pattern.text); at !== -1; at = lower.indexOf(pattern.text, at + 1)) {
      if (boundedAt(lower, at, pattern.text)) {
        found.push({ pattern, index: at })
        break
      }
    }
  }
  return found
}
