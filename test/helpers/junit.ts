/**
 * Checks of JUnit XML as CI services read it (GitLab's `artifacts:reports:junit`, Jenkins,
 * Azure): there is no normative schema, so these are the rules their parsers rely on.
 */
import { findAll, type XmlElement } from './xml.js'

const CASE_CHILDREN = new Set(['failure', 'error', 'skipped', 'system-out', 'system-err', 'properties'])

/**
 * Problems of a parsed JUnit document; `[]` when none: a `<testsuites>` (or one `<testsuite>`)
 * root, suites with a name and counts that match their cases, cases with name, classname, a
 * numeric time and only the children JUnit defines.
 */
export const junitProblems = (root: XmlElement): string[] => {
  const problems: string[] = []
  const suites = root.tag === 'testsuites' ? root.children.filter((c) => c.tag === 'testsuite') : root.tag === 'testsuite' ? [root] : []
  if (suites.length === 0) problems.push(`root <${root.tag}> holds no <testsuite>`)
  for (const suite of suites) {
    const cases = suite.children.filter((c) => c.tag === 'testcase')
    const count = (tag: string): number => cases.filter((c) => c.children.some((x) => x.tag === tag)).length
    for (const [attr, expected] of [['tests', cases.length], ['failures', count('failure')], ['errors', count('error')], ['skipped', count('skipped')]] as const) {
      if (suite.attrs[attr] !== undefined && Number(suite.attrs[attr]) !== expected) problems.push(`testsuite ${attr}=${suite.attrs[attr]} but ${expected} found`)
    }
    if (suite.attrs['name'] === undefined) problems.push('a testsuite without name')
    for (const c of cases) {
      if (!c.attrs['name'] || !c.attrs['classname']) problems.push(`a testcase without name or classname: ${JSON.stringify(c.attrs)}`)
      if (c.attrs['time'] !== undefined && !/^\d+(\.\d+)?$/.test(c.attrs['time'])) problems.push(`testcase time ${c.attrs['time']}`)
      const unknown = c.children.filter((x) => !CASE_CHILDREN.has(x.tag))
      if (unknown.length > 0) problems.push(`testcase children ${unknown.map((x) => x.tag).join(',')}`)
    }
  }
  return problems
}

/** `classname name` of every test case with a `<failure>`, in document order. */
export const failingCases = (root: XmlElement): string[] =>
  findAll(root, 'testcase').filter((c) => c.children.some((x) => x.tag === 'failure')).map((c) => `${c.attrs['classname']} ${c.attrs['name']}`)
