/**
 * Symbolic strings: what a string expression evaluates to, with markers for the parts only known at
 * run time. A marker is a control character that never survives into a real path or command.
 */
export const UNKNOWN = '\u0000'
export const HOME = '\u0001'
export const TMP = '\u0002'
/** The package directory (`__dirname` of its root files, the scripts' working directory). */
export const PKG = '\u0003'
/** The project being installed into (`INIT_CWD`). */
export const PROJECT = '\u0004'

const MARKERS = /[\u0000-\u0004]/
const MAX_LENGTH = 20_000

export const hasMarker = (text: string): boolean => MARKERS.test(text)
export const isUnknown = (text: string): boolean => text === UNKNOWN

/** Join parts, merging runs of UNKNOWN and capping the length (the rest becomes UNKNOWN). */
export const concat = (...parts: readonly string[]): string => {
  let out = ''
  for (const part of parts) {
    if (part === '') continue
    out = out.endsWith(UNKNOWN) && part.startsWith(UNKNOWN) ? out + part.slice(1) : out + part
    if (out.length > MAX_LENGTH) return `${out.slice(0, MAX_LENGTH)}${UNKNOWN}`
  }
  return out
}

/** For messages: markers as a reader would write them. */
export const display = (text: string): string =>
  text.replace(/\u0001/g, '~').replace(/\u0002/g, '$TMPDIR').replace(/\u0003/g, '<package>').replace(/\u0004/g, '$INIT_CWD').replace(/\u0000/g, '…')
