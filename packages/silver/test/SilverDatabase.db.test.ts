import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Context, type Duration, Effect, Exit, Fiber, Layer, Option, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as EmbeddedPostgres from "../src/EmbeddedPostgres.ts"
import { ItemRepo } from "../src/ItemRepo.ts"
import { describeUrl, SilverDatabase, tlsOptions } from "../src/SilverDatabase.ts"
import * as SilverMigrator from "../src/SilverMigrator.ts"
import { makeItem } from "../src/testing/ItemFixtures.ts"

const withTempDir = <A, E, R>(f: (dir: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-silver-db-"))),
    f,
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
  )

/** Opens the repository on a server URL, in the given scope. */
const openRepo = (url: Redacted.Redacted<string>, retryFor: Duration.Input, scope: Scope.Scope) =>
  Layer.buildWithScope(
    Layer.provideMerge(ItemRepo.layer, SilverDatabase.layerWith({ url, poolSize: 2, retryFor })),
    scope
  ).pipe(Effect.map((context) => ({ repo: Context.get(context, ItemRepo), db: Context.get(context, SilverDatabase) })))

describe("SilverDatabase", () => {
  it.live(
    "reconnects with backoff: an operation issued while the server is down succeeds once it is back",
    () =>
      withTempDir((root) =>
        Effect.gen(function* () {
          const dataDir = Path.join(root, "pg")
          const port = yield* EmbeddedPostgres.freePort
          const firstRun = yield* Scope.make()
          const server = yield* EmbeddedPostgres.start({ dataDir, port }).pipe(Scope.provide(firstRun))
          const clients = yield* Scope.make()
          const { repo, db } = yield* openRepo(server.adminUrl, "2 minutes", clients)
          yield* SilverMigrator.run().pipe(Effect.provideService(SqlClient, db.client))
          yield* repo.upsert([makeItem(1)])

          // The server goes away (stopped through its scope, i.e. pg_ctl stop).
          yield* Scope.close(firstRun, Exit.void)
          assert.isUndefined(EmbeddedPostgres.runningServerPid(dataDir))
          const pending = yield* repo.get({ sourceType: "hn", externalId: "40000001" }).pipe(Effect.forkChild)

          // It comes back on the same folder and port.
          const secondRun = yield* Scope.make()
          yield* EmbeddedPostgres.start({ dataDir, port }).pipe(Scope.provide(secondRun))
          const found = yield* Fiber.join(pending)
          assert.strictEqual(Option.getOrThrow(found).item.externalId, "40000001")
          // and the next operation on the same pool succeeds too
          assert.deepStrictEqual(yield* repo.upsert([makeItem(1)]), { inserted: 0, updated: 0, unchanged: 1 })
          yield* Scope.close(clients, Exit.void)
          yield* Scope.close(secondRun, Exit.void)
        })
      ),
    120_000
  )

  it.live(
    "fails with a typed error: unreachable after its retry budget, refused credentials at once",
    () =>
      withTempDir((root) =>
        Effect.gen(function* () {
          const port = yield* EmbeddedPostgres.freePort
          const scope = yield* Scope.make()
          // Nothing listens on this port.
          const nobody = yield* openRepo(
            Redacted.make(`postgres://postgres:secret@127.0.0.1:${port}/postgres`),
            "300 millis",
            scope
          )
          const unreachable = yield* Effect.flip(nobody.repo.countByStatus())
          assert.strictEqual(unreachable._tag, "DatabaseUnavailable")
          if (unreachable._tag === "DatabaseUnavailable") assert.strictEqual(unreachable.reason, "unreachable")

          const server = yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "pg"), port }).pipe(
            Scope.provide(scope)
          )
          const url = new URL(Redacted.value(server.adminUrl))
          url.password = "wrong-password"
          const wrong = yield* openRepo(Redacted.make(url.toString()), "2 minutes", scope)
          const refused = yield* Effect.flip(wrong.repo.countByStatus())
          assert.strictEqual(refused._tag, "DatabaseUnavailable")
          if (refused._tag === "DatabaseUnavailable") {
            assert.strictEqual(refused.reason, "authentication")
            assert.notInclude(refused.message, "wrong-password")
          }
          yield* Scope.close(scope, Exit.void)
        })
      ),
    120_000
  )

  it("describes a URL without its password", () => {
    assert.strictEqual(
      describeUrl(Redacted.make("postgres://medallion:s3cret@db.internal:5432/silver?sslmode=require&password=x")),
      "postgres://medallion@db.internal:5432/silver?sslmode=require"
    )
  })

  it.effect("maps sslmode and a CA file to TLS settings in libpq's terms", () =>
    withTempDir((dir) =>
      Effect.gen(function* () {
        const ca = Path.join(dir, "ca.pem")
        Fs.writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n")
        const url = (mode: string) => Redacted.make(`postgres://u@h/db?sslmode=${mode}`)
        assert.strictEqual(yield* tlsOptions({ url: url("disable") }), false)
        assert.strictEqual(yield* tlsOptions({ url: url("prefer") }), undefined)
        assert.deepStrictEqual(yield* tlsOptions({ url: url("require") }), { rejectUnauthorized: false })
        const verifyFull = (yield* tlsOptions({ url: url("verify-full"), sslRootCert: ca })) as {
          ca: Buffer
          rejectUnauthorized: boolean
        }
        assert.isTrue(verifyFull.rejectUnauthorized)
        assert.strictEqual(verifyFull.ca.toString(), "-----BEGIN CERTIFICATE-----\n")
        const verifyCa = (yield* tlsOptions({ sslMode: "verify-ca", sslRootCert: ca })) as {
          checkServerIdentity: () => unknown
        }
        assert.isUndefined(verifyCa.checkServerIdentity())
        const missing = yield* Effect.flip(
          tlsOptions({ sslMode: "verify-full", sslRootCert: Path.join(dir, "none.pem") })
        )
        assert.include(missing.message, "invalid TLS settings")
      })
    )
  )
})
