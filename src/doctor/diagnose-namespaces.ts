import { absentBinary, binaryLabel, check } from './check.js'
import { explain, installFixes, namespaceBlockers, type Blocker } from './fixes.js'
import type { Attempt, DoctorCheck, DoctorInput } from './types.js'

const bwrapPath = (input: DoctorInput): string => (input.bwrapBinary.kind === 'found' ? input.bwrapBinary.path : '/usr/bin/bwrap')

/** The userns blockers, or the attempt's own error and the command to see it in full. */
const whyNoNamespaces = (input: DoctorInput, error: string, tryIt: string): Blocker =>
  explain(namespaceBlockers(input.facts, bwrapPath(input)), { reason: error, fix: [`run \`${tryIt}\` to see the full error`] })

export const diagnoseUserns = (input: DoctorInput): DoctorCheck => {
  const limit = input.facts.sysctl['user.max_user_namespaces']
  const known = limit === null ? '' : `; user.max_user_namespaces=${limit}`
  const attempt = input.userns
  switch (attempt.kind) {
    case 'ok':
      return check('userns', 'ok', `a user namespace was created (${attempt.value.via})${known}`)
    case 'failed':
      return check('userns', 'missing', `creating one failed: ${attempt.error}`, whyNoNamespaces(input, `creating a user namespace failed: ${attempt.error}`, 'unshare --user --map-root-user true'))
    case 'not-tried': {
      const blockers = namespaceBlockers(input.facts, bwrapPath(input))
      return blockers.length > 0
        ? check('userns', 'missing', `not tried (${attempt.why})`, explain(blockers, { reason: '', fix: [] }))
        : check('userns', 'degraded', `not tried (${attempt.why})${known}`, { reason: `could not be tried: ${attempt.why}`, fix: installFixes('bubblewrap') })
    }
  }
}

export const diagnoseBwrap = (input: DoctorInput): DoctorCheck => {
  const binary = input.bwrapBinary
  if (binary.kind === 'absent') return check('bwrap', 'missing', 'not found', absentBinary(binary, 'bubblewrap (bwrap)', 'bubblewrap'))
  const label = `${binaryLabel(binary)}, ${binary.setuid ? 'setuid root' : 'not setuid'}`
  const probe = input.bwrap
  if (probe.kind === 'unavailable') {
    return check('bwrap', 'missing', `${label}: cannot start a sandbox`, whyNoNamespaces(input, probe.reason, `${binary.path} --unshare-all --ro-bind / / true`))
  }
  if (probe.capture.kind === 'available') return check('bwrap', 'ok', `${label}: a hook sandbox with transparent capture works`)
  const capture = probe.capture
  const detail = `${label}: the sandbox works, without transparent capture (clients that ignore the proxy variables get no network)`
  const usernsOk = input.userns.kind === 'ok'
  if (binary.setuid) {
    const reason = `${capture.reason}; a setuid bubblewrap refuses to keep capabilities`
    return check('bwrap', 'degraded', detail, usernsOk
      ? { reason, fix: [`sudo chmod u-s ${binary.path}   # user namespaces work here, so bubblewrap needs no setuid`] }
      : { reason, fix: [...explain(namespaceBlockers(input.facts, binary.path), { reason: '', fix: [] }).fix, `then: sudo chmod u-s ${binary.path}`] })
  }
  if (input.userns.kind === 'failed') {
    return check('bwrap', 'degraded', detail, explain(namespaceBlockers(input.facts, binary.path), { reason: capture.reason, fix: [capture.fix] }))
  }
  return check('bwrap', 'degraded', detail, { reason: capture.reason, fix: [capture.fix] })
}

