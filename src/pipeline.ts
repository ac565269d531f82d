import { realpathSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import runScript from '@npmcli/run-script'
import { compromisedHosts } from './audit/malware-db/compromised-hosts.js'
import { configList, loadNpmConfig, type NpmConfig } from './config/npm-config.js'
import { SafeInstallError } from './errors.js'
import { readAllowScripts, type AllowScripts } from './policy/allow-scripts.js'
import { decideScript } from './policy/decide.js'
import { checkWriteGrants } from './policy/check-grants.js'
import { loadPolicy } from './policy/load-policy.js'
import type { PinVerdict } from './policy/pin-check.js'
import { hookPlan, ROOT_EVENTS } from './hook-plan.js'
import { grantFor, pinsFor, type Policy } from './policy/policy.js'
import { buildReport } from './report/build-report.js'
import { findingsFromRuns } from './report/findings.js'
import { ignoredRun } from './report/ignored-scripts.js'
import { identifyDetached, openArborist, type ArboristSession } from './resolve/arborist.js'
import { selectWorkspaces } from './resolve/workspaces.js'
import { openResolverGate, type Refusal } from './resolve/resolver-gate.js'
import { findOnPath } from './sandbox/backends/probe.js'
import type { RunControl } from './run-control.js'
import { startBroker, type HookRequest } from './sandbox/broker.js'
import { runHook, type HookContext } from './sandbox/hook-runner.js'
import { openSandboxSession } from './sandbox/session.js'
import { selectBackend } from './sandbox/select.js'
import { loadPathRules } from './trace/path-rules.js'
import type { Canaries } from './sandbox/env/canaries.js'
import { isSecretName } from './sandbox/env/secret-patterns.js'
import type { SecretNeedle } from './egress/secret-scan.js'
import type { EgressEvent, Finding, Mode, PackageRecord, Report, ScriptOutcome, ScriptRun, UnreviewedMode } from './types.js'

export interface PipelineOptions {
  readonly command: 'install' | 'ci' | 'rebuild'
  readonly cwd: string
  /** Specs to add (install) or package names (rebuild). */
  readonly specs: readonly string[]
  readonly npmArgs: readonly string[]
  readonly mode: Mode
  readonly unreviewed?: UnreviewedMode
  readonly policyFile?: string
  /** Fail (exit 4) instead of degrading when the namespace sandbox cannot be set up. */
  readonly requireIsolation: boolean
  readonly env: Readonly<Record<string, string | undefined>>
  readonly execPath: string
  /** Our own CLI, given to pacote to prepare git dependencies (so their deps' scripts are sandboxed too). */
  readonly selfBin: string
  readonly version: string
  readonly control: RunControl
  /** A hook is about to run in the sandbox. Hooks that are skipped or refused are not started: they only end. */
  readonly onHookStart?: (hook: HookStart) => void
  /** A hook ended (ran, or was skipped or refused); `id` is the one its start was told with. */
  readonly onHook?: (run: ScriptRun, id: number) => void
  /**
   * How many hooks this run expects in all, counting those already seen: told when Arborist has
   * queued its build (src/resolve/build-hooks.ts), with the project's own scripts; again if a
   * second build adds more. Never told when nothing says it in advance (e.g. `--package-lock-only`).
   */
  readonly onHooksPlanned?: (total: number) => void
  /** Told at once when the namespace sandbox cannot be used, with the reason and the fix. */
  readonly onDegraded?: (degraded: { readonly reason: string; readonly fix: string }) => void
  /** Live output of the project's own scripts, as npm shows it. */
  readonly echoRoot?: (text: string) => void
  /** INIT_CWD for the scripts when the project is not where the user ran us (policy review's copy). */
  readonly initCwd?: string
}

/** A hook about to run: `id` ties it to its end (onHook). */
export interface HookStart {
  readonly id: number
  readonly pkg: PackageRecord
  readonly event: string
  readonly command: string
}

export interface PipelineResult {
  readonly report: Report
  /** Set when the install itself failed (resolution, fetch, a non-optional script). */
  readonly failure: SafeInstallError | null
  readonly prefix: string
  readonly secretValues: readonly string[]
}

export const runPipeline = async (options: PipelineOptions): Promise<PipelineResult> => {
  const startedAt = Date.now()
  const config = await loadNpmConfig({ cwd: options.cwd, env: options.env, execPath: options.execPath, npmArgs: options.npmArgs })
  const prefix = config.prefix
  if (options.command === 'ci') await requireLockfile(prefix)
  const policy = await loadPolicy({ ...(options.policyFile === undefined ? {} : { explicit: options.policyFile }), prefix })
  checkWriteGrants(policy, { projectDir: prefix, realHome: options.env['HOME'], rules: loadPathRules() })
  const allow = await readAllowScripts(prefix, configList(config.get('allow-scripts')))
  const gyp = nodeGypEnv(config)
  const selected = await selectBackend({
    env: options.env,
    execPath: options.execPath,
    prefix,
    npmPath: config.npmPath,
    npmConfigFiles: configList(config.get('globalconfig')),
    nodeGypDevdir: gyp['npm_config_devdir'],
    requireIsolation: options.requireIsolation,
  })
  if (selected.degraded !== undefined) options.onDegraded?.(selected.degraded)
  const unreviewedMode = options.unreviewed ?? policy.unreviewed ?? (selected.backend.kind === 'namespace' ? 'sandbox' : 'skip')
  const ignoreScripts = config.get('ignore-scripts') === true
  const workspaces = await selectWorkspaces({
    prefix, cwd: options.cwd, filters: configList(config.get('workspace')), all: config.get('workspaces') === true,
  })
  const runs: ScriptRun[] = []
  const extraFindings: Finding[] = [...ignoredAllowEntries(allow)]

  const session = await openSandboxSession({ registryUrl: typeof config.flat['registry'] === 'string' ? config.flat['registry'] : 'http://localhost/' })
  options.control.addTempDir(session.root)
  const brokerDir = await mkdtemp(join(tmpdir(), 'safe-install-run-'))
  options.control.addTempDir(brokerDir)
  const egressEvents: EgressEvent[] = []
  const context: HookContext = {
    backend: selected.backend,
    egress: {
      grants: policy.network,
      mode: options.mode,
      upstream: upstreamProxy(config),
      secrets: secretNeedles(session.canaries, config.secretValues, options.env),
      denied: await compromisedHosts(options.env),
      onEvent: (event) => egressEvents.push(event),
      onFinding: (finding) => extraFindings.push(finding),
    },
    session,
    hostEnv: options.env,
    npmEnv: options.initCwd === undefined ? config.scriptEnv : { ...config.scriptEnv, INIT_CWD: options.initCwd },
    secretValues: config.secretValues,
    envPass: policy.envPass,
    extraEnv: gyp,
    track: options.control.track,
    ...(options.echoRoot === undefined ? {} : { echoRoot: options.echoRoot }),
  }
  let arb: ArboristSession | null = null
  const gate = await openResolverGate({
    flat: config.flat, grants: policy.network, dir: brokerDir, node: options.execPath, git: realGit(config.flat['git'], options.env['PATH']),
  })
  const pins = pinChecker(policy, config.flat)
  const rootDue = options.command === 'ci' || (options.command === 'install' && options.specs.length === 0)
  const plan = hookPlan({
    runsRoot: !ignoreScripts && rootDue,
    rootPackage: () => arb?.rootPackage() ?? {},
    ...(options.onHooksPlanned === undefined ? {} : { onPlanned: options.onHooksPlanned }),
  })
  const handle = async (request: HookRequest): Promise<number> => {
    const id = plan.arrived()
    const { pkg, changed } = await pins.apply(identify(request, arb, allow, prefix), request, (finding) => extraFindings.push(finding))
    const outcome = changed
      ? refused(request, 'its install code changed since it was approved (script-changed): not run until it is reviewed and approved again')
      : await executeHook(request, pkg, { context, policy, unreviewedMode, onStart: (event, command) => options.onHookStart?.({ id, pkg, event, command }) })
    const run: ScriptRun = { pkg, outcome, startedAt: Date.now() - outcome.durationMs }
    runs.push(run)
    options.onHook?.(run, id)
    return outcome.outcome === 'ok' || outcome.outcome === 'skipped' || outcome.outcome === 'blocked' ? 0 : (outcome.exitCode || 1)
  }
  const broker = await startBroker({ dir: brokerDir, nodePath: options.execPath, handle })

  let failure: SafeInstallError | null = null
  let packageCount = 0
  try {
    arb = openArborist({
      flat: config.flat,
      path: prefix,
      scriptShell: broker.shimPath,
      npmBin: options.selfBin,
      allowScripts: allow,
      workspaces,
      ignoreScripts,
      agent: gate.agent,
      git: gate.gitShim,
      onBuild: plan.built,
    })
    const stop = await runCommand(options, arb, { prefix, config, unreviewedMode, runs })
    if (stop === 'continue' && ignoreScripts) runs.push(...(await arb.hooksNotRun(rootDue)).map((hook) => ignoredRun(hook, Date.now())))
    if (stop === 'continue' && plan.runsRoot) {
      plan.rootStarting()
      await runRootScripts(prefix, arb.rootPackage(), broker.shimPath)
    }
    packageCount = arb.packageCount()
  } catch (error) {
    if (error instanceof SafeInstallError) throw error
    failure = new SafeInstallError('EINSTALL', describeInstallError(error), undefined, { cause: error })
  } finally {
    extraFindings.push(...gate.refusals().map((refusal) => resolverFinding(refusal, arb)))
    await gate.close()
    await broker.close()
    await session.close()
    await rm(brokerDir, { recursive: true, force: true })
    options.control.removeTempDir(session.root)
    options.control.removeTempDir(brokerDir)
  }

  const report = buildReport({
    version: options.version,
    command: options.command,
    mode: options.mode,
    startedAt,
    finishedAt: Date.now(),
    isolation: selected.isolation,
    packageCount,
    runs,
    egress: egressEvents,
    findings: [...extraFindings, ...findingsFromRuns(runs)],
  })
  return { report, failure, prefix, secretValues: config.secretValues }
}

type CommandStop = 'continue' | 'stopped'

const runCommand = async (
  options: PipelineOptions,
  arb: ArboristSession,
  state: { prefix: string; config: NpmConfig; unreviewedMode: UnreviewedMode; runs: ScriptRun[] },
): Promise<CommandStop> => {
  switch (options.command) {
    case 'ci': {
      try {
        await arb.loadVirtual()
      } catch (error) {
        throw new SafeInstallError('ELOCKFILE', `cannot read the lockfile in ${state.prefix}: ${(error as Error).message}`,
          'run `safe-install install` (or npm install) to write package-lock.json, then try again', { cause: error })
      }
      await arb.buildIdealTree([])
      const drift = arb.lockfileDrift()
      if (drift.length > 0) {
        throw new SafeInstallError('ELOCKFILE',
          `\`safe-install ci\` can only install packages when your package.json and package-lock.json are in sync (${drift.slice(0, 5).join('; ')}${drift.length > 5 ? `; and ${drift.length - 5} more` : ''})`,
          'update the lockfile with `safe-install install` (or npm install), commit it, then run ci again')
      }
      if (await preflightUnreviewed(arb, state)) return 'stopped'
      await clearNodeModules(state.prefix)
      await arb.reify([], false)
      return 'continue'
    }
    case 'install': {
      await arb.buildIdealTree(options.specs)
      if (await preflightUnreviewed(arb, state)) return 'stopped'
      await arb.reify(options.specs, state.config.get('save') !== false)
      return 'continue'
    }
    case 'rebuild':
      await arb.rebuild(options.specs)
      return 'continue'
  }
}

/**
 * Content pins (src/policy/pin-check.ts) applied to a hook's package before it is decided: an
 * unreviewed package whose install code matches another version's pin runs as approved; a package
 * whose code no longer matches its pins is unreviewed, whatever allowScripts says, and is not run
 * at all (a changed approved script is how a hijacked release strikes). Checked once per package
 * folder; the finding is reported once.
 */
const pinChecker = (policy: Policy, flat: Readonly<Record<string, unknown>>): {
  apply: (pkg: PackageRecord, request: HookRequest, report: (finding: Finding) => void) => Promise<{ pkg: PackageRecord; changed: boolean }>
} => {
  const checked = new Map<string, Promise<PinVerdict>>()
  const cache = typeof flat['cache'] === 'string' ? flat['cache'] : undefined
  const readApproved = async (integrity: string): Promise<ReadonlyMap<string, { data: Buffer | undefined }> | undefined> => {
    if (cache === undefined) return undefined
    const [{ default: cacache }, { readTarball }] = await Promise.all([import('cacache'), import('./audit/cached.js')])
    return readTarball(await cacache.get.byDigest(cache, integrity))
  }
  return {
    apply: async (pkg, request, report) => {
      if (pkg.isRoot || pkg.source === 'workspace' || pkg.approval === 'denied' || pkg.inBundle || pinsFor(policy, pkg.name).length === 0) return { pkg, changed: false }
      const { checkPins, pinFinding } = await import('./policy/pin-check.js')
      const event = request.env['npm_lifecycle_event'] ?? 'unknown'
      let verdict = checked.get(request.cwd)
      if (verdict === undefined) {
        verdict = checkPins(policy, pkg, request.cwd, { readApproved })
        checked.set(request.cwd, verdict)
        const finding = pinFinding(await verdict, pkg, event)
        if (finding !== undefined && ((await verdict).kind === 'changed' || pkg.approval === 'unreviewed')) report(finding)
      }
      const result = await verdict
      if (result.kind === 'carried' && pkg.approval === 'unreviewed') return { pkg: { ...pkg, approval: 'approved', approvedBy: `pin of ${result.key}` }, changed: false }
      if (result.kind === 'changed') return { pkg: { ...pkg, approval: 'unreviewed', approvedBy: null }, changed: true }
      return { pkg, changed: false }
    },
  }
}

/** `--unreviewed fail`: refuse before anything is written when unreviewed scripts are in the tree. */
const preflightUnreviewed = async (
  arb: ArboristSession,
  state: { unreviewedMode: UnreviewedMode; runs: ScriptRun[] },
): Promise<boolean> => {
  if (state.unreviewedMode !== 'fail') return false
  const pending = await arb.unreviewed()
  for (const { pkg, scripts } of pending) {
    for (const [event, command] of Object.entries(scripts)) {
      state.runs.push({ pkg, startedAt: Date.now(), outcome: { event, command, outcome: 'blocked', exitCode: null, durationMs: 0, reason: 'not reviewed and --unreviewed fail' } })
    }
  }
  return pending.length > 0
}

const refused = (request: HookRequest, reason: string): ScriptOutcome => ({
  event: request.env['npm_lifecycle_event'] ?? 'unknown',
  command: request.args[0] === '-c' ? request.args.slice(1).join(' ') : request.args.join(' '),
  outcome: 'blocked', exitCode: null, durationMs: 0, reason,
})

const executeHook = async (
  request: HookRequest,
  pkg: PackageRecord,
  state: { context: HookContext; policy: Policy; unreviewedMode: UnreviewedMode; onStart: (event: string, command: string) => void },
): Promise<ScriptOutcome> => {
  const event = request.env['npm_lifecycle_event'] ?? 'unknown'
  const command = request.args[0] === '-c' ? request.args.slice(1).join(' ') : request.args.join(' ')
  const decision = decideScript(pkg, state.unreviewedMode)
  switch (decision.kind) {
    case 'run': {
      const grant = grantFor(state.policy, pkg)
      const timeoutMs = (grant.timeoutSec ?? state.policy.timeoutSec) * 1000
      state.onStart(event, command)
      return runHook({ pkg, event, command, cwd: request.cwd, lifecycleEnv: request.env }, grant, state.context, timeoutMs)
    }
    case 'skip':
      return { event, command, outcome: 'skipped', exitCode: null, durationMs: 0, reason: decision.reason }
    case 'refuse':
      return { event, command, outcome: 'blocked', exitCode: null, durationMs: 0, reason: decision.reason }
  }
}

const identify = (request: HookRequest, arb: ArboristSession | null, allow: AllowScripts, prefix: string): PackageRecord => {
  let cwd = request.cwd
  try {
    cwd = realpathSync(request.cwd)
  } catch {
    // keep as given
  }
  const known = arb?.lookup(cwd) ?? arb?.lookup(request.cwd)
  if (known !== undefined) return known
  const selfName = request.env['npm_package_name'] ?? ''
  const event = request.env['npm_lifecycle_event']
  if (event === 'prepare' && selfName !== '') {
    const git = arb?.lookupGit(selfName)
    if (git !== undefined) return { ...git, path: cwd }
  }
  const resolved = request.env['npm_package_resolved']
  if (resolved !== undefined && resolved !== '' && !resolved.startsWith('/')) {
    return identifyDetached(resolved, allow, request.env['npm_package_name'] ?? '')
  }
  const isRoot = cwd === prefix
  return {
    name: request.env['npm_package_name'] ?? '(unknown)', version: request.env['npm_package_version'] ?? '',
    location: isRoot ? '' : cwd, path: cwd, resolved: null, source: isRoot ? 'root' : 'unknown', isRoot,
    inBundle: false, optional: false, dev: false, approval: isRoot ? 'approved' : 'unreviewed', approvedBy: null,
  }
}

const runRootScripts = async (prefix: string, pkg: Record<string, unknown>, scriptShell: string): Promise<void> => {
  const scripts = (pkg['scripts'] ?? {}) as Record<string, unknown>
  for (const event of ROOT_EVENTS) {
    if (typeof scripts[event] !== 'string') continue
    await runScript({ event, path: prefix, pkg, stdio: 'pipe', scriptShell })
  }
}

const requireLockfile = async (prefix: string): Promise<void> => {
  for (const name of ['npm-shrinkwrap.json', 'package-lock.json']) {
    if (await stat(join(prefix, name)).then(() => true, () => false)) return
  }
  throw new SafeInstallError('ELOCKFILE',
    `\`safe-install ci\` can only install with an existing package-lock.json or npm-shrinkwrap.json (none in ${prefix})`,
    'run `safe-install install` to write package-lock.json, commit it, then run ci again')
}

const clearNodeModules = async (prefix: string): Promise<void> => {
  const dir = join(prefix, 'node_modules')
  const entries = await readdir(dir).catch(() => [])
  await Promise.all(entries.map((entry) => rm(join(dir, entry), { recursive: true, force: true })))
}

const nodeGypEnv = (config: NpmConfig): Record<string, string> => {
  const nodedir = config.get('nodedir')
  if (typeof nodedir === 'string' && nodedir !== '') return {}
  const cache = config.get('cache')
  return typeof cache === 'string' ? { npm_config_devdir: join(cache, '_safe-install', 'node-gyp') } : {}
}


const ignoredAllowEntries = (allow: AllowScripts): Finding[] =>
  allow.ignored.map(({ key, reason }) => ({
    rule: 'unreviewed-script', severity: 'warning' as const, action: 'reported' as const,
    package: { name: key, version: '', location: '' },
    message: `allowScripts entry "${key}" is ignored: ${reason}.`,
    evidence: { entry: key, fix: 'replace it with an exact version or the bare package name' },
  }))

/** npm's `git` setting as a path: the gate's shim runs it after its check. */
const realGit = (setting: unknown, path: string | undefined): string => {
  const git = typeof setting === 'string' && setting !== '' ? setting : 'git'
  return git.includes('/') ? git : findOnPath(git, path) ?? git
}

/** A fetch the resolver gate refused, on the package that asked for it (the project when none is found). */
const resolverFinding = (refusal: Refusal, arb: ArboristSession | null): Finding => {
  const requesters = arb?.requestersOf(refusal.url) ?? []
  const first = requesters[0]
  const asked = requesters.map((r) => `${r.pkg.name}${r.pkg.version === '' ? '' : `@${r.pkg.version}`} (as "${r.dependency}")`)
  const host = new URL(refusal.url).host
  return {
    rule: 'egress-blocked',
    severity: 'error',
    action: 'blocked',
    package: first === undefined ? { name: '(project)', version: '' } : { name: first.pkg.name, version: first.pkg.version, location: first.pkg.location },
    message: `npm was refused a fetch of ${refusal.url} while resolving dependencies${asked.length === 0 ? '' : `, asked for by ${asked.join(', ')}`}: ${refusal.reason}. Nothing was fetched from it.`,
    evidence: {
      url: refusal.url,
      host,
      reason: refusal.reason,
      ...(first === undefined ? {} : { dependency: first.dependency }),
      fix: `if this dependency is legitimate, allow its host in safe-install.policy.json: "network": { "allow": ["${host}"] }`,
    },
  }
}

const describeInstallError = (error: unknown): string => {
  const e = error as { code?: string; message?: string; pkgid?: string; event?: string }
  const first = (e.message ?? String(error)).split('\n')[0] ?? 'install failed'
  return e.code === undefined ? first : `${e.code}: ${first}`
}

/** The user's own proxy from npm's config, chained to by the egress proxy (http:// only). */
const upstreamProxy = (config: NpmConfig): string | undefined => {
  for (const key of ['https-proxy', 'proxy']) {
    const value = config.get(key)
    if (typeof value === 'string' && value.startsWith('http://')) return value
  }
  return undefined
}

/** Values that must never leave a sandbox: this run's canaries and every real secret we know of. */
const secretNeedles = (
  canaries: Canaries,
  configSecrets: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): SecretNeedle[] => [
  ...Object.entries(canaries).map(([name, value]) => ({ name: `canary ${name}`, value: String(value) })),
  ...configSecrets.map((value, index) => ({ name: `npm config credential #${index + 1}`, value })),
  ...Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].length >= 8 && isSecretName(entry[0]))
    .map(([name, value]) => ({ name: `environment ${name}`, value })),
]

