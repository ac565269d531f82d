import { readFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import { compromisedHosts } from '../../audit/malware-db/compromised-hosts.js'
import { SafeInstallError } from '../../errors.js'
import { learnGrants, type LearnResult } from '../../policy/learn.js'
import { policyFromText } from '../../policy/load-policy.js'
import { mergeGrants } from '../../policy/merge-grants.js'
import { parseReportText } from '../../report/read-report.js'
import { loadPathRules } from '../../trace/path-rules.js'
import { unifiedDiff } from '../line-diff.js'
import { renderLearn } from '../render-learn.js'
import { writeFileAtomic } from '../write-output.js'

/** `safe-install policy learn` (an action of src/cli/commands/policy.ts): grants from a report (src/policy/learn.ts), merged into the policy file. */
export interface PolicyLearnArgs {
  readonly 'from-report': string
  readonly policy?: string
  readonly 'dry-run': boolean
  readonly json: boolean
  readonly 'pin-version': boolean
  readonly 'allow-violations': boolean
}

export interface PolicyLearnOutcome {
  readonly stdout: string
  /** 1 when the report shows violations (they need review, not grants) and --allow-violations is not given. */
  readonly exitCode: number
}

const readText = async (file: string, shown: string, code: 'EUSAGE' | 'EPOLICY', missing: 'null' | 'error'): Promise<string | null> => {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    if (why === 'ENOENT' && missing === 'null') return null
    throw new SafeInstallError(code, `${shown}: cannot read it (${why})`, code === 'EUSAGE' ? 'check the --from-report path' : 'check the --policy path')
  }
}

/** Read, learn, merge, validate, write (unless --dry-run); returns what to print and the exit status. */
export const runPolicyLearn = async (
  args: PolicyLearnArgs,
  io: { readonly cwd: string; readonly env: Readonly<Record<string, string | undefined>> },
): Promise<PolicyLearnOutcome> => {
  const reportShown = args['from-report']
  const report = parseReportText(await readText(resolve(io.cwd, reportShown), reportShown, 'EUSAGE', 'error') ?? '', reportShown)
  const policyFile = resolve(io.cwd, args.policy ?? 'safe-install.policy.json')
  const policyShown = relative(io.cwd, policyFile) || policyFile
  const existing = await readText(policyFile, policyShown, 'EPOLICY', 'null')
  const policy = policyFromText(existing ?? '{}', policyShown)
  const result = learnGrants({
    report, policy,
    projectDir: dirname(policyFile),
    pathRules: loadPathRules(),
    denied: await compromisedHosts(io.env),
    pinVersion: args['pin-version'],
    allowViolations: args['allow-violations'],
  })
  const merged = result.grants.length === 0 ? existing : mergeGrants(existing, result.grants)
  if (merged !== null && merged !== existing) assertValid(merged, policyShown)
  const changed = merged !== null && merged !== existing
  const diff = changed ? unifiedDiff(existing, merged, { before: policyShown, after: policyShown }) : ''
  if (changed && !args['dry-run']) await writeFileAtomic(policyFile, merged)
  const violations = result.notGranted.some((item) => item.kind === 'violation')
  const state = { policyFile: policyShown, reportFile: reportShown, created: changed && existing === null, changed, written: changed && !args['dry-run'], diff }
  return {
    stdout: args.json ? `${JSON.stringify({ ...state, ...plain(result) }, null, 2)}\n` : renderLearn(result, { ...state, report, dryRun: args['dry-run'] }),
    exitCode: violations && !args['allow-violations'] ? 1 : 0,
  }
}

/** What learn writes must pass the policy schema; if it does not, that is a bug (exit 70), not the user's. */
const assertValid = (text: string, file: string): void => {
  try {
    policyFromText(text, file)
  } catch (error) {
    throw new Error(`policy learn produced a policy that does not validate: ${(error as Error).message}`, { cause: error })
  }
}

const plain = (result: LearnResult): Record<string, unknown> => ({
  grants: result.grants, withheld: result.withheld, notGranted: result.notGranted, notes: result.notes,
})
