#!/usr/bin/env node
// Tracer overhead: what recording a hook's activity adds on top of the sandbox it runs in.
// Targets (issue 4): ≤ 10 ms median per hook on `node -e 0` over the same sandbox without a
// tracer, and ≤ 1.2× on a node-gyp build.
//
// Uses the built product (dist/): selectBackend picks the backend as a run does, then the same
// backend is run with its tracer removed, with strace and with the Node preload observer; every
// run goes through runHook with a per-hook egress proxy, as the pipeline calls it. Variants run
// interleaved (run i starts with variant i mod n) after untimed warm-up runs. The node-gyp
// workload builds test/fixtures/packages/native-addon (a small N-API addon) from scratch each
// run, with the node headers already on this machine (never downloaded).
//
// Never touches the network (the hooks make no connection; the proxy only listens), uses temp
// dirs only and removes them. Plain Node ESM, node built-ins plus ../dist. See bench/README.md.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { machineInfo, machineLines, parseFlags, REPO, toolVersion, writeDocsSection } from './lib/report.js'
import { markdownTable, median, percentile, rotate, since, textTable } from './lib/stats.js'

const TARGET_MS = 10
const TARGET_RATIO = 1.2
const USAGE = `Usage: node bench/tracer-overhead.js [options]

  --runs N          timed runs per variant of the node -e 0 hook (default 30; also BENCH_TRACER_RUNS)
  --gyp-runs N      timed runs per variant of the node-gyp build (default 5)
  --warmup N        untimed runs per variant first (default 3; 1 for the build)
  --no-gyp          skip the node-gyp build
  --no-docs         do not write docs/benchmarks.md
  -h, --help        show this help`

const dist = (rel) => import(pathToFileURL(path.join(REPO, 'dist', rel)).href)

/** Where this node's headers are (include/node/node_api.h), so node-gyp never downloads them. */
function localNodedir () {
  const prefix = path.dirname(path.dirname(process.execPath))
  return [prefix, '/usr', '/usr/local'].find((d) => existsSync(path.join(d, 'include', 'node', 'node_api.h')))
}

async function makeProject (tmp) {
  const projectDir = path.join(tmp, 'project')
  const hookDir = path.join(projectDir, 'node_modules', 'bench-hook')
  const addonDir = path.join(projectDir, 'node_modules', 'native-addon')
  await mkdir(hookDir, { recursive: true })
  await writeFile(path.join(projectDir, 'package.json'), JSON.stringify({ name: 'bench-project', version: '1.0.0' }))
  await writeFile(path.join(hookDir, 'package.json'), JSON.stringify({ name: 'bench-hook', version: '1.0.0', scripts: { postinstall: 'node -e 0' } }))
  await cp(path.join(REPO, 'test', 'fixtures', 'packages', 'native-addon'), addonDir, { recursive: true })
  return { projectDir, hookDir, addonDir }
}

/** A hook as the pipeline hands it to runHook (npm's lifecycle env trimmed to what matters here). */
function makeTask (projectDir, pkgDir, name, event, command, extraEnv = {}) {
  const pkg = {
    name, version: '1.0.0', location: `node_modules/${name}`, path: pkgDir, resolved: null,
    source: 'registry', isRoot: false, inBundle: false, optional: false, dev: false, approval: 'approved', approvedBy: name,
  }
  const binDirs = [path.join(pkgDir, 'node_modules', '.bin'), path.join(projectDir, 'node_modules', '.bin'), path.dirname(process.execPath)]
  return {
    pkg,
    event,
    command,
    cwd: pkgDir,
    lifecycleEnv: {
      PATH: [...binDirs, process.env.PATH ?? '/usr/bin:/bin'].join(path.delimiter),
      npm_lifecycle_event: event,
      npm_lifecycle_script: command,
      npm_package_name: name,
      npm_package_version: '1.0.0',
      INIT_CWD: projectDir,
      ...extraEnv,
    },
  }
}

