import { describe, expect, it } from 'vitest'
import { diagnose, summarise } from '../../../src/doctor/diagnose.js'
import { renderDoctorJson, renderDoctorText } from '../../../src/doctor/render.js'
import type { DoctorInput, DoctorResult } from '../../../src/doctor/types.js'
import { validateDoctor } from '../../helpers/doctor-schema.js'
import { healthyFacts, healthyInput, noUsernsInput, withSysctl } from './inputs.js'


const resultOf = (input: DoctorInput, strict: Parameters<typeof summarise>[0]['strict'] = { kind: 'pass' }): DoctorResult => ({
  schemaVersion: 1,
  tool: { name: 'safe-install', version: '0.1.0' },
  command: 'doctor',
  host: input.facts,
  checks: diagnose(input),
  isolation: input.isolation,
  sandbox: summarise({
    isolation: input.isolation, transparentCapture: input.isolation.backend === 'bwrap',
    degraded: strict.kind === 'fail' ? { reason: 'no namespaces', fix: 'enable them' } : undefined, strict,
  }),
})

const healthy = resultOf(healthyInput())
const broken = resultOf(noUsernsInput(withSysctl(healthyFacts(), { 'kernel.unprivileged_userns_clone': '0' })),
  { kind: 'fail', reason: 'the namespace sandbox could not be set up: no namespaces', fix: 'enable them' })

describe('renderDoctorText', () => {
  it('without colour: the status as a word, aligned, no escape codes', () => {
    const text = renderDoctorText(healthy, { color: false, verbose: false })
    expect(text).not.toMatch(/\u001b/)
    expect(text.split('\n')[0]).toBe('safe-install doctor: linux 6.8.0 x64, uid 1000')
    expect(text).toContain('\nok user namespaces   a user namespace was created')
    expect(text).toContain('\nok network namespace bwrap: only loopback inside')
    expect(text).toContain('an install here gets isolation: bwrap (network namespace, filesystem namespace, pid namespace, tracer strace)')
    expect(text).toContain('  --require-isolation: an install with it runs here')
    expect(text).not.toContain('gives:')
  })
  it('with colour: ✓ ! ✗ marks', () => {
    const text = renderDoctorText(broken, { color: true, verbose: false })
    expect(text).toMatch(/\u001b\[31m✗\u001b\[39m \u001b\[1muser namespaces/)
    expect(text).toMatch(/\u001b\[32m✓/)
  })
  it('a missing layer: what it gives, why and each fix indented; one cause is explained once', () => {
    const text = renderDoctorText(broken, { color: false, verbose: false })
    const lines = text.split('\n')
    const at = lines.findIndex((l) => l.startsWith('missing user namespaces'))
    expect(lines.slice(at + 1, at + 5)).toEqual([
      `    gives: ${broken.checks[0]?.gives ?? ''}`,
      '    why: kernel.unprivileged_userns_clone is 0: this kernel forbids user namespaces to ordinary users',
      '    fix: sudo sysctl -w kernel.unprivileged_userns_clone=1',
      '    fix: echo kernel.unprivileged_userns_clone=1 | sudo tee /etc/sysctl.d/90-safe-install.conf   # keeps it after a reboot',
    ])
    expect(text.match(/fix: sudo sysctl -w kernel.unprivileged_userns_clone=1/g)).toHaveLength(1)
    expect(text).toContain('    why: as for user namespaces above')
    expect(text).toContain('  gap: network: proxy variables only')
    expect(text).toContain('--require-isolation: an install with it stops here (exit 4): the namespace sandbox could not be set up (the warning above)')
  })
  it('verbose says what every layer gives', () => {
    expect(renderDoctorText(healthy, { color: false, verbose: true }).match(/ {4}gives: /g)).toHaveLength(healthy.checks.length)
  })
  it('strips control sequences that a probe\'s stderr could carry', () => {
    const input = healthyInput({ netns: { kind: 'failed', error: 'bwrap: \u001b]0;pwned\u0007evil\u001b[2J' } })
    const text = renderDoctorText(resultOf(input), { color: false, verbose: false })
    expect(text).not.toMatch(/\u001b|\u0007/)
    expect(text).toContain('bwrap: evil')
  })
})

describe('renderDoctorJson', () => {
  it('is valid against schemas/doctor.schema.json, healthy or broken', () => {
    for (const result of [healthy, broken]) {
      const parsed = JSON.parse(renderDoctorJson(result)) as unknown
      expect(validateDoctor(parsed), JSON.stringify(validateDoctor.errors)).toBe(true)
    }
  })
  it('the schema rejects a wrong shape (an unknown status, a missing field)', () => {
    const wrong = JSON.parse(renderDoctorJson(healthy)) as { checks: Array<Record<string, unknown>>; sandbox: Record<string, unknown> }
    wrong.checks[0] = { ...wrong.checks[0], status: 'fine' }
    expect(validateDoctor(wrong)).toBe(false)
    const missing = JSON.parse(renderDoctorJson(healthy)) as { sandbox: Record<string, unknown> }
    delete missing.sandbox['requireIsolation']
    expect(validateDoctor(missing)).toBe(false)
  })
})
