import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseSyml } from '@yarnpkg/parsers'
import { describe, expect, it } from 'vitest'
import { indexLines, type ReadContext } from '../../../src/audit/lockfile/lockfile-error.js'
import { parseSimpleYaml } from '../../../src/audit/lockfile/yaml-fast.js'
import { parseYamlFully, type YamlNode } from '../../../src/audit/lockfile/yaml-tree.js'
import { parseClassicYarnLock } from '../../../src/audit/lockfile/yarn-classic-fast.js'
import { scanYarnLock } from '../../../src/audit/lockfile/yarn-scan.js'
import { readYarnLock } from '../../../src/audit/lockfile/yarn-read.js'

/**
 * The fast readers are only correct if, on every input, they either give exactly what the complete
 * parser gives or decline (undefined). Checked on the fixtures and on inputs chosen to be near the
 * edge of what they accept.
 */

const FIXTURES = fileURLToPath(new URL('../../fixtures/lockfiles/', import.meta.url))
const fixture = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8')
const context = (text: string): ReadContext => ({ file: 'pnpm-lock.yaml', format: 'pnpm', lines: indexLines(text) })

/** The complete parser's documents (empty ones dropped, as the readers drop them), or the LockfileError's reason. */
const complete = async (text: string): Promise<YamlNode[] | string> =>
  parseYamlFully(context(text), text).then(
    (documents) => documents.filter((document) => !(document.kind === 'scalar' && document.value === null)),
    (error: unknown) => `error: ${(error as Error).message}`,
  )

const YAML_EDGES = [
  'a: 1\nb:\n- x\n- y\nc: 2\n', 'a:\n  - x\n  - {k: v}\n', "a: 'it''s'\n", 'a: "x\\ty"\n', 'a: "x\\x41"\n', 'a: b: c\n', 'a: b # c\n', 'a: b#c\n',
  'a: [x, y,]\n', 'a: {k: v,}\n', 'a: {k}\n', 'a: {k: }\n', 'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: |\n  text\n', 'a: >\n  text\n',
  'a: long\n  continued\n', "'@s/x@1.0.0':\n  resolution: {integrity: sha512-x==, tarball: https://h.test/a:b/x.tgz}\n", 'a: 1.0\n1.0: x\n',
  'a: 0o17\nb: 0x1F\nc: .inf\nd: -.INF\ne: .NaN\nf: ~\ng: Null\nh: TRUE\ni: yes\n', 'a:\n  b:\n    c: 1\n  d: 2\ne: 3\n', 'a: {x: [1, 2], y: {z: w}}\n',
  'a: [a b, c]\n', 'a: {url: http://x.test:8080/p}\n', 'a: x:y\n', 'key:value\n', '- a\n- b\n', 'a:\n  -\n    b: 1\n', 'a: "unterminated\n', 'a:\tb\n', '? a\n: b\n',
  'a: 1\n---\nb: 2\n', '---\na: 1\n', 'a: 1\n...\n', '%YAML 1.2\n---\na: 1\n', 'a: 1 # c\n', '# c\na: 1\n  # indented comment\nb: 2\n', 'a:\n\n  b: 1\n',
  'a: -1\nb: - 1\n', 'a: [-1, -x]\n', 'a: {-k: v}\n', 'a: [x: y]\n', 'a: "x" y\n', "a: 'x' y\n", 'a:   spaced   \n', 'a: x,y\n', 'a: [x,y]\n', 'a: {a: 1, a: 2}\n',
  'a: 1\na: 2\n', '  a: 1\n  b: 2\n', 'a:\n    b: 1\n  c: 2\n', 'a: [\n  x]\n', 'a: {b: {c: {d: [e]}}}\n', 'a: "\\u00e9"\n', "a: ''\n", 'a: ""\n', 'a: @x\n',
  'a: `x\n', 'a: %x\n', 'a: x\r\nb: y\r\n', 'a: x\rb: y\n', '"a\\nb": 1\n', "'a:b': 1\n", 'a b: 1\n', 'a : 1\n', 'a: [x, [y, z]]\n', 'a: {b: c}  \n', 'a: { b: c }\n',
  'a: [ ]\n', 'a: { }\n', 'a: "tab\there"\n', 'a: 1e3\n1e3: b\n', 'a: +1\nb: 007\nc: 1_000\n', 'a:\n- x\n- y\n', 'a:\n  - x\nb: 1\n',
]

