/**
 * Every action our examples and docs tell users to run is pinned to a full commit SHA with its
 * release in a comment: a tag can be moved to other code (as in the tj-actions/changed-files
 * compromise), a commit cannot. Local actions (`./...`) and docker:// images are not GitHub refs.
 */
import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../helpers/fixtures.js'

const files = (dir: string, ends: RegExp): string[] =>
  readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && ends.test(e.name) && !e.parentPath.includes('node_modules'))
    .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)))

describe('GitHub actions in examples and docs', () => {
  const places = [...files('examples', /\.ya?ml$|\.md$/), ...files('docs', /\.md$/), 'README.md']
  const uses = places.flatMap((file) => readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n').flatMap((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line)
    return match === null ? [] : [{ where: `${file}:${index + 1}`, ref: match[1]!, comment: match[2]!.trim() }]
  }))

  it('finds the workflow steps', () => {
    expect(uses.length).toBeGreaterThanOrEqual(6)
  })

  it('pins each to a 40-hex commit with the release named in a comment', () => {
    const loose = uses
      .filter((u) => !u.ref.startsWith('./') && !u.ref.startsWith('docker://'))
      .filter((u) => !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(u.ref) || !/^# v\d+(\.\d+){0,2}$/.test(u.comment))
      .map((u) => `${u.where}: ${u.ref} ${u.comment}`)
    expect(loose).toEqual([])
  })
})
