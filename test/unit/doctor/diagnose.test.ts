import { describe, expect, it } from 'vitest'
import { diagnose, summarise } from '../../../src/doctor/diagnose.js'
import type { CheckId, DoctorCheck, DoctorInput } from '../../../src/doctor/types.js'
import { healthyFacts, healthyInput, noUsernsInput, withSysctl } from './inputs.js'

const byId = (input: DoctorInput): Record<CheckId, DoctorCheck> =>
  Object.fromEntries(diagnose(input).map((c) => [c.id, c])) as Record<CheckId, DoctorCheck>

describe('diagnose on a healthy Linux host', () => {
  const checks = diagnose(healthyInput())
  it('checks every Linux layer in a fixed order, all ok, with no reason or fix', () => {
    expect(checks.map((c) => c.id)).toEqual(['userns', 'bwrap', 'unshare', 'netns', 'mountns', 'pidns', 'strace', 'seccomp-bpf', 'preload', 'container'])
    expect(checks.filter((c) => c.status !== 'ok')).toEqual([])
    expect(checks.every((c) => c.reason === null && c.fix.length === 0 && c.gives !== '')).toBe(true)
  })
  it('says which launcher is in use and what the spare ones do', () => {
    const c = byId(healthyInput())
    expect(c.bwrap.detail).toContain('transparent capture works')
    expect(c.unshare.detail).toContain('standby')
    expect(c.preload.detail).toContain('standby: strace is used')
  })
})

describe('user namespaces refused to an ordinary user', () => {
  it('Debian: names kernel.unprivileged_userns_clone and the sysctl that fixes it', () => {
    const c = byId(noUsernsInput(withSysctl(healthyFacts(), { 'kernel.unprivileged_userns_clone': '0' })))
    expect(c.userns.status).toBe('missing')
    expect(c.userns.reason).toContain('kernel.unprivileged_userns_clone is 0')
    expect(c.userns.fix[0]).toBe('sudo sysctl -w kernel.unprivileged_userns_clone=1')
    for (const id of ['bwrap', 'unshare', 'netns', 'mountns', 'pidns'] as const) {
      expect(c[id].status, id).toBe('missing')
      expect(c[id].fix, id).toEqual(c.userns.fix)
    }
  })
  it('Ubuntu 24.04: AppArmor restriction, fixed by a bwrap profile or the sysctl', () => {
    const c = byId(noUsernsInput(withSysctl(healthyFacts(), { 'kernel.apparmor_restrict_unprivileged_userns': '1' })))
    expect(c.userns.reason).toContain('AppArmor')
    expect(c.userns.fix[0]).toContain('profile bwrap /usr/bin/bwrap flags=(unconfined)')
    expect(c.userns.fix[0]).toContain('sudo apparmor_parser -r /etc/apparmor.d/bwrap')
    expect(c.userns.fix[1]).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0')
  })
  it('user.max_user_namespaces=0, whoever runs it', () => {
    const c = byId(noUsernsInput(withSysctl(healthyFacts({ uid: 0 }), { 'user.max_user_namespaces': '0' })))
    expect(c.userns.reason).toContain('user.max_user_namespaces is 0')
    expect(c.userns.fix[0]).toBe('sudo sysctl -w user.max_user_namespaces=15000')
  })
  it('root is not told about switches that only bind ordinary users', () => {
    const c = byId(noUsernsInput(withSysctl(healthyFacts({ uid: 0 }), { 'kernel.unprivileged_userns_clone': '0', 'kernel.apparmor_restrict_unprivileged_userns': '1' })))
    expect(c.userns.reason).toBe('creating a user namespace failed: unshare: unshare failed: Operation not permitted')
    expect(c.userns.fix).toEqual(['run `unshare --user --map-root-user true` to see the full error'])
  })
  it('the install gets no namespace sandbox; the container check stays ok outside a container', () => {
    const c = byId(noUsernsInput(withSysctl(healthyFacts(), { 'kernel.unprivileged_userns_clone': '0' })))
    expect(c.container.status).toBe('ok')
    expect(c.strace.detail).toContain('unused')
    expect(c.preload.detail).toContain('the tracer of installs here')
  })
})