describe('the fast YAML reader agrees with the yaml package or declines', () => {
  it.each(['pnpm/v6-workspaces/pnpm-lock.yaml', 'pnpm/v9-workspaces/pnpm-lock.yaml', 'pnpm/v9-env/pnpm-lock.yaml', 'malformed/pnpm-duplicate/pnpm-lock.yaml'])('reads %s itself, identically', async (path) => {
    const text = fixture(path)
    const fast = parseSimpleYaml(text)
    expect(fast).toBeDefined()
    expect(fast).toEqual(await complete(text))
  })

  it('on inputs at the edge of what it accepts', async () => {
    let declined = 0
    for (const text of YAML_EDGES) {
      const fast = parseSimpleYaml(text)
      if (fast === undefined) declined += 1
      else expect(fast, JSON.stringify(text)).toEqual(await complete(text))
    }
    expect(declined).toBeGreaterThan(20)
    expect(declined).toBeLessThan(YAML_EDGES.length - 20)
  })
})

const CLASSIC_EDGES = [
  'a@^1:\n  version "1.0.0"\n  optional true\n  n null\n  q "null"\n  num 1\n', 'a@^1:\n  version: "1.0.0"\n', 'a@^1:\n  version  "1.0.0"\n', 'a@^1:\n  version "1.0.0" \n',
  '"a@^1", b@^2, "c@3":\n  version "1"\n', 'a@^1,b@^2:\n  version "1"\n', 'a@^1 , b@^2:\n  version "1"\n', '@s/a@^1:\n  version "1"\n', 'a b:\n  version "1"\n',
  'a@^1:\n  dependencies:\n    "@s/b" "^1"\n    c "2"\n  version "1"\n', 'a@^1:\n  dependencies:\n      c "2"\n', 'a@^1:\n  resolved https://x.test/a.tgz\n',
  'a@^1:\n  resolved "x\\u0041\\n"\n', 'a@^1:\n  --flag "1"\n', 'a@^1:\n  "quoted name" "v"\n', 'a@^1:\n  name -x\n', 'a@^1:\n  #\n',
  '  # indented comment\na@^1:\n  version "1"\n', 'a@^1:\n\n  version "1"\n', 'a@^1:\n  version "1"\n\n\na@^2:\n  version "2"\n', 'x:\n  __proto__ "1"\n',
  'a:\n  b "\\x41"\n', 'a:\n  b "tab\there"\n', 'a:\n  b c d\n', 'a:\n  b "c" d\n', 'a:\n  b c,d\n', 'a:\n  b c#d\n', 'a:\n  b "c"#d\n', '"a@file:./x":\n  version "1"\n',
  'from-git@acme/from-git#v2:\n  version "2.0.0"\n', 'a:\n  b:\n  c "d"\n', 'a:\n', 'a:\n  b "1"\n  b "2"\n', 'a:\n  b "\u007f"\n',
].map((body) => `# yarn lockfile v1\n\n${body}`)

describe('the fast yarn 1 reader agrees with parseSyml or declines', () => {
  const grammar = (text: string): unknown => {
    try {
      return parseSyml(text)
    } catch {
      return 'error'
    }
  }

  it('reads the fixture itself, identically, with the scanner\'s lines', () => {
    const text = fixture('yarn-classic/basic/yarn.lock')
    const fast = parseClassicYarnLock(text)
    expect(fast?.parsed).toEqual(grammar(text))
    expect(fast?.blocks).toEqual(scanYarnLock({ file: 'yarn.lock', format: 'yarn-classic', lines: indexLines(text) }, text, true))
  })

  it('on inputs at the edge of what it accepts', () => {
    let declined = 0
    for (const text of CLASSIC_EDGES) {
      const fast = parseClassicYarnLock(text)
      if (fast === undefined) declined += 1
      else expect(fast.parsed, JSON.stringify(text)).toEqual(grammar(text))
    }
    expect(declined).toBeGreaterThan(10)
    expect(declined).toBeLessThan(CLASSIC_EDGES.length - 10)
  })
})

describe('berry through the fast YAML reader (FAILSAFE) agrees with parseSyml', () => {
  it('reads the fixture identically, entries at the scanner\'s lines', async () => {
    const text = fixture('yarn-berry/workspaces/yarn.lock')
    const berry: ReadContext = { file: 'yarn.lock', format: 'yarn-berry', lines: indexLines(text) }
    expect(parseSimpleYaml(text, { failsafe: true })).toBeDefined()
    const fast = await readYarnLock(berry, text, false)
    expect(fast.parsed).toEqual(parseSyml(text))
    const scanned = scanYarnLock(berry, text, false)
    expect(fast.blocks.map((block) => [block.key, block.descriptors, block.line])).toEqual(scanned.map((block) => [block.key, block.descriptors, block.line]))
    for (const [index, block] of scanned.entries()) {
      for (const name of ['version', 'resolution', 'checksum', 'conditions']) expect(fast.blocks[index]?.fields.get(name)).toBe(block.fields.get(name))
    }
  })
})
