import { describe, expect, it } from 'vitest'
import {
  SANDBOX_EXEC, buildSeatbeltArgv, buildSeatbeltInvocation, buildSeatbeltProfile, homeCredentialPaths, sbplString, seatbeltPath,
  type SeatbeltInput,
} from '../../../src/sandbox/backends/seatbelt.js'
import type { SandboxSpec } from '../../../src/sandbox/spec.js'

const HOSTILE = '/Users/alice/p/we"ird) (allow default)\n(deny\\x'

const input: SeatbeltInput = {
  packageDir: '/Users/alice/p/node_modules/x',
  projectDir: '/Users/alice/p',
  hookTmp: '/var/folders/ab/cd/T/sbx-1/tmp/1-x',
  decoyHome: '/var/folders/ab/cd/T/sbx-1/home',
  realHome: '/Users/alice',
  runtimeDirs: ['/Users/alice/.nvm/versions/node/v20.19.0', '/usr/local'],
  writeGrants: ['/Users/alice/.cache/puppeteer/'],
  credentialPaths: ['/Users/alice/p/.npmrc', '/Users/alice/p/.env', '/usr/local/etc/npmrc', HOSTILE],
  hiddenDirs: ['/var/folders/ab/cd/T/sbx-1'],
  proxyPort: 41234,
}

/** Top-level SBPL forms, comments dropped; throws on unbalanced parentheses or an open string. */
const forms = (profile: string): string[] => {
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < profile.length; i++) {
    const c = profile[i]
    if (c === ';' && depth === 0) i = profile.indexOf('\n', i) === -1 ? profile.length : profile.indexOf('\n', i)
    else if (c === '"') {
      for (i++; profile[i] !== '"'; i++) {
        if (i >= profile.length) throw new Error('unterminated string')
        if (profile[i] === '\\') i++
      }
    } else if (c === '(') {
      if (depth++ === 0) start = i
    } else if (c === ')') {
      if (--depth < 0) throw new Error(`unbalanced ) at ${i}`)
      if (depth === 0) out.push(profile.slice(start, i + 1))
    }
  }
  if (depth !== 0) throw new Error('unbalanced (')
  return out
}

/** Reads back one SBPL string literal (the escapes sbplString may emit). */
const readSbplString = (literal: string): string => {
  expect(literal.startsWith('"') && literal.endsWith('"')).toBe(true)
  const body = literal.slice(1, -1)
  let out = ''
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '"') throw new Error('bare quote inside literal')
    if (body[i] !== '\\') {
      out += body[i]
      continue
    }
    const next = body[++i]
    const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' }
    if (next === undefined || map[next] === undefined) throw new Error(`unknown escape \\${String(next)}`)
    out += map[next]
  }
  return out
}

const { profile, params } = buildSeatbeltProfile(input)
const all = forms(profile)
const ruleAt = (head: string): number => all.findIndex((form) => form.startsWith(head))
const ruleOf = (head: string): string => {
  const found = all.filter((form) => form.startsWith(head))
  expect(found, head).toHaveLength(1)
  return found[0] ?? ''
}
const keyOf = (path: string): string => {
  const key = Object.entries(params).find(([, value]) => value === path)?.[0]
  if (key === undefined) throw new Error(`no parameter holds ${path}`)
  return key
}
const ref = (path: string): string => `(param "${keyOf(path)}")`

describe('sbplString', () => {
  it('quotes plain text unchanged', () => {
    expect(sbplString('/dev/null')).toBe('"/dev/null"')
  })
  it('escapes quotes, backslashes, newlines, tabs and carriage returns, and reads back the same', () => {
    const nasty = 'a"b\\c\nd\te\rf) (allow default)'
    expect(sbplString('say "hi"\\')).toBe('"say \\"hi\\"\\\\"')
    expect(readSbplString(sbplString(nasty))).toBe(nasty)
    expect(forms(`(x ${sbplString(nasty)})`)).toHaveLength(1)
  })
  it('refuses control characters it has no escape for', () => {
    for (const bad of ['a\0b', 'a\x07b', 'a\x1bb', 'a\x7fb']) expect(() => sbplString(bad)).toThrow(/parameter/)
  })
})

