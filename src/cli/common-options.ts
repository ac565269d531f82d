import type { Argv } from 'yargs'

/** The options every install-like command takes (DESIGN.md "Common options"). */
export const withCommonOptions = <T>(y: Argv<T>): Argv<T> =>
  y
    .option('policy', { type: 'string', describe: 'policy file (default ./safe-install.policy.json, else the default preset)' })
    .option('mode', { choices: ['enforce', 'report'] as const, default: 'enforce' as const, describe: 'block violations or only record them' })
    .option('report', { type: 'string', describe: 'write the JSON report to this file' })
    .option('sarif', { type: 'string', describe: 'write SARIF 2.1.0 to this file' })
    .option('junit', { type: 'string', requiresArg: true, describe: 'write a JUnit XML test report to this file (one test case per package script)' })
    .option('codequality', { type: 'string', requiresArg: true, describe: 'write a GitLab Code Quality report to this file (artifacts:reports:codequality)' })
    .option('format', { choices: ['text', 'json', 'sarif'] as const, default: 'text' as const, describe: 'what to print on stdout' })
    .option('require-isolation', { type: 'boolean', default: false, describe: 'fail (exit 4) unless the namespace sandbox is in force' })
    .option('unreviewed', { choices: ['sandbox', 'skip', 'fail'] as const, describe: 'what happens to scripts with no allowScripts entry (default: skip)' })
    .option('quiet', { type: 'boolean', alias: 'q', default: false, describe: 'no progress while hooks run; print only errors and the summary' })
    .option('verbose', { type: 'boolean', default: false, describe: 'under each hook, what it ran, read, wrote and connected to; every command and finding evidence in the report' })
    .option('color', { type: 'boolean', describe: 'colour output (--no-color to disable; NO_COLOR respected)' })
