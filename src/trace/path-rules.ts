import { readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { Ajv, type ErrorObject } from 'ajv'
import type { Severity } from '../types.js'

/** The tracer's catalogues (kept apart from the policy presets next to them). */
const POLICIES_DIR = new URL('../../policies/trace/', import.meta.url)

/** One entry of policies/trace/sensitive-paths.json (schema: policies/trace/sensitive-paths.schema.json). */
export interface SensitivePathEntry {
  readonly id: string
  readonly kind: 'credential' | 'persistence' | 'tamper'
  readonly access: 'read' | 'write' | 'any'
  readonly patterns: readonly string[]
  readonly exclude?: readonly string[]
  readonly severity?: Severity
  readonly expectedBy?: readonly string[]
  readonly ownDirAllowed?: boolean
  readonly description: string
  readonly sources?: readonly string[]
}

export interface SensitivePathsFile {
  readonly entries: readonly SensitivePathEntry[]
}

interface CompiledPathEntry {
  readonly entry: SensitivePathEntry
  readonly match: RegExp
  readonly exclude: RegExp | undefined
}

/** The compiled catalogue: build it once per run with {@link loadPathRules}. */
export interface PathRules {
  readonly entries: readonly CompiledPathEntry[]
}

/** What the tracer saw a process do with a path. `exec` counts as a read of the file. */
export type PathAccess = 'read' | 'write' | 'stat' | 'exec'

export interface PathContext {
  /** The user's real home, hidden from the hook; `~` patterns match it too. */
  readonly realHome?: string | undefined
  readonly decoyHome: string
  readonly projectDir: string
  /** The hook's own package directory; the project itself for the root project's scripts. */
  readonly packageDir: string
  readonly hookTmp: string
  /** Absolute paths the policy lets this package write (`~` already expanded). */
  readonly writableGrants: readonly string[]
  /** The accessing process, as {@link identifyProgram} names it (`npm`, `git` ...): lowers expected reads to notes. */
  readonly program?: string | undefined
  /** The accessing process's pid, so that `/proc/<pid>/...` counts as `/proc/self/...`. */
  readonly pid?: number | undefined
  /** npm's resolved global and built-in config files, which may live anywhere (credential reads, like ~/.npmrc). */
  readonly npmConfigFiles?: readonly string[] | undefined
}

export type PathRuleId = 'credential-read' | 'persistence' | 'package-tamper' | 'write-outside-package'

export interface PathFinding {
  readonly rule: PathRuleId
  readonly severity: Severity
  /** The catalogue entry, or `own-manifest`, `other-package`, `python-bytecode`, `shared-tmp`, `outside-package`. */
  readonly entryId: string
  readonly description: string
  /** The path is inside the decoy home: the hook reached for a canary (or would-be) copy, nothing real. */
  readonly decoy: boolean
}

const describeError = (error: ErrorObject): string => {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replace(/\//g, '.')
  if (error.keyword === 'additionalProperties') return `${where}: unknown field "${String(error.params['additionalProperty'])}"`
  if (error.keyword === 'enum') return `${where}: must be one of ${JSON.stringify(error.params['allowedValues'])}`
  return `${where}: ${error.message ?? 'invalid'}`
}

/**
 * Read a data file shipped in policies/ and validate it against its JSON Schema. The files ship with
 * safe-install, so a bad one is a bug (plain Error naming the file and field), never a user error.
 */
export const readPolicyData = <T>(file: string, schemaFile: string, dir: URL = POLICIES_DIR): T => {
  const schema = JSON.parse(readFileSync(new URL(schemaFile, dir), 'utf8')) as object
  const data: unknown = JSON.parse(readFileSync(new URL(file, dir), 'utf8'))
  const validate = new Ajv({ allErrors: false, strict: false }).compile<T>(schema)
  if (!validate(data)) {
    const first = validate.errors?.[0]
    throw new Error(`policies/${file}: ${first === undefined ? 'invalid' : describeError(first)}`)
  }
  return data
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** `~/a/*.x/**` → regex source over the path's `~`, `<project>` or absolute form. */
const globSource = (pattern: string): string => {
  const [anchor = '', ...segments] = pattern.split('/')
  let source = escapeRegExp(anchor)
  for (const segment of segments) {
    if (segment === '**') source += '(?:/[^/]+)*'
    else if (segment.includes('**')) throw new Error(`policies/trace/sensitive-paths.json: "${pattern}": ** must be a whole path segment`)
    else source += `/${segment.split('*').map(escapeRegExp).join('[^/]*')}`
  }
  return source
}

const anyOf = (patterns: readonly string[]): RegExp => new RegExp(`^(?:${patterns.map(globSource).join('|')})$`, 'u')

/** Compile a validated catalogue (pure). Throws on duplicate ids and malformed globs. */
export const compilePathRules = (file: SensitivePathsFile): PathRules => {
  const seen = new Set<string>()
  const entries = file.entries.map((entry) => {
    if (seen.has(entry.id)) throw new Error(`policies/trace/sensitive-paths.json: duplicate id "${entry.id}"`)
    seen.add(entry.id)
    const exclude = entry.exclude === undefined || entry.exclude.length === 0 ? undefined : anyOf(entry.exclude)
    return { entry, match: anyOf(entry.patterns), exclude }
  })
  return { entries }
}

/** Load and compile policies/trace/sensitive-paths.json, validated against its schema. */
export const loadPathRules = (dir: URL = POLICIES_DIR): PathRules =>
  compilePathRules(readPolicyData<SensitivePathsFile>('sensitive-paths.json', 'sensitive-paths.schema.json', dir))

interface Scope {
  readonly decoyHome: string
  readonly realHome: string | undefined
  readonly projectDir: string
  readonly packageDir: string
  readonly hookTmp: string
  readonly grants: readonly string[]
  readonly isRoot: boolean
  readonly program: string | undefined
  readonly npmConfigFiles: readonly string[]
}

const trimSlash = (path: string): string => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path)
const clean = (path: string): string => trimSlash(posix.normalize(path))
const under = (path: string, dir: string): boolean => dir !== '/' && (path === dir || path.startsWith(`${dir}/`))

const scopeOf = (ctx: PathContext): Scope => {
  const projectDir = clean(ctx.projectDir)
  const packageDir = clean(ctx.packageDir)
  return {
    decoyHome: clean(ctx.decoyHome),
    realHome: ctx.realHome === undefined ? undefined : clean(ctx.realHome),
    projectDir,
    packageDir,
    hookTmp: clean(ctx.hookTmp),
    grants: ctx.writableGrants.map(clean),
    isRoot: packageDir === projectDir,
    program: ctx.program,
    npmConfigFiles: (ctx.npmConfigFiles ?? []).map(clean),
  }
}

const normalizePath = (path: string, scope: Scope, pid: number | undefined): string => {
  let p = clean(posix.isAbsolute(path) ? path : posix.join(scope.packageDir, path))
  p = p.replace(/^\/proc\/thread-self(?=\/|$)/, '/proc/self')
  if (pid !== undefined) p = p.replace(new RegExp(`^/proc/${pid}(?=/|$)`), '/proc/self')
  return p
}

/** Any user's home, so that reads of /home/<other>/.ssh count even when the real home is unknown. */
const HOME_ROOT = /^(\/(?:home|Users)\/[^/]+|\/root|\/var\/root)(?=\/|$)/

/** The forms a path is matched in: absolute, `~/...` for each home it is in, `<project>/...`. */
const formsOf = (path: string, scope: Scope): string[] => {
  const forms = [path]
  for (const home of [scope.decoyHome, scope.realHome, HOME_ROOT.exec(path)?.[1]]) {
    if (home !== undefined && under(path, home)) forms.push(`~${path.slice(home.length)}`)
  }
  if (under(path, scope.projectDir)) forms.push(`<project>${path.slice(scope.projectDir.length)}`)
  return forms
}

const matches = (compiled: CompiledPathEntry, forms: readonly string[]): boolean =>
  forms.some((form) => compiled.match.test(form)) && !forms.some((form) => compiled.exclude?.test(form) === true)

const finding = (rule: PathRuleId, severity: Severity, entryId: string, description: string, path: string, scope: Scope): PathFinding =>
  ({ rule, severity, entryId, description, decoy: under(path, scope.decoyHome) })

const credentialFinding = (compiled: CompiledPathEntry, access: PathAccess, path: string, scope: Scope): PathFinding => {
  const { entry } = compiled
  const program = scope.program
  if (access === 'write') return finding('credential-read', entry.severity ?? 'error', entry.id, `${entry.description} (opened for writing)`, path, scope)
  if (program !== undefined && entry.expectedBy?.includes(program) === true) {
    return finding('credential-read', 'note', entry.id, `${entry.description} (read by ${program}, which reads it on every run)`, path, scope)
  }
  if (access === 'stat') return finding('credential-read', 'note', entry.id, `${entry.description} (only checked whether it exists)`, path, scope)
  return finding('credential-read', entry.severity ?? 'error', entry.id, entry.description, path, scope)
}

const classifyRead = (access: PathAccess, path: string, scope: Scope, rules: PathRules): PathFinding | null => {
  if (under(path, scope.hookTmp)) return null
  if (!scope.isRoot && under(path, scope.packageDir)) return null
  const forms = formsOf(path, scope)
  const compiled = rules.entries.find((c) => c.entry.kind === 'credential' && matches(c, forms))
  if (compiled !== undefined) return credentialFinding(compiled, access, path, scope)
  if (scope.npmConfigFiles.includes(path)) {
    const npmrc = rules.entries.find((c) => c.entry.id === 'npm-global-config')
    if (npmrc !== undefined) return credentialFinding(npmrc, access, path, scope)
  }
  return null
}

/** Writes that change nothing another process relies on. */
const HARMLESS_WRITE = /^(?:\/dev\/(?:null|zero|full|random|urandom|tty|stdin|stdout|stderr|ptmx)|\/dev\/(?:fd|pts|shm)\/.+|\/proc\/self(?:\/.*)?)$/
const PYCACHE = /\/__pycache__(?:\/|$)/
/** A package directory under some node_modules (`node_modules/x`, `node_modules/@s/x`), not a dot entry. */
const OTHER_PACKAGE = /\/node_modules\/(?:@[^/]+\/[^/]+|[^/.@][^/]*)(?:\/|$)/

const granted = (path: string, scope: Scope): boolean => scope.grants.some((grant) => under(path, grant))

/** A grant lifts a persistence finding only when it names the target itself, not a parent such as `~`. */
const grantNames = (compiled: CompiledPathEntry, path: string, scope: Scope): boolean =>
  scope.grants.some((grant) => under(path, grant) && matches(compiled, formsOf(grant, scope)))

const classifyWrite = (path: string, scope: Scope, rules: PathRules): PathFinding | null => {
  if (HARMLESS_WRITE.test(path) || under(path, scope.hookTmp)) return null
  const own = under(path, scope.packageDir)
  const mine = own || under(path, scope.decoyHome) || granted(path, scope)
  if (PYCACHE.test(path)) {
    return mine ? null : finding('write-outside-package', 'note', 'python-bytecode', 'a Python bytecode cache next to installed sources (set PYTHONDONTWRITEBYTECODE=1 for hooks)', path, scope)
  }
  const forms = formsOf(path, scope)
  for (const compiled of rules.entries) {
    const { entry } = compiled
    if (entry.kind !== 'persistence' || !matches(compiled, forms)) continue
    if ((entry.ownDirAllowed === true && own) || grantNames(compiled, path, scope)) continue
    return finding('persistence', entry.severity ?? 'error', entry.id, entry.description, path, scope)
  }
  const touched = rules.entries.find((c) => c.entry.kind === 'credential' && c.entry.access === 'any' && matches(c, forms))
  if (touched !== undefined) return credentialFinding(touched, 'write', path, scope)
  if (!scope.isRoot && path === `${scope.packageDir}/package.json`) {
    return finding('package-tamper', 'warning', 'own-manifest', "the package's own package.json, rewritten at install time (malware swaps it to hide its install script)", path, scope)
  }
  if (mine) return null
  const tamper = rules.entries.find((c) => c.entry.kind === 'tamper' && matches(c, forms))
  if (tamper !== undefined) return finding('package-tamper', tamper.entry.severity ?? 'error', tamper.entry.id, tamper.entry.description, path, scope)
  if (OTHER_PACKAGE.test(path)) return finding('package-tamper', 'error', 'other-package', 'another installed package, whose code runs at require() time outside the sandbox', path, scope)
  if ((under(path, '/tmp') || under(path, '/var/tmp')) && !(scope.realHome !== undefined && under(path, scope.realHome))) {
    return finding('write-outside-package', 'warning', 'shared-tmp', "the shared temporary directory instead of the hook's private one ($TMPDIR)", path, scope)
  }
  return finding('write-outside-package', 'error', 'outside-package', "a path outside the package's own directory, its private tmp and the decoy home", path, scope)
}

/**
 * Classify one file access of an install hook (pure). Reads: credential entries only (reads inside the
 * hook's tmp, and for dependencies inside their own directory, never count). Writes, in order:
 * harmless devices and the hook's tmp → fine; persistence targets (also in the decoy home: a write to
 * its ~/.bashrc is an attempt) → `persistence`; own package.json → `package-tamper` warning; the own
 * directory, decoy home and granted paths → fine; project manifests and other packages →
 * `package-tamper`; anything else → `write-outside-package`. The root project's scripts own the
 * project, so they can edit other packages (patch-package) but not plant persistence.
 * Paths are compared as given (symlinks are not resolved; the tracer should report resolved paths).
 */
export const classifyPath = (access: PathAccess, path: string, ctx: PathContext, rules: PathRules): PathFinding | null => {
  const scope = scopeOf(ctx)
  const normalized = normalizePath(path, scope, ctx.pid)
  return access === 'write' ? classifyWrite(normalized, scope, rules) : classifyRead(access, normalized, scope, rules)
}
