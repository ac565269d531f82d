// Machine facts and the docs/benchmarks.md section writer shared by the micro-benchmarks.
// Each benchmark owns one section between `<!-- bench:<name>:start -->` and
// `<!-- bench:<name>:end -->` and replaces it whole on every run (bench/run.js instead
// inserts one dated section per run below its own marker; the two never touch each other).

import { spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const DOCS_FILE = path.join(REPO, 'docs', 'benchmarks.md')
const RUNS_MARKER = '<!-- bench:runs'

function capture (file, args) {
  const r = spawnSync(file, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : null
}

/** What a reader needs to compare two runs: CPU, memory, kernel, Node, git revision (and `extra` tools). */
export function machineInfo (extra = {}) {
  const cpus = os.cpus()
  const models = [...new Set(cpus.map(c => c.model.trim()))].join(' / ')
  let gitRev = capture('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'])
  if (gitRev && capture('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no'])) gitRev += ' (dirty)'
  return {
    cpu: `${models} × ${cpus.length}`,
    cpuCount: cpus.length,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    gitRev: gitRev || 'unknown',
    ...extra,
  }
}

/** The version line a tool prints for `--version`, or null. */
export const toolVersion = (file) => capture(file, ['--version'])?.split('\n')[0] ?? null

export const utcStamp = (when) => when.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')

/** The machine bullet lines of a docs section. */
export function machineLines (when, machine) {
  const extra = machine.tools ? `, ${machine.tools}` : ''
  return [
    `- Run: ${utcStamp(when)}, safe-install at git ${machine.gitRev}`,
    `- Machine: ${machine.cpu} CPUs, ${machine.memGiB} GiB RAM, ${machine.os}; Node ${machine.node}${extra}`,
  ]
}

/**
 * Replace this benchmark's section of docs/benchmarks.md (between its start and end markers).
 * Without the markers, the section is added just above bench/run.js's runs marker (or at the end).
 */
export async function writeDocsSection (name, body) {
  const start = `<!-- bench:${name}:start -->`
  const end = `<!-- bench:${name}:end -->`
  const block = `${start}\n${body.trim()}\n${end}`
  let text = ''
  try { text = await readFile(DOCS_FILE, 'utf8') } catch {}
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from >= 0 && to > from) {
    text = `${text.slice(0, from)}${block}${text.slice(to + end.length)}`
  } else {
    const at = text.indexOf(RUNS_MARKER)
    text = at >= 0
      ? `${text.slice(0, at)}${block}\n\n${text.slice(at)}`
      : `${text.trimEnd()}\n\n${block}\n`
  }
  await mkdir(path.dirname(DOCS_FILE), { recursive: true })
  await writeFile(DOCS_FILE, `${text.trimEnd()}\n`)
  return DOCS_FILE
}

/** `--flag N` / `--flag=N` parsing shared by the micro-benchmarks; `spec` maps flags to kinds. */
export function parseFlags (argv, spec, usage) {
  const opts = {}
  const fail = (msg) => {
    console.error(`bench: ${msg}\n\n${usage}`)
    process.exit(2)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    if (flag === '-h' || flag === '--help') { console.log(usage); process.exit(0) }
    const kind = spec[flag]
    if (kind === undefined) fail(`unknown argument: ${arg}`)
    if (kind === 'bool') { opts[flag.slice(2)] = true; continue }
    const raw = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    if (raw === undefined) fail(`${flag} needs a value`)
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1) fail(`${flag} must be a positive integer`)
    opts[flag.slice(2)] = n
  }
  return opts
}
