import { describe, expect, it } from 'vitest'
import { renderText } from '../../../src/report/text.js'
import { noIsolation, sampleReport } from './sample-report.js'

const plain = { color: false, verbose: false }

describe('renderText', () => {
  it('starts with the command, the mode and the isolation really in force', () => {
    const [header, isolation] = renderText(sampleReport(), plain).split('\n')
    expect(header).toBe('safe-install install · mode enforce · 8.4s')
    expect(isolation).toBe('isolation: bwrap (network namespace, filesystem namespace, pid namespace, tracer strace)')
  })

  it('says honestly when there is no namespace sandbox, and what that leaves open', () => {
    const text = renderText(sampleReport({ isolation: noIsolation, mode: 'report' }), plain)
    const lines = text.split('\n')
    expect(lines[0]).toBe('safe-install install · mode report (violations recorded, not blocked) · 8.4s')
    expect(lines[1]).toBe('isolation: none (env scrub, decoy home and egress proxy variables only; no namespace sandbox on this machine; tracer none)')
    expect(text).toContain('! network: proxy variables only; a script that ignores them can connect directly')
    expect(text).toContain('! tracer: none; file and exec activity of scripts was not recorded')
    expect(text).not.toContain('safe-install doctor')
  })

  it('says what the preload observer cannot see when it is the tracer', () => {
    const text = renderText(sampleReport({ isolation: { ...noIsolation, tracer: 'preload' } }), plain)
    expect(text.split('\n')[1]).toContain('tracer preload)')
    expect(text).toContain('! tracer: preload; only what node code did through node\'s own APIs was recorded')
    expect(text).not.toContain('tracer: none')
  })

  it('does not claim isolation for an offline audit', () => {
    expect(renderText(sampleReport({ command: 'audit' }), plain)).toContain(
      'isolation: not needed (offline review; no package code was run)',
    )
  })

  it('prints a table of the scripts: package, hook, outcome, time and findings', () => {
    const text = renderText(sampleReport(), plain)
    expect(text).toContain(
      [
        'Install scripts',
        '  package          hook         outcome  time   findings',
        '  esbuild@0.25.12  postinstall  ok       1.2s   1 note',
        '  evil-pkg@1.0.3   preinstall   blocked  310ms  2 errors',
        '      $ node steal.js',
        '  sharp@0.33.5     install      skipped         1 warning',
        '      $ node install/check',
        '  my-app@1.0.0     prepare      ok       2.4s   1 warning',
      ].join('\n'),
    )
  })

  it('names a package once for its several hooks, and counts findings per hook', () => {
    const report = sampleReport()
    const esbuild = report.packages[0]!
    const text = renderText(sampleReport({
      packages: [{ ...esbuild, scripts: [{ ...esbuild.scripts[0]!, event: 'preinstall' }, { ...esbuild.scripts[0]!, outcome: 'failed', exitCode: 1 }] }],
      findings: [
        { ...report.findings[0]!, package: { name: 'esbuild', version: '0.25.12', location: 'node_modules/esbuild' }, event: 'postinstall' },
        { ...report.findings[0]!, package: { name: 'esbuild', version: '0.25.12', location: 'node_modules/esbuild' }, event: 'postinstall', severity: 'warning' },
      ],
    }), plain)
    expect(text).toContain(
      [
        '  package          hook         outcome  time  findings',
        '  esbuild@0.25.12  preinstall   ok       1.2s  -',
        '                   postinstall  failed   1.2s  1 error, 1 warning',
      ].join('\n'),
    )
  })

  it('strips an escape sequence injected into a package-provided command, name and message', () => {
    const report = sampleReport()
    const hostile = sampleReport({
      packages: [
        {
          ...report.packages[1]!,
          name: 'evil\u001b[2K-pkg',
          scripts: [{ ...report.packages[1]!.scripts[0]!, command: 'node x.js\u001b[2K\r\u001b[32mall good\u001b[0m\nfake line' }],
        },
      ],
      findings: [{ ...report.findings[0]!, message: 'read ~/.npmrc\u001b]0;title\u0007.' }],
    })
    for (const verbose of [false, true]) {
      const text = renderText(hostile, { color: false, verbose })
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
      expect(text).toContain('      $ node x.jsall good fake line')
      expect(text).toContain('  evil-pkg@1.0.3  preinstall  blocked  310ms  -')
      expect(text).toContain('read ~/.npmrc.')
    }
  })

  it('groups findings by severity, each naming its package and hook and ending with the command to run', () => {
    const text = renderText(sampleReport(), plain)
    expect(text).toContain(
      [
        'Errors (2)',
        '  credential-read [blocked]  preinstall of evil-pkg@1.0.3 read ~/.npmrc; it only found a decoy.',
        '    deny with: safe-install policy deny evil-pkg',
        '  egress-blocked [blocked]  preinstall of evil-pkg@1.0.3 tried to POST to collector.example.test:80, which the policy does not allow.',
        '    deny with: safe-install policy deny evil-pkg',
        '',
        'Warnings (2)',
        '  unreviewed-script [blocked]  install of sharp@0.33.5 was not run: it has no allowScripts entry.',
        '    approve with: safe-install policy approve sharp',
        '  static-curl-pipe-shell  my-app@1.0.0 prepare: The prepare script pipes a download into a shell.',
        '',
        'Notes (1)',
        '  install-script  esbuild@0.25.12 has a postinstall script.',
      ].join('\n'),
    )
  })

  it('shows evidence only when verbose', () => {
    expect(renderText(sampleReport(), plain)).not.toContain('syscall')
    const verbose = renderText(sampleReport(), { color: false, verbose: true })
    expect(verbose).toContain('      syscall: openat')
    expect(verbose).toContain('      request: {"method":"POST","path":"/upload"}')
    expect(verbose).toContain('      $ node install.js')
  })

  it('ends with the counts and next steps for unreviewed skipped scripts', () => {
    const text = renderText(sampleReport(), plain)
    expect(text).toContain('2 scripts run, 1 skipped, 0 failed, 1 blocked · 2 errors, 2 warnings, 1 note\n')
    expect(text.endsWith(
      [
        'Next steps',
        '  These install scripts were skipped because nobody has reviewed them:',
        '    sharp@0.33.5  install',
        '  Read each script, then approve or deny it: safe-install policy approve sharp (or safe-install policy deny)',
        '  Then run the approved ones, sandboxed: safe-install rebuild sharp',
        '',
      ].join('\n'),
    )).toBe(true)
  })

  it('has no next steps when nothing waits for review', () => {
    const report = sampleReport()
    const text = renderText(sampleReport({ packages: report.packages.filter((pkg) => pkg.name !== 'sharp') }), plain)
    expect(text).not.toContain('Next steps')
    expect(text).toContain('2 scripts run, 0 skipped, 0 failed, 1 blocked')
  })

  it('says so when no package has install scripts', () => {
    expect(renderText(sampleReport({ packages: [] }), plain)).toContain('\nNo install scripts.\n')
  })

  it('colours only when asked', () => {
    expect(renderText(sampleReport(), plain)).not.toContain('\u001b')
    const coloured = renderText(sampleReport(), { color: true, verbose: false })
    expect(coloured).toContain('\u001b[31mblocked\u001b[39m')
    expect(coloured).toContain('\u001b[36msafe-install policy approve sharp\u001b[39m')
  })
})
