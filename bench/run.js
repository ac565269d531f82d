#!/usr/bin/env node
// safe-install vs npm ci benchmark harness.
//
// Copies bench/project to a temp dir, warms npm's cache with one `npm ci`,
// then runs N pairs of `npm ci` and `safe-install ci` (alternating which
// goes first), each from a freshly removed node_modules, timing wall clock.
// Asserts every run exited 0 and produced the same installed tree as the
// warm-up `npm ci`, prints a table and records the run in docs/benchmarks.md.
//
// Exit code: 0 when every run succeeded and the trees matched, 1 when a run
// failed or a tree differed, 2 on bad usage. The timing ratio never affects
// the exit code: this is a benchmark, not a timed assertion.
//
// Plain Node ESM, node built-ins only. See bench/README.md.

import { spawn, spawnSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import {
  cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile,
} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PROJECT_SRC = path.join(REPO, 'bench', 'project')
const DOCS_FILE = path.join(REPO, 'docs', 'benchmarks.md')
const SAFE_INSTALL_BIN = path.join(REPO, 'bin', 'safe-install.js')
const TARGET_RATIO = 1.10
const RUNS_MARKER = '<!-- bench:runs (newest first; bench/run.js inserts below this line) -->'

const USAGE = `Usage: node bench/run.js [options]

  --pairs N                 number of npm/safe-install pairs (default 3)
  --safe-install-cmd CMD    shell command to run instead of safe-install
                            (e.g. "npm ci", to check the harness); also
                            SAFE_INSTALL_BENCH_CMD in the environment
  --prefer-offline          set prefer-offline for both tools, so installs
                            do not revalidate cached registry metadata
  --no-docs                 do not write docs/benchmarks.md
  --keep                    keep the temp dir (logs, reports) afterwards
  -h, --help                show this help`

// ---------------------------------------------------------------- arguments

function parseArgs (argv) {
  const opts = {
    pairs: 3,
    safeInstallCmd: process.env.SAFE_INSTALL_BENCH_CMD || null,
    preferOffline: false,
    docs: true,
    keep: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const [flag, inline] = arg.startsWith('--') && arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined]
    const value = () => {
      if (inline !== undefined) return inline
      if (i + 1 >= argv.length) usageError(`${flag} needs a value`)
      return argv[++i]
    }
    switch (flag) {
      case '--pairs': {
        const n = Number(value())
        if (!Number.isInteger(n) || n < 1) usageError('--pairs must be a positive integer')
        opts.pairs = n
        break
      }
      case '--safe-install-cmd': opts.safeInstallCmd = value(); break
      case '--prefer-offline': opts.preferOffline = true; break
      case '--no-docs': opts.docs = false; break
      case '--keep': opts.keep = true; break
      case '-h': case '--help': console.log(USAGE); process.exit(0); break
      default: usageError(`unknown argument: ${arg}`)
    }
  }
  return opts
}

function usageError (msg) {
  console.error(`bench: ${msg}\n\n${USAGE}`)
  process.exit(2)
}

// -------------------------------------------------------------- environment

// When started through `npm run bench`, npm exports variables describing *that*
// invocation (cwd, package, lifecycle, the repo's node_modules/.bin on PATH).
// Drop them so both tools see the same environment as a plain shell would;
// keep genuine npm_config_* settings.
function childEnv (opts) {
  const env = { ...process.env }
  for (const key of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_/i.test(key) ||
        /^(npm_command|npm_execpath|npm_node_execpath|INIT_CWD)$/i.test(key) ||
        /^npm_config_(local_prefix|user_agent|npm_version|node_gyp)$/i.test(key)) {
      delete env[key]
    }
  }
  if (env.PATH) {
    env.PATH = env.PATH.split(path.delimiter)
      .filter(p => !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(p) && !/[\\/]node-gyp-bin[\\/]?$/.test(p))
      .join(path.delimiter)
  }
  // Same for both tools: no audit / funding / update-notifier round trips.
  env.npm_config_audit = 'false'
  env.npm_config_fund = 'false'
  env.npm_config_update_notifier = 'false'
  if (opts.preferOffline) env.npm_config_prefer_offline = 'true'
  return env
}