export const diagnoseUnshare = (input: DoctorInput): DoctorCheck => {
  const binary = input.unshareBinary
  const standby = input.bwrap.kind === 'bwrap' ? ' (standby: bubblewrap is used)' : ''
  if (binary.kind === 'absent') return check('unshare', 'missing', `not found${standby}`, absentBinary(binary, 'util-linux unshare', 'util-linux'))
  const probe = input.unshare
  if (probe.kind === 'unshare') return check('unshare', 'ok', `${binaryLabel(binary)} with ip, mount and pivot_root: a hook sandbox works${standby}`)
  if (/not installed/.test(probe.reason)) {
    return check('unshare', 'missing', `${binaryLabel(binary)}: ${probe.reason}${standby}`, { reason: probe.reason, fix: installFixes('util-linux iproute2') })
  }
  return check('unshare', 'missing', `${binaryLabel(binary)}: cannot start a sandbox${standby}`,
    whyNoNamespaces(input, probe.reason, `${binary.path} --user --map-root-user --mount --net --pid --fork true`))
}

const FLAGS = { netns: ['--unshare-net', '--net'], mountns: ['', '--mount'], pidns: ['--unshare-pid', '--pid --fork'] } as const

/** The attempt as a command to type, to see its whole error. */
const byHand = (input: DoctorInput, id: keyof typeof FLAGS): string => {
  const tool = input.tool
  if (tool === null) return 'bwrap --ro-bind / / true'
  if (tool.kind === 'bwrap') return `${tool.path} --unshare-user-try ${FLAGS[id][0]} --ro-bind / / true`.replace(/ {2}/g, ' ')
  return `${tool.path}${tool.user ? ' --user --map-root-user' : ''} ${FLAGS[id][1]} true`
}

const namespaceAttempt = <T>(
  input: DoctorInput,
  id: 'netns' | 'mountns' | 'pidns',
  attempt: Attempt<T>,
  judge: (value: T, via: string) => DoctorCheck,
): DoctorCheck => {
  const via = input.tool === null ? '' : input.tool.kind
  switch (attempt.kind) {
    case 'ok':
      return judge(attempt.value, via)
    case 'failed':
      return check(id, 'missing', `${via} could not create it: ${attempt.error}`, whyNoNamespaces(input, attempt.error, byHand(input, id)))
    case 'not-tried':
      return check(id, 'missing', `not tried: ${attempt.why}`, { reason: attempt.why, fix: installFixes('bubblewrap') })
  }
}

export const diagnoseNetns = (input: DoctorInput): DoctorCheck => namespaceAttempt(input, 'netns', input.netns, (value, via) => {
  const others = value.interfaces.filter((name) => name !== 'lo')
  if (others.length > 0) {
    return check('netns', 'missing', `${via}: the namespace shows host interfaces (${others.join(', ')})`, {
      reason: 'the new network namespace is not isolated', fix: ['report this with the output of `safe-install doctor --format json`'],
    })
  }
  if (!value.loopback) {
    return check('netns', 'degraded', `${via}: isolated, but 127.0.0.1 cannot be reached inside`, {
      reason: 'loopback is down in the namespace, so the bridge to the egress proxy cannot run and hooks get no network',
      fix: via === 'unshare' ? installFixes('iproute2') : ['upgrade bubblewrap (it brings loopback up)'],
    })
  }
  return check('netns', 'ok', `${via}: only loopback inside, and 127.0.0.1 is reachable`)
})

export const diagnoseMountns = (input: DoctorInput): DoctorCheck => namespaceAttempt(input, 'mountns', input.mountns, (value, via) =>
  value.private
    ? check('mountns', 'ok', `${via}: a tmpfs mounted inside stayed private`)
    : check('mountns', 'missing', `${via}: a file written inside a private mount reached the host`, {
        reason: 'mounts inside the namespace are not private', fix: ['report this with the output of `safe-install doctor --format json`'],
      }))

export const diagnosePidns = (input: DoctorInput): DoctorCheck => namespaceAttempt(input, 'pidns', input.pidns, (value, via) =>
  value.newNamespace && value.visibleProcesses <= 10
    ? check('pidns', 'ok', `${via}: own pid namespace; its /proc shows ${value.visibleProcesses} processes, none of the host's`)
    : check('pidns', 'missing', `${via}: ${value.newNamespace ? `its /proc shows ${value.visibleProcesses} processes` : 'no new pid namespace'}`, {
        reason: 'host processes are visible inside', fix: ['report this with the output of `safe-install doctor --format json`'],
      }))
