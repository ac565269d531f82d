#!/usr/bin/env node
// Regenerates docs/rules.md, docs/policy.md and docs/known-packages.md from the rule catalogue,
// the policy schema and the known-packages preset, so the docs cannot drift from the code and data.
// Run after `npm run build`: node scripts/gen-docs.mjs
import { readFileSync, writeFileSync } from 'node:fs'
import { ruleDocs, policyDocs } from '../dist/docs/generate.js'
import { knownPackagesDocs } from '../dist/docs/known-packages-docs.js'

const root = new URL('../', import.meta.url)
const readJson = (path) => JSON.parse(readFileSync(new URL(path, root), 'utf8'))
writeFileSync(new URL('docs/rules.md', root), ruleDocs())
writeFileSync(new URL('docs/policy.md', root), policyDocs(readJson('policies/policy.schema.json')))
writeFileSync(new URL('docs/known-packages.md', root), knownPackagesDocs(readJson('policies/known-packages.json')))
console.log('wrote docs/rules.md, docs/policy.md and docs/known-packages.md')
