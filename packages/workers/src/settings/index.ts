/**
 * What a configuration of the fetch side is decoded with, apart from the fetch side itself
 * (`@medallion/workers/settings`): the SSRF guard's CIDR notation and the shard setting. Reading a
 * configuration (every command does) then loads no HTTP client, parser or extractor.
 */
export * as AddressPolicy from "../http/AddressPolicy.ts"
export * as Shard from "../fetch/Shard.ts"
