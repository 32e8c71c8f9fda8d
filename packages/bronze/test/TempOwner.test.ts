/**
 * Temp files and case probes record their writer: the ones a dead process left go at the next start,
 * a live process's stay.
 */
import { spawnSync } from "node:child_process"
import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { FileSystemBronze } from "../src/index.ts"
import * as TempOwner from "../src/TempOwner.ts"
import { tempRoot } from "./TempRoot.ts"

/** The pid of a process that ran and exited (reaped): certainly no writer any more. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
  return Number(child.stdout)
}

describe("TempOwner", () => {
  it("tells this process's temp files from a dead process's and from another host's", () => {
    const mine = `.page.html.${TempOwner.unique("00ff")}.tmp`
    const dead = `.page.html.${TempOwner.unique("00ff", { ...TempOwner.current, pid: deadPid() })}.tmp`
    const reused = `.page.html.${TempOwner.unique("00ff", { ...TempOwner.current, start: TempOwner.current.start + 1 })}.tmp`
    const rebooted = `.page.html.${TempOwner.unique("00ff", { ...TempOwner.current, boot: "000000" })}.tmp`
    const elsewhere = `.page.html.${TempOwner.unique("00ff", { ...TempOwner.current, host: "000000", pid: deadPid() })}.tmp`
    assert.deepStrictEqual(TempOwner.ownerOf(mine), TempOwner.current)
    assert.isFalse(TempOwner.isDeadWriter(mine))
    assert.isTrue(TempOwner.isDeadWriter(dead))
    if (TempOwner.current.start !== 0) assert.isTrue(TempOwner.isDeadWriter(reused), "a reused pid is not the writer")
    assert.isTrue(TempOwner.isDeadWriter(rebooted))
    assert.isFalse(TempOwner.isDeadWriter(elsewhere), "another host's writer cannot be checked from here")
    assert.isFalse(TempOwner.isDeadWriter(".page.html.0123456789abcdef.tmp"), "the unnamed form waits out the grace")
  })

  it.live("a store's start removes the case probes a killed process left, and keeps a live one's", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const probe = (owner: TempOwner.TempOwner) => `.case-probe.${TempOwner.unique("00ff", owner)}.tmp`
      const dead = probe({ ...TempOwner.current, pid: deadPid() })
      const live = probe(TempOwner.current)
      for (const name of [dead, live]) yield* Effect.promise(() => NodeFs.writeFile(NodePath.join(root, name), ""))
      yield* Effect.provide(Effect.void, FileSystemBronze.layerWith({ root, catalog: "scan" }))
      const left = (yield* Effect.promise(() => NodeFs.readdir(root))).filter((n) => n.startsWith(".case-probe"))
      assert.deepStrictEqual(left, [live])
    })
  )
})
