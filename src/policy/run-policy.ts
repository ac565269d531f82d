import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { configList, loadNpmConfig } from '../config/npm-config.js'
import { SafeInstallError } from '../errors.js'
import { loadInstalledPackages, type InstalledTree } from '../resolve/arborist-installed.js'
import { readAllowEntries, readAllowScripts } from './allow-scripts.js'
import { editAllowScripts, type AllowEntries } from './allow-scripts-edit.js'
import { planApproval, planPrune, type AllowChange } from './allow-scripts-plan.js'
import { planImport, type ImportPlan } from './import/plan-import.js'
import { IMPORT_TOOLS, readImportFindings } from './import/read-sources.js'
import type { ImportTool, UnmappedDecision } from './import/types.js'
import { parsePackageJsonText, type PackageJsonText } from './package-json-text.js'
import { planPins, writePins, type RecordedPin } from './record-pins.js'
import { writePackageJson } from './write-package-json.js'

export type PolicyAction = 'approve' | 'deny' | 'prune' | 'import'

export interface PolicyOptions {
  readonly action: PolicyAction
  readonly packages: readonly string[]
  readonly all: boolean
  readonly pin: boolean
  readonly dryRun: boolean
  readonly from?: ImportTool | 'auto'
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly execPath: string
}

/** What a policy command did (or, with --dry-run, would do): data for the CLI to print. */
export interface PolicyResult {
  readonly action: PolicyAction
  /** The root package.json: npm reads allowScripts there only, even from inside a workspace. */
  readonly file: string
  readonly dryRun: boolean
  readonly written: boolean
  readonly tree: InstalledTree['source']
  readonly changes: readonly AllowChange[]
  readonly warnings: readonly string[]
  readonly unmapped: readonly UnmappedDecision[]
  readonly kept: ImportPlan['kept']
  readonly imported: readonly ImportTool[]
  readonly before: string
  readonly after: string
  /** `approve`: the content pins recorded in safe-install.policy.json (src/policy/record-pins.ts). */
  readonly pins: { readonly file: string; readonly pins: readonly RecordedPin[] } | undefined
}

/**
 * `safe-install policy approve|deny|prune|import`: read the root package.json and the installed
 * tree (offline), plan the allowScripts change as npm 11 would make it, and write it atomically
 * (or only report it with --dry-run). The written file is read back and checked to hold exactly the
 * planned entries and nothing else changed, before it replaces the original.
 */
export const runPolicy = async (options: PolicyOptions): Promise<PolicyResult> => {
  checkUsage(options)
  const config = await loadNpmConfig({ cwd: options.cwd, env: options.env, execPath: options.execPath, npmArgs: [] })
  const file = join(config.prefix, 'package.json')
  const text = await readPackageJson(file)
  const doc = parsePackageJsonText(file, text)
  const entries = readAllowEntries(doc)
  const policy = await readAllowScripts(config.prefix, configList(config.get('allow-scripts')))
  const tree = await loadInstalledPackages({ path: config.prefix, flat: config.flat, policy: policy.entries, keys: entries.map(([key]) => key) })
  const plan = await planFor(options, { prefix: config.prefix, doc, entries, tree })
  const after = plan.changes.length === 0 ? text : editAllowScripts(doc, plan.next)
  const pins = options.action === 'approve' ? await planPins(config.prefix, plan.next, tree.packages, { specs: options.packages, all: options.all }) : undefined
  if (after !== text) {
    verifyEdit(doc, after, plan.next)
    if (!options.dryRun) await writePackageJson(file, after, text)
  }
  if (pins !== undefined && !options.dryRun) await writePins(pins)
  return {
    action: options.action, file, dryRun: options.dryRun, written: after !== text && !options.dryRun, tree: tree.source,
    changes: plan.changes, warnings: plan.warnings, unmapped: plan.unmapped, kept: plan.kept, imported: plan.imported,
    before: text, after, pins: pins === undefined ? undefined : { file: pins.file, pins: pins.pins },
  }
}