async function main () {
  const opts = parseFlags(process.argv.slice(2), {
    '--runs': 'int', '--gyp-runs': 'int', '--warmup': 'int', '--no-gyp': 'bool', '--no-docs': 'bool',
  }, USAGE)
  const envRuns = Number(process.env.BENCH_TRACER_RUNS)
  const runs = opts.runs ?? (Number.isInteger(envRuns) && envRuns > 0 ? envRuns : 30)
  const gypRuns = opts['gyp-runs'] ?? 5
  const warmup = opts.warmup ?? 3

  let mods
  try {
    mods = {
      ...(await dist('sandbox/select.js')),
      ...(await dist('sandbox/session.js')),
      ...(await dist('sandbox/hook-runner.js')),
      ...(await dist('config/find-npm.js')),
    }
  } catch (error) {
    console.error(`bench: cannot load the built modules (${error.message}); run \`npm run build\` first (\`npm run bench:tracer\` does).`)
    return 1
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'safe-install-bench-tracer-'))
  let session
  try {
    const { projectDir, hookDir, addonDir } = await makeProject(tmp)
    const npmPath = mods.findNpmPath(process.env, process.execPath)
    const select = (env, requireIsolation) => mods.selectBackend({
      env, execPath: process.execPath, prefix: projectDir, npmPath, npmConfigFiles: [], nodeGypDevdir: undefined, requireIsolation,
    })
    const traced = await select(process.env, true)
    if (traced.backend.kind !== 'namespace' || traced.backend.tracer?.kind !== 'strace') {
      console.error(`bench: needs the namespace sandbox with strace (got ${traced.isolation.backend}, tracer ${traced.isolation.tracer}); this benchmark measures the tracer.`)
      return 1
    }
    const preloaded = await select({ ...process.env, SAFE_INSTALL_STRACE: '/nonexistent' }, true)
    const none = await select({ ...process.env, SAFE_INSTALL_BWRAP: '/nonexistent', SAFE_INSTALL_UNSHARE: '/nonexistent' }, false)
    if (preloaded.backend.tracer?.kind !== 'preload' || none.backend.kind !== 'none' || none.backend.tracer?.kind !== 'preload') {
      throw new Error('expected the preload observer where strace is unavailable and on the none backend')
    }
    const backends = {
      plain: { ...traced.backend, tracer: undefined },
      strace: traced.backend,
      preload: preloaded.backend,
      none: { ...none.backend, tracer: undefined },
      nonePreload: none.backend,
    }

    session = await mods.openSandboxSession({ registryUrl: 'http://127.0.0.1:9/' })
    const events = []
    const egress = {
      grants: [],
      upstream: undefined,
      secrets: Object.entries(session.canaries).map(([name, value]) => ({ name: `canary ${name}`, value: String(value) })),
      onEvent: (e) => events.push(e),
      onFinding: (f) => events.push(f),
    }
    const context = (backend) => ({
      backend, egress, session, hostEnv: process.env, npmEnv: {}, secretValues: [], envPass: [], extraEnv: {},
      track: { add: () => {}, remove: () => {} },
    })
    const grant = { network: [], write: [], env: [] }
    const findings = {}
    const hook = (task, key, before) => async () => {
      await before?.()
      const start = performance.now()
      const outcome = await mods.runHook(task, grant, context(backends[key]), 300_000)
      const ms = since(start)
      if (outcome.outcome !== 'ok') throw new Error(`${task.command} failed (${key}): ${outcome.outcome} exit ${outcome.exitCode}\n${outcome.output}`)
      for (const f of outcome.traced ?? []) (findings[key] ??= new Map()).set(`${f.severity} ${f.rule}: ${f.message}`, f)
      return ms
    }

    const machine = machineInfo({ tools: [traced.backend.launcher.bwrap, traced.backend.tracer.argv[0]].map(t => toolVersion(t) ?? path.basename(t)).join(', ') })
    console.log(`safe-install tracer-overhead bench: ${runs} timed runs per variant (+${warmup} warm-up), interleaved`)
    console.log(`machine: ${machine.cpu}, ${machine.os}, node ${machine.node}, ${machine.tools}`)

    const tiny = makeTask(projectDir, hookDir, 'bench-hook', 'postinstall', 'node -e 0')
    /** strace exactly as the sandbox runs it, but around a bare node with its output to /dev/null: the floor of ptrace tracing. */
    const spawned = (file, args) => async () => {
      const start = performance.now()
      const code = await new Promise((resolve) => spawn(file, args, { stdio: 'ignore' }).on('close', resolve).on('error', () => resolve(-1)))
      if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${code}`)
      return since(start)
    }
    const tinyVariants = [
      { key: 'bare', label: 'bare `node -e 0`, no sandbox', run: spawned(process.execPath, ['-e', '0']) },
      { key: 'bareStrace', label: 'the same under strace (the product\'s options, output to /dev/null)', base: 'bare', run: spawned(traced.backend.tracer.argv[0], [...traced.backend.tracer.argv.slice(1), '-o', '/dev/null', '--', process.execPath, '-e', '0']) },
      { key: 'plain', label: `runHook, ${traced.isolation.backend} + proxy, no tracer`, run: hook(tiny, 'plain') },
      { key: 'strace', label: `the same + strace${traced.backend.tracer.argv.includes('--seccomp-bpf') ? ' (seccomp-bpf)' : ''}`, base: 'plain', run: hook(tiny, 'strace') },
      { key: 'preload', label: 'the same + preload observer', base: 'plain', run: hook(tiny, 'preload') },
      { key: 'none', label: 'runHook, none backend + proxy, no tracer', run: hook(tiny, 'none') },
      { key: 'nonePreload', label: 'the same + preload observer', base: 'none', run: hook(tiny, 'nonePreload') },
    ]
    const tinySamples = await measure(tinyVariants, runs, warmup, 'node -e 0')
    const tinyRows = rows(tinyVariants, tinySamples)
    console.log(`\n${textTable(['Variant (hook: node -e 0)', 'median ms', 'p90 ms', 'min ms', 'over its base (median)'], tinyRows.map(r => r.text))}`)

    let gyp = null
    const nodedir = localNodedir()
    const nodeGyp = path.join(npmPath, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
    if (opts['no-gyp']) {
      console.log('\nnode-gyp build: skipped (--no-gyp)')
    } else if (nodedir === undefined || !existsSync(nodeGyp)) {
      console.log(`\nnode-gyp build: skipped (${nodedir === undefined ? 'no node headers (include/node/node_api.h) next to node, in /usr or /usr/local' : `no node-gyp at ${nodeGyp}`})`)
    } else {
      // As npm runs it: its node-gyp-bin on PATH, npm_config_node_gyp naming npm's node-gyp.
      const gypBin = path.join(npmPath, 'node_modules', '@npmcli', 'run-script', 'lib', 'node-gyp-bin')
      const build = makeTask(projectDir, addonDir, 'native-addon', 'install', 'node-gyp rebuild', { npm_config_nodedir: nodedir, npm_config_node_gyp: nodeGyp })
      build.lifecycleEnv.PATH = `${gypBin}${path.delimiter}${build.lifecycleEnv.PATH}`
      const clean = () => rm(path.join(addonDir, 'build'), { recursive: true, force: true })
      const gypVariants = [
        { key: 'plain', label: `node-gyp rebuild, ${traced.isolation.backend} + proxy, no tracer`, run: hook(build, 'plain', clean) },
        { key: 'strace', label: 'the same + strace', base: 'plain', run: hook(build, 'strace', clean) },
        { key: 'preload', label: 'the same + preload observer', base: 'plain', run: hook(build, 'preload', clean) },
      ]
      const samples = await measure(gypVariants, gypRuns, 1, 'node-gyp')
      gyp = { rows: rows(gypVariants, samples), runs: gypRuns, nodedir }
      console.log(`\n${textTable(['Variant (hook: node-gyp rebuild)', 'median ms', 'p90 ms', 'min ms', 'over its base (median)'], gyp.rows.map(r => r.text))}`)
    }

    if (events.length > 0) throw new Error(`the hooks reached for the network (${events.length} egress events or findings); the bench must stay offline`)

    const byKey = Object.fromEntries(tinyRows.map(r => [r.key, r]))
    const straceMs = byKey.strace.median - byKey.plain.median
    const floorMs = byKey.bareStrace.median - byKey.bare.median
    const gypRatio = gyp === null ? null : gyp.rows.find(r => r.key === 'strace').median / gyp.rows.find(r => r.key === 'plain').median
    const verdict = `strace adds ${signed(straceMs)} ms per node -e 0 hook (target ≤ ${TARGET_MS} ms: ${straceMs <= TARGET_MS ? 'met' : 'NOT met'})` +
      (gypRatio === null ? '' : `; node-gyp build ${gypRatio.toFixed(2)}× with strace (target ≤ ${TARGET_RATIO}×: ${gypRatio <= TARGET_RATIO ? 'met' : 'NOT met'})`)
    console.log(`\n${verdict}`)
    const noisy = Object.entries(findings).flatMap(([key, map]) => [...map.keys()].map(k => `${key}: ${k}`))
    if (noisy.length > 0) console.log(`\nfindings on these benign hooks:\n${noisy.join('\n')}`)

    if (!opts['no-docs']) {
      const file = await writeDocsSection('tracer-overhead', docsBody({ when: new Date(), machine, runs, warmup, tinyRows, gyp, straceMs, floorMs, gypRatio, noisy, backend: traced.isolation.backend }))
      console.log(`updated ${path.relative(process.cwd(), file) || file}`)
    }
    return 0
  } finally {
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

const f1 = (ms) => ms.toFixed(1)
const signed = (ms) => `${ms >= 0 ? '+' : '−'}${f1(Math.abs(ms))}`

function rows (variants, samples) {
  const medians = Object.fromEntries(variants.map(v => [v.key, median(samples[v.key])]))
  return variants.map(v => {
    const s = samples[v.key]
    const m = medians[v.key]
    const over = v.base === undefined ? null : { ms: m - medians[v.base], ratio: m / medians[v.base] }
    return {
      key: v.key, label: v.label, median: m, p90: percentile(s, 90), min: Math.min(...s), over,
      text: [v.label, f1(m), f1(percentile(s, 90)), f1(Math.min(...s)), over === null ? '—' : `${signed(over.ms)} ms (${over.ratio.toFixed(2)}×)`],
    }
  })
}

function docsBody ({ when, machine, runs, warmup, tinyRows, gyp, straceMs, floorMs, gypRatio, noisy, backend }) {
  const table = (list) => markdownTable(['Variant', 'Median (ms)', 'p90 (ms)', 'Min (ms)', 'Over its base (median)'], ['l', 'r', 'r', 'r', 'r'],
    list.map(r => [r.label, f1(r.median), f1(r.p90), f1(r.min), r.over === null ? '—' : `**${signed(r.over.ms)} ms (${r.over.ratio.toFixed(2)}×)**`]))
  const title = `## Tracer overhead — strace ${signed(straceMs)} ms per hook (target ≤ ${TARGET_MS} ms: ${straceMs <= TARGET_MS ? 'met' : 'NOT met'})` +
    (gypRatio === null ? '' : `; node-gyp build ${gypRatio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${gypRatio <= TARGET_RATIO ? 'met' : 'NOT met'})`)
  return [
    title,
    '',
    'Written by `npm run bench:tracer` ([bench/tracer-overhead.js](../bench/tracer-overhead.js)); replaced on every run.',
    '',
    ...machineLines(when, machine),
    `- Ran: interleaved variants (run i starts with variant i mod n) after untimed warm-up runs; wall clock of the \`runHook\` call. ` +
      `The ${backend} backend is the one \`selectBackend\` picks, run with its tracer removed, with strace, and with the preload observer; ` +
      'every call starts and closes its own egress proxy. Neither hook makes a connection.',
    '',
    `Hook \`node -e 0\` (${runs} timed runs per variant, ${warmup} warm-up):`,
    '',
    table(tinyRows),
    '',
    ...(gyp === null ? ['The node-gyp build was skipped (no node headers or no node-gyp found).', ''] : [
      `Hook \`node-gyp rebuild\` of test/fixtures/packages/native-addon, from a clean build directory each run (${gyp.runs} timed runs per variant, 1 warm-up; headers from ${gyp.nodedir}, nothing downloaded):`,
      '',
      table(gyp.rows),
      '',
    ]),
    `Reading: strace itself, around a bare node with no sandbox, costs ${signed(floorMs)} ms here (ptrace stops at each traced call and at every thread node starts); ` +
      `in the sandbox it also traces the shell, the nested \`unshare\` and their library loads, and safe-install creates a FIFO (one \`mkfifo\` process) and parses the trace as it arrives, ` +
      `the rest of the ${signed(straceMs)} ms. The preload observer costs node start-up time in every node process of the hook and nothing in other programs, which is why it is nearly free on a build that is mostly make and the compiler. ` +
      'On a build, strace\'s cost is per traced call and per process: a compiler looking up headers makes thousands of stat and open calls, and each one stops the compiler while strace records it.',
    '',
    noisy.length === 0 ? 'No findings on any of these benign hooks, with either tracer.' : `Findings on these benign hooks:\n\n${noisy.map(n => `- ${n}`).join('\n')}`,
    '',
  ].join('\n')
}

main().then(code => { process.exitCode = code }, err => {
  console.error(err)
  process.exitCode = 1
})
