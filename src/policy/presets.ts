import { readFileSync } from 'node:fs'
import { knownPackagesLayer, policyFileLayer, type KnownPackagesFile, type PolicyFile, type PolicyLayer } from './layers.js'
import type { PresetName } from './policy.js'

/** policies/ of the safe-install package: presets, their schemas and data. */
export const POLICIES_DIR = new URL('../../policies/', import.meta.url)

const readJson = (file: string): unknown => JSON.parse(readFileSync(new URL(file, POLICIES_DIR), 'utf8'))

/** policies/known-packages.json as shipped (its schema is checked by the tests, not at run time). */
export const readKnownPackages = (): KnownPackagesFile => readJson('known-packages.json') as KnownPackagesFile

/** A shipped preset as one layer of the merge. */
export const readPreset = (name: PresetName): PolicyLayer => {
  switch (name) {
    case 'default':
    case 'strict':
      return policyFileLayer(readJson(`${name}.json`) as PolicyFile, { kind: 'preset', preset: name, versions: null })
    case 'known-packages':
      return knownPackagesLayer(readKnownPackages(), name)
  }
}

/** The presets a file builds on, in order: `extends` as written, else `default`. */
export const presetsOf = (file: PolicyFile): readonly PresetName[] => {
  const named = file.extends ?? 'default'
  return typeof named === 'string' ? [named] : named
}
