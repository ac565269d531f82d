import type { Argv } from 'yargs'

/** `safe-install audit`: offline review of a lockfile (DESIGN.md); never runs package code. */
export const auditCommand = {
  command: ['audit'],
  describe: 'review a lockfile offline: sources, integrity, install scripts (no network, no code run)',
  builder: (y: Argv) =>
    y
      .option('lockfile', { type: 'string', requiresArg: true, describe: 'the lockfile to review (default: the one in this directory)' })
      .option('malware-db', { type: 'string', requiresArg: true, describe: 'OSV malicious-package records (dir, export zip, record) or an index from `db import` (default: the imported index)' })
      .option('allowed-host', { type: 'string', array: true, requiresArg: true, describe: 'another trusted host for resolved URLs (repeatable)' })
      .option('npm-cache', { type: 'boolean', default: true, describe: 'analyse install scripts of packages node_modules lacks from their tarballs in npm\'s cache (integrity-verified; --no-npm-cache to skip)' })
      .option('fail-on', { choices: ['error', 'warning', 'none'] as const, default: 'error' as const, describe: 'exit 1 on findings of this severity or worse' })
      .option('report', { type: 'string', requiresArg: true, describe: 'write the JSON report to this file' })
      .option('sarif', { type: 'string', requiresArg: true, describe: 'write SARIF 2.1.0 to this file' })
      .option('junit', { type: 'string', requiresArg: true, describe: 'write a JUnit XML test report to this file (one test case per rule)' })
      .option('codequality', { type: 'string', requiresArg: true, describe: 'write a GitLab Code Quality report to this file (artifacts:reports:codequality)' })
      .option('format', { choices: ['text', 'json', 'sarif'] as const, default: 'text' as const, describe: 'what to print on stdout' })
      .option('quiet', { type: 'boolean', alias: 'q', default: false, describe: 'print only the summary' })
      .option('verbose', { type: 'boolean', default: false, describe: 'print notes too' })
      .option('color', { type: 'boolean', describe: 'colour output (--no-color to disable; NO_COLOR respected)' }),
}

/** `safe-install db import <source>`: compile OSV malicious-package records into the local index. */
export const dbCommand = {
  command: 'db <action> <source>',
  describe: 'import OSV malicious-package records (a directory of *.json or an OSV export zip) for audit and the egress proxy',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['import'] as const, describe: 'what to do' })
      .positional('source', { type: 'string', describe: 'directory of OSV records, OSV export zip, or one record' })
      .option('out', { type: 'string', requiresArg: true, describe: 'where to write the index (default: SAFE_INSTALL_MALWARE_DB, else ~/.cache/safe-install/malware-db.index)' }),
}

