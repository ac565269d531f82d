import type { Argv } from 'yargs'
import { withNpmFlags } from '../options.js'
import { withCommonOptions } from '../common-options.js'

export const ciCommand = {
  command: ['ci', 'clean-install'],
  describe: 'install exactly the lockfile like npm ci; never rewrites it',
  builder: (y: Argv) => withCommonOptions(withNpmFlags(y)),
}
