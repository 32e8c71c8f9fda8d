/**
 * What PostgreSQL's `text` and `jsonb` cannot hold, for every value that crosses into silver's database:
 *
 * - U+0000 (NUL): `text` refuses the byte (`invalid byte sequence for encoding "UTF8": 0x00`) and `jsonb`
 *   its escape (`unsupported Unicode escape sequence`);
 * - a lone surrogate (U+D800 to U+DFFF without its pair): it has no UTF-8 form, so the driver would
 *   silently send U+FFFD in `text`, and `jsonb` refuses its `\uD800` escape.
 *
 * Keys (ids, run items) are refused with the reason `problem` gives: changing them would name another
 * item. Free text (titles, bodies, reasons) is `repair`ed: each such code unit becomes U+FFFD, the
 * replacement character, and the raw bytes stay in bronze.
 */

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g")

const hex = (code: number) => code.toString(16).toUpperCase().padStart(4, "0")

/** Why PostgreSQL cannot store `text`, or `undefined` when it can. */
export const problem = (text: string): string | undefined => {
  const found = UNSTORABLE.exec(text)
  if (found === null) return undefined
  const code = found[0].charCodeAt(0)
  return code === 0
    ? `contains U+0000 (NUL), which PostgreSQL text and jsonb cannot store`
    : `contains a lone surrogate (U+${hex(code)}), which has no UTF-8 form`
}

/** `text` with every code unit PostgreSQL cannot store replaced by U+FFFD. */
export const repair = (text: string): string => (UNSTORABLE.test(text) ? text.replace(UNSTORABLE_ALL, "\uFFFD") : text)

/** `repair` for a nullable field. */
export const repairOrNull = (text: string | null): string | null => (text === null ? null : repair(text))

/**
 * The first reason `jsonb` cannot store a JSON value (in any string or object key), or `undefined`. The
 * path says where (`[0].externalId`).
 */
export const jsonProblem = (value: unknown, path = ""): string | undefined => {
  if (typeof value === "string") {
    const found = problem(value)
    return found === undefined ? undefined : `${path === "" ? "the value" : path} ${found}`
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = jsonProblem(value[i], `${path}[${i}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const keyProblem = problem(key)
      if (keyProblem !== undefined) return `a key of ${path === "" ? "the value" : path} ${keyProblem}`
      const found = jsonProblem(child, path === "" ? key : `${path}.${key}`)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** A JSON value with `repair` applied to every string and object key. */
export const repairJson = (value: unknown): unknown => {
  if (typeof value === "string") return repair(value)
  if (Array.isArray(value)) return value.map(repairJson)
  if (typeof value === "object" && value !== null) {
    // Values with a JSON form of their own (dates) are kept as they are.
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [repair(key), repairJson(child)]))
  }
  return value
}
