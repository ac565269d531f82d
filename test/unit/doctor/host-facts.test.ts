import { describe, expect, it } from 'vitest'
import { detectContainer, parseProcStatus } from '../../../src/doctor/host-facts.js'
import { diagnoseBwrapFailure } from '../../../src/sandbox/backends/probe.js'

const none = { dockerenv: false, containerenv: false, containerVar: undefined, cgroups: [] }

describe('parseProcStatus', () => {
  it('reads CAP_SYS_ADMIN (bit 21) and CAP_SYS_PTRACE (bit 19) from CapEff, seccomp mode and no_new_privs', () => {
    expect(parseProcStatus('Name:\tnode\nCapEff:\t000001fffeffffff\nNoNewPrivs:\t0\nSeccomp:\t0\n')).toEqual({
      capSysAdmin: true, capSysPtrace: true, seccomp: 'none', noNewPrivs: false,
    })
    // Docker's default set for root: chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service net_raw sys_chroot mknod audit_write setfcap.
    expect(parseProcStatus('CapEff:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n')).toEqual({
      capSysAdmin: false, capSysPtrace: false, seccomp: 'filter', noNewPrivs: true,
    })
  })
  it('unknown when the file or a field is missing or malformed', () => {
    expect(parseProcStatus(undefined)).toEqual({ capSysAdmin: null, capSysPtrace: null, seccomp: null, noNewPrivs: null })
    expect(parseProcStatus('CapEff:\tzz\nSeccomp:\t9\n')).toMatchObject({ capSysAdmin: null, seccomp: null })
  })
})

describe('detectContainer', () => {
  it('no markers: not in a container', () => {
    expect(detectContainer({ ...none, cgroups: ['0::/user.slice/user-1000.slice/session-2.scope\n'] })).toEqual({ kind: null, evidence: [] })
  })
  it('Docker by /.dockerenv or its cgroup path', () => {
    expect(detectContainer({ ...none, dockerenv: true })).toEqual({ kind: 'docker', evidence: ['/.dockerenv exists'] })
    expect(detectContainer({ ...none, cgroups: ['12:pids:/docker/3f2a9c\n'] })).toEqual({ kind: 'docker', evidence: ['cgroup names docker'] })
  })
  it('podman by /run/.containerenv or the container variable; Kubernetes by kubepods', () => {
    expect(detectContainer({ ...none, containerenv: true }).kind).toBe('podman')
    expect(detectContainer({ ...none, containerVar: 'podman' })).toEqual({ kind: 'podman', evidence: ['the container variable is set'] })
    expect(detectContainer({ ...none, cgroups: ['0::/kubepods.slice/kubepods-besteffort.slice/cri-containerd-ab.scope\n'] }).kind).toBe('kubernetes')
  })
  it('the first marker names the kind; every marker is evidence', () => {
    const found = detectContainer({ ...none, dockerenv: true, cgroups: ['0::/kubepods/pod1/abc\n'] })
    expect(found).toEqual({ kind: 'docker', evidence: ['/.dockerenv exists', 'cgroup names kubernetes'] })
  })
})

describe('the install probe on ENOSPC', () => {
  it('names user namespaces disabled or used up, and the sysctl', () => {
    const d = diagnoseBwrapFailure('bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)\n')
    expect(d.reason).toContain('user.max_user_namespaces is 0')
    expect(d.fix).toContain('sudo sysctl -w user.max_user_namespaces=15000')
    expect(diagnoseBwrapFailure('unshare: unshare failed: No space left on device').reason).toContain('disabled or used up')
  })
})
