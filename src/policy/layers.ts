import type { GrantOrigin, PinnedContent, Policy, PolicyEntry, PresetName } from './policy.js'

/** A package's grant as written in a policy file (policies/policy.schema.json). */
export interface GrantFields {
  readonly network?: readonly string[]
  readonly write?: readonly string[]
  readonly env?: readonly string[]
  readonly timeoutSec?: number
  readonly pin?: string
  readonly pinned?: PinnedContent
}

/** safe-install.policy.json, or the default and strict presets, as validated. */
export interface PolicyFile {
  readonly extends?: PresetName | readonly PresetName[]
  readonly unreviewed?: 'sandbox' | 'skip' | 'fail'
  readonly timeoutSec?: number
  readonly network?: { readonly allow?: readonly string[] }
  readonly env?: { readonly pass?: readonly string[] }
  readonly packages?: Readonly<Record<string, GrantFields>>
}

/** One curated entry of policies/known-packages.json (policies/known-packages.schema.json). */
export interface KnownPackage extends Omit<GrantFields, 'pin' | 'pinned'> {
  readonly versions?: string
  readonly skipWith?: readonly string[]
  readonly reason: string
  readonly source: string
  readonly note?: string
}

/** policies/known-packages.json. `shared` is documentation only: it is never granted. */
export interface KnownPackagesFile {
  readonly description?: string
  readonly packages: Readonly<Record<string, KnownPackage>>
  readonly shared?: Readonly<Record<string, Omit<KnownPackage, 'versions'>>>
}

/** One step of the merge: a preset or the user's own file, in `extends` order, the file last. */
export interface PolicyLayer {
  readonly unreviewed?: 'sandbox' | 'skip' | 'fail'
  readonly timeoutSec?: number
  readonly network: readonly string[]
  readonly envPass: readonly string[]
  readonly packages: Readonly<Record<string, PolicyEntry>>
}

const toEntry = (fields: GrantFields, origin: GrantOrigin): PolicyEntry => ({
  network: fields.network ?? [],
  write: fields.write ?? [],
  env: fields.env ?? [],
  ...(fields.timeoutSec === undefined ? {} : { timeoutSec: fields.timeoutSec }),
  ...(fields.pin === undefined ? {} : { pin: fields.pin }),
  ...(fields.pinned === undefined ? {} : { pinned: fields.pinned }),
  origin,
})

/** A policy file (the user's, or the default / strict preset) as a layer (pure). */
export const policyFileLayer = (file: PolicyFile, origin: GrantOrigin): PolicyLayer => ({
  ...(file.unreviewed === undefined ? {} : { unreviewed: file.unreviewed }),
  ...(file.timeoutSec === undefined ? {} : { timeoutSec: file.timeoutSec }),
  network: file.network?.allow ?? [],
  envPass: file.env?.pass ?? [],
  packages: Object.fromEntries(Object.entries(file.packages ?? {}).map(([key, fields]) => [key, toEntry(fields, origin)])),
})

/**
 * The known-packages preset as a layer (pure): per-package grants only, each carrying its preset
 * and version range; reason, source, skipWith and note stay in the data (docs/known-packages.md).
 */
export const knownPackagesLayer = (file: KnownPackagesFile, preset: PresetName): PolicyLayer => ({
  network: [],
  envPass: [],
  packages: Object.fromEntries(Object.entries(file.packages).map(([name, entry]) => [name, toEntry(
    { ...(entry.network === undefined ? {} : { network: entry.network }), ...(entry.write === undefined ? {} : { write: entry.write }),
      ...(entry.env === undefined ? {} : { env: entry.env }), ...(entry.timeoutSec === undefined ? {} : { timeoutSec: entry.timeoutSec }) },
    { kind: 'preset', preset, versions: entry.versions ?? null },
  )])),
})

/**
 * Merge layers in order (pure): lists (`network.allow`, `env.pass`) add up; `unreviewed` and
 * `timeoutSec` take the last layer that sets them; a package entry of a later layer replaces the
 * earlier one of the same key, so the user's own file can narrow a preset's entry.
 */
export const mergeLayers = (layers: readonly PolicyLayer[], source: string): Policy => {
  let unreviewed: PolicyLayer['unreviewed']
  let timeoutSec: number | undefined
  // No prototype: a package called "__proto__" or "constructor" is just a key.
  const packages = Object.create(null) as Record<string, PolicyEntry>
  for (const layer of layers) {
    unreviewed = layer.unreviewed ?? unreviewed
    timeoutSec = layer.timeoutSec ?? timeoutSec
    for (const [key, entry] of Object.entries(layer.packages)) packages[key] = entry
  }
  return {
    source,
    ...(unreviewed === undefined ? {} : { unreviewed }),
    timeoutSec: timeoutSec ?? DEFAULT_TIMEOUT_SEC,
    network: layers.flatMap((layer) => layer.network),
    envPass: layers.flatMap((layer) => layer.envPass),
    packages,
  }
}

/** The time limit of one hook when no layer sets one. */
export const DEFAULT_TIMEOUT_SEC = 600
