/**
 * The outbound links of a text, counted per host: what the gold asset keeps per video
 * (`youtube.com/NFLFilms` and `https://www.instagram.com/x` are links to `youtube.com` and
 * `instagram.com`). Pure, so the gold job's logic is testable without a database.
 */

export interface HostCount {
  readonly host: string
  readonly links: number
}

// A URL with a scheme, or a bare `host.tld/path` as creators type them in descriptions.
const LINK = /\bhttps?:\/\/[^\s<>"')\]]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}\/[^\s<>"')\]]*/gi

const hostOf = (link: string): string | undefined => {
  try {
    const url = new URL(/^https?:\/\//i.test(link) ? link : `https://${link}`)
    const host = url.hostname.toLowerCase().replace(/^www\./, "")
    return host.includes(".") ? host : undefined
  } catch {
    return undefined
  }
}

/** Hosts in the order of their first link, with how many links point to each. */
export const count = (text: string | null | undefined): ReadonlyArray<HostCount> => {
  if (text === null || text === undefined) return []
  const counts = new Map<string, number>()
  for (const match of text.matchAll(LINK)) {
    const host = hostOf(match[0])
    if (host !== undefined) counts.set(host, (counts.get(host) ?? 0) + 1)
  }
  return Array.from(counts, ([host, links]) => ({ host, links }))
}
