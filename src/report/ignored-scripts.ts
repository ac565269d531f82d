import type { PackageRecord, ScriptRun } from '../types.js'

/** Why a hook did not run when npm's `ignore-scripts` is set: the user's choice, not a finding. */
export const IGNORE_SCRIPTS_REASON = 'ignore-scripts is set'

/**
 * A hook that `--ignore-scripts` kept from running, as a skipped run, so the report lists the
 * install scripts a later `rebuild` would run instead of saying there are none. Pure.
 */
export const ignoredRun = (hook: { readonly pkg: PackageRecord; readonly event: string; readonly command: string }, at: number): ScriptRun => ({
  pkg: hook.pkg,
  startedAt: at,
  outcome: { event: hook.event, command: hook.command, outcome: 'skipped', exitCode: null, durationMs: 0, reason: IGNORE_SCRIPTS_REASON },
})

export const isIgnoredRun = (run: ScriptRun): boolean => run.outcome.outcome === 'skipped' && run.outcome.reason === IGNORE_SCRIPTS_REASON
