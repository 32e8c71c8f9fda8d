/**
 * A worker thread of the scale generator: writes the items of the chunks it is given straight with
 * node:fs (no temp file, no fsync: this is bench data, not bronze's durable path), stamps each file's
 * mtime with its `writtenAt`, and writes the chunk's index lines to a part file the main thread joins.
 * Synchronous calls on purpose: one thread per core, each a tight loop of syscalls.
 */
import { createHash } from "node:crypto"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { parentPort } from "node:worker_threads"
import { encodeExternalId, encodeIndexLine, location } from "@medallion/bronze"
import { itemArtifacts } from "./generateBodies.ts"

export interface ChunkRequest {
  readonly root: string
  readonly items: number
  readonly start: number
  readonly end: number
  readonly part: string
}

export interface ChunkDone {
  readonly start: number
  readonly artifacts: number
  readonly bytes: number
}

const writeChunk = (request: ChunkRequest): ChunkDone => {
  const lines: Array<string> = []
  let bytes = 0
  for (let i = request.start; i < request.end; i++) {
    const artifacts = itemArtifacts(i, request.items)
    const first = artifacts[0]!.key
    NodeFs.mkdirSync(NodePath.join(request.root, first.sourceType, encodeExternalId(first.externalId)))
    for (const artifact of artifacts) {
      const body = Buffer.from(artifact.body)
      const where = location(artifact.key)
      const fd = NodeFs.openSync(NodePath.join(request.root, where), "w")
      try {
        NodeFs.writeSync(fd, body)
        NodeFs.futimesSync(fd, artifact.writtenAt / 1000, artifact.writtenAt / 1000)
      } finally {
        NodeFs.closeSync(fd)
      }
      bytes += body.length
      lines.push(
        encodeIndexLine({
          key: artifact.key,
          size: body.length,
          sha256: createHash("sha256").update(body).digest("hex"),
          writtenAt: artifact.writtenAt,
          location: where
        })
      )
    }
  }
  NodeFs.writeFileSync(request.part, lines.join(""))
  return { start: request.start, artifacts: lines.length, bytes }
}

parentPort?.on("message", (request: ChunkRequest) => {
  parentPort!.postMessage(writeChunk(request))
})