interface PlanInput {
  readonly prefix: string
  readonly doc: PackageJsonText
  readonly entries: AllowEntries
  readonly tree: InstalledTree
}

const planFor = async (options: PolicyOptions, input: PlanInput): Promise<ImportPlan & { imported: ImportTool[] }> => {
  const none = { unmapped: [], kept: [], imported: [] }
  switch (options.action) {
    case 'approve':
    case 'deny':
      return { ...planApproval(input.entries, input.tree.packages, { verb: options.action, specs: options.packages, all: options.all, pin: options.pin }), ...none }
    case 'prune':
      if (input.tree.source === 'none' && input.entries.length > 0) {
        throw new SafeInstallError('EUSAGE', `nothing is installed in ${input.prefix} (no node_modules, no package-lock.json): prune would remove every allowScripts entry; nothing was changed`,
          'install first (safe-install install), then run safe-install policy prune')
      }
      return { ...planPrune(input.entries, input.tree.packages), ...none }
    case 'import': {
      const tools = options.from === undefined || options.from === 'auto' ? IMPORT_TOOLS : [options.from]
      const findings = await readImportFindings(input.prefix, input.doc, tools)
      const found = tools.filter((tool) => findings.get(tool)?.found === true)
      if (found.length === 0) {
        throw new SafeInstallError('EUSAGE', `nothing to import: no ${tools.map((tool) => LOOKED_FOR[tool]).join(', ')} in ${input.prefix}`,
          'name the tool with --from pnpm|bun|yarn|lavamoat and check that its settings are in this project')
      }
      const decisions = found.flatMap((tool) => findings.get(tool)?.decisions ?? [])
      const plan = planImport(input.entries, input.tree.packages, decisions, options.pin)
      return { ...plan, unmapped: [...found.flatMap((tool) => findings.get(tool)?.unmapped ?? []), ...plan.unmapped], imported: found }
    }
  }
}

const LOOKED_FOR: Readonly<Record<ImportTool, string>> = {
  pnpm: 'pnpm build settings (pnpm-workspace.yaml, package.json "pnpm")',
  bun: 'Bun trustedDependencies (Bun\'s built-in default list is not imported)',
  yarn: 'Yarn dependenciesMeta[...].built',
  lavamoat: 'lavamoat.allowScripts',
}

const checkUsage = (options: PolicyOptions): void => {
  const usage = (message: string, hint: string): never => {
    throw new SafeInstallError('EUSAGE', message, hint)
  }
  if (options.from !== undefined && options.action !== 'import') usage('--from applies to `policy import` only', 'safe-install policy import --from pnpm')
  switch (options.action) {
    case 'approve':
    case 'deny':
      if (options.all && options.packages.length > 0) usage(`policy ${options.action} takes package names or --all, not both`, `safe-install policy ${options.action} --all`)
      if (!options.all && options.packages.length === 0) usage(`policy ${options.action} needs package names or --all`, `safe-install policy ${options.action} esbuild`)
      return
    case 'prune':
    case 'import':
      if (options.all || options.packages.length > 0) usage(`policy ${options.action} takes no package names and no --all`, `safe-install policy ${options.action} --dry-run`)
  }
}

const readPackageJson = async (file: string): Promise<string> => {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new SafeInstallError('EUSAGE', code === 'ENOENT' ? `no package.json in ${file.slice(0, -'/package.json'.length)}` : `cannot read ${file} (${code})`,
      'run safe-install policy in your project (the directory with package.json)')
  }
}

/** The edited text must parse, hold exactly `next` as allowScripts, and leave every other field as it was. */
const verifyEdit = (doc: PackageJsonText, after: string, next: AllowEntries): void => {
  const edited = parsePackageJsonText(doc.file, after)
  const written = readAllowEntries(edited)
  const rest = (value: Readonly<Record<string, unknown>>): string => JSON.stringify({ ...value, allowScripts: undefined })
  if (JSON.stringify(written) !== JSON.stringify(next) || rest(edited.value) !== rest(doc.value)) {
    throw new Error(`editing allowScripts in ${doc.file} produced something else than planned; nothing was written`)
  }
}
