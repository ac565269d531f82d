'use strict'
/**
 * safe-install's Node preload observer: the tracer where strace is not available. Loaded into every
 * node process of a hook with NODE_OPTIONS="--require <this file>" (src/trace/observer-log.ts builds
 * it); active only when SAFE_INSTALL_OBSERVE names a log file, else it does nothing at all.
 *
 * It appends one JSON object per line (each under 4000 bytes, so lines of concurrent processes do not
 * interleave), at most 10,000 per process, then one `dropped` line and silence. Every line has
 * `kind`, `pid`, `time` (epoch seconds) and `op` (the API called: `fs.readFileSync`,
 * `child_process.spawn`, `net.Socket.connect`, `dgram.send`, `dns.lookup`...); `errno` (the error's
 * code) when the call failed; and, by kind (the names of src/trace/observed.ts):
 *   process  ppid, argv, cwd      first line of each process (op `start`; `worker` in a worker thread)
 *   path     access, path         read | write | stat | exec; absolute (resolved against the cwd at call time)
 *   exec     file, argv           a child process: what runs (`/bin/sh` for a shell command) and its argv
 *   socket   family, protocol, address, port   ipv4 | ipv6 | unix | host (a name before DNS); tcp | udp | unix
 *   dns      name
 *   dropped  limit                this process hit the event limit; nothing more was recorded
 * Strings and argv longer than fits are cut, ending in `…`.
 *
 * One user call is one event per path (rename and copyFile name two): calls Node makes inside another
 * call, or on its own (module loading, fs.rm's and fs.cp's walks, streams opening their file), are not
 * recorded; sockets are, whoever connects them (http, https, fetch). Children started through
 * child_process or worker_threads with an explicit env lacking the observer get it added.
 *
 * What it cannot see: native addons and anything below node's JS API (process.binding,
 * internalBinding); what non-node programs do (only their start is recorded); ESM `import` and
 * `require` of files; fd-based calls (fs.read(fd), FileHandle methods); connection errors (they
 * arrive as events it must not listen to); code that removes NODE_OPTIONS and spawns through a path
 * not patched here, restores the original functions or writes to the log. It watches honest to naive
 * code; it is not a security boundary.
 */
const LOG_ENV = 'SAFE_INSTALL_OBSERVE'
const INSTALLED = Symbol.for('safe-install.observer')
const MAX_EVENTS = 10000
const MAX_LINE_BYTES = 4000

const logEnv = process.env[LOG_ENV]
if (typeof logEnv === 'string' && logEnv !== '' && globalThis[INSTALLED] === undefined) {
  Object.defineProperty(globalThis, INSTALLED, { value: true })
  try {
    install(require('path').resolve(logEnv))
  } catch {
    // Observing is best effort: never in the way of the hook.
  }
}

