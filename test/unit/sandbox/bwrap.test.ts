import { describe, expect, it } from 'vitest'
import { buildBwrapArgv } from '../../../src/sandbox/backends/bwrap.js'
import { diagnoseBwrapFailure } from '../../../src/sandbox/backends/probe.js'
import { planMounts, projectSecretFiles } from '../../../src/sandbox/mount-plan.js'
import type { SandboxSpec } from '../../../src/sandbox/spec.js'

const spec: SandboxSpec = {
  command: 'node install.js', cwd: '/work/p/node_modules/x', env: { PATH: '/usr/bin' }, timeoutMs: 1000,
  marker: { name: 'npm_lifecycle_id', value: 'abc' },
}

const layout = planMounts({
  packageDir: '/work/p/node_modules/x',
  projectDir: '/work/p',
  hookTmp: '/tmp/safe-install-sbx-1/tmp/1-x',
  decoyHome: '/tmp/safe-install-sbx-1/homes/2-x',
  realHome: '/srv/users/alice',
  runtimeDirs: ['/usr', '/home/alice/.nvm/versions/node/v20', '/usr/lib/node_modules/safe-install/'],
  credentialFiles: ['/usr/etc/npmrc', '/work/p/.npmrc', '/work/p/.env'],
  // `~/.cache/puppeteer`: the real directory, also shown in the hook's decoy home.
  writeGrants: ['/srv/users/alice/.cache/puppeteer'],
  homeBinds: [{ source: '/srv/users/alice/.cache/puppeteer', target: '/tmp/safe-install-sbx-1/homes/2-x/.cache/puppeteer' }],
  nodeGypDevdir: undefined,
})

describe('planMounts', () => {
  it('hides homes, tmp, host sockets and the real home wherever it is', () => {
    expect(layout.hide).toEqual(['/tmp', '/var/tmp', '/run', '/home', '/root', '/mnt', '/media', '/srv/users/alice'])
  })
  it('re-exposes only hidden runtime dirs and the project, read-only', () => {
    expect(layout.readOnly).toEqual(['/home/alice/.nvm/versions/node/v20', '/work/p'])
  })
  it('makes writable only tmp, the decoy home, the package dir and grants', () => {
    expect(layout.writable).toEqual([
      '/tmp/safe-install-sbx-1/tmp/1-x', '/tmp/safe-install-sbx-1/homes/2-x', '/work/p/node_modules/x',
      '/srv/users/alice/.cache/puppeteer',
    ])
  })
  it('shows a ~ grant\'s real directory inside the decoy home too, and nothing else of the real home', () => {
    expect(layout.binds).toEqual([{ source: '/srv/users/alice/.cache/puppeteer', target: '/tmp/safe-install-sbx-1/homes/2-x/.cache/puppeteer' }])
    expect([...layout.readOnly, ...layout.writable].filter((p) => p.startsWith('/srv/users/alice'))).toEqual(['/srv/users/alice/.cache/puppeteer'])
  })
  it('masks credential files', () => {
    expect(layout.mask).toEqual(['/usr/etc/npmrc', '/work/p/.npmrc', '/work/p/.env'])
  })
  it('finds the project files a script must not read', () => {
    expect(projectSecretFiles('/p', ['package.json', '.npmrc', '.env', '.env.local', '.envrc', 'src'])).toEqual(['/p/.npmrc', '/p/.env', '/p/.env.local'])
  })
})