// The npm to benchmark: the one running us under `npm run`, else npm on PATH.
function npmCommand () {
  const execpath = process.env.npm_execpath
  if (execpath && /npm-cli\.[cm]?js$/.test(execpath)) {
    return { file: process.execPath, prefix: [execpath] }
  }
  return { file: process.platform === 'win32' ? 'npm.cmd' : 'npm', prefix: [] }
}

function capture (file, args, env) {
  const r = spawnSync(file, args, { encoding: 'utf8', env, shell: process.platform === 'win32' })
  return r.status === 0 ? r.stdout.trim() : null
}

function machineInfo (npm, env) {
  const cpus = os.cpus()
  const models = [...new Set(cpus.map(c => c.model.trim()))].join(' / ')
  let gitRev = capture('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], env)
  if (gitRev && capture('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no'], env)) gitRev += ' (dirty)'
  return {
    cpu: `${models} × ${cpus.length}`,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    npm: capture(npm.file, [...npm.prefix, '--version'], env) || 'unknown',
    gitRev: gitRev || 'unknown',
  }
}

// ------------------------------------------------------------------ running

async function timedRun ({ label, file, args, shell = false, cwd, env, logFile }) {
  const fd = openSync(logFile, 'w')
  const start = process.hrtime.bigint()
  const result = await new Promise(resolve => {
    const child = spawn(file, args, { cwd, env, shell, stdio: ['ignore', fd, fd] })
    child.on('error', err => resolve({ code: null, signal: null, error: err }))
    child.on('close', (code, signal) => resolve({ code, signal }))
  })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  closeSync(fd)
  return { label, seconds, ...result, logFile }
}

async function tail (file, lines = 30) {
  try {
    const text = (await readFile(file, 'utf8')).trimEnd()
    return text ? text.split('\n').slice(-lines).join('\n') : '(no output)'
  } catch { return '(no output)' }
}

// Count lifecycle scripts npm ran, from the debug log npm always writes
// (`info run <pkg>@<ver> <event> <location> <script>` then `... { code: 0 ...}`).
async function countNpmScripts (logsDir) {
  let files
  try { files = (await readdir(logsDir)).filter(f => f.endsWith('.log')) } catch { return null }
  if (files.length === 0) return null
  const started = new Set()
  for (const f of files) {
    for (const line of (await readFile(path.join(logsDir, f), 'utf8')).split('\n')) {
      const m = /^\d+ info run (\S+) (\S+) (\S+) /.exec(line)
      if (m && !m[3].startsWith('{')) started.add(`${m[1]} ${m[2]} ${m[3]}`)
    }
  }
  return started.size
}

async function readReport (file) {
  try {
    const report = JSON.parse(await readFile(file, 'utf8'))
    const s = report.summary || {}
    const findings = (report.findings || []).map(f => `${f.severity} ${f.rule} · ${f.package?.name ?? '?'} ${f.event ?? ''}: ${f.message}`)
    return { scriptsRun: s.scriptsRun ?? null, scriptsSkipped: s.scriptsSkipped ?? null, findings, tracer: report.isolation?.tracer ?? null }
  } catch { return null }
}

// ------------------------------------------------------------ tree checking

