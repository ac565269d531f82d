/**
 * Every relative link in the README, docs/ and examples/ leads somewhere: the file or folder
 * exists in the checkout and, for a link into a Markdown file with `#anchor`, the heading exists
 * (GitHub's anchor rules). A renamed doc or heading fails here rather than on a reader.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../helpers/fixtures.js'

const markdownFiles = (): string[] => {
  const out = ['README.md']
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name)
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'vendor') walk(rel)
      else if (entry.isFile() && entry.name.endsWith('.md')) out.push(rel)
    }
  }
  for (const dir of ['docs', 'examples', 'bench']) walk(dir)
  return out
}

/** GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces to `-`, repeats numbered. */
const anchorsOf = (markdown: string): Set<string> => {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading?.[1] === undefined) continue
    const text = heading[1].replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '')
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

/** `[text](target)` links outside code, relative ones only. */
const relativeLinks = (markdown: string): Array<{ target: string; line: number }> => {
  const links: Array<{ target: string; line: number }> = []
  let fenced = false
  for (const [index, line] of markdown.split('\n').entries()) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    if (fenced) continue
    const prose = line.replace(/`[^`]*`/g, '')
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]!
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ target, line: index + 1 })
    }
  }
  return links
}

describe('links in the documentation', () => {
  const files = markdownFiles()

  it('finds the documents and their links', () => {
    expect(files.length).toBeGreaterThan(15)
    expect(files.flatMap((f) => relativeLinks(readFileSync(path.join(REPO_ROOT, f), 'utf8'))).length).toBeGreaterThan(50)
  })

  it('every relative link leads to a file or folder of the checkout, and to a heading of it when it names one', () => {
    const broken: string[] = []
    for (const file of files) {
      const markdown = readFileSync(path.join(REPO_ROOT, file), 'utf8')
      for (const { target, line } of relativeLinks(markdown)) {
        const [where = '', anchor] = target.split('#')
        const resolved = where === '' ? path.join(REPO_ROOT, file) : path.resolve(REPO_ROOT, path.dirname(file), decodeURIComponent(where))
        const shown = `${file}:${line}: ${target}`
        if (!resolved.startsWith(REPO_ROOT + path.sep) || !existsSync(resolved)) {
          broken.push(`${shown} (no such file)`)
          continue
        }
        if (anchor !== undefined && anchor !== '' && statSync(resolved).isFile() && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push(`${shown} (no such heading)`)
        }
      }
    }
    expect(broken).toEqual([])
  })

  it('the anchor rules are GitHub\'s', () => {
    expect([...anchorsOf('# Getting started\n## `--junit` (CI)\n## Limits\n## Limits\n```\n# not a heading\n```\n')]).toEqual(['getting-started', '--junit-ci', 'limits', 'limits-1'])
  })
})
