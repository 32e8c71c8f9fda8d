/**
 * Which network addresses the fetch side may connect to.
 *
 * Public unicast addresses are always allowed. Private, loopback, link-local,
 * carrier-grade NAT, multicast, documentation and other special-purpose ranges
 * are refused unless a CIDR in `allow` covers them: a URL found in an external
 * feed must never reach the cloud metadata service (169.254.169.254) or a
 * service on the fetcher's own network.
 *
 * The check runs on the address a connection actually uses (see
 * `guardedLookup`), not only on the URL's host name, so DNS rebinding and
 * redirects to a private address are refused too.
 */
import * as Dns from "node:dns"
import * as Net from "node:net"

export interface AddressPolicy {
  /** CIDRs (`127.0.0.1/32`, `10.0.0.0/8`, `::1/128`) that are allowed although special-purpose. */
  readonly allow: ReadonlyArray<string>
  /**
   * The setting an operator changes to allow a refused address (`http.allowNetworks` in the
   * configuration file): refusals name it, so the message says how to fix it. Default `addressPolicy.allow`.
   */
  readonly setting?: string | undefined
}

/** No special-purpose address is allowed: the production default. */
export const strict: AddressPolicy = { allow: [] }

/** What a refusal says about a special-purpose address, naming the setting that would allow it. */
export const refusalReason = (policy: AddressPolicy): string =>
  `a special-purpose address, not covered by ${policy.setting ?? "addressPolicy.allow"} (add a CIDR there to allow it)`

/** A CIDR, parsed: its address, family and prefix length. */
export interface Cidr {
  readonly address: string
  readonly family: 4 | 6
  readonly prefix: number
}

/**
 * Parses `address/prefix` (`10.0.0.0/8`, `::1/128`; a bare address is a single host): the address must be an
 * IPv4 or IPv6 address and the prefix length within its family's range (0-32, 0-128). `undefined` otherwise.
 */
export const parseCidr = (text: string): Cidr | undefined => {
  const slash = text.indexOf("/")
  const address = slash === -1 ? text : text.slice(0, slash)
  const family = Net.isIP(address)
  if (family !== 4 && family !== 6) return undefined
  const bits = family === 4 ? 32 : 128
  if (slash === -1) return { address, family, prefix: bits }
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  return prefix <= bits ? { address, family, prefix } : undefined
}

const specialV4: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4] // reserved, broadcast
]

const specialV6: ReadonlyArray<readonly [string, number]> = [
  // Unspecified (::), loopback (::1) and the deprecated IPv4-compatible addresses (::a.b.c.d, RFC 4291
  // 2.5.5.1), which embed an IPv4 address a stack may still route to: `[::127.0.0.1]` is not public.
  ["::", 96],
  ["64:ff9b::", 96], // NAT64: embeds an IPv4 address
  ["64:ff9b:1::", 48], // local-use NAT64
  ["100::", 64], // discard
  ["2001::", 32], // Teredo
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an IPv4 address
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8] // multicast
]

const special = (() => {
  const list = new Net.BlockList()
  for (const [net, prefix] of specialV4) list.addSubnet(net, prefix, "ipv4")
  for (const [net, prefix] of specialV6) list.addSubnet(net, prefix, "ipv6")
  return list
})()

/**
 * An IPv4-mapped IPv6 address (`::ffff:169.254.169.254`, also written
 * `::ffff:a9fe:a9fe`) reaches the IPv4 address it embeds: check that one.
 */
const unmapV4 = (address: string): string | undefined => {
  const lower = address.toLowerCase()
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (dotted) return dotted[1]
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower)
  if (hex) {
    const high = parseInt(hex[1]!, 16)
    const low = parseInt(hex[2]!, 16)
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
  }
  return undefined
}

const stripBrackets = (host: string): string => (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host)

/** `true` when `host` is an IP address literal (with or without IPv6 brackets). */
export const isIpLiteral = (host: string): boolean => Net.isIP(stripBrackets(host)) !== 0

