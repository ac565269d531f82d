import { describe, expect, it } from 'vitest'
import {
  mountAttemptCommand, netAttemptCommand, parseNetOutput, parsePidOutput, pidAttemptCommand, usernsAttemptCommand,
} from '../../../src/doctor/attempt-argv.js'
import type { NamespaceTool } from '../../../src/doctor/types.js'

const bwrap: NamespaceTool = { kind: 'bwrap', path: '/usr/bin/bwrap' }
const unshare: NamespaceTool = { kind: 'unshare', path: '/usr/bin/unshare', user: true }

describe('attempt commands (data)', () => {
  it('bwrap: user namespace when possible, the one namespace under test, root read-only', () => {
    const net = netAttemptCommand(bwrap, '/opt/node/bin/node')
    expect(net.file).toBe('/usr/bin/bwrap')
    expect(net.args.slice(0, net.args.indexOf('--'))).toEqual([
      '--die-with-parent', '--unshare-user-try', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-net',
    ])
    expect(net.args.slice(net.args.indexOf('--') + 1, net.args.indexOf('--') + 3)).toEqual(['/opt/node/bin/node', '-e'])
    expect(pidAttemptCommand(bwrap).args).toContain('--unshare-pid')
    expect(pidAttemptCommand(bwrap).args).not.toContain('--unshare-net')
  })
  it('paths travel as arguments, never inside the script', () => {
    const scratch = '/tmp/x y/$(touch z)'
    for (const tool of [bwrap, unshare]) {
      const mount = mountAttemptCommand(tool, scratch)
      expect(mount.args.at(-1)).toBe(scratch)
      expect(mount.args.filter((arg) => arg.includes('touch z')).every((arg) => arg === scratch)).toBe(true)
    }
    const net = netAttemptCommand(unshare, '/n o/node')
    expect(net.args.slice(-2)[0]).toBe('/n o/node')
    expect(net.args).toContain('ip link set lo up && exec "$0" -e "$1"')
  })
  it('unshare: as root of a user namespace unless told otherwise; pid with its own /proc', () => {
    expect(pidAttemptCommand(unshare).args.slice(0, 8)).toEqual(['--user', '--map-root-user', '--pid', '--fork', '--kill-child', '--mount', '--mount-proc', '--'])
    expect(mountAttemptCommand({ ...unshare, user: false }, '/s').args.slice(0, 4)).toEqual(['--mount', '--propagation', 'private', '--'])
    expect(usernsAttemptCommand(unshare).args).toEqual(['--user', '--map-root-user', '--', '/bin/sh', '-c', 'true'])
    expect(usernsAttemptCommand(bwrap).args[0]).toBe('--unshare-user')
  })
})

describe('attempt output', () => {
  it('net: interface names and loopback; anything else is rejected', () => {
    expect(parseNetOutput('{"interfaces":["lo"],"loopback":true}')).toEqual({ interfaces: ['lo'], loopback: true })
    expect(parseNetOutput('{"interfaces":"lo","loopback":true}')).toBeUndefined()
    expect(parseNetOutput('bwrap: oops')).toBeUndefined()
  })
  it('pid: a different namespace link than the caller\'s and the process count', () => {
    expect(parsePidOutput('pid:[4026532300]\n4\n', 'pid:[4026531836]')).toEqual({ newNamespace: true, visibleProcesses: 4 })
    expect(parsePidOutput('pid:[4026531836]\n250\n', 'pid:[4026531836]')).toEqual({ newNamespace: false, visibleProcesses: 250 })
    expect(parsePidOutput('garbage', 'pid:[1]')).toBeUndefined()
  })
})
