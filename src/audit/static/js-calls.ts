import type { AnyNode, CallExpression, Expression, NewExpression, SpreadElement } from 'acorn'
import type { Bindings, ModuleRef } from './bindings.js'
import { calleeMember, calleeObject, isRef, memberName, refOf } from './refs.js'

/**
 * What a call does, recognised from the module it comes from (`require('child_process')`, imports,
 * TypeScript's `__importStar`, globals), with a fallback on distinctive member names when a
 * bundler hid the module (`n(123).execSync`). Pure.
 */

export type ProcessCall =
  | { readonly kind: 'command'; readonly command: Expression | SpreadElement | undefined }
  | { readonly kind: 'argv'; readonly file: Expression | SpreadElement | undefined; readonly args: Expression | SpreadElement | undefined; readonly options: Expression | SpreadElement | undefined }
  | { readonly kind: 'fork'; readonly module: Expression | SpreadElement | undefined; readonly args: Expression | SpreadElement | undefined }

export type FsAccess = 'read' | 'check' | 'write' | 'chmod'

const CP_COMMAND = new Set(['exec', 'execSync'])
const CP_ARGV = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync'])
const CP_FALLBACK = new Set(['execSync', 'execFileSync', 'spawnSync'])
const FS_MODULES = new Set(['fs', 'fs/promises', 'fs-extra', 'graceful-fs', 'original-fs'])
const FS_ACCESS: ReadonlyMap<string, FsAccess> = new Map([
  ...['readFile', 'readFileSync', 'createReadStream', 'open', 'openSync', 'readdir', 'readdirSync', 'readJson', 'readJsonSync', 'copyFile', 'copyFileSync', 'cp', 'cpSync', 'opendir', 'opendirSync']
    .map((name) => [name, 'read'] as const),
  ...['existsSync', 'exists', 'access', 'accessSync', 'stat', 'statSync', 'lstat', 'lstatSync', 'pathExists', 'pathExistsSync'].map((name) => [name, 'check'] as const),
  ...['writeFile', 'writeFileSync', 'appendFile', 'appendFileSync', 'createWriteStream', 'outputFile', 'outputFileSync', 'writeJson', 'writeJsonSync', 'outputJson', 'outputJsonSync']
    .map((name) => [name, 'write'] as const),
  ...['chmod', 'chmodSync', 'fchmod', 'fchmodSync', 'lchmod', 'lchmodSync'].map((name) => [name, 'chmod'] as const),
])
const FS_FALLBACK = new Set(['readFileSync', 'createReadStream', 'existsSync', 'writeFileSync', 'appendFileSync', 'createWriteStream', 'chmodSync'])
const NETWORK_MEMBERS: Readonly<Record<string, ReadonlySet<string>>> = {
  http: new Set(['get', 'request']), https: new Set(['get', 'request']), http2: new Set(['connect']),
  net: new Set(['connect', 'createConnection', 'Socket']), tls: new Set(['connect']), dgram: new Set(['createSocket']),
  dns: new Set(['resolve', 'resolve4', 'resolve6', 'resolveTxt', 'resolveAny', 'resolveCname']),
  'follow-redirects': new Set(['get', 'request']),
}
const NETWORK_MODULES = new Set([
  'axios', 'got', 'node-fetch', 'request', 'needle', 'superagent', 'undici', 'ws', 'socket.io-client', 'cross-fetch', 'isomorphic-fetch',
  'make-fetch-happen', 'minipass-fetch', 'phin', 'bent', 'simple-get', 'request-promise', 'request-promise-native', 'ky', 'wretch',
])
const NETWORK_GLOBALS = new Set(['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource'])
const VM_EVAL = new Set(['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction', 'Script', 'SourceTextModule'])
const DECODE_ENCODINGS = new Set(['base64', 'base64url', 'hex'])
const ZLIB_DECODE = /^(?:inflate|inflateRaw|gunzip|unzip|brotliDecompress)(?:Sync)?$/

const last = (ref: ModuleRef): string => ref.path[ref.path.length - 1] ?? ''

/** A child_process (or execa / cross-spawn / shelljs) call, with the arguments that say what runs. */
export const processCall = (bindings: Bindings, node: CallExpression | NewExpression): ProcessCall | undefined => {
  const ref = refOf(bindings, node.callee)
  const [a, b, c] = node.arguments
  const name = ref === undefined ? '' : last(ref)
  const module = ref?.module
  if (module === 'child_process' && ref?.path.length === 1) {
    if (CP_COMMAND.has(name)) return { kind: 'command', command: a }
    if (CP_ARGV.has(name)) return { kind: 'argv', file: a, args: b, options: c }
    if (name === 'fork') return { kind: 'fork', module: a, args: b }
  }
  if (module === 'cross-spawn' || module === 'execa' && (name === '' || name === 'execa' || name === 'execaSync')) return { kind: 'argv', file: a, args: b, options: c }
  if (module === 'execa' && (name === 'execaCommand' || name === 'execaCommandSync') || module === 'shelljs' && name === 'exec') return { kind: 'command', command: a }
  if (ref === undefined || ref.module === 'global' && ref.path.length > 1) {
    const member = calleeMember(node)
    if (member === 'execSync') return { kind: 'command', command: a }
    if (member !== undefined && CP_FALLBACK.has(member)) return { kind: 'argv', file: a, args: b, options: c }
  }
  return undefined
}