/** `true` when the address lies in a special-purpose (non-public) range. */
export const isSpecialPurpose = (address: string): boolean => {
  const bare = stripBrackets(address)
  const mapped = unmapV4(bare)
  if (mapped !== undefined) return special.check(mapped, "ipv4")
  const family = Net.isIP(bare)
  if (family === 4) return special.check(bare, "ipv4")
  if (family === 6) return special.check(bare, "ipv6")
  // Not an address at all: refuse rather than guess.
  return true
}

const allowList = (policy: AddressPolicy): Net.BlockList => {
  const list = new Net.BlockList()
  for (const text of policy.allow) {
    // The configuration refuses what does not parse; a caller that passes it anyway allows nothing by it.
    const cidr = parseCidr(text)
    if (cidr !== undefined) list.addSubnet(cidr.address, cidr.prefix, cidr.family === 4 ? "ipv4" : "ipv6")
  }
  return list
}

/** Builds the check for one policy: `true` when a connection to `address` is allowed. */
export const makeCheck = (policy: AddressPolicy): ((address: string) => boolean) => {
  const allowed = allowList(policy)
  return (address) => {
    const bare = stripBrackets(address)
    if (!isSpecialPurpose(bare)) return true
    const mapped = unmapV4(bare)
    if (mapped !== undefined) return allowed.check(mapped, "ipv4")
    const family = Net.isIP(bare)
    if (family === 0) return false
    return allowed.check(bare, family === 4 ? "ipv4" : "ipv6")
  }
}

/** `true` when `policy` allows a connection to `address`. */
export const isAllowed = (policy: AddressPolicy, address: string): boolean => makeCheck(policy)(address)

/** The refusal the guarded lookup reports; `FetchHttp` turns it into a typed `FetchError`. */
export class AddressRefused extends Error {
  readonly code = "EMEDALLION_ADDRESS_REFUSED"
  readonly hostname: string
  readonly address: string
  constructor(hostname: string, address: string, policy: AddressPolicy) {
    super(`refused to connect to ${hostname} (${address}): ${refusalReason(policy)}`)
    this.hostname = hostname
    this.address = address
  }
}

/** Resolves a host name to all its addresses (Node's resolver by default; tests substitute one). */
export type Resolve = (
  hostname: string
) => Promise<ReadonlyArray<{ readonly address: string; readonly family: number }>>

export const systemResolve: Resolve = (hostname) => Dns.promises.lookup(hostname, { all: true, verbatim: true })

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | Array<Dns.LookupAddress>,
  family?: number
) => void

/**
 * A `lookup` for `net.connect`/`tls.connect` that resolves the name and refuses
 * the connection when any resolved address is not allowed. Node uses exactly
 * the addresses this returns to connect, so the check cannot be bypassed by a
 * second resolution (DNS rebinding).
 */
export const guardedLookup = (policy: AddressPolicy, resolve: Resolve = systemResolve): Net.LookupFunction => {
  const check = makeCheck(policy)
  return (hostname: string, options: Dns.LookupOptions | number | undefined, callback: LookupCallback): void => {
    const wantAll = typeof options === "object" && options !== null && options.all === true
    const family = typeof options === "number" ? options : typeof options === "object" ? options?.family : undefined
    const wantedFamily = family === "IPv4" ? 4 : family === "IPv6" ? 6 : (family ?? 0)
    resolve(hostname).then(
      (resolved) => {
        const wanted = resolved.filter((entry) => wantedFamily === 0 || entry.family === wantedFamily)
        const refused = resolved.find((entry) => !check(entry.address))
        if (refused !== undefined) {
          callback(new AddressRefused(hostname, refused.address, policy) as NodeJS.ErrnoException, wantAll ? [] : "", 0)
          return
        }
        if (wanted.length === 0) {
          const error = Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" })
          callback(error, wantAll ? [] : "", 0)
          return
        }
        if (wantAll)
          callback(
            null,
            wanted.map((entry) => ({ address: entry.address, family: entry.family }))
          )
        else callback(null, wanted[0]!.address, wanted[0]!.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, wantAll ? [] : "", 0)
    )
  }
}
