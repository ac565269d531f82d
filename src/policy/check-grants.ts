import { SafeInstallError } from '../errors.js'
import type { PathRules } from '../trace/path-rules.js'
import { writeGrantRefusal } from './grant-scope.js'
import type { Policy } from './policy.js'

/**
 * Refuse a policy whose `write` grants would open more than a cache (pure; src/policy/grant-scope.ts),
 * before anything is installed: a `~` grant is the user's real home, so `~`, `~/.ssh`, `~/.npmrc`,
 * `~/.bashrc`, `~/.config/gh`, `~/.aws` and the like would hand a script the user's credentials
 * or a way to run again later. Every entry counts, installed or not, preset or the user's own.
 * Throws EPOLICY (exit 2) naming the package, the grant and why.
 */
export const checkWriteGrants = (policy: Policy, context: {
  readonly projectDir: string
  readonly realHome: string | undefined
  readonly rules: PathRules
}): void => {
  for (const [key, entry] of Object.entries(policy.packages)) {
    for (const grant of entry.write) {
      const reason = writeGrantRefusal(grant, context)
      if (reason === undefined) continue
      const where = entry.origin.kind === 'preset' ? `the ${entry.origin.preset} preset` : policy.source
      throw new SafeInstallError('EPOLICY', `${where}: packages.${key}.write: "${grant}" is refused: ${reason}`,
        `remove "${grant}" from packages.${key}.write, or grant the tool's own directory (for example ~/.cache/<tool>)`)
    }
  }
}
