import { check } from './check.js'
import { containerLimits, containerNamespaceFixes } from './fixes.js'
import type { DoctorCheck, DoctorInput } from './types.js'

/** Informational: a container is only a problem when it is why namespaces fail. */
export const diagnoseContainer = (input: DoctorInput, sandboxWorks: boolean): DoctorCheck => {
  const { kind, evidence } = input.facts.container
  if (kind === null) return check('container', 'ok', 'not in a container')
  const seen = `${kind} (${evidence.join(', ')})`
  if (sandboxWorks) return check('container', 'ok', `${seen}; namespaces work inside it`)
  const limits = containerLimits(input.facts)
  if (limits.length === 0) return check('container', 'ok', `${seen}; no seccomp filter or missing capability seen, so the cause is above`)
  return check('container', 'degraded', `${seen}; no namespace sandbox inside it`, {
    reason: `the container runtime does not let this process create namespaces (${limits.join(', ')})`,
    fix: containerNamespaceFixes(kind),
  })
}

export const diagnoseSeatbelt = (input: DoctorInput): DoctorCheck => {
  const { present, enabled } = input.seatbelt
  if (!present) return check('sandbox-exec', 'missing', '/usr/bin/sandbox-exec not found', { reason: 'this macOS has no sandbox-exec', fix: [] })
  if (enabled) return check('sandbox-exec', 'ok', 'present and turned on (SAFE_INSTALL_SEATBELT=1); experimental')
  return check('sandbox-exec', 'degraded', 'present, not turned on', {
    reason: 'the Seatbelt backend is experimental and opt-in; without it hooks get the env scrub, decoy home and proxy variables only',
    fix: ['export SAFE_INSTALL_SEATBELT=1   # see docs/macos.md'],
  })
}
