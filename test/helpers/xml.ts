/**
 * A strict XML parser for tests: Python's xml.etree (expat), which rejects anything that is not
 * well-formed XML 1.0, control characters included. python3 is a test prerequisite (README).
 */
import { execFileSync } from 'node:child_process'

export interface XmlElement {
  readonly tag: string
  readonly attrs: Readonly<Record<string, string>>
  readonly text: string
  readonly children: readonly XmlElement[]
}

const SCRIPT = `
import sys, json, xml.etree.ElementTree as ET
def conv(e):
    return {"tag": e.tag, "attrs": dict(e.attrib), "text": e.text or "", "children": [conv(c) for c in e]}
try:
    root = ET.fromstring(sys.stdin.buffer.read())
except ET.ParseError as err:
    print(json.dumps({"error": str(err)})); sys.exit(0)
print(json.dumps({"root": conv(root)}))
`

/** The document's root element, or throws with the parser's message (line and column). */
export const parseXml = (text: string): XmlElement => {
  const out = JSON.parse(execFileSync('python3', ['-c', SCRIPT], { input: Buffer.from(text, 'utf8') }).toString('utf8')) as { root?: XmlElement; error?: string }
  if (out.root === undefined) throw new Error(`not well-formed XML: ${out.error ?? 'unknown'}`)
  return out.root
}

/** Every descendant element with this tag, in document order. */
export const findAll = (element: XmlElement, tag: string): XmlElement[] =>
  element.children.flatMap((child) => [...(child.tag === tag ? [child] : []), ...findAll(child, tag)])