/** A call that opens a network connection or sends a request. */
export const isNetworkCall = (bindings: Bindings, node: CallExpression | NewExpression): boolean => {
  const ref = refOf(bindings, node.callee)
  if (ref === undefined) return false
  if (ref.module === 'global') return ref.path.length === 1 && NETWORK_GLOBALS.has(ref.path[0] ?? '')
  if (NETWORK_MODULES.has(ref.module) || NETWORK_MODULES.has(ref.module.split('/')[0] ?? '')) return true
  return ref.path.length === 1 && NETWORK_MEMBERS[ref.module]?.has(last(ref)) === true
}

/** A file-system call and what it does to its first argument. */
export const fsAccess = (bindings: Bindings, node: CallExpression | NewExpression): FsAccess | undefined => {
  const ref = refOf(bindings, node.callee)
  if (ref !== undefined && FS_MODULES.has(ref.module)) return FS_ACCESS.get(last(ref))
  if (ref === undefined || ref.module === 'global' && ref.path.length > 1) {
    const member = calleeMember(node)
    return member !== undefined && FS_FALLBACK.has(member) ? FS_ACCESS.get(member) : undefined
  }
  return undefined
}

/** The code argument of eval, Function, vm.* and module._compile; undefined when the call is none of them. */
export const evaluatedCode = (bindings: Bindings, node: CallExpression | NewExpression): Expression | SpreadElement | null | undefined => {
  const ref = refOf(bindings, node.callee)
  const args = node.arguments
  if (isRef(ref, 'global', 'eval')) return args[0] ?? null
  if (isRef(ref, 'global', 'Function')) return args[args.length - 1] ?? null
  if (ref?.module === 'vm' && VM_EVAL.has(last(ref))) return args[0] ?? null
  const member = calleeMember(node)
  if (member === '_compile') return args[0] ?? null
  const object = calleeObject(node)
  if (member === 'constructor' && object !== undefined && memberName(object) === 'constructor') return args[args.length - 1] ?? null
  if ((isRef(ref, 'global', 'setTimeout') || isRef(ref, 'global', 'setInterval')) && args[0] !== undefined) {
    const first = args[0]
    return first.type === 'Literal' || first.type === 'TemplateLiteral' || first.type === 'BinaryExpression' || first.type === 'CallExpression' ? first : undefined
  }
  return undefined
}

const literalOf = (node: AnyNode | undefined): unknown => (node?.type === 'Literal' ? node.value : undefined)

/** A call that decodes hidden text: base64/hex buffers, atob, fromCharCode, URI decoding, zlib, decipher, TextDecoder. */
export const isDecoderCall = (bindings: Bindings, node: CallExpression | NewExpression): boolean => {
  const ref = refOf(bindings, node.callee)
  if (isRef(ref, 'global', 'atob') || isRef(ref, 'global', 'decodeURIComponent') || isRef(ref, 'global', 'decodeURI') || isRef(ref, 'global', 'unescape')) return true
  if (isRef(ref, 'global', 'String', 'fromCharCode') || isRef(ref, 'global', 'String', 'fromCodePoint')) return true
  const isBuffer = isRef(ref, 'global', 'Buffer', 'from') || isRef(ref, 'buffer', 'Buffer', 'from') || isRef(ref, 'global', 'Buffer')
  if (isBuffer && DECODE_ENCODINGS.has(String(literalOf(node.arguments[1])))) return true
  if (ref?.module === 'zlib' && ZLIB_DECODE.test(last(ref))) return true
  if (ref?.module === 'crypto' && (last(ref) === 'createDecipheriv' || last(ref) === 'createDecipher')) return true
  const member = calleeMember(node)
  if (member === 'fromCharCode' || member === 'reverse') return true
  const object = calleeObject(node)
  if (member === 'decode' && object?.type === 'NewExpression' && isRef(refOf(bindings, object.callee), 'global', 'TextDecoder')) return true
  return false
}

/** How a call exposes process.env as a whole: `serialise` (JSON.stringify, util.inspect ...) or `enumerate` (Object.entries ...). */
export const envUse = (bindings: Bindings, node: CallExpression | NewExpression): 'serialise' | 'enumerate' | undefined => {
  const ref = refOf(bindings, node.callee)
  if (ref === undefined || !node.arguments.some((arg) => holdsEnv(bindings, arg))) return undefined
  if (isRef(ref, 'global', 'JSON', 'stringify') || isRef(ref, 'util', 'inspect') || isRef(ref, 'util', 'format') || isRef(ref, 'global', 'URLSearchParams')) return 'serialise'
  if (ref.module === 'querystring' && (last(ref) === 'stringify' || last(ref) === 'encode')) return 'serialise'
  if (ref.module === 'global' && ref.path[0] === 'Object' && ['entries', 'keys', 'values', 'getOwnPropertyNames'].includes(ref.path[1] ?? '')) return 'enumerate'
  return undefined
}

/** `process.env`, a name bound to it, or an object / array literal that carries it (`{ env: process.env }`, `{ ...process.env }`). */
export const holdsEnv = (bindings: Bindings, node: AnyNode, depth = 0): boolean => {
  if (depth > 3) return false
  if (node.type === 'SpreadElement') return holdsEnv(bindings, node.argument, depth + 1)
  if (node.type === 'ObjectExpression') {
    return node.properties.some((prop) => prop.type === 'SpreadElement' ? holdsEnv(bindings, prop.argument, depth + 1) : holdsEnv(bindings, prop.value, depth + 1))
  }
  if (node.type === 'ArrayExpression') return node.elements.some((el) => el !== null && holdsEnv(bindings, el, depth + 1))
  if (node.type !== 'Identifier' && node.type !== 'MemberExpression') return false
  return isRef(refOf(bindings, node), 'global', 'process', 'env')
}
