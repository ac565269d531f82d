import type { Argv } from 'yargs'

/** `safe-install doctor`: which isolation layers work here, why the others do not, and how to fix them (docs/doctor.md). */
export const doctorCommand = {
  command: ['doctor'],
  describe: 'show which isolation layers work on this machine, why the others do not, and how to fix them',
  builder: (y: Argv) =>
    y
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'what to print on stdout' })
      .option('require-isolation', { type: 'boolean', default: false, describe: 'exit 4 when an install here could not set up the namespace sandbox' })
      .option('verbose', { type: 'boolean', default: false, describe: 'say what every layer gives, not only the missing ones' })
      .option('color', { type: 'boolean', describe: 'colour output (--no-color to disable; NO_COLOR respected)' }),
}
