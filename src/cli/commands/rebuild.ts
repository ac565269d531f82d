import type { Argv } from 'yargs'
import { withNpmFlags } from '../options.js'
import { withCommonOptions } from '../common-options.js'

export const rebuildCommand = {
  command: ['rebuild [names..]', 'rb [names..]'],
  describe: 'rerun install scripts of installed packages, sandboxed',
  builder: (y: Argv) => withCommonOptions(withNpmFlags(y)).positional('names', { type: 'string', array: true, describe: 'package names (default: all)' }),
}
