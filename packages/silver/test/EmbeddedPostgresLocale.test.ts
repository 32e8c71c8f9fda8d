import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as EmbeddedPostgres from "../src/EmbeddedPostgres.ts"

describe("EmbeddedPostgres locale", () => {
  it.live(
    "initialises a cluster whose lower() maps every script's capitals (builtin C.UTF-8)",
    () =>
      Effect.gen(function* () {
        const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-locale-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
        const server = yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "pg"), ephemeral: true })
        const sql = yield* PgClient.makeClient({ url: server.adminUrl })
        const [row] = yield* sql<{ provider: string; locale: string; lowered: string }>`
          select datlocprovider as provider, datlocale as locale, lower('RÉSEAU ПРИВЕТ ΑΘΗΝΑ') as lowered
          from pg_database where datname = current_database()`
        assert.deepStrictEqual(row, { provider: "b", locale: "C.UTF-8", lowered: "réseau привет αθηνα" })
      }).pipe(Effect.scoped, Effect.provide(Reactivity.layer)),
    60_000
  )
})
