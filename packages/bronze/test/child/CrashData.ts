/** Deterministic keys and contents, so a test can check every byte a killed child left behind. */
import { createHash } from "node:crypto"
import type { ArtifactKey } from "../../src/index.ts"

export const keyFor = (prefix: string, i: number): ArtifactKey => ({
  sourceType: "crash",
  externalId: `${prefix}-${i}`,
  artifactType: i % 4 === 3 ? "media" : "item",
  ext: i % 4 === 3 ? "bin" : "json"
})

/** 2 KB to ~130 KB, derived from the key, so a partial file can never pass for a complete one. */
export const contentFor = (key: ArtifactKey): Uint8Array => {
  const seed = createHash("sha256").update(key.externalId).digest()
  const size = 2048 + (seed[0]! << 9)
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = seed[i % 32]! ^ (i & 0xff)
  return out
}
