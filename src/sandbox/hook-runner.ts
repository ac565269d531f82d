import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { BRIDGE_PORT, startHookEgress, type EgressSettings, type HookEgress } from './hook-egress.js'
import { buildBwrapInvocation, buildUnshareArgv } from './backends/bwrap.js'
import { buildNoneInvocation } from './backends/none.js'
import { buildSeatbeltInvocation } from './backends/seatbelt.js'
import { homeGrantFindings, openHookHome, type HookHome } from './home-grants.js'
import { hiddenDirs, planMounts } from './mount-plan.js'
import { writeGrantRefusal } from '../policy/grant-scope.js'
import { scrubEnv } from './env/scrub-env.js'
import { redactSecrets } from './output-tail.js'
import { stripControl } from '../report/sanitize.js'
import { runInvocation } from './run-script.js'
import { FILE_SIZE_MAX_BYTES, OUTPUT_LIMIT_BYTES, PIDS_MAX, type Invocation, type SandboxSpec } from './spec.js'
import type { SandboxSession } from './session.js'
import type { PackageGrant } from '../policy/policy.js'
import type { EgressEvent, EscapedProcess, Finding, ResourceLimit, ScriptOutcome, ScriptTask } from '../types.js'
import { createBoundedList, type TraceSummary } from '../trace/activity.js'
import { createTraceCollector, loadTraceRules, type TraceCollector, type TraceRules, type TraceScope } from '../trace/collector.js'
import { createObserverParser, observerNodeOptions, OBSERVER_ENV } from '../trace/observer-log.js'
import { createStraceParser } from '../trace/strace-parser.js'

/** What records a hook's activity: strace (namespaced hooks only), or the Node preload observer. */
export type HookTracer =
  /** strace and its options (output on fd 3). */
  | { readonly kind: 'strace'; readonly argv: readonly string[] }
  /**
   * libexec/observer.cjs, loaded into every node process of the hook through NODE_OPTIONS; its
   * log is read when the hook ends. The project and real home, for judging paths on any backend.
   */
  | { readonly kind: 'preload'; readonly observer: string; readonly projectDir: string; readonly realHome: string | undefined }

/** How hooks are contained this run, chosen once by the probe. */
export type HookBackend =
  | {
      readonly kind: 'none'
      readonly tracer?: HookTracer | undefined
      /** The user's real home, where `~` write grants point (src/sandbox/home-grants.ts). */
      readonly realHome?: string | undefined
      readonly projectDir?: string | undefined
    }
  | {
      /** macOS, experimental and opt-in (SAFE_INSTALL_SEATBELT=1): a generated Seatbelt profile around the v1 runner. */
      readonly kind: 'sandbox-exec'
      readonly tracer?: HookTracer | undefined
      readonly projectDir: string
      readonly realHome: string | undefined
      readonly runtimeDirs: readonly string[]
      readonly credentialFiles: readonly string[]
    }
  | {
      /** Linux namespaces: user, mount, network, pid, ipc, uts; set up by bubblewrap, else by util-linux unshare. */
      readonly kind: 'namespace'
      readonly launcher:
        | { readonly kind: 'bwrap'; readonly bwrap: string }
        /** nsUnshare: libexec/ns-unshare.sh, which builds the mounts that bwrap would. */
        | { readonly kind: 'unshare'; readonly unshare: string; readonly nsUnshare: string }
      /** libexec/ns-init.sh, the init run inside the namespaces. */
      readonly nsInit: string
      /** node and dist/sandbox/ns-bridge.js: the namespace's only way out, to the hook's proxy. */
      readonly node: string
      readonly nsBridge: string
      readonly projectDir: string
      readonly realHome: string | undefined
      readonly runtimeDirs: readonly string[]
      readonly credentialFiles: readonly string[]
      readonly nodeGypDevdir: string | undefined
      /** undefined when neither strace nor the preload observer is in use. */
      readonly tracer: HookTracer | undefined
      /** Transparent capture (DNS stub, ports 80/443 handed to the proxy); undefined when the probe found it cannot run. */
      readonly capture: {
        readonly unshare: string
        /** The user's ids, which the hook keeps inside its nested user namespace. */
        readonly uid: number
        readonly gid: number
        /** Where the namespace's resolv.conf is mounted (the host's resolv.conf, symlinks followed). */
        readonly resolvConf: string
      } | undefined
    }

