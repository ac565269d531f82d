/**
 * Publishes safe-install's own runtime dependency tree (the non-dev entries of package-lock.json)
 * into a local test registry, so that the packed tarball can be installed the way a user installs
 * it (`npm install -g`, `npx`) without any network: Verdaccio has no uplinks, and every tarball
 * comes from npm's own cache, looked up by the lockfile's integrity (the cache `npm ci` filled).
 * A package missing from the cache is packed from the installed copy in node_modules instead
 * (same files, other bytes); the result says how many were.
 */
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import * as path from 'node:path'
import cacache from 'cacache'
import semver from 'semver'
import { create as createTar } from 'tar'
import { readTarball } from '../../src/audit/cached.js'
import { assertLoopback, type RegistryInfo } from './registry.js'

export interface RuntimePackage {
  readonly name: string
  readonly version: string
  readonly integrity: string
  /** The lockfile key, e.g. node_modules/@npmcli/agent or node_modules/node-gyp/node_modules/undici. */
  readonly location: string
}

interface LockEntry {
  name?: string
  version?: string
  integrity?: string
  resolved?: string
  dev?: boolean
  devOptional?: boolean
  link?: boolean
  inBundle?: boolean
}

/** The entries a production install needs: registry packages that are neither dev nor dev-optional. */
export const runtimePackages = (lock: { packages: Record<string, LockEntry> }): RuntimePackage[] =>
  Object.entries(lock.packages)
    .filter(([key, entry]) => key.startsWith('node_modules/') && entry.dev !== true && entry.devOptional !== true
      && entry.link !== true && entry.inBundle !== true)
    .map(([key, entry]) => {
      if (entry.version === undefined || entry.integrity === undefined) throw new Error(`${key}: no version or integrity in package-lock.json`)
      const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)
      return { name, version: entry.version, integrity: entry.integrity, location: key }
    })

const packInstalled = async (dir: string): Promise<Buffer> => {
  const entries = readdirSync(dir).filter((name) => name !== 'node_modules')
  const chunks: Buffer[] = []
  const stream = createTar({ gzip: true, cwd: dir, prefix: 'package', portable: true }, entries)
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const tarballOf = async (pkg: RuntimePackage, cache: string, repoRoot: string): Promise<{ data: Buffer; from: 'cache' | 'node_modules' }> => {
  if (await cacache.get.hasContent(cache, pkg.integrity)) {
    return { data: await cacache.get.byDigest(cache, pkg.integrity), from: 'cache' }
  }
  return { data: await packInstalled(path.join(repoRoot, pkg.location)), from: 'node_modules' }
}

const encodeName = (name: string): string => name.replace('/', '%2f')

/** One `npm publish` of one version, as HTTP: the manifest from the tarball, the tarball's own bytes. */
const publishVersion = async (reg: Pick<RegistryInfo, 'url' | 'token'>, name: string, data: Buffer): Promise<void> => {
  const files = await readTarball(data)
  const manifestBytes = files.get('package.json')?.data
  if (manifestBytes === undefined) throw new Error(`${name}: the tarball has no package.json`)
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Record<string, unknown> & { version: string }
  const filename = `${name.split('/').pop() ?? name}-${manifest.version}.tgz`
  const dist = {
    tarball: new URL(`${encodeName(name)}/-/${filename}`, reg.url).href,
    shasum: createHash('sha1').update(data).digest('hex'),
    integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
  }
  const body = {
    _id: name,
    name,
    'dist-tags': { latest: manifest.version },
    versions: { [manifest.version]: { ...manifest, name, _id: `${name}@${manifest.version}`, dist } },
    access: null,
    _attachments: { [filename]: { content_type: 'application/octet-stream', data: data.toString('base64'), length: data.length } },
  }
  const res = await fetch(new URL(encodeName(name), reg.url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(reg.token === undefined ? {} : { authorization: `Bearer ${reg.token}` }) },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`publish ${name}@${manifest.version}: HTTP ${res.status} ${await res.text()}`)
}

/**
 * Publishes every runtime package of `repoRoot`'s package-lock.json to `reg` (each version in
 * ascending order, so `latest` ends on the highest), a few names at a time.
 */
export const publishRuntimeTree = async (
  reg: Pick<RegistryInfo, 'url' | 'token'>,
  options: { readonly repoRoot: string; readonly npmCache: string },
): Promise<{ readonly packages: number; readonly fromCache: number; readonly repacked: string[] }> => {
  assertLoopback(reg.url)
  const lock = JSON.parse(await readFile(path.join(options.repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const byName = new Map<string, RuntimePackage[]>()
  for (const pkg of runtimePackages(lock)) {
    const list = byName.get(pkg.name) ?? []
    if (!list.some((other) => other.version === pkg.version)) list.push(pkg)
    byName.set(pkg.name, list)
  }
  const cache = path.join(options.npmCache, '_cacache')
  const repacked: string[] = []
  let fromCache = 0
  const queue = [...byName.entries()]
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [name, versions] = next
      for (const pkg of versions.sort((a, b) => semver.compare(a.version, b.version))) {
        const { data, from } = await tarballOf(pkg, cache, options.repoRoot)
        if (from === 'cache') fromCache += 1
        else repacked.push(`${name}@${pkg.version}`)
        await publishVersion(reg, name, data)
      }
    }
  }
  await Promise.all(Array.from({ length: 6 }, worker))
  return { packages: [...byName.values()].reduce((n, list) => n + list.length, 0), fromCache, repacked }
}