// A sorted list of lines describing the installed tree: every package
// directory (location, name@version), every symlink and every .bin entry.
// Plus, for packages the lockfile says have install scripts, the files in
// the package directory (path, size, executable bit), so a skipped or
// misbehaving script that changes its package (esbuild swaps its JS shim
// bin/esbuild for the native binary) shows up as a difference.
async function fingerprint (projectDir, scriptLocations) {
  const tree = []
  const meta = []
  const nm = path.join(projectDir, 'node_modules')

  async function walkNodeModules (dir, rel) {
    let entries
    try { entries = await readdir(dir, { withFileTypes: true }) } catch { return }
    for (const e of entries) {
      const full = path.join(dir, e.name)
      const r = `${rel}/${e.name}`
      if (e.name === '.bin') {
        for (const b of await readdir(full, { withFileTypes: true })) {
          const target = b.isSymbolicLink() ? await readlink(path.join(full, b.name)) : '(file)'
          tree.push(`bin ${r}/${b.name} -> ${target.split(path.sep).join('/')}`)
        }
      } else if (e.name.startsWith('.')) {
        if (rel === 'node_modules') meta.push(`dotfile ${r}`)
      } else if (e.name.startsWith('@') && e.isDirectory()) {
        for (const s of await readdir(full)) await pkg(path.join(full, s), `${r}/${s}`)
      } else {
        await pkg(full, r)
      }
    }
  }

  async function pkg (dir, rel) {
    const st = await lstat(dir)
    if (st.isSymbolicLink()) {
      tree.push(`link ${rel} -> ${(await readlink(dir)).split(path.sep).join('/')}`)
      return
    }
    let id = '(no package.json)'
    try {
      const pj = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'))
      id = `${pj.name}@${pj.version}`
    } catch {}
    tree.push(`pkg ${rel} ${id}`)
    await walkNodeModules(path.join(dir, 'node_modules'), `${rel}/node_modules`)
  }

  async function listFiles (dir, rel, out) {
    let entries
    try { entries = await readdir(dir, { withFileTypes: true }) } catch { out.push(`missing ${rel}`); return }
    for (const e of entries) {
      const full = path.join(dir, e.name)
      const r = `${rel}/${e.name}`
      if (e.name === 'node_modules' && e.isDirectory()) continue
      if (e.isDirectory()) { await listFiles(full, r, out); continue }
      const st = await lstat(full)
      if (st.isSymbolicLink()) out.push(`file ${r} -> ${await readlink(full)}`)
      else out.push(`file ${r} ${st.size}${st.mode & 0o111 ? ' x' : ''}`)
    }
  }

  await walkNodeModules(nm, 'node_modules')
  const scripted = []
  for (const loc of scriptLocations) await listFiles(path.join(projectDir, loc), loc, scripted)
  return { tree: tree.sort(), scripted: scripted.sort(), meta: meta.sort() }
}

/**
 * Differences from npm that safe-install's sandbox causes on purpose, each with its reason.
 * Anything else that differs fails the run.
 */
const KNOWN_DIFFERENCES = [
  {
    prefix: 'file node_modules/esbuild/bin/esbuild ',
    reason: 'esbuild\'s postinstall hard-links the native binary from @esbuild/<platform> over its JS launcher; ' +
      'in the namespace sandbox that package is a different (read-only) mount, the link fails with EXDEV, and ' +
      'esbuild keeps its JS launcher, which runs the same binary',
  },
]

function diffLines (expected, actual, max = 15) {
  const a = new Set(expected)
  const b = new Set(actual)
  const missing = expected.filter(x => !b.has(x))
  const extra = actual.filter(x => !a.has(x))
  const lines = [
    ...missing.slice(0, max).map(x => `  - ${x}`),
    ...extra.slice(0, max).map(x => `  + ${x}`),
  ]
  const more = Math.max(0, missing.length - max) + Math.max(0, extra.length - max)
  if (more) lines.push(`  ... and ${more} more`)
  return { same: missing.length === 0 && extra.length === 0, text: lines.join('\n') }
}

// -------------------------------------------------------------------- stats

