import { randomBytes } from 'node:crypto'
import { buildNoneInvocation } from './backends/none.js'
import { scrubEnv } from './env/scrub-env.js'
import { redactSecrets, stripControlChars } from './output-tail.js'
import { runInvocation } from './run-script.js'
import { OUTPUT_LIMIT_BYTES, type SandboxSpec } from './spec.js'
import type { SandboxSession } from './session.js'
import type { PackageGrant } from '../policy/policy.js'
import type { ScriptOutcome, ScriptTask } from '../types.js'

export interface HookContext {
  readonly session: SandboxSession
  readonly hostEnv: Readonly<Record<string, string | undefined>>
  readonly npmEnv: Readonly<Record<string, string>>
  readonly secretValues: readonly string[]
  readonly envPass: readonly string[]
  /** Extra variables for every hook (e.g. node-gyp's header cache when npm has no nodedir). */
  readonly extraEnv: Readonly<Record<string, string>>
  readonly track: { readonly add: (pid: number) => void; readonly remove: (pid: number) => void }
  /** Where the project's own scripts' output goes live (npm shows it); package scripts are only captured. */
  readonly echoRoot?: (text: string) => void
}

/** Build the sandbox spec of one approved hook: pure apart from the fresh temp dir passed in. */
export const buildHookSpec = (
  task: ScriptTask,
  grant: PackageGrant,
  context: HookContext,
  tmp: string,
  timeoutMs: number,
  markerValue: string,
): { spec: SandboxSpec; withheld: readonly string[] } => {
  const { env, withheld } = scrubEnv({
    hostEnv: context.hostEnv,
    npmEnv: context.npmEnv,
    lifecycleEnv: task.lifecycleEnv,
    sandboxEnv: { ...context.extraEnv, ...context.session.homeEnv(tmp) },
    canaryEnv: context.session.canaryEnv,
    grants: { everyScript: context.envPass, thisPackage: grant.env },
    secretValues: context.secretValues,
  })
  return {
    spec: {
      command: task.command,
      cwd: task.cwd,
      env,
      timeoutMs,
      marker: { name: 'npm_lifecycle_id', value: markerValue },
    },
    withheld,
  }
}

/** Run one hook in the sandbox and describe what happened. */
export const runHook = async (
  task: ScriptTask,
  grant: PackageGrant,
  context: HookContext,
  timeoutMs: number,
): Promise<ScriptOutcome> => {
  const tmp = await context.session.newTmpDir(`${task.pkg.name}-${task.event}`)
  const markerValue = randomBytes(12).toString('hex')
  const { spec } = buildHookSpec(task, grant, context, tmp, timeoutMs, markerValue)
  const result = await runInvocation(buildNoneInvocation(spec), {
    timeoutMs,
    outputLimit: OUTPUT_LIMIT_BYTES,
    killGraceMs: 3000,
    marker: `npm_lifecycle_id=${markerValue}`,
    track: context.track,
    ...(task.pkg.isRoot && context.echoRoot !== undefined
      ? { echo: (chunk: Buffer) => context.echoRoot?.(redactSecrets(stripControlChars(chunk.toString('utf8')), context.secretValues)) }
      : {}),
  })
  const output = redactSecrets(stripControlChars(result.output), context.secretValues)
  const outcome = result.timedOut ? 'timeout' : result.exitCode === 0 ? 'ok' : 'failed'
  return {
    event: task.event,
    command: task.command,
    outcome,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    ...(result.signal === null ? {} : { signal: result.signal }),
    output,
    ...(result.spawnError === undefined ? {} : { reason: result.spawnError }),
    ...(result.escaped.length === 0 ? {} : { escaped: result.escaped }),
  }
}
