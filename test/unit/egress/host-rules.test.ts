import { describe, expect, it } from 'vitest'
import { decideEgress, isMetadataHost, normalizeHost, parseGrant, parseGrants, type HostGrant } from '../../../src/egress/host-rules.js'
import { classifyAddress, parseIPv4, parseIPv6 } from '../../../src/egress/ip-address.js'
import { decideResolved } from '../../../src/egress/resolved-rules.js'

const grants = (...texts: string[]): HostGrant[] => {
  const parsed = parseGrants(texts)
  expect(parsed.invalid).toEqual([])
  return parsed.grants
}

describe('parseIPv4 (inet_aton forms, THREATS item 27)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'], ['127.1', '127.0.0.1'], ['127.0.1', '127.0.0.1'], ['2130706433', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'], ['0x7f.1', '127.0.0.1'], ['0x7f000001', '127.0.0.1'], ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'], ['0', '0.0.0.0'], ['0x', '0.0.0.0'], ['0xa9fea9fe', '169.254.169.254'],
    ['2852039166', '169.254.169.254'], ['0251.0376.0251.0376', '169.254.169.254'], ['4294967295', '255.255.255.255'],
  ])('%s is %s', (text, canonical) => {
    expect(parseIPv4(text)?.text).toBe(canonical)
  })

  it.each(['256.0.0.1', '1.2.3.4.5', '4294967296', '09.0.0.1', '1..2', '', 'a.b.c.d', '1.2.3.256', '1.16777216', '0x1g'])('%s is not an address', (text) => {
    expect(parseIPv4(text)).toBeNull()
  })
})

