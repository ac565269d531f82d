import { describeIsolation } from '../report/isolation-lines.js'
import type { IsolationInfo } from '../types.js'
import { diagnoseContainer, diagnoseSeatbelt } from './diagnose-host.js'
import { diagnoseBwrap, diagnoseMountns, diagnoseNetns, diagnosePidns, diagnoseUnshare, diagnoseUserns } from './diagnose-namespaces.js'
import { diagnosePreload, diagnoseSeccomp, diagnoseStrace } from './diagnose-tracers.js'
import type { DoctorCheck, DoctorInput, SandboxSummary } from './types.js'

/** Whether the isolation an install selects is the namespace sandbox. */
export const isNamespace = (isolation: IsolationInfo): boolean => isolation.backend === 'bwrap' || isolation.backend === 'unshare'

/** One check per layer that exists on this platform, in a fixed order (pure). */
export const diagnose = (input: DoctorInput): DoctorCheck[] => {
  switch (input.facts.platform) {
    case 'linux':
      return [
        diagnoseUserns(input), diagnoseBwrap(input), diagnoseUnshare(input),
        diagnoseNetns(input), diagnoseMountns(input), diagnosePidns(input),
        diagnoseStrace(input), diagnoseSeccomp(input), diagnosePreload(input),
        diagnoseContainer(input, isNamespace(input.isolation)),
      ]
    case 'darwin':
      return [diagnoseSeatbelt(input), diagnosePreload(input)]
    default:
      return [diagnosePreload(input)]
  }
}

/**
 * The bottom line from what the install's own selection returned: its isolation (the report's
 * field), the warning it prints when degraded, the report's gap lines, and whether
 * `--require-isolation` would pass (pure).
 */
export const summarise = (selection: {
  readonly isolation: IsolationInfo
  readonly transparentCapture: boolean
  readonly degraded: { readonly reason: string; readonly fix: string } | undefined
  readonly strict: { readonly kind: 'pass' } | { readonly kind: 'fail'; readonly reason: string; readonly fix: string | undefined }
}): SandboxSummary => {
  const { line, gaps } = describeIsolation('install', selection.isolation)
  const { strict } = selection
  return {
    namespace: isNamespace(selection.isolation),
    transparentCapture: selection.transparentCapture,
    warning: selection.degraded === undefined ? null : { reason: selection.degraded.reason, fix: selection.degraded.fix },
    line,
    gaps,
    requireIsolation: strict.kind === 'pass'
      ? { wouldPass: true, reason: null, fix: null }
      : { wouldPass: false, reason: strict.reason, fix: strict.fix ?? null },
  }
}
