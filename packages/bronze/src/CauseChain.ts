/**
 * The text of an error's causes, for the messages of errors that wrap one. Every layer's errors build
 * their message with it, so that what reaches a log, a run record or `status` always carries the root
 * cause's own words (a SQL error's reason wraps PostgreSQL's message, a filesystem error its errno), and
 * never an empty string.
 */

const MAX_DEPTH = 8

const nameOf = (error: object): string | undefined => {
  const tag = (error as { readonly _tag?: unknown })._tag
  if (typeof tag === "string" && tag !== "") return tag
  return error instanceof Error && error.name !== "" && error.name !== "Error" ? error.name : undefined
}

const ownText = (current: unknown): string => {
  if (typeof current === "string") return current
  if (current instanceof Error) return current.message
  if (typeof current === "object" && current !== null) {
    const message = (current as { readonly message?: unknown }).message
    if (typeof message === "string") return message
    try {
      return JSON.stringify(current) ?? ""
    } catch {
      return ""
    }
  }
  return String(current)
}

/**
 * The messages along a chain of causes (`error.cause`, then its cause...), each once, joined by `: `.
 * An error with an empty message is named by its tag instead, so the result is never empty.
 */
export const causeChain = (cause: unknown): string => {
  const parts: Array<string> = []
  let unnamed: string | undefined
  let current = cause
  for (let depth = 0; depth < MAX_DEPTH && current !== undefined && current !== null; depth++) {
    const text = ownText(current)
    if (text !== "") {
      if (!parts.some((part) => part.includes(text))) parts.push(text)
    } else if (unnamed === undefined && typeof current === "object") {
      unnamed = nameOf(current)
    }
    current = typeof current === "object" ? (current as { readonly cause?: unknown }).cause : undefined
  }
  if (parts.length > 0) return parts.join(": ")
  return unnamed ?? (cause === undefined || cause === null ? "no cause given" : "an error without a message")
}