describe('buildBwrapArgv', () => {
  const argv = buildBwrapArgv(spec, { bwrap: '/usr/bin/bwrap', layout, init: { file: '/bin/sh', args: ['/x/ns-init.sh', '/tmp/r.json', 'node install.js'] } })
  it('unshares every namespace, dies with its parent and starts a new session', () => {
    for (const flag of ['--die-with-parent', '--new-session', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts']) expect(argv).toContain(flag)
  })
  it('mounts in the safe order: read-only root, fresh /dev and /proc, hide, re-expose, writable, mask', () => {
    const at = (...needle: string[]): number => argv.findIndex((_, i) => needle.every((n, j) => argv[i + j] === n))
    expect(at('--ro-bind', '/', '/')).toBeLessThan(at('--proc', '/proc'))
    expect(at('--tmpfs', '/tmp')).toBeLessThan(at('--ro-bind-try', '/work/p', '/work/p'))
    expect(at('--ro-bind-try', '/work/p', '/work/p')).toBeLessThan(at('--bind-try', '/work/p/node_modules/x', '/work/p/node_modules/x'))
    expect(at('--bind-try', '/work/p/node_modules/x', '/work/p/node_modules/x')).toBeLessThan(at('--ro-bind-try', '/dev/null', '/work/p/.npmrc'))
  })
  it('mounts a ~ grant after the real home is hidden and after the decoy home it lands in, and fails rather than skip it', () => {
    const at = (...needle: string[]): number => argv.findIndex((_, i) => needle.every((n, j) => argv[i + j] === n))
    const bind = at('--bind', '/srv/users/alice/.cache/puppeteer', '/tmp/safe-install-sbx-1/homes/2-x/.cache/puppeteer')
    expect(bind).toBeGreaterThan(-1)
    expect(at('--tmpfs', '/srv/users/alice')).toBeLessThan(at('--bind-try', '/srv/users/alice/.cache/puppeteer', '/srv/users/alice/.cache/puppeteer'))
    expect(at('--bind-try', '/tmp/safe-install-sbx-1/homes/2-x', '/tmp/safe-install-sbx-1/homes/2-x')).toBeLessThan(bind)
    expect(bind).toBeLessThan(at('--ro-bind-try', '/dev/null', '/work/p/.npmrc'))
  })
  it('runs the init with the hook command last, never as one joined shell string', () => {
    expect(argv.slice(argv.indexOf('--'))).toEqual(['--', '/bin/sh', '/x/ns-init.sh', '/tmp/r.json', 'node install.js'])
    expect(argv.slice(argv.indexOf('--chdir'), argv.indexOf('--chdir') + 2)).toEqual(['--chdir', '/work/p/node_modules/x'])
  })
})

describe('diagnoseBwrapFailure', () => {
  it('names disabled user namespaces and the sysctl that fixes it', () => {
    expect(diagnoseBwrapFailure('bwrap: setting up uid map: Permission denied\n').fix).toContain('unprivileged_userns_clone')
  })
  it('names a container without the capability', () => {
    expect(diagnoseBwrapFailure('bwrap: Creating new namespace failed: Operation not permitted').reason).toContain('container')
  })
})

describe('buildBwrapArgv with transparent capture', () => {
  const init = { file: '/bin/sh', args: ['/x/ns-init.sh'] }
  const plain = buildBwrapArgv(spec, { bwrap: '/usr/bin/bwrap', layout, init })
  const argv = buildBwrapArgv(spec, { bwrap: '/usr/bin/bwrap', layout, init, capture: { resolvConf: { source: '/s/resolv.conf', target: '/run/systemd/resolve/stub-resolv.conf' } } })
  const at = (list: string[], ...needle: string[]): number => list.findIndex((_, i) => needle.every((n, j) => list[i + j] === n))
  it('requires a user namespace (capabilities are kept only inside one) and keeps exactly two', () => {
    expect(argv).toContain('--unshare-user')
    expect(argv).not.toContain('--unshare-user-try')
    expect(argv.filter((a) => a === '--cap-add')).toHaveLength(2)
    expect(at(argv, '--cap-add', 'CAP_NET_BIND_SERVICE')).toBeGreaterThan(0)
    expect(at(argv, '--cap-add', 'CAP_SETFCAP')).toBeGreaterThan(0)
    expect(at(argv, '--uid', '0', '--gid', '0')).toBeGreaterThan(0)
  })
  it('mounts the stub resolv.conf where the real one lives, after /run is hidden', () => {
    expect(at(argv, '--ro-bind', '/s/resolv.conf', '/run/systemd/resolve/stub-resolv.conf')).toBeGreaterThan(at(argv, '--tmpfs', '/run'))
  })
  it('adds nothing of it without capture', () => {
    expect(plain).toContain('--unshare-user-try')
    expect(plain).not.toContain('--cap-add')
    expect(plain).not.toContain('--uid')
    expect(plain.join(' ')).not.toContain('resolv.conf')
  })
})

describe('parseInitResult', () => {
  it('reads one pid and name per line, a fork-flood line, and ignores noise', async () => {
    const { parseInitResult } = await import('../../../src/sandbox/hook-runner.js')
    expect(parseInitResult('7 node\n12 sleep\n\ngarbage\n')).toEqual({ escaped: [{ pid: 7, command: 'node' }, { pid: 12, command: 'sleep' }], pidsLimit: false })
    expect(parseInitResult('limit pids 1024\n9 sh\n')).toEqual({ escaped: [{ pid: 9, command: 'sh' }], pidsLimit: true })
  })
})

describe('limitHit', () => {
  it('names the limit a namespaced hook ran into, and nothing for the v1 runner', async () => {
    const { limitHit } = await import('../../../src/sandbox/hook-runner.js')
    const { PIDS_MAX, FILE_SIZE_MAX_BYTES } = await import('../../../src/sandbox/spec.js')
    const none = { escaped: [], pidsLimit: false }
    expect(limitHit('namespace', 137, { escaped: [], pidsLimit: true }, '')).toEqual({ kind: 'pids', max: PIDS_MAX })
    expect(limitHit('namespace', 153, none, '')).toEqual({ kind: 'file-size', max: FILE_SIZE_MAX_BYTES })
    expect(limitHit('namespace', 1, none, "Error: EFBIG: file too large, write\n  code: 'EFBIG'")).toEqual({ kind: 'file-size', max: FILE_SIZE_MAX_BYTES })
    expect(limitHit('namespace', 0, none, 'EFBIG')).toBeUndefined()
    expect(limitHit('namespace', 1, none, 'some error')).toBeUndefined()
    expect(limitHit('none', 153, none, '')).toBeUndefined()
  })
})

describe('buildUnsharePlan / buildUnshareArgv (the sandbox without bubblewrap)', () => {
  it('lists the same mounts as bwrap, in the same order, one tab-separated step per line', async () => {
    const { buildUnsharePlan } = await import('../../../src/sandbox/backends/bwrap.js')
    const plan = buildUnsharePlan(layout, { source: '/s/resolv.conf', target: '/etc/resolv.conf' }).split('\n')
    expect(plan.slice(0, 2)).toEqual(['hide\t/tmp', 'hide\t/var/tmp'])
    expect(plan).toContain('ro\t/work/p')
    expect(plan).toContain('rw\t/work/p/node_modules/x')
    expect(plan).toContain('mask\t/work/p/.npmrc')
    expect(plan.at(-1)).toBe('file\t/s/resolv.conf\t/etc/resolv.conf')
    expect(plan.indexOf('ro\t/work/p')).toBeLessThan(plan.indexOf('rw\t/work/p/node_modules/x'))
    expect(plan.indexOf('rw\t/work/p/node_modules/x')).toBeLessThan(plan.indexOf('mask\t/work/p/.npmrc'))
    const bind = plan.indexOf('bind\t/srv/users/alice/.cache/puppeteer\t/tmp/safe-install-sbx-1/homes/2-x/.cache/puppeteer')
    expect(plan.indexOf('rw\t/tmp/safe-install-sbx-1/homes/2-x')).toBeLessThan(bind)
    expect(bind).toBeLessThan(plan.indexOf('mask\t/work/p/.npmrc'))
  })
  it('refuses a path that would break the plan format', async () => {
    const { buildUnsharePlan } = await import('../../../src/sandbox/backends/bwrap.js')
    expect(() => buildUnsharePlan({ ...layout, writable: ['/work/p/node_modules/evil\nhide\t/'] })).toThrow(/tab or newline/)
    expect(() => buildUnsharePlan({ ...layout, binds: [{ source: '/home/a/.cache/x\tb', target: '/t' }] })).toThrow(/tab or newline/)
  })
  it('unshares every namespace and passes the plan, the workdir and the init as separate arguments', async () => {
    const { buildUnshareArgv } = await import('../../../src/sandbox/backends/bwrap.js')
    const argv = buildUnshareArgv(spec, { nsUnshare: '/x/ns-unshare.sh', scratch: '/tmp/s', layout, init: { file: '/bin/sh', args: ['/x/ns-init.sh', 'r'] } })
    for (const flag of ['--user', '--map-root-user', '--mount', '--net', '--pid', '--fork', '--kill-child', '--ipc', '--uts']) expect(argv).toContain(flag)
    const rest = argv.slice(argv.indexOf('--') + 1)
    expect(rest.slice(0, 3)).toEqual(['/bin/sh', '/x/ns-unshare.sh', '/tmp/s'])
    expect(rest.slice(4)).toEqual(['/work/p/node_modules/x', '/bin/sh', '/x/ns-init.sh', 'r'])
  })
})
