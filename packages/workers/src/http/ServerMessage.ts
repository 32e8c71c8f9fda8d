/**
 * What a server said about a failed request, from the start of its error body: the `message` of an
 * API's JSON error (`{ "error": { "message": ... } }` as OpenAI-compatible APIs answer, `{ "error": ... }`,
 * `{ "message": ... }`, `{ "detail": ... }`), else the `<title>` of an HTML page, else the first line of
 * plain text. A failure then reads `HTTP 400: unknown audio` rather than a bare status.
 */

/** The longest server message kept in a failure's message (the whole excerpt stays in the record). */
export const MAX_LENGTH = 300

const clean = (text: string): string | undefined => {
  const line = text.replace(/\s+/g, " ").trim()
  if (line.length === 0) return undefined
  return line.length <= MAX_LENGTH ? line : `${line.slice(0, MAX_LENGTH - 1)}…`
}

const fromJson = (value: unknown, depth = 0): string | undefined => {
  if (typeof value === "string") return clean(value)
  if (typeof value !== "object" || value === null || depth > 2) return undefined
  const record = value as Record<string, unknown>
  for (const key of ["error", "message", "detail", "error_description", "title"]) {
    const found = fromJson(record[key], depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

/** The server's own words in an error body excerpt, or `undefined` when it says nothing usable. */
export const fromBody = (excerpt: string, contentType: string | undefined): string | undefined => {
  const type = (contentType ?? "").toLowerCase()
  const trimmed = excerpt.trim()
  if (trimmed.length === 0) return undefined
  if (type.includes("json") || trimmed.startsWith("{")) {
    try {
      return fromJson(JSON.parse(trimmed))
    } catch {
      // A truncated or invalid JSON body: fall through to the text rules.
    }
  }
  if (type.includes("html") || /^<(!doctype|html|head)/i.test(trimmed)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1]
    return title === undefined ? undefined : clean(title)
  }
  if (trimmed.startsWith("<")) return undefined
  return clean(trimmed.split("\n")[0] ?? "")
}

/** `HTTP 400: unknown audio`, or `HTTP 400` when the body says nothing usable. */
export const statusMessage = (status: number, excerpt: string, contentType: string | undefined): string => {
  const said = fromBody(excerpt, contentType)
  return said === undefined ? `HTTP ${status}` : `HTTP ${status}: ${said}`
}
