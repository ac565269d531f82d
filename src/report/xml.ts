import { stripControl } from './sanitize.js'

/** Everything XML 1.0 forbids (Char production), lone surrogates and U+FFFE/U+FFFF included. */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** Text fit for XML: escape sequences and control characters removed, then the characters XML cannot hold. */
const clean = (text: string): string => stripControl(text).replace(INVALID_XML, '')

/** Character data: `&`, `<`, `>` escaped (`>` too, so that `]]>` never appears). */
export const xmlText = (text: string): string =>
  clean(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** An attribute value in double quotes; newlines and tabs as references, so attribute normalisation keeps them. */
export const xmlAttr = (text: string): string =>
  xmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;')

/** `<name a="1" b="2"` — attributes in the order given, undefined ones left out. */
export const openTag = (name: string, attrs: Readonly<Record<string, string | number | undefined>>): string =>
  `<${name}${Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`).join('')}`
