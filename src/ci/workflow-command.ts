import { stripControl, stripControlInline } from '../report/sanitize.js'

/**
 * GitHub Actions workflow commands (`::name key=value,key=value::message`), written the way
 * @actions/core writes them. The runner reads every line of a step's stdout and stderr that
 * starts, after blanks, with `::`, so any text a package controls must either be escaped into a
 * command we write, or fenced off with {@link fenceUntrusted}.
 */

export type AnnotationLevel = 'error' | 'warning' | 'notice'

export interface AnnotationProperties {
  readonly title?: string
  readonly file?: string
  readonly line?: number
}

/** Message escaping of the runner: `%`, CR and LF (a message may span lines; the runner unescapes them). */
export const escapeData = (text: string): string =>
  text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')

/** Property escaping of the runner: as {@link escapeData}, plus `:` and `,`, which end a property. */
export const escapeProperty = (text: string): string =>
  escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')

/** Control characters, escape sequences and bidi overrides removed; newlines kept (messages), tabs as spaces. */
const cleanMessage = (text: string): string => stripControl(text).replace(/\t/g, ' ').trim()

/**
 * One annotation line. Package-controlled text is cleaned first (control characters, ANSI and
 * bidi overrides removed) and then escaped, so it can neither end the command early, add
 * properties, nor start a command of its own on a new line.
 */
export const formatAnnotation = (level: AnnotationLevel, message: string, props: AnnotationProperties = {}): string => {
  const pairs: string[] = []
  if (props.title !== undefined && props.title !== '') pairs.push(`title=${escapeProperty(stripControlInline(props.title))}`)
  if (props.file !== undefined && props.file !== '') pairs.push(`file=${escapeProperty(stripControlInline(props.file))}`)
  if (props.file !== undefined && props.line !== undefined && Number.isInteger(props.line) && props.line >= 1) {
    pairs.push(`line=${props.line}`)
  }
  return `::${level}${pairs.length > 0 ? ` ${pairs.join(',')}` : ''}::${escapeData(cleanMessage(message))}`
}

/** Would the runner take a line of this text for a workflow command (`::x::`, or the legacy `##[x]`)? */
export const looksLikeCommand = (text: string): boolean => /^[ \t]*(?:::|##\[)/m.test(text)

/**
 * Text that may hold package-controlled lines (script output, names, messages), wrapped in
 * `::stop-commands::<token>` … `::<token>::` so that the runner executes none of its lines
 * (a hostile `::set-output`, `::add-mask::` or `::error` would otherwise be obeyed). The token
 * must be unguessable (random per run); it is what turns commands back on.
 */
export const fenceUntrusted = (text: string, token: string): string => {
  if (!/^[A-Za-z0-9]{16,}$/.test(token)) throw new Error('stop-commands token must be 16+ random alphanumerics')
  if (text === '') return text
  return `::stop-commands::${token}\n${text.endsWith('\n') ? text : `${text}\n`}::${token}::\n`
}
