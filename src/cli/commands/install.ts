import type { Argv } from 'yargs'
import { withNpmFlags } from '../options.js'
import { withCommonOptions } from '../common-options.js'

export const installCommand = {
  command: ['install [specs..]', 'i [specs..]', 'add [specs..]'],
  describe: 'install like npm install; every lifecycle script runs in the sandbox',
  builder: (y: Argv) => withCommonOptions(withNpmFlags(y)).positional('specs', { type: 'string', array: true, describe: 'packages to add, as npm install takes them' }),
}
