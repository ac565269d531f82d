import type { Argv } from 'yargs'

/** `safe-install audit`: offline review of a lockfile (DESIGN.md); never runs package code. */
export const auditCommand = {
  command: ['audit'],
  describe: 'review a lockfile offline: sources, integrity, install scripts (no network, no code run)',
  builder: (y: Argv) =>
    y
      .option('lockfile', { type: 'string', requiresArg: true, describe: 'the lockfile to review (default: the one in this directory)' })
      .option('allowed-host', { type: 'string', array: true, requiresArg: true, describe: 'another trusted host for resolved URLs (repeatable)' })
      .option('fail-on', { choices: ['error', 'warning', 'none'] as const, default: 'error' as const, describe: 'exit 1 on findings of this severity or worse' })
      .option('report', { type: 'string', requiresArg: true, describe: 'write the JSON report to this file' })
      .option('sarif', { type: 'string', requiresArg: true, describe: 'write SARIF 2.1.0 to this file' })
      .option('format', { choices: ['text', 'json', 'sarif'] as const, default: 'text' as const, describe: 'what to print on stdout' })
      .option('quiet', { type: 'boolean', alias: 'q', default: false, describe: 'print only the summary' })
      .option('verbose', { type: 'boolean', default: false, describe: 'print notes too' })
      .option('color', { type: 'boolean', describe: 'colour output (--no-color to disable; NO_COLOR respected)' }),
}
