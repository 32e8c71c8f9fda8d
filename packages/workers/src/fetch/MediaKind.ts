/**
 * The kind (`audio` or `video`) and file extension of a feed's enclosure, as the feed source stores its
 * media. A module of its own, free of the feed parser and the HTTP client, so that tools writing bronze
 * as the fetch side does (`@medallion/workers/records`) name media the same way without loading them.
 */
const mediaExtensions: Record<string, string> = {
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/mp4": "m4a",
  "audio/x-m4a": "m4a",
  "audio/aac": "aac",
  "audio/ogg": "ogg",
  "audio/opus": "opus",
  "audio/flac": "flac",
  "audio/webm": "webm",
  "video/mp4": "mp4",
  "video/webm": "webm",
  "video/quicktime": "mov"
}
const knownExtensions = new Set(["mp3", "wav", "m4a", "aac", "ogg", "oga", "opus", "flac", "webm", "mp4", "m4v", "mov"])

/** `audio` or `video`, and the file extension, of an enclosure; `undefined` when it is not media. */
export const mediaKind = (enclosure: {
  readonly url: string
  readonly type?: string | undefined
}): { readonly kind: "audio" | "video"; readonly ext: string } | undefined => {
  let ext: string | undefined
  try {
    ext = /\.([a-z0-9]{2,5})$/i.exec(new URL(enclosure.url).pathname)?.[1]?.toLowerCase()
  } catch {
    ext = undefined
  }
  const type = enclosure.type?.toLowerCase().split(";")[0]?.trim()
  const byType = type === undefined ? undefined : mediaExtensions[type]
  const kind = type?.startsWith("video/") || ext === "mp4" || ext === "m4v" || ext === "mov" ? "video" : "audio"
  if (byType !== undefined) return { kind: type!.startsWith("video/") ? "video" : "audio", ext: byType }
  if (ext !== undefined && knownExtensions.has(ext)) return { kind, ext }
  if (type?.startsWith("audio/") || type?.startsWith("video/")) return { kind, ext: "bin" }
  return undefined
}
