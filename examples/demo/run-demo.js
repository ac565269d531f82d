#!/usr/bin/env node
// Runs safe-install on the demo project in a temporary copy and shows what the
// harmless token stealer managed to collect. Usage: npm run demo (from the repo root).
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const bin = join(here, '..', '..', 'bin', 'safe-install.js')
const work = mkdtempSync(join(tmpdir(), 'safe-install-demo-'))
cpSync(join(here, 'project'), join(work, 'project'), { recursive: true })
cpSync(join(here, 'vendor'), join(work, 'vendor'), { recursive: true })
const project = join(work, 'project')

// Pretend this is a developer laptop or CI runner holding real credentials (fake values).
const pretendSecrets = {
  NPM_TOKEN: 'npm_DEMOdemoDEMOdemoDEMOdemoDEMOdemo1234',
  GITHUB_TOKEN: 'ghp_DEMOdemoDEMOdemoDEMOdemoDEMOdemo5678',
  AWS_SECRET_ACCESS_KEY: 'demo/DEMO+demoDEMOdemoDEMOdemoDEMOdemo12',
}

try {
  console.log(`safe-install demo: installing ${project}\n`)
  const result = spawnSync(process.execPath, [bin, 'install', '--unreviewed', 'sandbox', '--report', join(work, 'report.json')], {
    cwd: project,
    stdio: 'inherit',
    env: { ...process.env, ...pretendSecrets },
  })
  if (result.status !== 0 && result.status !== 1) {
    console.error(`safe-install exited with ${result.status}`)
    process.exit(result.status ?? 1)
  }
  const loot = JSON.parse(readFileSync(join(project, 'node_modules', 'token-stealer', 'loot.json'), 'utf8'))
  console.log('\nWhat the token stealer collected (it ran: --unreviewed sandbox runs unapproved scripts in the sandbox):')
  console.log(`  home directory : ${loot.homedir}`)
  for (const [name, value] of Object.entries(loot.env)) {
    const real = pretendSecrets[name]
    console.log(`  ${name.padEnd(22)} ${value.slice(0, 12)}…  ${real === undefined ? '(canary)' : value === real ? 'REAL VALUE LEAKED' : '(canary, not your real value)'}`)
  }
  console.log(`  ~/.npmrc       : ${loot.npmrc.trim().replace(/=.{8}.*/, '=<canary token>')}`)
  console.log(`  ~/.ssh key     : ${loot.sshKey} (canary)`)
  const leaked = Object.entries(pretendSecrets).filter(([name, value]) => loot.env[name] === value || JSON.stringify(loot).includes(value))
  if (leaked.length > 0) {
    console.error(`\nFAIL: real values reached the script: ${leaked.map(([n]) => n).join(', ')}`)
    process.exit(1)
  }
  const report = JSON.parse(readFileSync(join(work, 'report.json'), 'utf8'))
  console.log(`\nNone of the real values reached the script. JSON report: ${report.summary.scriptsRun} scripts run, isolation backend "${report.isolation.backend}".`)
  if (process.env.KEEP_DEMO !== undefined) console.log(`Kept: ${work}`)
  process.exit(0)
} finally {
  if (process.env.KEEP_DEMO === undefined) rmSync(work, { recursive: true, force: true })
}
