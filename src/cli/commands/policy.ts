import type { Argv } from 'yargs'

/**
 * `safe-install policy ls|approve|deny|prune|import`: npm 11's allowScripts in the root
 * package.json, written as npm writes it, with content pins in safe-install.policy.json.
 */
export const policyCommand = {
  command: 'policy <action> [packages..]',
  describe: 'list packages with install scripts and what they did, approve (and pin) or deny them in package.json allowScripts (as npm 11 writes it), prune stale entries, import pnpm/Bun/Yarn/LavaMoat decisions',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['ls', 'review', 'approve', 'deny', 'prune', 'import', 'learn'] as const, describe: 'what to do' })
      .positional('packages', { type: 'string', array: true, describe: 'installed package names; name@version picks installed versions' })
      .option('all', { type: 'boolean', default: false, describe: 'approve/deny every installed package with install scripts and no allowScripts entry' })
      .option('pin', { type: 'boolean', default: true, describe: 'approve name@version for each installed version (--no-pin: the bare name, every version)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the changes and the diff of package.json; write nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
      .option('report', { type: 'string', requiresArg: true, describe: 'ls: the report of the run to show (default: the last install\'s, in node_modules/.cache/safe-install); review: where to save the review run\'s report' })
      .option('grants', { type: 'boolean', default: false, describe: 'review --yes: also approve packages whose run needed hosts or paths, with those as grants (never one that read credentials, persisted ...)' })
      .option('yes', { type: 'boolean', default: false, describe: 'review: approve (and pin) the packages whose scripts did nothing flagged, without asking; leave the rest' })
      .option('policy', { type: 'string', requiresArg: true, describe: 'ls, learn: the policy file (default ./safe-install.policy.json)' })
      .option('from-report', { type: 'string', requiresArg: true, describe: 'learn: the JSON report of a run (safe-install install --mode report --report <file>)' })
      .option('pin-version', { type: 'boolean', default: false, describe: 'learn: key the grants by name@version instead of name' })
      .option('allow-violations', { type: 'boolean', default: false, describe: 'learn: write the grants of packages that also have violations, and exit 0 (violations are never granted)' })
      .option('from', { choices: ['auto', 'pnpm', 'bun', 'yarn', 'lavamoat'] as const, describe: 'import: whose decisions (default: every tool found)' })
      .example('$0 policy ls', 'every installed package with install scripts: approval, pin, commands, what it did last run')
      .example('$0 policy review', 'run the unreviewed scripts in a disposable copy, strictest sandbox, and decide per package')
      .example('$0 policy learn --from-report run.json', 'the minimal grants under which that run passes in enforce mode')
      .example('$0 policy approve esbuild', 'allowScripts: "esbuild@<installed version>": true')
      .example('$0 policy deny --all', 'deny every package with install scripts not yet reviewed')
      .example('$0 policy import --from pnpm --dry-run', 'show what pnpm\'s onlyBuiltDependencies/allowBuilds become'),
}
