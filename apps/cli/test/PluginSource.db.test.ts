/**
 * A user's source plug-in, named in the configuration's `plugins`, operated with the CLI's own
 * commands as real processes: `fetch` runs its source (with the service of its own layer), the
 * `transform` daemon, `retry --items` and `backfill` transform its items with its own transform and
 * version. Without the plug-in, the same backfill can only record that no transform is registered:
 * that is what the plug-in being loaded changes.
 */
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

const PLUGIN = Path.resolve(import.meta.dirname, "fixtures", "plugins", "posts.ts")

const POSTS = [
  { id: "p1", title: "First post", body: "The first post's text." },
  { id: "p2", title: "Second post", body: "The second post's text." },
  { id: "p3", title: "Third post", body: "The third post's text." }
]

/** The posts API: the list only for the token the plug-in's own layer provides. */
const postsServer = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly authorized: () => number; readonly server: Http.Server }>(
    (resume) => {
      let authorized = 0
      const server = Http.createServer((request, response) => {
        if (request.headers.authorization !== "Bearer s3cret") {
          response.writeHead(401).end()
          return
        }
        authorized++
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(POSTS))
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number }
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}/posts.json`, authorized: () => authorized, server }))
      })
    }
  ),
  ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
)

const postRows = (sql: Parameters<typeof Silver.items>[0]) =>
  Effect.map(Silver.items(sql), (rows) => rows.filter((row) => row.sourceType === "posts"))

describe("a source plug-in loaded from the configuration", () => {
  it.live(
    "fetch, the transform daemon, retry --items and backfill run it; without it a backfill records no transform",
    () =>
      Effect.gen(function* () {
        const server = yield* postsServer
        const database = yield* TestDatabase.makeDatabase("medallion_plugin")
        const sql = yield* Silver.connect(database.url)
        const dir = yield* Medallion.tempDir("medallion-plugin-")
        const bronzeRoot = Path.join(dir, "bronze")
        const common = {
          bronze: { root: bronzeRoot },
          http: { allowNetworks: ["127.0.0.1/32"] },
          sensors: { interval: "1 second", batchSize: 10 },
          metrics: { fetchPort: 0, transformPort: 0 }
        }
        // Relative to the configuration file, as a user writes it.
        const withPlugin = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          ...common,
          plugins: [`./${Path.relative(dir, PLUGIN)}`],
          sources: [{ type: "posts", name: "my-posts", url: server.url }]
        })
        const without = Medallion.writeJson(Path.join(dir, "without.json"), { ...common, sources: [] })
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const dataDir = Path.join(dir, "data")
        const command = (configFile: string, ...args: ReadonlyArray<string>) =>
          Medallion.run({ args: [...Medallion.flags(dataDir, configFile), ...args], env })
        const bumped = (...args: ReadonlyArray<string>) =>
          Medallion.run({
            args: [...Medallion.flags(dataDir, withPlugin), ...args],
            env: { ...env, POSTS_TRANSFORM_VERSION: "4" }
          })

        const fetch = yield* Medallion.spawn({ args: [...Medallion.flags(dataDir, withPlugin), "fetch"], env })
        yield* Medallion.within(
          "the plug-in's source to store every post in bronze",
          Effect.sync(() => POSTS.every((p) => Fs.existsSync(Path.join(bronzeRoot, "posts", p.id, "post.json")))),
          fetch.output
        )
        assert.isAbove(server.authorized(), 0, "the source used the token of the plug-in's own layer")
        yield* fetch.kill("SIGTERM")
        yield* fetch.exited

        const transform = yield* Medallion.spawn({
          args: [...Medallion.flags(dataDir, withPlugin), "transform"],
          env
        })
        yield* Medallion.within(
          "the transform daemon to transform every post with the plug-in's transform",
          Effect.map(
            postRows(sql),
            (rows) => rows.length === POSTS.length && rows.every((r) => r.transformStatus === "transformed")
          ),
          transform.output
        )
        yield* transform.kill("SIGTERM")
        yield* transform.exited
        const versions = yield* sql<{ readonly transformVersion: number }>`
          select distinct transform_version from items where source_type = 'posts'`
        assert.deepStrictEqual(
          versions.map((v) => v.transformVersion),
          [3],
          "the rows carry the plug-in's own version"
        )
        assert.deepStrictEqual(
          (yield* postRows(sql)).map((r) => r.title),
          POSTS.map((p) => p.title)
        )

        // Without the plug-in, nothing can transform the items: a backfill records why.
        const blind = yield* command(without, "backfill")
        assert.strictEqual(blind.code, 0, blind.output)
        for (const row of yield* postRows(sql)) {
          assert.strictEqual(row.transformStatus, "failed")
          assert.include(row.transformError ?? "", 'no transform is registered for source type "posts"')
        }

        const status = yield* command(without, "status")
        assert.include(
          status.stdout,
          'warning: 3 item(s) of source type "posts" have no transform in this configuration: name its plug-in in "plugins"'
        )
        assert.notInclude((yield* command(withPlugin, "status")).stdout, "have no transform")

        // With it, retry --items transforms the failed items again, and a backfill keeps them so.
        const retried = yield* command(withPlugin, "retry", "--items")
        assert.strictEqual(retried.code, 0, retried.output)
        assert.deepStrictEqual(
          (yield* postRows(sql)).map((r) => [r.externalId, r.transformStatus, r.title]),
          POSTS.map((p) => [p.id, "transformed", p.title])
        )
        const backfilled = yield* command(withPlugin, "backfill", "--source", "posts")
        assert.strictEqual(backfilled.code, 0, backfilled.output)
        // A new version of the plug-in's transform: only its items are stale, and --stale transforms them.
        const current = yield* command(withPlugin, "backfill", "--stale", "--dry-run")
        assert.include(current.stdout, "dry run: 0 item(s) would be transformed again (none)")
        const planned = yield* bumped("backfill", "--stale", "--dry-run")
        assert.include(planned.stdout, "dry run: 3 item(s) would be transformed again (posts 3)")
        const upgraded = yield* bumped("backfill", "--stale")
        assert.strictEqual(upgraded.code, 0, upgraded.output)
        assert.include(upgraded.stdout, "backfill: 3 item(s) transformed")
        const texts = yield* sql<{
          readonly externalId: string
          readonly transformStatus: string
          readonly bodyText: string
          readonly transformVersion: number
        }>`
          select external_id, transform_status, body_text, transform_version from items where source_type = 'posts' order by external_id`
        assert.deepStrictEqual(
          texts.map((r) => [r.externalId, r.transformStatus, r.bodyText, r.transformVersion]),
          POSTS.map((p) => [p.id, "transformed", p.body, 4])
        )
        const after = yield* bumped("backfill", "--stale", "--dry-run")
        assert.include(after.stdout, "dry run: 0 item(s) would be transformed again (none)")
      }).pipe(Effect.scoped),
    300_000
  )

  it.live("a module that exports no plug-in stops the start with the file, the module and why", () =>
    Effect.gen(function* () {
      const dir = yield* Medallion.tempDir("medallion-plugin-bad-")
      Fs.writeFileSync(Path.join(dir, "nothing.mjs"), "export const answer = 42\n")
      const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
        plugins: ["./nothing.mjs", "./missing.mjs"]
      })
      const result = yield* Medallion.run({ args: [...Medallion.flags(Path.join(dir, "data"), configFile), "fetch"] })
      assert.notStrictEqual(result.code, 0)
      assert.include(result.stderr, configFile)
      assert.include(result.stderr, "./nothing.mjs exports no source plug-in")
    }).pipe(Effect.scoped)
  )
})