function median (values) {
  const s = [...values].sort((x, y) => x - y)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

const fmtS = s => s.toFixed(1)
const fmtR = r => r.toFixed(3)
const fmtCount = (n, skipped) => n == null ? 'n/a' : (skipped ? `${n} (+${skipped} skipped)` : String(n))

function table (rows) {
  const header = ['Pair', 'Order', 'npm ci (s)', 'safe-install ci (s)', 'Ratio', 'Scripts run (npm / safe-install)']
  const body = rows.map(r => [
    String(r.pair), r.order, fmtS(r.npm.seconds), fmtS(r.safe.seconds), fmtR(r.ratio),
    `${fmtCount(r.npm.scripts)} / ${fmtCount(r.safe.scripts, r.safe.scriptsSkipped)}`,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)))
  const line = cells => cells.map((c, i) => c.padEnd(widths[i])).join('  ')
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

// --------------------------------------------------------------------- docs

const DOCS_HEADER = `# Benchmarks

\`safe-install ci\` against plain \`npm ci\` on a fixed project of popular
dependencies, 14 of which have install scripts
([bench/project](../bench/project/package.json)). Each section below is one
run of \`npm run bench\` (\`bench/run.js\`, see [bench/README.md](../bench/README.md)),
newest first.

Method: the project is copied to a temp dir and npm's cache is warmed with one
\`npm ci\`. Then N pairs of \`npm ci\` and \`safe-install ci --quiet --report …\`
run back to back, alternating which goes first, each starting with
\`node_modules\` removed. Times are wall clock of the whole command. The
ratio is safe-install / npm per pair; the headline number is the median.
Every run must exit 0 and leave the same installed tree as the warm-up
\`npm ci\` (package locations and versions, bin links, and the files of every
package with install scripts).

**Target: median ratio ≤ ${TARGET_RATIO.toFixed(2)}.** The target is tracked here; the
benchmark does not fail on it.

Noise: installs here are dominated by registry round trips and disk I/O, and
two identical \`npm ci\` runs back to back can differ by 10–25 %. With 3 pairs
a single median only separates large differences; for a decision near the
target use \`--pairs 5\` or more, and compare with a harness check
(\`--safe-install-cmd "npm ci"\`) run on the same machine.

${RUNS_MARKER}
`

function docsSection ({ when, machine, opts, rows, medianRatio, warmup, safeLabel }) {
  const substituted = opts.safeInstallCmd != null
  const verdict = medianRatio <= TARGET_RATIO ? 'met' : 'NOT met'
  const lines = [
    `## ${when.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} — median ratio ${fmtR(medianRatio)}` +
      (substituted ? ' (harness check, safe-install substituted)' : ` (target ≤ ${TARGET_RATIO.toFixed(2)}: ${verdict})`),
    '',
    `- Machine: ${machine.cpu} CPUs, ${machine.memGiB} GiB RAM, ${machine.os}`,
    `- Node ${machine.node}, npm ${machine.npm}, safe-install at git ${machine.gitRev}`,
    `- Ran: warm-up \`npm ci\` (${fmtS(warmup.seconds)} s), then ${rows.length} pairs of \`npm ci\` and \`${safeLabel}\`` +
      ` in alternating order, node_modules removed before each${opts.preferOffline ? ', with prefer-offline=true for both' : ''}`,
  ]
  if (substituted) {
    lines.push(`- **safe-install was not run**: its command was replaced by \`${opts.safeInstallCmd}\`, so this run only measures the harness and the noise between two identical tools.`)
  }
  const safeRuns = rows.map(r => r.safe).filter(r => r.tracer !== undefined && r.tracer !== null)
  const found = [...new Set(safeRuns.flatMap(r => r.findings))].sort()
  const severity = (level) => found.filter(f => f.startsWith(`${level} `)).length
  if (!substituted && safeRuns.length > 0) {
    lines.push(`- Findings on these benign install scripts (tracer ${[...new Set(safeRuns.map(r => r.tracer))].join('/')}, every pair): ` +
      (found.length === 0 ? '**none** (no errors, warnings or notes)' : `${severity('error')} errors, ${severity('warning')} warnings, ${severity('note')} notes:`))
    for (const f of found.slice(0, 40)) lines.push(`  - ${f.replace(/\|/g, '\\|')}`)
  }
  lines.push(
    '',
    '| Pair | Order | npm ci (s) | safe-install ci (s) | Ratio | Scripts run (npm / safe-install) |',
    '| ---: | --- | ---: | ---: | ---: | --- |',
    ...rows.map(r => `| ${r.pair} | ${r.order} | ${fmtS(r.npm.seconds)} | ${fmtS(r.safe.seconds)} | ${fmtR(r.ratio)} | ${fmtCount(r.npm.scripts)} / ${fmtCount(r.safe.scripts, r.safe.scriptsSkipped)} |`),
    '',
    `Median: npm ci ${fmtS(median(rows.map(r => r.npm.seconds)))} s, safe-install ${fmtS(median(rows.map(r => r.safe.seconds)))} s, ` +
      `**ratio ${fmtR(medianRatio)}** (target ≤ ${TARGET_RATIO.toFixed(2)}). Installed trees identical in every run.`,
    '',
  )
  return lines.join('\n')
}

async function updateDocs (section) {
  let text
  try { text = await readFile(DOCS_FILE, 'utf8') } catch { text = DOCS_HEADER }
  if (!text.includes(RUNS_MARKER)) text = `${text.trimEnd()}\n\n${RUNS_MARKER}\n`
  const at = text.indexOf(RUNS_MARKER) + RUNS_MARKER.length
  text = `${text.slice(0, at)}\n\n${section}${text.slice(at).replace(/^\n+/, '\n')}`
  await mkdir(path.dirname(DOCS_FILE), { recursive: true })
  await writeFile(DOCS_FILE, `${text.trimEnd()}\n`)
}

// --------------------------------------------------------------------- main

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const env = childEnv(opts)
  const npm = npmCommand()

  if (opts.safeInstallCmd == null) {
    try { await lstat(path.join(REPO, 'dist', 'cli', 'main.js')) } catch {
      console.error('bench: dist/cli/main.js is missing; build first (`npm run bench` runs `npm run build` for you).')
      return 1
    }
  }

  const machine = machineInfo(npm, env)
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'safe-install-bench-'))
  const projectDir = path.join(tmp, 'project')
  const logsDir = path.join(tmp, 'logs')
  await mkdir(logsDir)

  const lock = JSON.parse(await readFile(path.join(PROJECT_SRC, 'package-lock.json'), 'utf8'))
  const scriptLocations = Object.entries(lock.packages || {})
    .filter(([loc, p]) => loc && p.hasInstallScript).map(([loc]) => loc).sort()

  const safeLabel = opts.safeInstallCmd ?? 'safe-install ci --quiet --report <tmp>/report-N.json'
  console.log(`safe-install bench: ${opts.pairs} pair(s), project ${path.relative(REPO, PROJECT_SRC)} ` +
    `(${Object.keys(lock.packages || {}).length - 1} lockfile entries, ${scriptLocations.length} with install scripts)`)
  console.log(`machine: ${machine.cpu}, ${machine.memGiB} GiB, node ${machine.node}, npm ${machine.npm}`)
  console.log(`temp dir: ${tmp}`)
  if (opts.safeInstallCmd != null) console.log(`safe-install command substituted: ${opts.safeInstallCmd}`)

  // Fresh project copy (package.json + lockfile + any .npmrc, never node_modules)
  // before every run, so nothing one tool leaves behind reaches the other.
  const resetProject = async () => {
    await rm(projectDir, { recursive: true, force: true })
    await cp(PROJECT_SRC, projectDir, {
      recursive: true,
      filter: src => path.basename(src) !== 'node_modules',
    })
  }

  const runNpm = async (name) => {
    await resetProject()
    const npmLogs = path.join(logsDir, `${name}-npm-debug`)
    const r = await timedRun({
      label: 'npm ci',
      file: npm.file,
      args: [...npm.prefix, 'ci', '--logs-dir', npmLogs],
      shell: process.platform === 'win32' && npm.prefix.length === 0,
      cwd: projectDir,
      env,
      logFile: path.join(logsDir, `${name}-npm.log`),
    })
    r.scripts = await countNpmScripts(npmLogs)
    return r
  }

  const runSafe = async (name) => {
    await resetProject()
    const reportFile = path.join(tmp, `report-${name}.json`)
    const npmLogs = path.join(logsDir, `${name}-safe-npm-debug`)
    const common = { label: 'safe-install ci', cwd: projectDir, logFile: path.join(logsDir, `${name}-safe-install.log`) }
    const r = opts.safeInstallCmd != null
      // Substituted command: if it is npm, point its debug log somewhere we can count scripts from.
      ? await timedRun({ ...common, file: opts.safeInstallCmd, args: [], shell: true, env: { ...env, npm_config_logs_dir: npmLogs } })
      : await timedRun({
        ...common,
        file: process.execPath,
        args: [SAFE_INSTALL_BIN, 'ci', '--quiet', '--report', reportFile],
        env,
      })
    const report = await readReport(reportFile)
    r.scripts = report?.scriptsRun ?? await countNpmScripts(npmLogs)
    r.scriptsSkipped = report?.scriptsSkipped || 0
    r.report = report ? reportFile : null
    r.findings = report?.findings ?? []
    r.tracer = report?.tracer ?? null
    return r
  }

  let baseline = null
  const check = async (r) => {
    if (r.error || r.code !== 0) {
      console.error(`\nbench: ${r.label} failed (${r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.code}`}); last output (${r.logFile}):\n${await tail(r.logFile)}`)
      return false
    }
    const fp = await fingerprint(projectDir, scriptLocations)
    if (!baseline) { baseline = fp; return true }
    let ok = true
    const t = diffLines(baseline.tree, fp.tree)
    if (!t.same) { ok = false; console.error(`\nbench: installed tree after ${r.label} differs from the warm-up npm ci:\n${t.text}`) }
    const known = KNOWN_DIFFERENCES.filter((k) => r.label === 'safe-install ci' && baseline.scripted.some((x) => x.startsWith(k.prefix)))
    const strip = (lines) => lines.filter((x) => !known.some((k) => x.startsWith(k.prefix)))
    for (const k of known) {
      const before = baseline.scripted.find((x) => x.startsWith(k.prefix))
      const after = fp.scripted.find((x) => x.startsWith(k.prefix))
      if (before !== after) console.warn(`bench: known difference after ${r.label}: ${k.prefix} (${k.reason})`)
    }
    const s = diffLines(strip(baseline.scripted), strip(fp.scripted))
    if (!s.same) { ok = false; console.error(`\nbench: files of packages with install scripts differ after ${r.label} (a script was skipped or did something else):\n${s.text}`) }
    const m = diffLines(baseline.meta, fp.meta)
    if (!m.same) console.warn(`bench: warning: node_modules dotfiles differ after ${r.label}:\n${m.text}`)
    return ok
  }

  const finish = async (code) => {
    if (opts.keep || code !== 0) console.log(`temp dir kept: ${tmp}`)
    else await rm(tmp, { recursive: true, force: true })
    return code
  }

  process.stdout.write('warm-up npm ci ... ')
  const warmup = await runNpm('warmup')
  if (!await check(warmup)) return finish(1)
  console.log(`${fmtS(warmup.seconds)} s, ${baseline.tree.filter(l => l.startsWith('pkg ')).length} package dirs, ${fmtCount(warmup.scripts)} scripts`)

  const rows = []
  for (let pair = 1; pair <= opts.pairs; pair++) {
    const npmFirst = pair % 2 === 1
    const result = {}
    for (const tool of npmFirst ? ['npm', 'safe'] : ['safe', 'npm']) {
      process.stdout.write(`pair ${pair}/${opts.pairs}: ${tool === 'npm' ? 'npm ci' : 'safe-install ci'} ... `)
      const r = tool === 'npm' ? await runNpm(`pair${pair}`) : await runSafe(`pair${pair}`)
      if (!await check(r)) return finish(1)
      console.log(`${fmtS(r.seconds)} s`)
      result[tool] = r
    }
    if (result.npm.scripts != null && result.safe.scripts != null && result.npm.scripts !== result.safe.scripts) {
      console.warn(`bench: warning: npm ran ${result.npm.scripts} install scripts, safe-install reports ${result.safe.scripts}`)
    }
    rows.push({
      pair,
      order: npmFirst ? 'npm first' : 'safe-install first',
      npm: result.npm,
      safe: result.safe,
      ratio: result.safe.seconds / result.npm.seconds,
    })
  }

  const medianRatio = median(rows.map(r => r.ratio))
  console.log(`\n${table(rows)}\n`)
  console.log(`median ratio safe-install/npm: ${fmtR(medianRatio)} (target ≤ ${TARGET_RATIO.toFixed(2)}${opts.safeInstallCmd != null ? ', safe-install substituted' : `: ${medianRatio <= TARGET_RATIO ? 'met' : 'not met'}`})`)
  console.log('installed trees identical in every run')

  if (opts.docs) {
    await updateDocs(docsSection({ when: new Date(), machine, opts, rows, medianRatio, warmup, safeLabel: opts.safeInstallCmd ?? 'safe-install ci --quiet --report <file>' }))
    console.log(`updated ${path.relative(process.cwd(), DOCS_FILE) || DOCS_FILE}`)
  }
  return finish(0)
}

main().then(code => { process.exitCode = code }, err => {
  console.error(err)
  process.exitCode = 1
})