export interface HookContext {
  readonly backend: HookBackend
  /** The egress proxy of every hook; undefined only where no proxy is wanted (unit tests). */
  readonly egress: EgressSettings | undefined
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
  proxyEnv: Readonly<Record<string, string>> = {},
  home: string = context.session.home,
): { spec: SandboxSpec; withheld: readonly string[] } => {
  const { env, withheld } = scrubEnv({
    hostEnv: context.hostEnv,
    npmEnv: context.npmEnv,
    lifecycleEnv: task.lifecycleEnv,
    sandboxEnv: { ...context.extraEnv, ...proxyEnv, ...context.session.homeEnv(tmp, home) },
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
  const label = `${task.pkg.name}-${task.event}`
  const tmp = await context.session.newTmpDir(label)
  const home = await hookHomeOf(grant, context, label)
  const socketDir = context.egress !== undefined && context.backend.kind === 'namespace' ? await context.session.newTmpDir(`${label}-proxy`) : undefined
  const egressSeen = createBoundedList<EgressEvent>(false)
  const shared = context.egress
  const settings = shared === undefined ? undefined
    : { ...shared, onEvent: (event: EgressEvent) => { egressSeen.add(event); shared.onEvent(event) } }
  const egress = settings === undefined ? undefined : await startHookEgress({
    settings, pkg: task.pkg, event: task.event, packageGrants: grant.network, socketDir,
  })
  let ran: { readonly outcome: ScriptOutcome; readonly trace: TraceSummary | undefined }
  try {
    ran = await runContained(task, grant, context, { tmp, home, timeoutMs, egress })
  } finally {
    await egress?.proxy.close()
  }
  // Listed once the proxy has closed: its last connections are logged by then.
  return { ...ran.outcome, activity: { trace: ran.trace, egress: egressSeen.list() } }
}

/**
 * The hook's home and what its `write` grants open: `~` grants are the user's real home, shown in
 * a decoy home of the hook's own (bind mounts in the namespace, symlinks elsewhere).
 */
const hookHomeOf = async (grant: PackageGrant, context: HookContext, label: string): Promise<HookHome> => {
  const { backend } = context
  const projectDir = backend.projectDir ?? context.npmEnv['INIT_CWD'] ?? '/'
  const rules = TRACE_CATALOG().paths
  return openHookHome({
    write: grant.write,
    sharedHome: context.session.home,
    newHome: () => context.session.newHome(label),
    realHome: backend.realHome,
    view: backend.kind === 'namespace' ? 'bind' : 'symlink',
    refusal: (resolved, realHome) => writeGrantRefusal(resolved, { projectDir, realHome, rules }),
  })
}

const runContained = async (
  task: ScriptTask,
  grant: PackageGrant,
  context: HookContext,
  run: { readonly tmp: string; readonly home: HookHome; readonly timeoutMs: number; readonly egress: HookEgress | undefined },
): Promise<{ readonly outcome: ScriptOutcome; readonly trace: TraceSummary | undefined }> => {
  const { tmp, home, timeoutMs } = run
  const markerValue = randomBytes(12).toString('hex')
  const { spec } = buildHookSpec(task, grant, context, tmp, timeoutMs, markerValue, run.egress?.env, home.dir)
  const resultFile = join(tmp, '.safe-install-ns-result')
  const address = run.egress?.proxy.address()
  const scratch = context.backend.kind === 'namespace' && context.backend.launcher.kind === 'unshare'
    ? await context.session.newTmpDir(`${task.pkg.name}-root`) : undefined
  const { backend } = context
  const strace = backend.kind === 'namespace' && backend.tracer?.kind === 'strace' && run.egress !== undefined
    ? startStrace(task, home, context, tmp, backend, backend.tracer) : undefined
  const preload = backend.tracer?.kind === 'preload' ? backend.tracer : undefined
  const observerLog = join(tmp, OBSERVER_LOG)
  const traced = preload === undefined ? spec : {
    ...spec,
    env: { ...spec.env, NODE_OPTIONS: observerNodeOptions(spec.env['NODE_OPTIONS'], preload.observer), [OBSERVER_ENV]: observerLog },
  }
  const invocation = buildInvocation(task, home, context, traced, {
    tmp, resultFile, proxySocket: run.egress?.socketPath, proxyPort: address?.kind === 'tcp' ? address.port : undefined, scratch,
    trace: strace?.argv,
  })
  const result = await runInvocation(invocation, {
    sweep: context.backend.kind !== 'namespace',
    timeoutMs,
    outputLimit: OUTPUT_LIMIT_BYTES,
    killGraceMs: 3000,
    marker: `npm_lifecycle_id=${markerValue}`,
    track: context.track,
    ...(strace === undefined ? {} : { trace: { fifo: join(await context.session.newTmpDir(`${task.pkg.name}-trace`), 'trace'), sink: strace.push } }),
    ...(task.pkg.isRoot && context.echoRoot !== undefined
      ? { echo: (chunk: Buffer) => context.echoRoot?.(redactSecrets(stripControl(chunk.toString('utf8')), context.secretValues)) }
      : {}),
  })
  const seen = strace !== undefined ? strace.finish()
    : preload === undefined ? undefined
      : await readObserverLog(observerLog, traceCollector(task, home, context, tmp, {
        projectDir: preload.projectDir, realHome: preload.realHome,
        network: backend.kind === 'namespace' ? 'namespace' : 'host',
        throwaway: backend.kind === 'namespace' ? hiddenDirs(backend.realHome) : [],
        proxyPort: backend.kind === 'namespace' ? BRIDGE_PORT : address?.kind === 'tcp' ? address.port : 0,
      }))
  const init = context.backend.kind !== 'namespace' || result.timedOut ? { escaped: result.escaped, pidsLimit: false } : await readInitResult(resultFile)
  // After a fork flood, what the init swept is the flood itself, already reported as the limit.
  const escaped = init.pidsLimit ? [] : init.escaped
  const output = redactSecrets(stripControl(result.output), context.secretValues)
  const limit = result.timedOut ? undefined : limitHit(context.backend.kind, result.exitCode, init, output)
  const outcome = result.timedOut ? 'timeout' : result.exitCode === 0 ? 'ok' : 'failed'
  const done: ScriptOutcome = {
    event: task.event,
    command: task.command,
    outcome,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    ...(result.signal === null ? {} : { signal: result.signal }),
    output,
    ...(result.spawnError === undefined ? {} : { reason: result.spawnError }),
    ...(escaped.length === 0 ? {} : { escaped }),
    ...(limit === undefined ? {} : { limit }),
    ...(seen === undefined && home.refused.length === 0 && home.mapped.length === 0 ? {} : { traced: [...homeGrantFindings({ package: { name: task.pkg.name, version: task.pkg.version, location: task.pkg.location }, event: task.event }, home, seen === undefined), ...(seen?.findings ?? [])] }),
  }
  return { outcome: done, trace: seen?.summary }
}

const buildInvocation = (
  task: ScriptTask,
  home: HookHome,
  context: HookContext,
  spec: SandboxSpec,
  paths: {
    readonly tmp: string
    readonly resultFile: string
    readonly proxySocket: string | undefined
    readonly proxyPort: number | undefined
    /** An empty directory where ns-unshare.sh builds the new root (unshare launcher). */
    readonly scratch: string | undefined
    /** strace and its options, when the hook is traced (its output goes to fd 3). */
    readonly trace?: readonly string[] | undefined
  },
): Invocation => {
  const backend = context.backend
  switch (backend.kind) {
    case 'none':
      return buildNoneInvocation(spec)
    case 'sandbox-exec': {
      return buildSeatbeltInvocation(spec, {
        packageDir: packageDirOf(task, backend.projectDir),
        projectDir: backend.projectDir,
        hookTmp: paths.tmp,
        decoyHome: home.dir,
        realHome: backend.realHome,
        runtimeDirs: backend.runtimeDirs,
        writeGrants: home.writable,
        credentialPaths: backend.credentialFiles,
        // Other hooks' tmp dirs; this hook's own tmp and the decoy home are allowed again by the profile.
        hiddenDirs: [context.session.root],
        proxyPort: paths.proxyPort ?? 0,
      }, { file: '/bin/sh', args: ['-c', spec.command] })
    }
    case 'namespace': {
      const layout = planMounts({
        packageDir: packageDirOf(task, backend.projectDir),
        projectDir: backend.projectDir,
        hookTmp: paths.tmp,
        decoyHome: home.dir,
        realHome: backend.realHome,
        runtimeDirs: backend.runtimeDirs,
        credentialFiles: backend.credentialFiles,
        writeGrants: home.writable,
        homeBinds: home.mapped.map((g) => ({ source: g.real, target: g.view })),
        nodeGypDevdir: backend.nodeGypDevdir,
        proxySocketDir: paths.proxySocket === undefined ? undefined : dirname(paths.proxySocket),
      })
      const capture = paths.proxySocket === undefined ? undefined : backend.capture
      const bridge = paths.proxySocket === undefined ? []
        : [backend.node, backend.nsBridge, String(BRIDGE_PORT), paths.proxySocket, capture === undefined ? 'proxy' : 'capture', String(PIDS_MAX)]
      const drop = capture === undefined ? '-' : `${capture.unshare}:${capture.uid}:${capture.gid}`
      const trace = paths.trace === undefined ? '-' : paths.trace.join('\t')
      const init = { file: '/bin/sh', args: [backend.nsInit, paths.resultFile, spec.command, String(FILE_SIZE_BLOCKS), drop, trace, ...bridge] }
      const resolvConf = capture === undefined ? undefined : { source: context.session.resolvConf, target: capture.resolvConf }
      const { launcher } = backend
      if (launcher.kind === 'bwrap') {
        return buildBwrapInvocation(spec, { bwrap: launcher.bwrap, layout, init, capture: resolvConf === undefined ? undefined : { resolvConf } })
      }
      return {
        file: launcher.unshare,
        args: buildUnshareArgv(spec, { nsUnshare: launcher.nsUnshare, scratch: paths.scratch ?? paths.tmp, layout, resolvConf, init }),
        cwd: spec.cwd,
        env: { ...spec.env, [spec.marker.name]: spec.marker.value },
      }
    }
  }
}

/** The directory a hook may write: its package's own, or the project for the project's own scripts. */
const packageDirOf = (task: ScriptTask, projectDir: string): string => (task.pkg.isRoot ? projectDir : task.cwd)

/** A collector for one hook's events, judged against its package, project, homes and grants. */
const traceCollector = (
  task: ScriptTask,
  home: HookHome,
  context: HookContext,
  tmp: string,
  where: Pick<TraceScope, 'projectDir' | 'realHome' | 'network' | 'proxyPort' | 'throwaway'>,
): TraceCollector => {
  const nodeGypDevdir = context.backend.kind === 'namespace' ? context.backend.nodeGypDevdir : undefined
  return createTraceCollector({
    pkg: { name: task.pkg.name, version: task.pkg.version, location: task.pkg.location },
    event: task.event,
    cwd: task.cwd,
    packageDir: packageDirOf(task, where.projectDir),
    hookTmp: tmp,
    decoyHome: home.dir,
    writable: [...home.writable, ...(nodeGypDevdir === undefined ? [] : [nodeGypDevdir])],
    homeGrants: home.mapped,
    runtimeDirs: context.backend.kind === 'none' ? [] : context.backend.runtimeDirs,
    command: task.command,
    ...where,
  }, TRACE_CATALOG())
}

/** One hook's strace: the parser fed from fd 3 and the collector that turns its events into findings. */
const startStrace = (
  task: ScriptTask,
  home: HookHome,
  context: HookContext,
  tmp: string,
  backend: Extract<HookBackend, { kind: 'namespace' }>,
  tracer: Extract<HookTracer, { kind: 'strace' }>,
): { readonly argv: readonly string[]; readonly push: (chunk: Buffer) => void; readonly finish: () => TraceResult } => {
  const collector = traceCollector(task, home, context, tmp, {
    projectDir: backend.projectDir, realHome: backend.realHome, network: 'namespace', proxyPort: BRIDGE_PORT, throwaway: hiddenDirs(backend.realHome),
  })
  const parser = createStraceParser(collector.onEvent)
  return {
    argv: tracer.argv,
    push: (chunk) => parser.push(chunk),
    finish: () => {
      parser.end()
      return { findings: collector.findings(), summary: collector.summary() }
    },
  }
}

/** The preload observer's log, streamed through its parser into the collector once the hook has ended. */
const readObserverLog = async (file: string, collector: TraceCollector): Promise<TraceResult> => {
  const parser = createObserverParser(collector.onObserved)
  try {
    for await (const chunk of createReadStream(file, { end: OBSERVER_LOG_MAX_BYTES - 1 })) parser.push(chunk as Buffer)
  } catch {
    // No node process ran (no log), or the hook removed it: nothing observed.
  }
  parser.end()
  return { findings: collector.findings(), summary: collector.summary() }
}

/** What a hook's tracer gives back: its findings, and the bounded summary --verbose shows. */
interface TraceResult {
  readonly findings: Finding[]
  readonly summary: TraceSummary
}

/** The observer's log in the hook's tmp; only its first 64 MiB are read (the file-size limit is far larger). */
const OBSERVER_LOG = '.safe-install-observed.jsonl'
const OBSERVER_LOG_MAX_BYTES = 64 * 1024 * 1024

let traceRules: TraceRules | undefined
const TRACE_CATALOG = (): TraceRules => (traceRules ??= loadTraceRules())

/** ulimit -f counts 512-byte blocks. */
const FILE_SIZE_BLOCKS = FILE_SIZE_MAX_BYTES / 512
/** What a shell reports for a child killed by SIGXFSZ (128 + 25). */
const XFSZ_EXIT = 153

export interface InitResult {
  /** One per process still alive when the hook ended (killed by the init). */
  readonly escaped: readonly EscapedProcess[]
  /** Set when the bridge's watchdog ended a fork flood. */
  readonly pidsLimit: boolean
}

/** ns-init.sh's result: `<pid> <name>` per leftover process, `limit pids <max>` after a fork flood. Pure. */
export const parseInitResult = (text: string): InitResult => {
  const lines = text.split('\n').map((line) => line.trim())
  return {
    escaped: lines.map((line) => /^(\d+) ?(.*)$/.exec(line)).filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), command: m[2] ?? '' })),
    pidsLimit: lines.some((line) => line.startsWith('limit pids ')),
  }
}

/** What ns-init found in the hook's pid namespace when the hook ended. */
const readInitResult = async (file: string): Promise<InitResult> => {
  try {
    return parseInitResult(await readFile(file, 'utf8'))
  } catch {
    return { escaped: [], pidsLimit: false }
  }
}

/**
 * The limit a hook ran into, from how the namespace init saw it end (pure). A write past the
 * file-size limit kills most programs with SIGXFSZ (exit 153 through the shell); node ignores
 * that signal and fails the write with EFBIG, which its error output names.
 */
export const limitHit = (backend: HookBackend['kind'], exitCode: number | null, init: InitResult, output: string): ResourceLimit | undefined => {
  if (backend !== 'namespace') return undefined
  if (init.pidsLimit) return { kind: 'pids', max: PIDS_MAX }
  const fileSize = exitCode === XFSZ_EXIT || (exitCode !== 0 && /\bEFBIG\b|File size limit exceeded/.test(output))
  return fileSize ? { kind: 'file-size', max: FILE_SIZE_MAX_BYTES } : undefined
}
