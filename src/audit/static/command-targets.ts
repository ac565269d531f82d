import { Buffer } from 'node:buffer'
import { flagCluster, hit, isRelativePath, shown, type CommandState } from './command-state.js'
import { display } from './symbolic.js'
import { fileTarget } from './targets.js'

const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'fish'])
const NODE_EVAL = new Set(['-e', '--eval', '-p', '--print'])
const NODE_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--input-type', '--env-file', '--title'])
const PACKAGE_MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun'])
const JS_RUNNERS = new Set(['tsx', 'ts-node', 'babel-node', 'esno'])

const nodeTargets = (state: CommandState, argv: readonly string[]): void => {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (NODE_EVAL.has(arg)) {
      const code = argv[i + 1]
      if (code !== undefined) state.out.targets.push({ kind: 'inline', code })
      return
    }
    if (arg.startsWith('--eval=') || arg.startsWith('--print=')) {
      state.out.targets.push({ kind: 'inline', code: arg.slice(arg.indexOf('=') + 1) })
      return
    }
    if (NODE_VALUE.has(arg)) {
      const value = argv[i + 1] ?? ''
      if ((arg === '-r' || arg === '--require' || arg === '--import') && value.startsWith('.')) state.out.targets.push({ kind: 'js', path: value })
      i++
    } else if (!arg.startsWith('-')) {
      if (isRelativePath(arg)) state.out.targets.push({ kind: 'js', path: arg })
      return
    }
  }
}

const shellTargets = (state: CommandState, name: string, argv: readonly string[]): void => {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (flagCluster(arg, 'c') || name === 'cmd' && /^\/[ck]$/i.test(arg)) {
      const code = name === 'cmd' ? argv.slice(i + 1).join(' ') : argv[i + 1]
      if (code !== undefined) state.nested(state, code)
      return
    }
    if (!arg.startsWith('-') && !arg.startsWith('+')) {
      if (isRelativePath(arg)) state.out.targets.push({ kind: 'shell', path: arg })
      return
    }
  }
}

const powershellTargets = (state: CommandState, argv: readonly string[]): void => {
  for (let i = 1; i < argv.length; i++) {
    const arg = (argv[i] ?? '').toLowerCase()
    const value = argv[i + 1]
    if (value === undefined) return
    if (/^-(?:e|ec|enc|encodedcommand|encoded)$/.test(arg)) {
      const decoded = Buffer.from(value, 'base64').toString('utf16le')
      hit(state, 'static-eval-decoded', 'error', `Runs PowerShell with a base64-encoded command (-EncodedCommand), which hides what it does; decoded it starts: ${display(decoded.slice(0, 80))}. Do not approve it without reading the decoded command.`, 'powershell -EncodedCommand')
      state.nested(state, decoded)
      return
    }
    if (arg === '-c' || arg === '-command') {
      state.nested(state, argv.slice(i + 1).join(' '))
      return
    }
    if (arg === '-file' || arg === '-f') {
      if (isRelativePath(value)) state.out.targets.push({ kind: 'shell', path: value })
      return
    }
  }
}

/** node-gyp's `--directory=src` / `-C src`: where the binding.gyp it builds lives. */
const gypDirectory = (argv: readonly string[]): string => {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg.startsWith('--directory=')) return arg.slice('--directory='.length)
    if (arg === '--directory' || arg === '-C') return argv[i + 1] ?? ''
  }
  return ''
}

const runnerTargets = (state: CommandState, name: string, argv: readonly string[]): void => {
  const args = argv.slice(1)
  if (name === 'bun' && args[0] === 'x') {
    hit(state, 'static-program', 'warning', `Runs \`${shown(argv)}\`, which downloads and runs a package at install time, outside the dependency tree that was reviewed.`, 'bun x')
    return
  }
  if (PACKAGE_MANAGERS.has(name) && (args[0] === 'run' || args[0] === 'run-script') && args[1] !== undefined) {
    state.out.targets.push({ kind: 'npm-script', name: args[1] })
    return
  }
  const script = args.find((arg) => !arg.startsWith('-') && arg !== 'run')
  if ((name === 'bun' || name === 'deno' || JS_RUNNERS.has(name)) && script !== undefined && isRelativePath(script) && /\.[cm]?[jt]sx?$/.test(script)) {
    state.out.targets.push({ kind: 'js', path: script })
  }
}

/** What a program runs next: `sh -c` code, node scripts and inline code, package.json scripts, binding.gyp, `./file`. */
export const programTargets = (state: CommandState, name: string, argv: readonly string[]): void => {
  if (POSIX_SHELLS.has(name) || name === 'cmd') shellTargets(state, name, argv)
  else if (name === 'powershell' || name === 'pwsh') powershellTargets(state, argv)
  else if (name === 'node' || name === 'nodejs') nodeTargets(state, argv)
  else if (name === 'python' || name === 'python3') {
    const script = argv.slice(1).find((arg) => !arg.startsWith('-'))
    if (script !== undefined && isRelativePath(script) && script.endsWith('.py')) state.out.targets.push({ kind: 'text', path: script })
  } else if (state.rules.builders.has(name)) state.out.targets.push({ kind: 'gyp', dir: gypDirectory(argv) })
  else runnerTargets(state, name, argv)
  const self = argv[0] ?? ''
  if ((self.startsWith('./') || self.startsWith('../')) && isRelativePath(self)) state.out.targets.push(fileTarget(self))
}
