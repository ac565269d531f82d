#!/usr/bin/env node
// Regenerates docs/rules.md and docs/policy.md from the rule catalogue and the policy schema,
// so the docs cannot drift from the code. Run after `npm run build`: node scripts/gen-docs.mjs
import { readFileSync, writeFileSync } from 'node:fs'
import { ruleDocs, policyDocs } from '../dist/docs/generate.js'

const root = new URL('../', import.meta.url)
writeFileSync(new URL('docs/rules.md', root), ruleDocs())
const schema = JSON.parse(readFileSync(new URL('policies/policy.schema.json', root), 'utf8'))
writeFileSync(new URL('docs/policy.md', root), policyDocs(schema))
console.log('wrote docs/rules.md and docs/policy.md')
