import { classifyAddress, parseIpLiteral, type IpAddress } from './ip-address.js'

/**
 * Hosts refused whatever the grants say: the indicators of compromise of the malicious-package
 * index (domain → why; address → why; CIDR block `a.b.c.d/n` → why). A name is covered by itself
 * or a parent domain; an address by itself or a block holding it, including the IPv4 address an
 * IPv6 one carries (mapped, NAT64 ...). The proxy checks the host it is asked for and, when it
 * resolves a name itself, every address the name resolves to. Pure.
 */

interface Block { readonly ip: IpAddress; readonly prefix: number; readonly why: string }

const blockCache = new WeakMap<ReadonlyMap<string, string>, readonly Block[]>()

const blocksOf = (denied: ReadonlyMap<string, string>): readonly Block[] => {
  const cached = blockCache.get(denied)
  if (cached !== undefined) return cached
  const blocks: Block[] = []
  for (const [key, why] of denied) {
    const slash = key.indexOf('/')
    if (slash < 0) continue
    const ip = parseIpLiteral(key.slice(0, slash))
    const prefix = Number(key.slice(slash + 1))
    if (ip === null || !Number.isInteger(prefix) || prefix < 0 || prefix > ip.bytes.length * 8) continue
    blocks.push({ ip, prefix, why })
  }
  blockCache.set(denied, blocks)
  return blocks
}

/** Whether the first `prefix` bits of two addresses of the same family agree. */
export const inBlock = (ip: IpAddress, block: { readonly ip: IpAddress; readonly prefix: number }): boolean => {
  if (ip.family !== block.ip.family) return false
  for (let bit = 0; bit < block.prefix; bit += 8) {
    const left = Math.min(8, block.prefix - bit)
    const mask = (0xff << (8 - left)) & 0xff
    if (((ip.bytes[bit / 8] ?? 0) & mask) !== ((block.ip.bytes[bit / 8] ?? 0) & mask)) return false
  }
  return true
}

/** The entry covering an address (exact, or a block), or undefined; `text` need not be canonical. */
export const deniedAddress = (denied: ReadonlyMap<string, string> | undefined, text: string): string | undefined => {
  if (denied === undefined || denied.size === 0) return undefined
  const ip = parseIpLiteral(text.replace(/^\[|\]$/g, ''))
  if (ip === null) return undefined
  const embedded = classifyAddress(ip).embedded
  for (const candidate of embedded === undefined ? [ip] : [ip, embedded]) {
    const exact = denied.get(candidate.text)
    if (exact !== undefined) return exact
    const block = blocksOf(denied).find((b) => inBlock(candidate, b))
    if (block !== undefined) return block.why
  }
  return undefined
}

/** The entry of `denied` that covers a host: an address as above, else the name itself or a parent domain. */
export const deniedBy = (denied: ReadonlyMap<string, string> | undefined, host: string): string | undefined => {
  if (denied === undefined || denied.size === 0) return undefined
  const name = host.toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '')
  if (parseIpLiteral(name) !== null) return deniedAddress(denied, name)
  for (let at = name; at !== ''; at = at.includes('.') ? at.slice(at.indexOf('.') + 1) : '') {
    const why = denied.get(at)
    if (why !== undefined) return why
  }
  return undefined
}