describe('containers', () => {
  const dockerRoot = healthyFacts({ uid: 0, capSysAdmin: false, seccomp: 'filter', container: { kind: 'docker', evidence: ['/.dockerenv exists'] } })
  it('root in Docker with the default profile: the docker run flags', () => {
    const c = byId(noUsernsInput(dockerRoot))
    expect(c.container.status).toBe('degraded')
    expect(c.container.reason).toContain('a seccomp filter is applied, root without CAP_SYS_ADMIN')
    expect(c.container.fix).toEqual(['docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cap-add SYS_ADMIN …'])
    expect(c.bwrap.fix).toContain(c.container.fix[0])
  })
  it('podman gets podman flags', () => {
    const c = byId(noUsernsInput({ ...dockerRoot, container: { kind: 'podman', evidence: ['/run/.containerenv exists'] } }))
    expect(c.container.fix[0]).toMatch(/^podman run --security-opt seccomp=unconfined/)
  })
  it('an ordinary user without CAP_SYS_ADMIN and no seccomp filter: the container is not blamed', () => {
    const facts = withSysctl(healthyFacts({ container: { kind: 'docker', evidence: ['/.dockerenv exists'] } }), { 'user.max_user_namespaces': '0' })
    const c = byId(noUsernsInput(facts))
    expect(c.container.status).toBe('ok')
    expect(c.userns.fix.some((f) => f.startsWith('docker run'))).toBe(false)
  })
  it('namespaces working inside a container is ok', () => {
    const c = byId(healthyInput({ facts: dockerRoot }))
    expect(c.container).toMatchObject({ status: 'ok', detail: 'docker (/.dockerenv exists); namespaces work inside it' })
  })
})

describe('bubblewrap', () => {
  it('not installed: the install commands', () => {
    const c = byId(healthyInput({ bwrapBinary: { kind: 'absent', override: null, onPath: null }, bwrap: { kind: 'unavailable', reason: 'bubblewrap (bwrap) is not installed', fix: 'x' } }))
    expect(c.bwrap).toMatchObject({ status: 'missing', reason: 'bubblewrap (bwrap) is not installed' })
    expect(c.bwrap.fix[0]).toBe('sudo apt-get install bubblewrap   # Debian, Ubuntu')
  })
  it('an override naming a missing file, bwrap on PATH: unset it (the value is not printed)', () => {
    const c = byId(healthyInput({ bwrapBinary: { kind: 'absent', override: 'SAFE_INSTALL_BWRAP', onPath: '/usr/bin/bwrap' } }))
    expect(c.bwrap.reason).toBe('SAFE_INSTALL_BWRAP is set to a file that does not exist')
    expect(c.bwrap.fix).toEqual(['unset SAFE_INSTALL_BWRAP   # to use /usr/bin/bwrap'])
  })
  const noCapture = { kind: 'unavailable', reason: 'bubblewrap cannot keep capabilities', fix: 'upgrade bubblewrap' } as const
  it('setuid without capture while user namespaces work: drop the setuid bit', () => {
    const c = byId(healthyInput({
      bwrapBinary: { kind: 'found', path: '/usr/bin/bwrap', version: null, setuid: true, override: null },
      bwrap: { kind: 'bwrap', bwrap: '/usr/bin/bwrap', capture: noCapture },
    }))
    expect(c.bwrap.status).toBe('degraded')
    expect(c.bwrap.detail).toContain('setuid root')
    expect(c.bwrap.fix).toEqual(['sudo chmod u-s /usr/bin/bwrap   # user namespaces work here, so bubblewrap needs no setuid'])
  })
  it('setuid without capture and user namespaces disabled: enable them first, then drop the bit', () => {
    const facts = withSysctl(healthyFacts(), { 'kernel.unprivileged_userns_clone': '0' })
    const c = byId(healthyInput({
      facts,
      userns: { kind: 'failed', error: 'unshare: unshare failed: Operation not permitted' },
      bwrapBinary: { kind: 'found', path: '/usr/bin/bwrap', version: null, setuid: true, override: null },
      bwrap: { kind: 'bwrap', bwrap: '/usr/bin/bwrap', capture: noCapture },
    }))
    expect(c.bwrap.fix).toEqual(['sudo sysctl -w kernel.unprivileged_userns_clone=1', expect.stringContaining('sysctl.d') as unknown, 'then: sudo chmod u-s /usr/bin/bwrap'])
  })
  it('root without nested user namespaces: degraded, with the userns cause', () => {
    const facts = withSysctl(healthyFacts({ uid: 0, capSysAdmin: true }), { 'user.max_user_namespaces': '0' })
    const c = byId(healthyInput({ facts, userns: { kind: 'failed', error: 'No space left on device' }, bwrap: { kind: 'bwrap', bwrap: '/usr/bin/bwrap', capture: noCapture } }))
    expect(c.bwrap).toMatchObject({ status: 'degraded', reason: 'user.max_user_namespaces is 0: user namespaces are disabled' })
    expect(c.bwrap.detail).toContain('without transparent capture')
  })
})

