 
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[ -/]*[0-~]/g
 
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
const BIDI_OVERRIDE = /[\u202a-\u202e\u2066-\u2069]/g

/**
 * Make package-provided text safe to print: removes ANSI/VT escape sequences (CSI, OSC such as
 * hyperlinks and window titles, DCS ...), every other C0 and C1 control character including
 * carriage return and backspace, and Unicode bidirectional overrides. Keeps newline and tab.
 * A package controls its name, scripts and output, so without this it could rewrite or hide
 * lines of the report on the developer's terminal.
 */
export const stripControl = (s: string): string =>
  s.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '').replace(BIDI_OVERRIDE, '')

/** {@link stripControl}, then newlines and tabs become spaces: for fields printed inside one line. */
export const stripControlInline = (s: string): string => stripControl(s).replace(/[\n\t]+/g, ' ')
