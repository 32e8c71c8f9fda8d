/**
 * Character set detection and decoding for HTML and XML bytes as received.
 *
 * Order, as browsers and feed readers do it: a byte order mark, then the
 * `charset` of the Content-Type header, then the document's own declaration
 * (`<meta charset>` / `http-equiv` in the first 1024 bytes of HTML, the XML
 * declaration's `encoding`). A declared legacy charset is overruled when the
 * bytes are valid UTF-8 with multi-byte sequences: real pages often keep an
 * old `<meta charset=gb2312>` after their content moved to UTF-8, and legacy
 * encodings almost never form valid UTF-8 by accident. With no declaration,
 * valid UTF-8 is UTF-8 and anything else is windows-1252 (the web's default).
 *
 * Decoding uses the WHATWG `TextDecoder` of Node (full ICU): every label of the
 * Encoding Standard (gb2312, iso-8859-7, shift_jis, koi8-r, ...) is known.
 */
import { Effect } from "effect"
import { ExtractError } from "./ExtractError.ts"

export type CharsetSource = "bom" | "header" | "meta" | "xml-declaration" | "utf8-valid" | "default"

export interface Decoded {
  readonly text: string
  /** The WHATWG name of the encoding used (`utf-8`, `windows-1252`, `gbk`, ...). */
  readonly charset: string
  readonly source: CharsetSource
  /** The charset the document or header declared, when it was overruled. */
  readonly declared?: string | undefined
}

const ascii = (bytes: Uint8Array, max: number): string => {
  let out = ""
  const n = Math.min(bytes.length, max)
  for (let i = 0; i < n; i++) out += String.fromCharCode(bytes[i]!)
  return out
}

const bom = (bytes: Uint8Array): string | undefined => {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8"
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be"
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le"
  return undefined
}

/** The `charset` parameter of a Content-Type header value. */
export const charsetFromContentType = (contentType: string | undefined): string | undefined => {
  if (contentType === undefined) return undefined
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)
  return match?.[1]?.toLowerCase()
}

/** The charset an HTML document declares in its first 1024 bytes. */
export const charsetFromMeta = (bytes: Uint8Array): string | undefined => {
  const head = ascii(bytes, 1024)
  const direct = /<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)/i.exec(head)
  return direct?.[1]?.toLowerCase()
}

/** The `encoding` of an XML declaration. */
export const charsetFromXmlDeclaration = (bytes: Uint8Array): string | undefined => {
  const head = ascii(bytes, 512).replace(/^\s+/, "")
  const match = /^<\?xml[^>]*encoding\s*=\s*["']([a-zA-Z0-9_:.\-]+)["']/i.exec(head)
  return match?.[1]?.toLowerCase()
}

/** Resolves a charset label to its WHATWG encoding name, or `undefined` when unknown. */
export const normalizeLabel = (label: string): string | undefined => {
  try {
    return new TextDecoder(label).encoding
  } catch {
    return undefined
  }
}

const isValidUtf8 = (bytes: Uint8Array): boolean => {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

const hasHighBytes = (bytes: Uint8Array): boolean => {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return true
  return false
}

const decodeWith = (bytes: Uint8Array, charset: string): string =>
  // `ignoreBOM: false` strips a leading BOM of the matching encoding.
  new TextDecoder(charset, { fatal: false }).decode(bytes)

const detect = (
  bytes: Uint8Array,
  contentType: string | undefined,
  fromDocument: (bytes: Uint8Array) => string | undefined,
  documentSource: CharsetSource
): Effect.Effect<Decoded, ExtractError> =>
  Effect.suspend(() => {
    const fromBom = bom(bytes)
    if (fromBom !== undefined)
      return Effect.succeed({ text: decodeWith(bytes, fromBom), charset: fromBom, source: "bom" as const })
    const header = charsetFromContentType(contentType)
    const declaredLabel = header ?? fromDocument(bytes)
    const source: CharsetSource = header !== undefined ? "header" : documentSource
    if (declaredLabel !== undefined) {
      const declared = normalizeLabel(declaredLabel)
      if (declared === undefined) {
        // An unknown label is no reason to drop the document: fall back to detection, say so.
        if (isValidUtf8(bytes))
          return Effect.succeed({
            text: decodeWith(bytes, "utf-8"),
            charset: "utf-8",
            source: "utf8-valid" as const,
            declared: declaredLabel
          })
        return Effect.succeed({
          text: decodeWith(bytes, "windows-1252"),
          charset: "windows-1252",
          source: "default" as const,
          declared: declaredLabel
        })
      }
      if (declared !== "utf-8" && !declared.startsWith("utf-16") && hasHighBytes(bytes) && isValidUtf8(bytes)) {
        return Effect.succeed({
          text: decodeWith(bytes, "utf-8"),
          charset: "utf-8",
          source: "utf8-valid" as const,
          declared
        })
      }
      return Effect.succeed({ text: decodeWith(bytes, declared), charset: declared, source })
    }
    if (isValidUtf8(bytes))
      return Effect.succeed({ text: decodeWith(bytes, "utf-8"), charset: "utf-8", source: "utf8-valid" as const })
    return Effect.succeed({
      text: decodeWith(bytes, "windows-1252"),
      charset: "windows-1252",
      source: "default" as const
    })
  })

/** Decodes HTML bytes: BOM, header charset, `<meta>` declaration, UTF-8 validity, windows-1252. */
export const decodeHtml = (bytes: Uint8Array, contentType?: string): Effect.Effect<Decoded, ExtractError> =>
  bytes.length === 0
    ? Effect.fail(new ExtractError({ kind: "empty", reason: "the document is empty (0 bytes)" }))
    : detect(bytes, contentType, charsetFromMeta, "meta")

/** Decodes XML bytes (feeds, sitemaps): BOM, header charset, XML declaration, UTF-8 validity, windows-1252. */
export const decodeXml = (bytes: Uint8Array, contentType?: string): Effect.Effect<Decoded, ExtractError> =>
  bytes.length === 0
    ? Effect.fail(new ExtractError({ kind: "empty", reason: "the document is empty (0 bytes)" }))
    : detect(bytes, contentType, charsetFromXmlDeclaration, "xml-declaration")