describe('parseIPv6', () => {
  it.each([
    ['::1', '::1'], ['0:0:0:0:0:0:0:1', '::1'], ['::ffff:127.0.0.1', '::ffff:7f00:1'], ['FD00:EC2::254', 'fd00:ec2::254'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['::', '::'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('%s is %s', (text, canonical) => {
    expect(parseIPv6(text)?.text).toBe(canonical)
  })

  it.each(['fe80::1%eth0', ':::1', '1::2::3', '12345::', '[::1]', '127.0.0.1'])('%s is refused', (text) => {
    expect(parseIPv6(text)).toBeNull()
  })
})

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['0.0.0.0', 'unspecified'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'], ['172.32.0.1', 'public'], ['192.168.1.1', 'private'], ['100.64.0.1', 'private'],
    ['169.254.1.1', 'link-local'], ['169.254.169.254', 'metadata'], ['169.254.170.2', 'metadata'], ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'], ['255.255.255.255', 'reserved'], ['8.8.8.8', 'public'],
    ['::1', 'loopback'], ['::', 'unspecified'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'], ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'], ['fd00:ec2::254', 'metadata'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:169.254.169.254', 'metadata'],
    ['::127.0.0.1', 'loopback'], ['64:ff9b::a9fe:a9fe', 'metadata'], ['2002:7f00:1::', 'loopback'], ['2001:0:1:2:3:4:80ff:fefe', 'loopback'],
    ['ff02::1', 'multicast'], ['2606:4700::1', 'public'],
  ])('%s is %s', (text, category) => {
    const ip = parseIPv4(text) ?? parseIPv6(text)
    expect(ip).not.toBeNull()
    if (ip !== null) expect(classifyAddress(ip).category).toBe(category)
  })
})

describe('normalizeHost', () => {
  it.each([
    ['EXAMPLE.test.', { kind: 'name', name: 'example.test' }],
    ['Bücher.example', { kind: 'name', name: 'xn--bcher-kva.example' }],
    ['localhost.', { kind: 'name', name: 'localhost' }],
    ['[::1]', { kind: 'address', ip: { family: 6, text: '::1', bytes: [...Array<number>(15).fill(0), 1] } }],
    ['１２７.０.０.１', { kind: 'address', ip: { family: 4, text: '127.0.0.1', bytes: [127, 0, 0, 1] } }],
    ['127.0.0.%31', { kind: 'address', ip: { family: 4, text: '127.0.0.1', bytes: [127, 0, 0, 1] } }],
    ['a b', { kind: 'invalid', reason: 'invalid host name "a b"' }],
    ['', { kind: 'invalid', reason: 'invalid host name ""' }],
    ['evil\n.test', { kind: 'invalid', reason: 'invalid host name "evil\\n.test"' }],
    ['fe80::1%eth0', { kind: 'invalid', reason: 'invalid host name "fe80::1%eth0"' }],
  ])('%s', (raw, expected) => {
    expect(normalizeHost(raw)).toEqual(expected)
  })
})

describe('parseGrant', () => {
  it.each([
    ['example.test', { kind: 'name', name: 'example.test', port: null, text: 'example.test' }],
    ['Example.TEST.:8443', { kind: 'name', name: 'example.test', port: 8443, text: 'Example.TEST.:8443' }],
    ['*.example.test', { kind: 'wildcard', suffix: 'example.test', port: null, text: '*.example.test' }],
    ['*.example.test:443', { kind: 'wildcard', suffix: 'example.test', port: 443, text: '*.example.test:443' }],
    ['127.0.0.1', { kind: 'address', address: '127.0.0.1', port: null, text: '127.0.0.1' }],
    ['127.1:8080', { kind: 'address', address: '127.0.0.1', port: 8080, text: '127.1:8080' }],
    ['[::1]:8080', { kind: 'address', address: '::1', port: 8080, text: '[::1]:8080' }],
    ['::1', { kind: 'address', address: '::1', port: null, text: '::1' }],
  ])('%s', (text, grant) => {
    expect(parseGrant(text)).toEqual({ kind: 'ok', grant })
  })

  it.each([
    ['*', 'would grant every host; list the hosts instead'], ['*:443', 'would grant every host; list the hosts instead'], ['*.127.0.0.1', 'puts a wildcard on an IP address'],
    ['a.*.test', 'may only start with "*." as a wildcard'], ['host.test:0', 'has an invalid port'],
    ['host.test:65536', 'has an invalid port'], ['host.test:http', 'has an invalid port'], ['[::1', 'is not a host name or IP address'],
    ['exa mple.test', 'is not a host name or IP address'], ['[::1]x', 'has an invalid port'],
  ])('%s is refused: %s', (text, why) => {
    expect(parseGrant(text)).toEqual({ kind: 'invalid', reason: `network grant "${text}" ${why}` })
  })
})

const LOOPBACK_REASON = 'loopback address 127.0.0.1 is not reachable unless granted by that exact address'
const IMDS_REASON = 'metadata endpoint 169.254.169.254 is never reachable from install scripts'

describe('decideEgress with no grants: every address form of THREATS item 27 is denied', () => {
  it.each([
    ['127.0.0.1', LOOPBACK_REASON], ['127.1', LOOPBACK_REASON], ['2130706433', LOOPBACK_REASON], ['0x7f.0.0.1', LOOPBACK_REASON],
    ['0177.0.0.1', LOOPBACK_REASON], ['127.0.0.1.', LOOPBACK_REASON],
    ['[::1]', 'loopback address ::1 is not reachable unless granted by that exact address'],
    ['::ffff:127.0.0.1', 'loopback address ::ffff:7f00:1 (127.0.0.1) is not reachable unless granted by that exact address'],
    ['localhost.', 'loopback host localhost is not reachable unless granted by that exact name'],
    ['LOCALHOST', 'loopback host localhost is not reachable unless granted by that exact name'],
    ['0.0.0.0', 'unspecified address 0.0.0.0 is not reachable unless granted by that exact address'],
    ['10.0.0.1', 'private-network address 10.0.0.1 is not reachable unless granted by that exact address'],
    ['[fd12::1]', 'private-network address fd12::1 is not reachable unless granted by that exact address'],
    ['169.254.1.1', 'link-local address 169.254.1.1 is not reachable unless granted by that exact address'],
    ['fe80::1', 'link-local address fe80::1 is not reachable unless granted by that exact address'],
    ['169.254.169.254', IMDS_REASON], ['0xa9fea9fe', IMDS_REASON], ['2852039166', IMDS_REASON],
    ['[::ffff:169.254.169.254]', 'metadata endpoint ::ffff:a9fe:a9fe (169.254.169.254) is never reachable from install scripts'],
    ['[fd00:ec2::254]', 'metadata endpoint fd00:ec2::254 is never reachable from install scripts'],
    ['metadata.google.internal.', 'metadata endpoint metadata.google.internal is never reachable from install scripts'],
    ['METADATA', 'metadata endpoint metadata is never reachable from install scripts'],
    ['instance-data', 'metadata endpoint instance-data is never reachable from install scripts'],
    ['8.8.8.8', 'address 8.8.8.8 is not granted (a wildcard never grants an IP address)'],
    ['example.test', "host example.test is not in this package's network grants"],
    ['a b', 'invalid host name "a b"'],
  ])('%s', (host, reason) => {
    const decision = decideEgress({ host, port: 80 }, [])
    expect(decision.kind).toBe('deny')
    if (decision.kind === 'deny') expect(decision.reason).toBe(reason)
  })
})

describe('decideEgress with grants', () => {
  it.each([
    [['127.0.0.1'], '127.0.0.1', 80, 'allow', '127.0.0.1'],
    [['127.0.0.1'], '127.1', 80, 'allow', '127.0.0.1'],
    [['127.0.0.1'], '::ffff:127.0.0.1', 80, 'deny', 'loopback'],
    [['127.0.0.1'], 'localhost', 80, 'deny', 'loopback'],
    [['localhost'], 'localhost.', 3000, 'allow', 'localhost'],
    [['localhost'], '127.0.0.1', 3000, 'deny', 'loopback'],
    [['[::1]:8080'], '::1', 8080, 'allow', '[::1]:8080'],
    [['[::1]:8080'], '[::1]', 8081, 'deny', 'not-granted'],
    [['*.example.test'], 'cdn.example.test', 443, 'allow', '*.example.test'],
    [['*.example.test'], 'A.B.Example.Test.', 443, 'allow', '*.example.test'],
    [['*.example.test'], 'example.test', 443, 'deny', 'not-granted'],
    [['*.example.test'], 'evilexample.test', 443, 'deny', 'not-granted'],
    [['*.example.test'], '93.184.216.34', 443, 'deny', 'not-granted'],
    [['*.internal'], 'build.internal', 443, 'allow', '*.internal'],
    [['*.internal'], 'metadata.google.internal', 80, 'deny', 'metadata'],
    [['*.internal'], '169.254.169.254', 80, 'deny', 'metadata'],
    [['*.localhost'], 'app.localhost', 80, 'deny', 'loopback'],
    [['metadata.google.internal'], 'metadata.google.internal', 80, 'allow', 'metadata.google.internal'],
    [['169.254.169.254'], '169.254.169.254', 80, 'allow', '169.254.169.254'],
    [['169.254.169.254'], '::ffff:169.254.169.254', 80, 'deny', 'metadata'],
    [['example.test:443'], 'example.test', 443, 'allow', 'example.test:443'],
    [['example.test:443'], 'example.test', 8080, 'deny', 'not-granted'],
    [['bücher.example'], 'xn--bcher-kva.example', 443, 'allow', 'bücher.example'],
    [['example.test'], 'example.test', 0, 'deny', 'invalid'],
    [['example.test'], 'example.test', 65536, 'deny', 'invalid'],
  ])('%j: %s:%d → %s %s', (texts, host, port, kind, ruleOrCategory) => {
    const decision = decideEgress({ host, port }, grants(...texts))
    expect(decision.kind).toBe(kind)
    expect(decision.kind === 'allow' ? decision.rule : decision.category).toBe(ruleOrCategory)
  })

  it('says which ports a host is granted on', () => {
    expect(decideEgress({ host: 'example.test', port: 8080 }, grants('example.test:443', 'example.test:8443'))).toEqual({
      kind: 'deny', category: 'not-granted', host: 'example.test', reason: 'host example.test is granted only on port 443, 8443, not 8080',
    })
  })

  it('returns the canonical host to dial', () => {
    expect(decideEgress({ host: '0x7f.1', port: 80 }, grants('127.0.0.1'))).toEqual({
      kind: 'allow', rule: '127.0.0.1', host: '127.0.0.1', via: 'exact', target: 'address',
    })
  })
})

describe('decideResolved (DNS rebinding)', () => {
  const allowFor = (host: string, texts: string[]) => {
    const decision = decideEgress({ host, port: 443 }, grants(...texts))
    if (decision.kind !== 'allow') throw new Error('expected allow')
    return decision
  }

  it.each([
    [['*.example.test'], ['93.184.216.34'], { kind: 'dial', address: '93.184.216.34' }],
    [['*.example.test'], ['2606:4700:0:0:0:0:0:1'], { kind: 'dial', address: '2606:4700::1' }],
    [['*.example.test'], ['93.184.216.34', '127.0.0.1'], {
      kind: 'deny', category: 'loopback', host: 'a.example.test',
      reason: 'a.example.test resolves to loopback address 127.0.0.1, which the wildcard grant *.example.test never reaches',
    }],
    [['*.example.test', '127.0.0.1'], ['127.0.0.1'], { kind: 'dial', address: '127.0.0.1' }],
    [['a.example.test'], ['10.0.0.7'], { kind: 'dial', address: '10.0.0.7' }],
    [['a.example.test'], ['169.254.169.254'], {
      kind: 'deny', category: 'metadata', host: 'a.example.test',
      reason: 'a.example.test resolves to metadata endpoint 169.254.169.254, which is never reachable from install scripts',
    }],
    [['a.example.test'], [], { kind: 'deny', category: 'invalid', host: 'a.example.test', reason: 'a.example.test resolves to no address' }],
  ])('%j resolving to %j', (texts, addresses, expected) => {
    expect(decideResolved(allowFor('a.example.test', texts), 443, addresses, grants(...texts))).toEqual(expected)
  })
})

describe('isMetadataHost', () => {
  it.each([
    ['169.254.169.254', true], ['0xa9fea9fe', true], ['[::ffff:169.254.169.254]', true], ['fd00:ec2::254', true],
    ['metadata.google.internal', true], ['Metadata.Google.Internal.', true], ['metadata', true], ['instance-data', true],
    ['169.254.169.253', false], ['example.test', false], ['127.0.0.1', false], ['not a host', false],
  ])('%s → %s', (host, expected) => {
    expect(isMetadataHost(host)).toBe(expected)
  })
})
