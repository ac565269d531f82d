import { absentBinary, binaryLabel, check } from './check.js'
import { containerNamespaceFixes, explain, installFixes, ptraceBlockers } from './fixes.js'
import type { DoctorCheck, DoctorInput } from './types.js'

const scopeNote = (input: DoctorInput): string => {
  const scope = input.facts.sysctl['kernel.yama.ptrace_scope']
  return scope === null ? 'no Yama ptrace_scope' : `kernel.yama.ptrace_scope=${scope}`
}

/** strace installed, and a real trace of a trivial child (the install's own probe) succeeded. */
export const diagnoseStrace = (input: DoctorInput): DoctorCheck => {
  const binary = input.straceBinary
  if (binary.kind === 'absent') return check('strace', 'missing', 'not found', absentBinary(binary, 'strace', 'strace'))
  const label = binaryLabel(binary)
  const probe = input.strace
  if (probe.kind === 'unavailable') {
    return check('strace', 'missing', `${label}: cannot trace a child (${scopeNote(input)})`,
      explain(ptraceBlockers(input.facts), { reason: probe.reason, fix: [probe.fix] }))
  }
  const use = input.isolation.tracer === 'strace' ? 'the tracer of installs here'
    : 'unused: strace runs only inside the namespace sandbox, which is not available here'
  return check('strace', 'ok', `${label}: traced a child process (${scopeNote(input)}); ${use}`)
}

export const diagnoseSeccomp = (input: DoctorInput): DoctorCheck => {
  const probe = input.strace
  if (probe.kind === 'unavailable') {
    return check('seccomp-bpf', 'missing', 'not tried: strace cannot run here', { reason: 'strace is not available (see strace)', fix: [] })
  }
  if (probe.seccomp) return check('seccomp-bpf', 'ok', 'strace --seccomp-bpf traced a child')
  const actions = input.facts.sysctl['kernel.seccomp.actions_avail']
  const kernelLacks = actions !== null && !actions.split(/\s+/).includes('trace')
  return check('seccomp-bpf', 'degraded', 'strace works, but only by stopping at every system call (slower hooks)', kernelLacks
    ? { reason: 'the kernel offers no SECCOMP_RET_TRACE (kernel.seccomp.actions_avail lacks trace)', fix: ['run on a kernel built with CONFIG_SECCOMP_FILTER (Linux 5.3 or later)'] }
    : {
        reason: 'strace --seccomp-bpf failed: strace older than 5.3, or a seccomp filter on this process that forbids adding one',
        fix: [...installFixes('strace').map((line) => `${line}, from a release with strace 5.3 or later`),
          ...(input.facts.container.kind === null ? [] : containerNamespaceFixes(input.facts.container.kind))],
      })
}

export const diagnosePreload = (input: DoctorInput): DoctorCheck => {
  const attempt = input.preload
  const use = input.isolation.tracer === 'preload' ? 'the tracer of installs here' : 'standby: strace is used'
  switch (attempt.kind) {
    case 'disabled':
      return check('preload', 'missing', 'turned off', { reason: 'SAFE_INSTALL_PRELOAD is 0', fix: ['unset SAFE_INSTALL_PRELOAD'] })
    case 'not-tried':
      return check('preload', 'missing', `not tried: ${attempt.why}`, { reason: attempt.why, fix: [] })
    case 'failed':
      return check('preload', 'missing', `node with the observer failed: ${attempt.error}`, {
        reason: `node could not run with the observer preloaded: ${attempt.error}`,
        fix: ['check NODE_OPTIONS and that safe-install\'s libexec/observer.cjs is readable'],
      })
    case 'ok':
      return attempt.value.recorded
        ? check('preload', 'ok', `recorded a file access of node code; ${use}`)
        : check('preload', 'missing', 'node ran with the observer, but nothing was recorded', {
            reason: 'the observer did not write its log', fix: ['report this with the output of `safe-install doctor --format json`'],
          })
  }
}