function install(logFile) {
  const fs = require('fs')
  const path = require('path')
  const util = require('util')
  const { fileURLToPath } = require('url')
  const apply = Reflect.apply
  const stringify = JSON.stringify
  const then = Promise.prototype.then
  const { openSync, writeSync } = fs
  const realpathNative = fs.realpathSync.native
  const pid = process.pid
  const requireOption = `--require ${quoteNodeOption(__filename)}`
  let fd = openLog()
  if (fd < 0) return
  let count = 0
  let depth = 0

  function openLog() {
    try {
      return openSync(logFile, 'a')
    } catch {
      return -1
    }
  }

  const epochMs = Date.now()
  const startHr = process.hrtime.bigint()
  const now = () => (epochMs + Number(process.hrtime.bigint() - startHr) / 1e6) / 1000

  function emit(event) {
    if (count > MAX_EVENTS || fd < 0) return
    count += 1
    const line = count > MAX_EVENTS ? `${stringify({ kind: 'dropped', pid, time: now(), op: 'limit', limit: MAX_EVENTS })}\n` : fit(event)
    try {
      writeSync(fd, line)
    } catch {
      // A full disk or a closed log: the hook goes on unobserved.
    }
  }

  function fit(event) {
    let line = `${stringify(event)}\n`
    for (const max of [1024, 256, 64, 16]) {
      if (line.length * 3 < MAX_LINE_BYTES || Buffer.byteLength(line) < MAX_LINE_BYTES) break
      line = `${stringify(clip(event, max))}\n`
    }
    return line
  }

  function clip(event, max) {
    const cut = (text) => (text.length > max ? `${text.slice(0, max)}…` : text)
    const out = {}
    for (const key of Object.keys(event)) {
      const value = event[key]
      out[key] = typeof value === 'string' ? cut(value) : Array.isArray(value) ? value.slice(0, max).map(cut) : value
    }
    return out
  }

  /** Calls that act on what a symlink points to (not link, symlink, rename, unlink, rm, mkdir, lchmod ...). */
  const FOLLOWS = /\.(?:open|openAsBlob|readFile|writeFile|appendFile|createReadStream|createWriteStream|copyFile|cp|truncate|chmod|chown|utimes)(?:Sync)?$/

  /** The file a path really reaches (symlinks, /proc/self/root), when that is another path; undefined otherwise. */
  function reached(file) {
    try {
      const real = realpathNative(file)
      return typeof real === 'string' && real !== file ? real : undefined
    } catch {
      return undefined
    }
  }

  /**
   * Writes one event per body (`{ kind, ...fields }`), with the call's time, op and errno. A file
   * read or written through a symlink or /proc/self/root gets a second event with what it reached,
   * so a link planted in the package does not hide a credential read.
   */
  function record(bodies, time, op, errno) {
    try {
      for (const body of bodies) {
        emit(Object.assign({ kind: body.kind, pid, time, op }, body, errno === undefined ? {} : { errno }))
        const real = body.kind === 'path' && errno === undefined && body.access !== 'stat' && FOLLOWS.test(op) ? reached(body.path) : undefined
        if (real !== undefined) emit({ kind: 'path', pid, time, op, access: body.access, path: real })
      }
    } catch {
      // Never into user code.
    }
  }

  function errnoOf(error) {
    try {
      return error !== null && typeof error === 'object' && typeof error.code === 'string' ? error.code : undefined
    } catch {
      return undefined
    }
  }

  const frameFiles = (_, frames) => frames.map((frame) => String(frame.getFileName() ?? ''))

  /** Whether Node's own code made this call (util.promisify's wrapper stands for its caller). */
  function calledFromNode(wrapper) {
    const hadOwn = Object.prototype.hasOwnProperty.call(Error, 'prepareStackTrace')
    const prepare = Error.prepareStackTrace
    const limit = Error.stackTraceLimit
    try {
      Error.prepareStackTrace = frameFiles
      Error.stackTraceLimit = 4
      const holder = {}
      Error.captureStackTrace(holder, wrapper)
      for (const file of holder.stack) if (file !== 'node:internal/util') return file.startsWith('node:')
      return false
    } catch {
      return false
    } finally {
      if (hadOwn) Error.prepareStackTrace = prepare
      else delete Error.prepareStackTrace
      Error.stackTraceLimit = limit
    }
  }

  /**
   * A spec: `op`; `describe(args, self)` → event bodies; `skipNode` (ignore calls by Node's own code);
   * `adjust(args)` → the arguments to call with (env propagation); `resultErrno(result)`.
   */
  function observed(wrapper, spec) {
    return count <= MAX_EVENTS && !(spec.skipNode && calledFromNode(wrapper))
  }

  function describe(spec, args, self) {
    try {
      return spec.describe(args, self)
    } catch {
      return []
    }
  }

  function adjusted(spec, args) {
    try {
      return spec.adjust === undefined ? args : spec.adjust(args)
    } catch {
      return args
    }
  }

  /** Records when the call returns or throws. */
  function wrapSync(original, spec) {
    const wrapper = function () {
      if (depth > 0) return apply(original, this, arguments)
      const args = adjusted(spec, arguments)
      if (!observed(wrapper, spec)) return apply(original, this, args)
      const time = now()
      const bodies = describe(spec, args, this)
      let result
      depth += 1
      try {
        result = apply(original, this, args)
      } catch (error) {
        record(bodies, time, spec.op, errnoOf(error))
        throw error
      } finally {
        depth -= 1
      }
      let errno
      try {
        errno = spec.resultErrno === undefined ? undefined : spec.resultErrno(result)
      } catch {
        errno = undefined
      }
      record(bodies, time, spec.op, errno)
      return result
    }
    return dress(wrapper, original, spec, wrapSync)
  }

  /** Records when the callback (the last function argument) is called, with the errno of its first argument. */
  function wrapCallback(original, spec) {
    const wrapper = function () {
      if (depth > 0 || !observed(wrapper, spec)) return apply(original, this, arguments)
      const time = now()
      const bodies = describe(spec, arguments, this)
      const args = Array.prototype.slice.call(arguments)
      let done = false
      const finish = (errno) => {
        if (done) return
        done = true
        record(bodies, time, spec.op, errno)
      }
      let at = args.length - 1
      while (at >= 0 && typeof args[at] !== 'function') at -= 1
      if (at >= 0) {
        const callback = args[at]
        args[at] = function () {
          finish(errnoOf(arguments[0]))
          return apply(callback, this, arguments)
        }
      }
      depth += 1
      try {
        const result = apply(original, this, args)
        if (at < 0) finish(undefined)
        return result
      } catch (error) {
        finish(errnoOf(error))
        throw error
      } finally {
        depth -= 1
      }
    }
    return dress(wrapper, original, spec, wrapPromise)
  }

  /** Records when the promise settles; returns a promise that settles the same way. */
  function wrapPromise(original, spec) {
    const wrapper = function () {
      if (depth > 0 || !observed(wrapper, spec)) return apply(original, this, arguments)
      const time = now()
      const bodies = describe(spec, arguments, this)
      let result
      depth += 1
      try {
        result = apply(original, this, arguments)
      } catch (error) {
        record(bodies, time, spec.op, errnoOf(error))
        throw error
      } finally {
        depth -= 1
      }
      if (!util.types.isPromise(result)) {
        record(bodies, time, spec.op, undefined)
        return result
      }
      return apply(then, result, [
        (value) => {
          record(bodies, time, spec.op, undefined)
          return value
        },
        (error) => {
          record(bodies, time, spec.op, errnoOf(error))
          throw error
        },
      ])
    }
    return dress(wrapper, original, spec, wrapPromise)
  }

  /** Gives the wrapper the original's name, length and properties; a custom promisified form is wrapped too. */
  function dress(wrapper, original, spec, wrapCustom) {
    for (const key of Reflect.ownKeys(original)) {
      if (key === 'prototype') continue
      const descriptor = Object.getOwnPropertyDescriptor(original, key)
      // util.promisify's results name themselves as their promisified form.
      if (key === util.promisify.custom && typeof descriptor.value === 'function') {
        descriptor.value = descriptor.value === original ? wrapper : wrapCustom(descriptor.value, spec)
      }
      try {
        Object.defineProperty(wrapper, key, descriptor)
      } catch {
        // A property that cannot be copied stays the wrapper's own.
      }
    }
    return wrapper
  }

  function patch(target, key, wrap, spec) {
    try {
      const original = target[key]
      if (typeof original === 'function') target[key] = wrap(original, spec)
    } catch {
      // Not patchable here (a getter, a frozen object): left unobserved.
    }
  }

  // --- fs ---------------------------------------------------------------------------------------

  /** The path arguments of each call, by position: read, write, stat, `o` open (flags in argument 1), `-` not a path. */
  const FS_PATHS = {
    access: 's', appendFile: 'w', chmod: 'w', chown: 'w', copyFile: 'rw', cp: 'rw', exists: 's', lchmod: 'w', lchown: 'w',
    link: '-w', lstat: 's', lutimes: 'w', mkdir: 'w', mkdtemp: 'w', open: 'o', openAsBlob: 'r', opendir: 's', readdir: 's',
    readFile: 'r', readlink: 's', realpath: 's', rename: 'ww', rm: 'w', rmdir: 'w', stat: 's', statfs: 's', symlink: '-w',
    truncate: 'w', unlink: 'w', utimes: 'w', writeFile: 'w',
  }
  const { O_WRONLY = 0, O_RDWR = 0, O_CREAT = 0, O_TRUNC = 0, O_APPEND = 0 } = fs.constants
  const WRITE_FLAGS = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND

  const flagsAccess = (flags, fallback) =>
    typeof flags === 'number' ? ((flags & WRITE_FLAGS) !== 0 ? 'write' : 'read')
      : typeof flags === 'string' ? (/[wax+]/.test(flags) ? 'write' : 'read') : fallback
  const streamFlags = (options) => (options !== null && typeof options === 'object' ? options.flags : undefined)
  const ACCESS = {
    r: () => 'read',
    w: () => 'write',
    s: () => 'stat',
    o: (args) => flagsAccess(args[1], 'read'),
    R: (args) => flagsAccess(streamFlags(args[1]), 'read'),
    W: (args) => flagsAccess(streamFlags(args[1]), 'write'),
  }

  /** A path argument as an absolute path; undefined for a descriptor, a FileHandle or anything else. */
  function pathText(value) {
    let text
    if (typeof value === 'string') text = value
    else if (Buffer.isBuffer(value)) text = value.toString('utf8')
    else if (value instanceof URL && value.protocol === 'file:') text = fileURLToPath(value)
    if (text === undefined || text === '') return undefined
    try {
      return path.resolve(text)
    } catch {
      return text
    }
  }

  const describePaths = (code) => (args) => {
    const bodies = []
    for (let i = 0; i < code.length; i += 1) {
      const access = ACCESS[code[i]]
      const file = access === undefined ? undefined : pathText(args[i])
      if (file !== undefined) bodies.push({ kind: 'path', access: access(args), path: file })
    }
    return bodies
  }

  const fsSpec = (op, code, extra) => Object.assign({ op, skipNode: true, describe: describePaths(code) }, extra)
  const missing = { resultErrno: (result) => (result === undefined ? 'ENOENT' : undefined) }
  /** existsSync answers false instead of failing: that is the attempt that found nothing. */
  const absent = { resultErrno: (result) => (result === false ? 'ENOENT' : undefined) }

  patch(fs.realpath, 'native', wrapCallback, fsSpec('fs.realpath.native', 's'))
  patch(fs.realpathSync, 'native', wrapSync, fsSpec('fs.realpathSync.native', 's'))
  for (const name of Object.keys(FS_PATHS)) {
    const code = FS_PATHS[name]
    patch(fs, name, wrapCallback, fsSpec(`fs.${name}`, code))
    patch(fs, `${name}Sync`, wrapSync, fsSpec(`fs.${name}Sync`, code, name === 'stat' || name === 'lstat' ? missing : name === 'exists' ? absent : {}))
    patch(fs.promises, name, wrapPromise, fsSpec(`fs.promises.${name}`, code))
  }
  patch(fs, 'createReadStream', wrapSync, fsSpec('fs.createReadStream', 'R'))
  patch(fs, 'createWriteStream', wrapSync, fsSpec('fs.createWriteStream', 'W'))
  // Code that closes the log's descriptor (closing fds it did not open) gets the log reopened first,
  // so that no line lands in a file that later takes the old number.
  for (const name of ['close', 'closeSync']) {
    patch(fs, name, (original) => dress(function () {
      if (arguments[0] === fd && fd >= 0) fd = openLog()
      return apply(original, this, arguments)
    }, original, {}, (f) => f))
  }

  // --- child_process and worker_threads ---------------------------------------------------------

  /** `"<path>"` with `"` and `\` escaped: NODE_OPTIONS's quoting (the same as observerNodeOptions). */
  function quoteNodeOption(text) {
    return `"${text.replace(/["\\]/g, '\\$&')}"`
  }

  /** `env` itself when it keeps the observer on; else a copy with SAFE_INSTALL_OBSERVE and the --require added. */
  function observedEnv(env) {
    const raw = env.NODE_OPTIONS
    const options = typeof raw === 'string' ? raw : raw === undefined || raw === null || typeof raw === 'object' ? '' : String(raw)
    const preloads = options.includes(requireOption)
    if (preloads && env[LOG_ENV] === logFile) return env
    const copy = {}
    for (const key in env) copy[key] = env[key]
    copy.NODE_OPTIONS = preloads ? options : options.trim() === '' ? requireOption : `${requireOption} ${options}`
    copy[LOG_ENV] = logFile
    return copy
  }

  /** Options carrying an env that keeps the observer on; undefined when they already do. */
  function observedOptions(options) {
    const given = options !== null && typeof options === 'object' && options.env !== undefined && options.env !== null
    const env = given ? options.env : process.env
    if (typeof env !== 'object') return undefined
    const next = observedEnv(env)
    return next === env ? undefined : Object.assign({}, options !== null && typeof options === 'object' ? options : {}, { env: next })
  }

  /** Where the options argument goes: exec(cmd, options), spawn(file, args?, options), ... */
  const optionsIndex = (form, list) => (form === 'shell' ? 1 : Array.isArray(list[1]) || list[1] === undefined || list[1] === null ? 2 : 1)

  /** exec and execFile take a callback where the options may be: options are put before it. */
  const propagate = (form, callback) => (args) => {
    const list = Array.prototype.slice.call(args)
    const at = optionsIndex(form, list)
    const options = list[at]
    if (options !== undefined && options !== null && typeof options !== 'object' && !(callback && typeof options === 'function')) return args
    const next = observedOptions(typeof options === 'function' ? undefined : options)
    if (next === undefined) return args
    if (typeof options === 'function') list.splice(at, 0, next)
    else list[at] = next
    return list
  }

  const text = (value) =>
    typeof value === 'string' ? value
      : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? String(value)
        : Buffer.isBuffer(value) ? value.toString('utf8')
          : value instanceof URL ? value.href : `[${typeof value}]`

  /** A shell command as node runs it (normalizeSpawnArguments). */
  function shellArgv(shell, command) {
    if (process.platform !== 'win32') {
      const file = typeof shell === 'string' ? shell : '/bin/sh'
      return [file, '-c', command]
    }
    const file = typeof shell === 'string' ? shell : process.env.comspec || 'cmd.exe'
    return /^(?:.*\\)?cmd(?:\.exe)?$/i.test(file) ? [file, '/d', '/s', '/c', `"${command}"`] : [file, '-c', command]
  }

  const describeChild = (form) => (args) => {
    const at = optionsIndex(form, args)
    const options = args[at] !== null && typeof args[at] === 'object' ? args[at] : {}
    const list = at === 2 && Array.isArray(args[1]) ? args[1].map(text) : []
    let argv
    if (form === 'shell') {
      argv = shellArgv(options.shell, text(args[0]))
    } else if (form === 'fork') {
      const execPath = typeof options.execPath === 'string' ? options.execPath : process.execPath
      const execArgv = Array.isArray(options.execArgv) ? options.execArgv.map(text) : process.execArgv
      argv = [execPath, ...execArgv, args[0] instanceof URL ? fileURLToPath(args[0]) : text(args[0]), ...list]
    } else if (options.shell) {
      argv = shellArgv(options.shell, [text(args[0]), ...list].join(' '))
    } else {
      argv = [text(args[0]), ...list]
    }
    const file = argv[0]
    if (typeof options.argv0 === 'string') argv[0] = options.argv0
    return [{ kind: 'exec', file, argv }]
  }

  const childProcess = require('child_process')
  const { ChildProcess } = childProcess
  const startChild = ChildProcess.prototype.spawn
  let spawnErrno
  ChildProcess.prototype.spawn = dress(function spawn() {
    spawnErrno = undefined
    const err = apply(startChild, this, arguments)
    if (typeof err === 'number' && err < 0) spawnErrno = util.getSystemErrorName(err)
    return err
  }, startChild, {}, (f) => f)

  /** spawnSync's result.error, or an async child that did not start (its error comes on the next tick). */
  function childErrno(result) {
    const child = result instanceof ChildProcess ? result : result !== null && typeof result === 'object' && result.child instanceof ChildProcess ? result.child : undefined
    if (child !== undefined) return child.pid === undefined ? spawnErrno : undefined
    return result !== null && typeof result === 'object' ? errnoOf(result.error) : undefined
  }

  const CHILD_FORMS = { spawn: 'spawn', spawnSync: 'spawn', execFile: 'spawn', execFileSync: 'spawn', exec: 'shell', execSync: 'shell', fork: 'fork' }
  for (const name of Object.keys(CHILD_FORMS)) {
    const form = CHILD_FORMS[name]
    patch(childProcess, name, wrapSync, {
      op: `child_process.${name}`, describe: describeChild(form), adjust: propagate(form, name === 'exec' || name === 'execFile'), resultErrno: childErrno,
    })
  }

  // A worker given its own env reads NODE_OPTIONS from it; by default it shares the process's.
  const workerThreads = require('worker_threads')
  const { Worker } = workerThreads
  try {
    workerThreads.Worker = new Proxy(Worker, {
      construct(target, args, newTarget) {
        if (depth === 0 && args[1] !== null && typeof args[1] === 'object' && args[1].env !== null && typeof args[1].env === 'object') {
          try {
            args = [args[0], observedOptions(args[1]) ?? args[1], ...args.slice(2)]
          } catch {
            // Keep the caller's options.
          }
        }
        return Reflect.construct(target, args, newTarget)
      },
    })
  } catch {
    // worker_threads left as it is.
  }

  // --- net, dgram, dns --------------------------------------------------------------------------

  const net = require('net')
  const dgram = require('dgram')
  const dns = require('dns')

  const portOf = (value) => {
    const port = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 0
  }
  const inet = (host, port, protocol) => {
    const address = typeof host === 'string' && host !== '' ? host : 'localhost'
    const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : 'host'
    return { kind: 'socket', family, protocol, address, port: portOf(port) }
  }

  /** net.Socket#connect(options | path | port, host?), or the [options, cb] pair net.connect passes on. */
  function describeConnect(args) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0]
    if (first !== null && typeof first === 'object') {
      return [first.path ? { kind: 'socket', family: 'unix', protocol: 'unix', address: text(first.path), port: 0 } : inet(first.host, first.port, 'tcp')]
    }
    if (typeof first === 'string' && !(Number(first) >= 0)) return [{ kind: 'socket', family: 'unix', protocol: 'unix', address: first, port: 0 }]
    return [inet(typeof args[1] === 'string' ? args[1] : undefined, first, 'tcp')]
  }
  patch(net.Socket.prototype, 'connect', wrapSync, { op: 'net.Socket.connect', describe: describeConnect })

  /** Each destination of a UDP socket once. */
  const destinations = new WeakMap()
  function udpOnce(socket, address, port) {
    const body = inet(address ?? (socket.type === 'udp6' ? '::1' : '127.0.0.1'), port, 'udp')
    const seen = destinations.get(socket) ?? new Set()
    const key = `${body.address} ${body.port}`
    if (seen.has(key) || seen.size >= 64) return []
    seen.add(key)
    destinations.set(socket, seen)
    return [body]
  }
  const connectedUdp = (socket) => {
    try {
      socket.remoteAddress()
      return true
    } catch {
      return false
    }
  }
  /** send(msg, [offset, length,] port?, address?, cb?): nothing new on a connected socket. */
  function describeSend(args, socket) {
    if (connectedUdp(socket)) return []
    const long = args[4] || (args[3] && typeof args[3] !== 'function')
    const port = long ? args[3] : args[1]
    const address = long ? args[4] : args[2]
    return udpOnce(socket, typeof address === 'string' && address !== '' ? address : undefined, port)
  }
  patch(dgram.Socket.prototype, 'send', wrapSync, { op: 'dgram.send', describe: describeSend })
  patch(dgram.Socket.prototype, 'connect', wrapSync, {
    op: 'dgram.connect', describe: (args, socket) => udpOnce(socket, typeof args[1] === 'string' && args[1] !== '' ? args[1] : undefined, args[0]),
  })

  const describeName = (args) => [{ kind: 'dns', name: text(args[0]) }]
  for (const [api, wrap, prefix] of [[dns, wrapCallback, 'dns'], [dns.promises, wrapPromise, 'dns.promises']]) {
    const spec = (name) => ({ op: `${prefix}.${name}`, skipNode: true, describe: describeName })
    const names = Object.getOwnPropertyNames(api.Resolver.prototype).filter((name) => /^(?:resolve|reverse)/.test(name))
    for (const name of names) {
      patch(api.Resolver.prototype, name, wrap, spec(`Resolver.${name}`))
      patch(api, name, wrap, spec(name))
    }
    patch(api, 'lookup', wrap, spec('lookup'))
    patch(api, 'lookupService', wrap, spec('lookupService'))
  }

  try {
    require('module').syncBuiltinESMExports()
  } catch {
    // No ESM view of the builtins yet.
  }

  let cwd = ''
  try {
    cwd = process.cwd()
  } catch {
    // A removed working directory.
  }
  const start = workerThreads.isMainThread ? 'start' : 'worker'
  emit({ kind: 'process', pid, time: now(), op: start, ppid: process.ppid, argv: process.argv.map(text), cwd })
}
