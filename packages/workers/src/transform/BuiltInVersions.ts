/**
 * The versions of the built-in transforms' rows, apart from their code: registering a transform (reading
 * the configuration, `status`) needs its version, not its extractors. Bump rule: `TransformVersion.ts`.
 */
export const HN = 4
export const FEED = 4
export const WEB = 4
