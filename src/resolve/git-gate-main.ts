/**
 * The `git` npm runs during a safe-install run (see git-gate.ts). Usage, from the per-run shim:
 *   node git-gate-main.js <config.json> <git args...>
 * Refused: one line on stderr, the refusal appended to the run's file, exit 128 (git's fatal).
 */
import { spawnSync } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import { refusedRemote, type GitGateConfig } from './git-gate.js'

const [configFile, ...args] = process.argv.slice(2)
const config = JSON.parse(readFileSync(configFile ?? '', 'utf8')) as GitGateConfig
const refused = refusedRemote(args, config.grants)
if (refused !== null) {
  appendFileSync(config.refusals, `${JSON.stringify(refused)}\n`)
  process.stderr.write(`fatal: safe-install refused git access to ${refused.url}: ${refused.reason}\n`)
  process.exit(128)
}
const result = spawnSync(config.git, args, { stdio: 'inherit' })
if (result.error !== undefined) {
  process.stderr.write(`fatal: cannot run ${config.git}: ${result.error.message}\n`)
  process.exit(128)
}
process.exit(result.status ?? 128)