describe('tracers', () => {
  it('strace missing', () => {
    const c = byId(healthyInput({ straceBinary: { kind: 'absent', override: null, onPath: null }, strace: { kind: 'unavailable', reason: 'strace is not installed', fix: 'x' } }))
    expect(c.strace).toMatchObject({ status: 'missing', reason: 'strace is not installed' })
    expect(c.strace.fix[0]).toBe('sudo apt-get install strace   # Debian, Ubuntu')
    expect(c['seccomp-bpf']).toMatchObject({ status: 'missing', fix: [] })
  })
  const forbidden = { kind: 'unavailable', reason: 'strace cannot trace here (PTRACE_TRACEME: Operation not permitted)', fix: 'allow ptrace' } as const
  it('ptrace_scope 3: only a reboot lowers it', () => {
    const c = byId(healthyInput({ facts: withSysctl(healthyFacts(), { 'kernel.yama.ptrace_scope': '3' }), strace: forbidden }))
    expect(c.strace).toMatchObject({ status: 'missing', reason: 'kernel.yama.ptrace_scope is 3: ptrace is disabled until the next reboot' })
    expect(c.strace.fix[0]).toContain('then reboot')
  })
  it('ptrace_scope 2 for an ordinary user: the sysctl', () => {
    const c = byId(healthyInput({ facts: withSysctl(healthyFacts(), { 'kernel.yama.ptrace_scope': '2' }), strace: forbidden }))
    expect(c.strace.fix).toEqual(['sudo sysctl kernel.yama.ptrace_scope=1'])
  })
  it('a container without CAP_SYS_PTRACE: the run flag', () => {
    const facts = healthyFacts({ uid: 0, container: { kind: 'docker', evidence: ['/.dockerenv exists'] } })
    const c = byId(healthyInput({ facts, strace: forbidden }))
    expect(c.strace.fix[0]).toMatch(/^docker run --cap-add SYS_PTRACE/)
  })
  it('an unexplained failure keeps the probe\'s own reason and fix', () => {
    const c = byId(healthyInput({ strace: forbidden }))
    expect(c.strace).toMatchObject({ reason: forbidden.reason, fix: [forbidden.fix] })
  })
  it('strace without seccomp-bpf is degraded; the kernel is named when it lacks SECCOMP_RET_TRACE', () => {
    const strace = { kind: 'strace', strace: '/usr/bin/strace', seccomp: false } as const
    expect(byId(healthyInput({ strace }))['seccomp-bpf'].reason).toContain('older than 5.3')
    const old = byId(healthyInput({ strace, facts: withSysctl(healthyFacts(), { 'kernel.seccomp.actions_avail': 'kill errno allow' }) }))
    expect(old['seccomp-bpf']).toMatchObject({ status: 'degraded', reason: expect.stringContaining('SECCOMP_RET_TRACE') as unknown })
  })
  it('the preload observer turned off, or silent', () => {
    expect(byId(healthyInput({ preload: { kind: 'disabled' } })).preload).toMatchObject({ status: 'missing', fix: ['unset SAFE_INSTALL_PRELOAD'] })
    expect(byId(healthyInput({ preload: { kind: 'ok', value: { recorded: false } } })).preload.status).toBe('missing')
  })
})