describe('seatbeltPath', () => {
  it('resolves the macOS root symlinks only at a component boundary', () => {
    expect(seatbeltPath('/var/folders/ab/T')).toBe('/private/var/folders/ab/T')
    expect(seatbeltPath('/tmp')).toBe('/private/tmp')
    expect(seatbeltPath('/etc/npmrc')).toBe('/private/etc/npmrc')
    expect(seatbeltPath('/private/var/x')).toBe('/private/var/x')
    expect(seatbeltPath('/variable/x')).toBe('/variable/x')
    expect(seatbeltPath('/tmpfoo')).toBe('/tmpfoo')
  })
  it('normalises dots, doubled and trailing slashes', () => {
    expect(seatbeltPath('/a//b/../c/')).toBe('/a/c')
    expect(seatbeltPath('/')).toBe('/')
  })
  it('refuses relative paths and NUL bytes', () => {
    expect(() => seatbeltPath('node_modules/x')).toThrow(/absolute/)
    expect(() => seatbeltPath('/a\0b')).toThrow(/NUL/)
  })
})

describe('buildSeatbeltProfile', () => {
  it('parses into balanced forms, starts deny-by-default and never allows by default', () => {
    expect(all.slice(0, 2)).toEqual(['(version 1)', '(deny default)'])
    expect(profile).not.toContain('(allow default)')
  })

  it('carries every path only as a parameter, never in the text', () => {
    const paths = [input.packageDir, input.projectDir, input.hookTmp, input.decoyHome, ...input.runtimeDirs, ...input.writeGrants,
      ...input.credentialPaths, ...input.hiddenDirs, '/Users/alice']
    for (const path of paths) expect(profile).not.toContain(seatbeltPath(path))
    expect(profile).not.toContain('we"ird')
    expect(params[keyOf(HOSTILE)]).toBe(HOSTILE)
  })

  it('defines every parameter it references, and references every one it defines', () => {
    const referenced = new Set([...profile.matchAll(/\(param "([A-Z0-9_]+)"\)/g)].map((m) => m[1]))
    expect([...referenced].sort()).toEqual(Object.keys(params).sort())
  })

  it('turns each credential path, and the home credential catalogue, into a parameter and a final deny', () => {
    const deny = ruleOf('(deny file-read* file-test-existence file-map-executable process-exec file-write*')
    const credentials = [...input.credentialPaths, ...homeCredentialPaths('/Users/alice')]
    expect(credentials.map(seatbeltPath)).toEqual(expect.arrayContaining(['/Users/alice/.ssh', '/Users/alice/.aws', '/Users/alice/.npmrc']))
    for (const path of credentials) {
      expect(keyOf(seatbeltPath(path))).toMatch(/^CRED_\d+$/)
      expect(deny).toContain(`(subpath ${ref(seatbeltPath(path))})`)
      expect(ruleOf('(deny file-write-unlink')).toContain(`(path-ancestors ${ref(seatbeltPath(path))})`)
    }
    const lastAllow = Math.max(...all.map((form, i) => (form.startsWith('(allow') ? i : -1)))
    expect(ruleAt('(deny file-read* file-test-existence file-map-executable process-exec file-write*')).toBeGreaterThan(lastAllow)
    expect(all.at(-1)).toBe('(deny file-link)')
  })

  it('hides every home, /Volumes, shared temp, the real home and named dirs, then shows only what the hook needs', () => {
    const hide = ruleOf('(deny file-read* file-test-existence file-map-executable process-exec\n')
    for (const dir of ['/Users', '/Volumes', '/private/tmp', '/private/var/tmp']) expect(hide).toContain(`(subpath "${dir}")`)
    expect(hide).toContain(`(subpath ${ref('/Users/alice')})`)
    expect(hide).toContain(`(subpath ${ref('/private/var/folders/ab/cd/T/sbx-1')})`)
    const show = ruleOf('(allow file-read* file-test-existence file-map-executable process-exec')
    for (const path of ['/Users/alice/p', '/Users/alice/p/node_modules/x', '/Users/alice/.nvm/versions/node/v20.19.0',
      '/private/var/folders/ab/cd/T/sbx-1/tmp/1-x', '/private/var/folders/ab/cd/T/sbx-1/home', '/Users/alice/.cache/puppeteer']) {
      expect(show).toContain(`(subpath ${ref(path)})`)
    }
    expect(show).not.toContain(ref('/Users/alice'))
    expect(ruleAt('(allow file-read* file-test-existence file-map-executable)')).toBeLessThan(ruleAt('(deny file-read* file-test-existence file-map-executable process-exec\n'))
    expect(ruleAt('(deny file-read* file-test-existence file-map-executable process-exec\n')).toBeLessThan(ruleAt('(allow file-read* file-test-existence file-map-executable process-exec'))
  })

  it('allows writes only to the package, the hook tmp, the decoy home, the grants and harmless devices', () => {
    const writes = all.filter((form) => /^\(allow [^()]*file-write/.test(form))
    expect(writes).toHaveLength(3)
    const keys = [...(ruleOf('(allow file-write*').matchAll(/\(param "([A-Z0-9_]+)"\)/g))].map((m) => m[1])
    expect(keys).toEqual(['PACKAGE_DIR', 'HOOK_TMP', 'DECOY_HOME', 'WRITE_0'])
    expect(params['WRITE_0']).toBe('/Users/alice/.cache/puppeteer')
    expect(ruleOf('(allow file-write-data file-ioctl')).toBe('(allow file-write-data file-ioctl\n  (literal "/dev/null")\n  (literal "/dev/zero")\n  (literal "/dev/dtracehelper")\n)')
    expect(profile).toContain('(allow file-read-data file-write-data (subpath "/dev/fd"))')
    expect(profile).toContain('(deny file-read* file-write* file-ioctl (regex "^/dev/(tty|pty)"))')
  })

  it('lets the network reach only the proxy port on loopback, and names the port nowhere else', () => {
    const network = all.filter((form) => form.includes('network'))
    expect(network).toEqual(['(allow network-outbound (remote ip "localhost:41234"))'])
    expect(profile.split('41234')).toHaveLength(2)
    expect(all.join('\n')).not.toMatch(/unix-socket|mDNSResponder|network-bind|network-inbound|network\*/)
  })

  it('allows processes to fork and exec, but no credential services or other processes\' arguments', () => {
    expect(all).toEqual(expect.arrayContaining(['(allow process-fork)', '(allow process-exec)', '(allow signal (target same-sandbox))']))
    expect(all.join('\n')).not.toMatch(/SecurityServer|securityd|trustd|cfprefsd|kern\.procargs|kern\.proc\.all/)
  })

  it('refuses an invalid proxy port and a relative path instead of writing a weaker profile', () => {
    for (const proxyPort of [0, 65536, 1.5, Number.NaN]) expect(() => buildSeatbeltProfile({ ...input, proxyPort })).toThrow(/port/)
    expect(() => buildSeatbeltProfile({ ...input, credentialPaths: ['.npmrc'] })).toThrow(/absolute/)
  })

  it('without a real home hides no home of its own and adds no home credentials', () => {
    const { params: bare } = buildSeatbeltProfile({ ...input, realHome: undefined, credentialPaths: [] })
    expect(bare['REAL_HOME']).toBeUndefined()
    expect(Object.keys(bare).filter((key) => key.startsWith('CRED_'))).toEqual([])
    expect(buildSeatbeltProfile({ ...input, realHome: '/' }).params['REAL_HOME']).toBeUndefined()
  })

  it('gives duplicate paths one parameter', () => {
    const { params: deduped } = buildSeatbeltProfile({ ...input, writeGrants: ['/w/a', '/w/a/', '/w/./a'] })
    expect(Object.keys(deduped).filter((key) => key.startsWith('WRITE_'))).toEqual(['WRITE_0'])
  })
})

describe('buildSeatbeltArgv', () => {
  const argv = buildSeatbeltArgv(input, { file: '/bin/sh', args: ['-c', 'node install.js'] })
  it('passes the profile inline, then one -D KEY=value per parameter, then -- and the command', () => {
    expect(argv.slice(0, 2)).toEqual(['-p', profile])
    const end = argv.indexOf('--')
    const defines = argv.slice(2, end)
    expect(defines).toHaveLength(Object.keys(params).length * 2)
    expect(defines.filter((_, i) => i % 2 === 0).every((flag) => flag === '-D')).toBe(true)
    expect(defines.filter((_, i) => i % 2 === 1)).toEqual(Object.entries(params).map(([key, value]) => `${key}=${value}`))
    expect(defines).toContain(`${keyOf(HOSTILE)}=${HOSTILE}`)
    expect(argv.slice(end)).toEqual(['--', '/bin/sh', '-c', 'node install.js'])
  })
  it('builds an invocation of /usr/bin/sandbox-exec with the spec env and its marker', () => {
    const spec: SandboxSpec = { command: 'node install.js', cwd: input.packageDir, env: { PATH: '/usr/bin' }, timeoutMs: 1000, marker: { name: 'npm_lifecycle_id', value: 'abc' } }
    const invocation = buildSeatbeltInvocation(spec, input, { file: '/bin/sh', args: ['-c', spec.command] })
    expect(SANDBOX_EXEC).toBe('/usr/bin/sandbox-exec')
    expect(invocation).toEqual({ file: SANDBOX_EXEC, args: argv, cwd: input.packageDir, env: { PATH: '/usr/bin', npm_lifecycle_id: 'abc' } })
  })
})
