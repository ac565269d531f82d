#!/usr/bin/env node
// Per-hook overhead micro-benchmark: how much the whole sandbox (namespaces, per-hook egress
// proxy, capture, env scrub, result collection) adds to one lifecycle hook, over a bare
// `node -e 0`. Target: ≤ 15 ms median.
//
// Uses the built product (dist/): selectBackend picks the backend exactly as a run does, a real
// SandboxSession is opened, and every sandboxed run goes through runHook with a per-hook egress
// proxy, as the pipeline calls it. Variants run interleaved (run i starts with variant i mod n),
// after untimed warm-up runs. A breakdown replays the product's own bwrap invocation (recorded
// from one runHook call through a wrapper that logs its argv and env) with the inner command cut
// down step by step, to show where the time goes.
//
// Never touches the network (the hook makes no connection; the proxy only listens), uses temp
// dirs only and removes them. Plain Node ESM, node built-ins plus ../dist. See bench/README.md.

import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { machineInfo, machineLines, parseFlags, REPO, toolVersion, writeDocsSection } from './lib/report.js'
import { markdownTable, median, percentile, rotate, since, textTable } from './lib/stats.js'

const TARGET_MS = 15
const USAGE = `Usage: node bench/hook-overhead.js [options]

  --runs N          timed runs per variant (default 30; also BENCH_HOOK_RUNS)
  --warmup N        untimed runs per variant first (default 3)
  --no-breakdown    skip the where-the-time-goes ladder
  --no-docs         do not write docs/benchmarks.md
  -h, --help        show this help`

const dist = (rel) => import(pathToFileURL(path.join(REPO, 'dist', rel)).href)

// ------------------------------------------------------------------ spawning

/** Spawn and wait for exit, output piped and drained (as the hook runner captures it); ms and exit code. */
function timedSpawn (file, args, options = {}) {
  return new Promise((resolve) => {
    const start = performance.now()
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    let output = ''
    child.stdout.on('data', (c) => { output += c })
    child.stderr.on('data', (c) => { output += c })
    child.on('error', (error) => resolve({ ms: since(start), code: null, output: error.message }))
    child.on('close', (code, signal) => resolve({ ms: since(start), code: code ?? signal, output }))
  })
}

const shQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`

// ------------------------------------------------------------------ set-up

async function makeProject (tmp) {
  const projectDir = path.join(tmp, 'project')
  const pkgDir = path.join(projectDir, 'node_modules', 'bench-hook')
  await mkdir(pkgDir, { recursive: true })
  await writeFile(path.join(projectDir, 'package.json'), JSON.stringify({ name: 'bench-project', version: '1.0.0', dependencies: { 'bench-hook': '1.0.0' } }))
  await writeFile(path.join(pkgDir, 'package.json'), JSON.stringify({ name: 'bench-hook', version: '1.0.0', scripts: { postinstall: 'node -e 0' } }))
  return { projectDir, pkgDir }
}

/** The hook as the pipeline hands it to runHook (npm's lifecycle env trimmed to what matters here). */
function makeTask (projectDir, pkgDir) {
  const command = 'node -e 0'
  const pkg = {
    name: 'bench-hook', version: '1.0.0', location: 'node_modules/bench-hook', path: pkgDir, resolved: null,
    source: 'registry', isRoot: false, inBundle: false, optional: false, dev: false, approval: 'approved', approvedBy: 'bench-hook',
  }
  const binDirs = [path.join(pkgDir, 'node_modules', '.bin'), path.join(projectDir, 'node_modules', '.bin'), path.dirname(process.execPath)]
  return {
    pkg,
    event: 'postinstall',
    command,
    cwd: pkgDir,
    lifecycleEnv: {
      PATH: [...binDirs, process.env.PATH ?? '/usr/bin:/bin'].join(path.delimiter),
      npm_lifecycle_event: 'postinstall',
      npm_lifecycle_script: command,
      npm_package_name: pkg.name,
      npm_package_version: pkg.version,
      INIT_CWD: projectDir,
    },
  }
}

// --------------------------------------------------------------------- main

async function main () {
  const opts = parseFlags(process.argv.slice(2), { '--runs': 'int', '--warmup': 'int', '--no-breakdown': 'bool', '--no-docs': 'bool' }, USAGE)
  const envRuns = Number(process.env.BENCH_HOOK_RUNS)
  const runs = opts.runs ?? (Number.isInteger(envRuns) && envRuns > 0 ? envRuns : 30)
  const warmup = opts.warmup ?? 3

  let mods
  try {
    mods = {
      ...(await dist('sandbox/select.js')),
      ...(await dist('sandbox/session.js')),
      ...(await dist('sandbox/hook-runner.js')),
      ...(await dist('sandbox/hook-egress.js')),
      ...(await dist('sandbox/broker.js')),
      ...(await dist('sandbox/env/canaries.js')),
      ...(await dist('config/find-npm.js')),
    }
  } catch (error) {
    console.error(`bench: cannot load the built modules (${error.message}); run \`npm run build\` first (\`npm run bench:hook\` does).`)
    return 1
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'safe-install-bench-hook-'))
  let session
  let broker
  try {
    const { projectDir, pkgDir } = await makeProject(tmp)
    const task = makeTask(projectDir, pkgDir)
    const npmPath = mods.findNpmPath(process.env, process.execPath)
    const select = (env, requireIsolation) => mods.selectBackend({
      env, execPath: process.execPath, prefix: projectDir, npmPath, npmConfigFiles: [], nodeGypDevdir: undefined, requireIsolation,
    })
    // The same probe a run does; requireIsolation makes a missing sandbox an error, not a silent `none`.
    const namespace = await select(process.env, true)
    if (namespace.backend.kind !== 'namespace' || namespace.backend.launcher.kind !== 'bwrap') {
      console.error(`bench: the bubblewrap backend was not selected (got ${namespace.isolation.backend}); this benchmark measures it.`)
      return 1
    }
    const none = await select({ ...process.env, SAFE_INSTALL_BWRAP: '/nonexistent', SAFE_INSTALL_UNSHARE: '/nonexistent' }, false)
    if (none.backend.kind !== 'none') throw new Error(`expected the none backend, got ${none.backend.kind}`)
    const unshare = await select({ ...process.env, SAFE_INSTALL_BWRAP: '/nonexistent' }, false)
    const capture = namespace.backend.capture !== undefined
    const traced = namespace.backend.tracer !== undefined

    session = await mods.openSandboxSession({ registryUrl: 'http://127.0.0.1:9/' })
    const events = []
    const findings = []
    const egress = {
      grants: [],
      upstream: undefined,
      secrets: Object.entries(session.canaries).map(([name, value]) => ({ name: `canary ${name}`, value: String(value) })),
      onEvent: (e) => events.push(e),
      onFinding: (f) => findings.push(f),
    }
    const context = (backend) => ({
      backend, egress, session, hostEnv: process.env, npmEnv: {}, secretValues: [], envPass: [], extraEnv: {},
      track: { add: () => {}, remove: () => {} },
    })
    const grant = { network: [], write: [], env: [] }
    const hook = (backend) => async () => {
      const start = performance.now()
      const outcome = await mods.runHook(task, grant, context(backend), 60_000)
      const ms = since(start)
      if (outcome.outcome !== 'ok') throw new Error(`hook failed under ${backend.kind}: ${outcome.outcome} exit ${outcome.exitCode}\n${outcome.output}`)
      return ms
    }
    const spawnOk = (file, args, options) => async () => {
      const r = await timedSpawn(file, args, options)
      if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}\n${r.output}`)
      return r.ms
    }

    const variants = [
      { key: 'bare', label: 'bare `node -e 0`', run: spawnOk(process.execPath, ['-e', '0']) },
      { key: 'bwrap', label: `runHook, bwrap${capture ? ' + capture' : ''} + proxy${traced ? ' + strace' : ''}`, run: hook(namespace.backend) },
      { key: 'none', label: 'runHook, none backend + proxy', run: hook(none.backend) },
    ]
    if (unshare.backend.kind === 'namespace' && unshare.backend.launcher.kind === 'unshare') {
      variants.push({ key: 'unshare', label: 'runHook, unshare launcher + proxy', run: hook(unshare.backend) })
    }

    const caCerts = process.env.NODE_EXTRA_CA_CERTS ? '; NODE_EXTRA_CA_CERTS is set (hooks keep it: every node start, bare or sandboxed, loads that bundle)' : ''
    const machine = machineInfo({ tools: `${toolVersion(namespace.backend.launcher.bwrap) ?? 'bwrap ?'}${caCerts}` })
    console.log(`safe-install hook-overhead bench: ${runs} timed runs per variant (+${warmup} warm-up), interleaved`)
    console.log(`machine: ${machine.cpu}, ${machine.os}, node ${machine.node}, ${machine.tools}`)
    console.log(`backend: ${namespace.backend.launcher.kind} at ${namespace.backend.launcher.bwrap}, capture ${capture ? 'on' : 'off'}, tracer ${traced ? 'strace' : 'none'}`)

    const main = await measure(variants, runs, warmup, 'hook')
    const bare = main.bare

    let ladder = null
    if (!opts['no-breakdown']) {
      const recorded = await recordInvocation(tmp, namespace.backend, (backend) => mods.runHook(task, grant, context(backend), 60_000))
      broker = await mods.startBroker({ dir: await mkdtemp(path.join(tmp, 'broker-')), nodePath: process.execPath, handle: async () => 0 })
      const steps = ladderSteps(recorded, namespace.backend.launcher.bwrap, {
        proxy: async () => {
          const socketDir = await session.newTmpDir('bench-proxy')
          const start = performance.now()
          const h = await mods.startHookEgress({ settings: egress, pkg: task.pkg, event: task.event, packageGrants: [], socketDir })
          await h.proxy.close()
          return since(start)
        },
        // npm hands the script shell its own environment; ours stands in for it.
        shim: spawnOk(broker.shimPath, ['-c', 'node -e 0'], { cwd: pkgDir, env: process.env }),
      })
      ladder = await measure(steps, runs, Math.min(warmup, 2), 'breakdown')
      ladder.steps = steps
    }

    if (events.length > 0 || findings.length > 0) {
      throw new Error(`the hooks reached for the network (${events.length} egress events, ${findings.length} findings); the bench must stay offline`)
    }

    const result = summarize(variants, main, bare)
    console.log(`\n${textTable(['Variant', 'median ms', 'p90 ms', 'min ms', 'overhead vs bare (median)'], result.rows.map(r => r.text))}`)
    if (ladder) console.log(`\nWhere the time goes (each a separate process, same runs count):\n${textTable(['Step', 'median ms', 'p90 ms', 'what it adds'], ladderRows(ladder).map(r => r.text))}`)
    console.log(`\n${result.verdictText}`)

    if (!opts['no-docs']) {
      const file = await writeDocsSection('hook-overhead', docsBody({ when: new Date(), machine, runs, warmup, capture, traced, result, ladder }))
      console.log(`updated ${path.relative(process.cwd(), file) || file}`)
    }
    return 0
  } finally {
    await broker?.close()
    await session?.close()
    await rm(tmp, { recursive: true, force: true })
  }
}

/** Run every variant `runs` times, interleaved with a rotating start; returns ms samples per key. */
async function measure (variants, runs, warmup, label) {
  for (let i = 0; i < warmup; i++) for (const v of rotate(variants, i)) await v.run()
  const samples = Object.fromEntries(variants.map(v => [v.key, []]))
  for (let i = 0; i < runs; i++) {
    for (const v of rotate(variants, i)) samples[v.key].push(await v.run())
    if (process.stdout.isTTY) process.stdout.write(`\r${label}: ${i + 1}/${runs}`)
  }
  if (process.stdout.isTTY) process.stdout.write('\n')
  return samples
}

// ---------------------------------------------------------------- breakdown

/**
 * Run one hook through runHook with bwrap replaced by a wrapper that records its argv, env and
 * cwd, then execs the real bwrap: the exact invocation the product builds, for replaying.
 */
async function recordInvocation (tmp, backend, runHook) {
  const dir = await mkdtemp(path.join(tmp, 'record-'))
  const wrapper = path.join(dir, 'bwrap-recorder')
  const [argvFile, envFile, cwdFile] = ['argv', 'env', 'cwd'].map(n => path.join(dir, n))
  await writeFile(wrapper, [
    '#!/bin/sh',
    `printf '%s\\0' "$@" > ${shQuote(argvFile)}`,
    `env -0 > ${shQuote(envFile)}`,
    `pwd > ${shQuote(cwdFile)}`,
    `exec ${shQuote(backend.launcher.bwrap)} "$@"`,
    '',
  ].join('\n'))
  await chmod(wrapper, 0o700)
  const outcome = await runHook({ ...backend, launcher: { kind: 'bwrap', bwrap: wrapper } })
  if (outcome.outcome !== 'ok') throw new Error(`recording run failed: ${outcome.output}`)
  const argv = (await readFile(argvFile, 'utf8')).split('\0').slice(0, -1)
  const env = Object.fromEntries((await readFile(envFile, 'utf8')).split('\0').filter(Boolean)
    .map(kv => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  const cwd = (await readFile(cwdFile, 'utf8')).trim()
  const sep = argv.findIndex((a, i) => a === '--' && argv[i - 2] === '--chdir')
  if (sep < 0) throw new Error('recorded bwrap argv has no `--chdir <dir> --` before the init')
  // ns-init.sh <result> <script> <fsize> <drop> <trace> [<node> <bridge.js> <port> <socket> <mode> <pids-max>]
  return { options: argv.slice(0, sep + 1), init: argv.slice(sep + 1), env, cwd }
}

/** The ladder: each step adds one layer of the product's invocation; the delta is that layer's cost. */
function ladderSteps (recorded, bwrap, inProcess) {
  const { options, init, env, cwd } = recorded
  // init: /bin/sh ns-init.sh <result> <script> <fsize> <drop> <trace> [<node> <bridge.js> <port> <socket> <mode> <pids-max>]
  const [shell, nsInit, resultFile, ...rest] = init
  if (!/ns-init\.sh$/.test(nsInit ?? '') || path.basename(resultFile ?? '') !== '.safe-install-ns-result' || rest.length !== 10) {
    throw new Error(`recorded init is not the expected ns-init.sh call with a bridge: ${init.join(' ')}`)
  }
  // The replayed steps run without the tracer (it needs the FIFO runHook passes as fd 3): the
  // runHook variants above include it, so their total minus this ladder is the tracer's share.
  rest[3] = '-'
  const withoutBridge = [shell, nsInit, resultFile, ...rest.slice(0, 4)]
  const spawnOpts = { env, cwd, detached: true }
  const run = (args) => async () => {
    // Only the hook's own result files: a ready file left by the previous replay would let ns-init skip waiting for the bridge.
    await Promise.all(['.ready', '.limit'].map(suffix => rm(`${resultFile}${suffix}`, { force: true })))
    const r = await timedSpawn(bwrap, args, spawnOpts)
    if (r.code !== 0) throw new Error(`bwrap … ${args.slice(-6).join(' ')} exited ${r.code}\n${r.output}`)
    return r.ms
  }
  const plain = async () => {
    const r = await timedSpawn(process.execPath, ['-e', '0'], spawnOpts)
    if (r.code !== 0) throw new Error(`node exited ${r.code}`)
    return r.ms
  }
  const sh = async () => {
    const r = await timedSpawn('/bin/sh', ['-c', 'node -e 0'], spawnOpts)
    if (r.code !== 0) throw new Error(`sh exited ${r.code}`)
    return r.ms
  }
  return [
    { key: 'node', label: 'node -e 0 (hook env)', adds: 'node start-up: the floor', run: plain },
    { key: 'sh', label: 'sh -c "node -e 0"', adds: 'the shell npm also puts in front', base: 'node', run: sh },
    { key: 'bwrapTrue', label: 'bwrap (product argv) → true', adds: 'namespaces + mount set-up alone', run: run([...options, 'true']) },
    { key: 'bwrapNode', label: 'bwrap (product argv) → node -e 0', adds: 'bwrap around node, vs bare node', base: 'node', run: run([...options, process.execPath, '-e', '0']) },
    { key: 'init', label: 'bwrap → ns-init.sh, no bridge', adds: 'init, nested user namespace, sweep', base: 'bwrapNode', run: run([...options, ...withoutBridge]) },
    { key: 'bridge', label: 'bwrap → ns-init.sh + ns-bridge (recorded)', adds: 'the in-namespace bridge (a 2nd node)', base: 'init', run: run([...options, shell, nsInit, resultFile, ...rest]) },
    { key: 'proxy', label: 'startHookEgress + close (in process)', adds: 'per-hook proxy on a unix socket', run: inProcess.proxy },
    { key: 'shim', label: 'broker script shell → stub handler', adds: 'paid per hook in a real install, outside runHook', run: inProcess.shim },
  ]
}

// -------------------------------------------------------------------- output

const f1 = (ms) => ms.toFixed(1)
const signed = (ms) => `${ms >= 0 ? '+' : '−'}${f1(Math.abs(ms))}`

function summarize (variants, samples, bare) {
  const bareMedian = median(bare)
  const rows = variants.map(v => {
    const s = samples[v.key]
    const overhead = v.key === 'bare' ? null : median(s) - bareMedian
    const stats = { key: v.key, label: v.label, median: median(s), p90: percentile(s, 90), min: Math.min(...s), overhead }
    return { ...stats, text: [v.label, f1(stats.median), f1(stats.p90), f1(stats.min), overhead === null ? '—' : `${signed(overhead)} ms`] }
  })
  const byKey = Object.fromEntries(rows.map(r => [r.key, r]))
  const met = byKey.bwrap.overhead <= TARGET_MS
  const verdictText = `per-hook overhead of the sandbox (bwrap + proxy${byKey.bwrap.label.includes('strace') ? ' + strace' : ''}) over bare node: ${signed(byKey.bwrap.overhead)} ms median ` +
    `(target ≤ ${TARGET_MS} ms: ${met ? 'met' : 'NOT met'}); none backend + proxy: ${signed(byKey.none.overhead)} ms`
  return { rows, byKey, met, verdictText }
}

function ladderRows (ladder) {
  const med = Object.fromEntries(ladder.steps.map(s => [s.key, median(ladder[s.key])]))
  return ladder.steps.map(s => {
    const m = med[s.key]
    const delta = s.base === undefined ? '' : ` (${signed(m - med[s.base])} ms over "${ladder.steps.find(x => x.key === s.base).label}")`
    return { ...s, median: m, p90: percentile(ladder[s.key], 90), text: [s.label, f1(m), f1(percentile(ladder[s.key], 90)), `${s.adds}${delta}`] }
  })
}

function docsBody ({ when, machine, runs, warmup, capture, traced, result, ladder }) {
  const { byKey, met } = result
  const lines = [
    `## Per-hook overhead — ${signed(byKey.bwrap.overhead)} ms median over bare node (target ≤ ${TARGET_MS} ms: ${met ? 'met' : 'NOT met'})`,
    '',
    'Written by `npm run bench:hook` ([bench/hook-overhead.js](../bench/hook-overhead.js)); replaced on every run.',
    '',
    ...machineLines(when, machine),
    `- Ran: ${runs} timed runs per variant after ${warmup} warm-up runs, interleaved (run i starts with variant i mod n); ` +
      `wall clock from spawn (or the \`runHook\` call) to exit, in the bench process. Backend chosen by \`selectBackend\`: bwrap, capture ${capture ? 'on' : 'off'}, tracer ${traced ? 'strace' : 'none'}; ` +
      'every runHook call starts and closes its own egress proxy. The hook is `node -e 0`, makes no connection.',
    '',
    markdownTable(['Variant', 'Median (ms)', 'p90 (ms)', 'Min (ms)', 'Overhead vs bare (median)'], ['l', 'r', 'r', 'r', 'r'],
      result.rows.map(r => [r.label, f1(r.median), f1(r.p90), f1(r.min), r.overhead === null ? '—' : `**${signed(r.overhead)} ms**`])),
    '',
  ]
  if (ladder) {
    const rows = ladderRows(ladder)
    const med = Object.fromEntries(rows.map(r => [r.key, r.median]))
    const namespaces = med.bwrapTrue
    const node = med.node
    const initCost = med.init - med.bwrapNode
    const bridgeCost = med.bridge - med.init
    const rest = byKey.bwrap.median - med.bridge
    lines.push(
      'Where the time goes: the product\'s own bwrap invocation, recorded from one `runHook` call, replayed with the inner',
      'command cut down step by step (each step a separate process, timed the same way):',
      '',
      markdownTable(['Step', 'Median (ms)', 'p90 (ms)', 'What it adds'], ['l', 'r', 'r', 'l'], rows.map(r => [r.label, f1(r.median), f1(r.p90), r.text[3]])),
      '',
      `Reading the ladder: of the ${f1(byKey.bwrap.overhead)} ms, creating the namespaces and mounts costs about ${f1(namespaces)} ms ` +
        `(\`bwrap … true\`; bwrap around node adds ${signed(med.bwrapNode - node)} ms), ns-init with the nested user namespace and ` +
        `the sweep ${signed(initCost)} ms, the in-namespace bridge ${signed(bridgeCost)} ms (a second node start-up, plus ns-init polling for its ready file), ` +
        `and everything runHook does in process (tmp dirs, proxy start/close ≈ ${f1(med.proxy)} ms, env scrub, execa, result file) ${signed(rest)} ms. ` +
        `In a real install npm also starts the broker's script shell for every hook (${f1(med.shim)} ms with a handler that answers at once), ` +
        'outside runHook and not counted above.',
      '',
      `Verdict: ${met ? 'met' : 'not met'}. ${met ? '' : `The bridge alone is ${f1(bridgeCost)} ms, ${f1(bridgeCost / TARGET_MS)}× the whole budget; without it the sandbox would add about ` +
        `${f1(byKey.bwrap.overhead - bridgeCost)} ms, ${byKey.bwrap.overhead - bridgeCost <= TARGET_MS ? 'within' : 'still over'} the ${TARGET_MS} ms target. `}` +
        `The none backend (no namespaces, same proxy and env scrub) adds ${signed(byKey.none.overhead)} ms.`,
      '',
    )
  }
  return lines.join('\n')
}

main().then(code => { process.exitCode = code }, err => {
  console.error(err)
  process.exitCode = 1
})