describe('namespace attempts', () => {
  it('a network namespace that shows host interfaces is not isolation', () => {
    expect(byId(healthyInput({ netns: { kind: 'ok', value: { interfaces: ['lo', 'eth0'], loopback: true } } })).netns).toMatchObject({ status: 'missing' })
  })
  it('loopback down: degraded, and iproute2 for the unshare launcher', () => {
    const c = byId(healthyInput({ tool: { kind: 'unshare', path: '/usr/bin/unshare', user: true }, netns: { kind: 'ok', value: { interfaces: ['lo'], loopback: false } } }))
    expect(c.netns.status).toBe('degraded')
    expect(c.netns.fix[0]).toContain('iproute2')
  })
  it('host processes visible, or no new pid namespace: missing', () => {
    expect(byId(healthyInput({ pidns: { kind: 'ok', value: { newNamespace: false, visibleProcesses: 3 } } })).pidns.status).toBe('missing')
    expect(byId(healthyInput({ pidns: { kind: 'ok', value: { newNamespace: true, visibleProcesses: 300 } } })).pidns.status).toBe('missing')
  })
  it('a mount that reached the host: missing', () => {
    expect(byId(healthyInput({ mountns: { kind: 'ok', value: { private: false } } })).mountns.status).toBe('missing')
  })
  it('an unexplained failure says how to see the whole error with the same launcher', () => {
    const c = byId(healthyInput({ netns: { kind: 'failed', error: 'bwrap: something odd' } }))
    expect(c.netns).toMatchObject({ status: 'missing', reason: 'bwrap: something odd' })
    expect(c.netns.fix).toEqual(['run `/usr/bin/bwrap --unshare-user-try --unshare-net --ro-bind / / true` to see the full error'])
  })
  it('nothing to create namespaces with', () => {
    const c = byId(healthyInput({ tool: null, netns: { kind: 'not-tried', why: 'neither bubblewrap nor util-linux unshare is installed' } }))
    expect(c.netns.status).toBe('missing')
    expect(c.netns.fix[0]).toContain('bubblewrap')
  })
})

describe('other platforms', () => {
  it('macOS: sandbox-exec (opt-in) and the preload observer only', () => {
    const input = healthyInput({ facts: healthyFacts({ platform: 'darwin' }), seatbelt: { present: true, enabled: false } })
    const checks = diagnose(input)
    expect(checks.map((c) => c.id)).toEqual(['sandbox-exec', 'preload'])
    expect(checks[0]).toMatchObject({ status: 'degraded', fix: ['export SAFE_INSTALL_SEATBELT=1   # see docs/macos.md'] })
    expect(diagnose({ ...input, seatbelt: { present: true, enabled: true } })[0]?.status).toBe('ok')
  })
})

describe('summarise', () => {
  it('the namespace sandbox: the report\'s line, no gaps, --require-isolation passes', () => {
    const s = summarise({ isolation: healthyInput().isolation, transparentCapture: true, degraded: undefined, strict: { kind: 'pass' } })
    expect(s).toEqual({
      namespace: true, transparentCapture: true, warning: null,
      line: 'isolation: bwrap (network namespace, filesystem namespace, pid namespace, tracer strace)', gaps: [],
      requireIsolation: { wouldPass: true, reason: null, fix: null },
    })
  })
  it('no sandbox: every gap of the report, and --require-isolation fails with the install\'s reason', () => {
    const s = summarise({
      isolation: noUsernsInput(healthyFacts()).isolation, transparentCapture: false,
      degraded: { reason: 'r', fix: 'f' }, strict: { kind: 'fail', reason: 'the namespace sandbox could not be set up: r', fix: 'f' },
    })
    expect(s.namespace).toBe(false)
    expect(s.gaps.map((g) => g.split(':')[0])).toEqual(['network', 'filesystem', 'processes', 'tracer'])
    expect(s.requireIsolation).toEqual({ wouldPass: false, reason: 'the namespace sandbox could not be set up: r', fix: 'f' })
  })
})
