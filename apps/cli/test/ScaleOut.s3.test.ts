/**
 * The scaled-out deployment on one machine: two fetch daemons sharing the sources by shard, and
 * transform daemons consuming the run queue, against one PostgreSQL and one S3-compatible server
 * (the throwaway Ceph radosgw of `pnpm test:s3`). Every item ends in silver exactly once, also
 * when a fetch daemon and a transform daemon are killed with SIGKILL mid-run while the others go on,
 * and when PostgreSQL is down for 30 seconds in the middle of the work.
 */
import * as Path from "node:path"
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client
} from "@aws-sdk/client-s3"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { PgClient } from "@effect/sql-pg"
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { TestDatabase } from "@medallion/silver/testing"
import { FixtureServer } from "@medallion/workers/testing"
import { Duration, Effect, Redacted, Schedule } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Postgres from "./support/Postgres.ts"
import * as Prng from "./support/Prng.ts"
import * as Scenario from "./support/Scenario.ts"
import * as Silver from "./support/Silver.ts"

/** 2025-11-27T05:00:00Z: old enough that nothing is due for a refetch during a test. */
const TIME = 1_764_219_600
const STORIES = Array.from({ length: 40 }, (_, i) => 930_000 + i * 10)

/** Forty stories with two comments each: 120 items on the server, 40 in silver, 80 comment rows. */
const hnItems = Object.fromEntries(
  STORIES.flatMap((id) => [
    [id, { by: "pg", id, kids: [id + 1, id + 2], score: 1, time: TIME, title: `Story ${id}`, type: "story" }],
    [id + 1, { by: "a", id: id + 1, parent: id, text: "one", time: TIME + 60, type: "comment" }],
    [id + 2, { by: "b", id: id + 2, parent: id, text: "two", time: TIME + 120, type: "comment" }]
  ])
)

const endpoint = () => process.env.MEDALLION_TEST_S3_ENDPOINT!
const credentials = () => ({
  MEDALLION_S3_ACCESS_KEY_ID: process.env.MEDALLION_TEST_S3_ACCESS_KEY!,
  MEDALLION_S3_SECRET_ACCESS_KEY: process.env.MEDALLION_TEST_S3_SECRET_KEY!
})

/** One S3 client for the test file's own requests (buckets, listings), closed after the file. */
let client: S3Client | undefined
const s3 = () =>
  (client ??= new S3Client({
    endpoint: endpoint(),
    region: "us-east-1",
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.MEDALLION_TEST_S3_ACCESS_KEY!,
      secretAccessKey: process.env.MEDALLION_TEST_S3_SECRET_KEY!
    }
  }))
afterAll(() => client?.destroy())

/** Object keys of the bucket, all pages. */
const objectKeys = (name: string) =>
  Effect.promise(async () => {
    const keys: Array<string> = []
    let token: string | undefined
    do {
      const page = await s3().send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }))
      for (const object of page.Contents ?? []) keys.push(object.Key!)
      token = page.NextContinuationToken
    } while (token !== undefined)
    return keys
  })

let buckets = 0
/** A fresh bucket per test, emptied and removed after it (the server may be a shared one). */
const bucket = Effect.acquireRelease(
  Effect.promise(async () => {
    const name = `medallion-scale-${process.pid}-${++buckets}`
    await s3().send(new CreateBucketCommand({ Bucket: name }))
    return name
  }),
  (name) =>
    Effect.flatMap(objectKeys(name), (keys) =>
      Effect.promise(async () => {
        for (const key of keys) await s3().send(new DeleteObjectCommand({ Bucket: name, Key: key }))
        await s3().send(new DeleteBucketCommand({ Bucket: name }))
      })
    ).pipe(Effect.ignore)
)

const config = (options: { readonly serverUrl: string; readonly bucket: string; readonly shard?: string }) => ({
  bronze: {
    store: "s3",
    s3: { bucket: options.bucket, endpoint: endpoint(), forcePathStyle: true },
    discovery: "index"
  },
  sources: [
    { type: "hn", baseUrl: options.serverUrl, maxItems: STORIES.length, every: "10 minutes", fetchArticles: false }
  ],
  ...(options.shard === undefined ? {} : { fetch: { shard: options.shard } }),
  http: { allowNetworks: ["127.0.0.1/32"], perHostConcurrency: 4, perHostInterval: "0 millis" },
  sensors: { interval: "1 second", batchSize: 2 },
  runs: {
    launcher: "queue",
    concurrency: 2,
    queue: { heartbeat: "1 second", deadAfter: "3 seconds", pollInterval: "1 second", runTimeout: "20 seconds" }
  },
  metrics: { fetchPort: 0, transformPort: 0 }
})

/** What is still missing or wrong in silver (empty when every story is there once, transformed, with both comments). */
const problems = (sql: PgClient.PgClient) =>
  Effect.gen(function* () {
    const out: Array<string> = []
    const rows = yield* Silver.items(sql)
    const keys = rows.map((row) => `${row.sourceType}/${row.externalId}`).sort()
    const want = STORIES.map((id) => `hn/${id}`).sort()
    if (JSON.stringify(keys) !== JSON.stringify(want)) out.push(`${keys.length} items, expected ${want.length}`)
    const pending = rows.filter((row) => row.transformStatus !== "transformed")
    if (pending.length > 0) out.push(`${pending.length} item(s) not transformed, e.g. ${pending[0]!.externalId}`)
    if (out.length > 0) {
      // Where the missing work is: the runs by status, and the jobs still queued with their attempts.
      const runs = yield* sql<{ readonly status: string; readonly count: number }>`
        select status, count(*)::int as count from sensor_runs group by 1 order by 1`.pipe(
        Effect.orElseSucceed(() => [])
      )
      const jobs = yield* sql<{
        readonly attempts: number
        readonly locked: boolean
        readonly due: string
        readonly error: string | null
      }>`
        select attempts, locked_by is not null as locked, (run_at - now())::text as due, left(last_error, 120) as error
        from graphile_worker._private_jobs order by run_at limit 5`.pipe(Effect.orElseSucceed(() => []))
      out.push(`runs ${JSON.stringify(runs)}`, `jobs ${JSON.stringify(jobs)}`)
      return out
    }
    const comments = yield* Silver.commentCounts(sql)
    for (const id of STORIES) {
      const count = comments.get(`hn/${id}`)
      if (count?.rows !== 2 || count.ids !== 2) out.push(`hn/${id}: comments ${JSON.stringify(count)}`)
    }
    for (const duplicate of yield* Silver.duplicateChildRows(sql))
      if (duplicate.count > 0) out.push(`${duplicate.count} duplicated key(s) in ${duplicate.table}`)
    const runs = yield* sql<{ readonly status: string; readonly count: number }>`
      select status, count(*)::int as count from sensor_runs where sensor = 'bronze-to-silver' group by 1`
    for (const run of runs) if (run.status !== "succeeded") out.push(`${run.count} run(s) ${run.status}`)
    const jobs = yield* sql<{
      readonly count: number
    }>`select count(*)::int as count from graphile_worker._private_jobs`
    if (jobs[0]!.count > 0) {
      const left = yield* sql`
        select j.attempts, j.max_attempts, j.locked_by is not null as locked, (j.run_at - now())::text as due,
               r.status as run, left(j.last_error, 120) as error
        from graphile_worker._private_jobs j
        left join sensor_runs r on r.sensor = j.payload->>'sensor' and r.run_key = j.payload->>'runKey'
        limit 5`
      out.push(`${jobs[0]!.count} job(s) still in the queue: ${JSON.stringify(left)}`)
    }
    return out
  })

/** The daemons of one deployment: config files per role, a data dir per process. */
const deployment = (options: { readonly serverUrl: string; readonly databaseUrl: Redacted.Redacted<string> }) =>
  Effect.gen(function* () {
    const dir = yield* Medallion.tempDir("medallion-scale-")
    const name = yield* bucket
    const env = { DATABASE_URL: Redacted.value(options.databaseUrl), ...credentials() }
    const file = (label: string, shard?: string) =>
      Medallion.writeJson(
        Path.join(dir, `${label}.json`),
        config({ serverUrl: options.serverUrl, bucket: name, ...(shard === undefined ? {} : { shard }) })
      )
    let started = 0
    const daemon = (command: "fetch" | "transform", configFile: string) =>
      Medallion.spawn({
        args: [...Medallion.flags(Path.join(dir, `${command}-${++started}`), configFile), command],
        env
      })
    const transformConfig = file("transform")
    return {
      bucket: name,
      status: Effect.map(
        Medallion.run({
          args: [...Medallion.flags(Path.join(dir, "status"), transformConfig), "status", "--json"],
          env
        }),
        (result) => {
          assert.strictEqual(result.code, 0, result.output)
          return JSON.parse(result.stdout) as {
            readonly items: { readonly total: number }
            readonly queue: { readonly stats: Record<string, number>; readonly dead: ReadonlyArray<unknown> } | null
          }
        }
      ),
      fetch: (shard: string) => daemon("fetch", file(`fetch-${shard.replace("/", "-of-")}`, shard)),
      transform: () => daemon("transform", transformConfig)
    }
  })

/**
 * What bronze must not hold after the daemons: an unfinished multipart upload or an unreferenced blob
 * (nothing here is large enough to need one), or more than the one version of a story's item (the
 * server never changes them, so a second fetch stores nothing new).
 */
const bucketProblems = (name: string) =>
  Effect.gen(function* () {
    const keys = yield* objectKeys(name)
    const uploads = yield* Effect.promise(() => s3().send(new ListMultipartUploadsCommand({ Bucket: name })))
    const out: Array<string> = []
    if ((uploads.Uploads ?? []).length > 0) out.push(`${uploads.Uploads!.length} unfinished multipart upload(s)`)
    const blobs = keys.filter((key) => key.startsWith("_blobs/"))
    if (blobs.length > 0) out.push(`blobs: ${blobs.join(", ")}`)
    for (const id of STORIES) {
      const versions = keys.filter((key) => key.startsWith(`hn/${id}/item.`) || key.startsWith(`hn/${id}/item@`))
      if (versions.length !== 1) out.push(`hn/${id}: item stored as ${JSON.stringify(versions)}`)
    }
    return out
  })

/** Jobs locked right now by the queue worker pool of process `pid` (daemons on this machine). */
const jobsLockedBy = (sql: PgClient.PgClient, pid: number) =>
  Effect.map(
    sql<{ readonly count: number }>`
      select count(*)::int as count from graphile_worker._private_jobs j
      join queue_workers w on w.worker_id = j.locked_by where w.pid = ${pid}`.pipe(
      Effect.catch(() => Effect.succeed([{ count: 0 }]))
    ),
    (rows) => rows[0]!.count
  )

/** The address of a daemon's `/metrics`, from the line its server logs once it listens (on a free port). */
const metricsUrl = (daemon: Medallion.MedallionProcess) =>
  Medallion.until(Effect.sync(() => LISTENING.test(daemon.output()))).pipe(
    Effect.map(() => `${LISTENING.exec(daemon.output())![1]}/metrics`)
  )
const LISTENING = /Listening on (http:\/\/127\.0\.0\.1:\d+)/

/**
 * The bronze -> silver runs a transform daemon finished, as its `/metrics` counts them; a daemon that does
 * not answer fails the test with how it exited and what it printed.
 */
const runsFinished = (url: string, daemon: Medallion.MedallionProcess) =>
  Effect.tryPromise({
    try: () => fetch(url).then((response) => response.text()),
    catch: (cause) =>
      new Error(
        `transform daemon ${daemon.pid} did not answer ${url} (${String(cause)}); its exit: ${JSON.stringify(daemon.exit() ?? "still running")}:\n${daemon.output().slice(-5000)}`
      )
  }).pipe(
    Effect.orDie,
    Effect.map((text) => {
      let total = 0
      for (const line of text.split("\n")) {
        if (!line.startsWith("medallion_runs_finished_total{")) continue
        if (line.includes('sensor="bronze-to-silver"')) total += Number(line.slice(line.lastIndexOf(" ") + 1))
      }
      return total
    })
  )

describe("two fetch daemons and several transform daemons on the queue, S3 and one PostgreSQL", () => {
  it.live(
    "ingest every item exactly once, each fetched by one shard only",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const database = yield* TestDatabase.makeDatabase("medallion_scale")
        const sql = yield* Silver.connect(database.url)
        const deploy = yield* deployment({ serverUrl: server.url, databaseUrl: database.url })
        const daemons = [
          yield* deploy.fetch("1/2"),
          yield* deploy.fetch("2/2"),
          yield* deploy.transform(),
          yield* deploy.transform()
        ]
        assert.deepStrictEqual(yield* Scenario.settle(sql, daemons, "150 seconds", problems), [])
        // Sharded: each story and comment was asked for once, by the one daemon whose shard it is.
        for (const id of STORIES) {
          for (const item of [id, id + 1, id + 2])
            assert.strictEqual(server.hits(`/v0/item/${item}.json`), 1, `${item}`)
        }
        assert.deepStrictEqual(yield* bucketProblems(deploy.bucket), [])
        for (const daemon of daemons) assert.isUndefined(daemon.exit(), daemon.output())
        // status reads the queue too: nothing left, nothing dead, both transform daemons' pools alive.
        const status = yield* deploy.status
        assert.strictEqual(status.items.total, STORIES.length)
        assert.deepStrictEqual(status.queue, { stats: { queued: 0, running: 0, dead: 0, workers: 2 }, dead: [] })
      }).pipe(Effect.provide(FixtureServer.layer({ hnItems, topStories: STORIES, rewriteHnUrls: false }))),
    200_000
  )

  it.live.each([1, 2])(
    "seed %i: SIGKILL a fetch daemon (restarted) and a transform daemon mid-run while the others go on: every item exactly once",
    (seed) =>
      Effect.gen(function* () {
        const random = Prng.make(seed)
        const server = yield* FixtureServer
        const database = yield* TestDatabase.makeDatabase("medallion_scale_kill")
        const sql = yield* Silver.connect(database.url)
        const deploy = yield* deployment({ serverUrl: server.url, databaseUrl: database.url })
        const transforms = [yield* deploy.transform(), yield* deploy.transform(), yield* deploy.transform()]
        const shards = ["1/2", "2/2"]
        const fetches = [yield* deploy.fetch(shards[0]!), yield* deploy.fetch(shards[1]!)]

        const kill = (victim: Medallion.MedallionProcess) =>
          Effect.gen(function* () {
            assert.isUndefined(victim.exit(), victim.output())
            yield* victim.kill("SIGKILL")
            assert.strictEqual((yield* victim.exited).signal, "SIGKILL")
          })

        // A fetch daemon dies at a seeded point of its start-up or fetching; its shard's replacement
        // fetches what it had not stored yet (what it had is unchanged in bronze: skipped).
        const shard = random.between(0, 1)
        yield* Effect.sleep(Duration.millis(random.between(300, 3000)))
        yield* kill(fetches[shard]!)
        const replacement = yield* deploy.fetch(shards[shard]!)

        // A transform daemon dies in the middle of a run: once it holds a job, after a seeded delay.
        const victim = transforms[random.between(0, 2)]!
        yield* Effect.sleep(Duration.millis(random.between(0, 1500)))
        yield* jobsLockedBy(sql, victim.pid).pipe(
          Effect.repeat({ until: (count: number) => count > 0, schedule: Schedule.spaced("20 millis") })
        )
        yield* kill(victim)
        const before = (yield* Silver.items(sql)).filter((row) => row.transformStatus === "transformed").length
        // Its jobs stay locked by the dead pool until a survivor's sweep frees them: the path under test.
        const orphaned = yield* jobsLockedBy(sql, victim.pid)

        const survivors = [...transforms.filter((t) => t !== victim), fetches[1 - shard]!, replacement]
        assert.isAbove(orphaned, 0, "the victim finished its job before the kill")
        assert.isBelow(before, STORIES.length, "the kill came after all the work was done")
        assert.deepStrictEqual(
          yield* Scenario.settle(sql, survivors, "150 seconds", problems),
          [],
          `${before} item(s) were transformed before the kill`
        )
        assert.deepStrictEqual(yield* bucketProblems(deploy.bucket), [])
      }).pipe(Effect.provide(FixtureServer.layer({ hnItems, topStories: STORIES, rewriteHnUrls: false }))),
    200_000
  )

  it.live(
    "PostgreSQL down for 30 seconds mid-run: every daemon recovers by itself and the work completes",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const dir = yield* Medallion.tempDir("medallion-scale-pg-")
        const dataDir = Path.join(dir, "postgres")
        const postgres = yield* Postgres.restartable(dataDir)
        const first = yield* postgres.start
        const sql = yield* Silver.connect(first.postgres.adminUrl)
        const deploy = yield* deployment({ serverUrl: server.url, databaseUrl: first.postgres.adminUrl })
        const transforms = [yield* deploy.transform(), yield* deploy.transform()]
        const daemons = [...transforms, yield* deploy.fetch("1/2"), yield* deploy.fetch("2/2")]
        const metrics = yield* Effect.forEach(transforms, metricsUrl)
        yield* Medallion.until(
          Effect.map(Silver.items(sql), (rows) => rows.some((row) => row.transformStatus === "transformed"))
        )
        const before = (yield* Silver.items(sql)).filter((row) => row.transformStatus === "transformed").length
        assert.isBelow(before, STORIES.length, "the stop came after all the work was done")
        yield* first.stop
        assert.isFalse(EmbeddedPostgres.isAlive(first.postgres.pid))
        // What each transform daemon had finished before the outage (its metrics need no database).
        const runsBefore = yield* Effect.forEach(metrics, (url, i) => runsFinished(url, transforms[i]!))
        yield* Effect.sleep("30 seconds")
        for (const daemon of daemons) assert.isUndefined(daemon.exit(), daemon.output())

        yield* postgres.start
        const result = yield* Scenario.settle(sql, daemons, "150 seconds", problems)
        assert.deepStrictEqual(result, [], `${before} item(s) were transformed before the stop`)
        // The same processes did it all: none exited, none was started again; and each transform daemon
        // took part after the outage (one whose queue worker gave up for good would have left it to the other).
        for (const daemon of daemons) assert.isUndefined(daemon.exit(), daemon.output())
        const runsAfter = yield* Effect.forEach(metrics, (url, i) => runsFinished(url, transforms[i]!))
        transforms.forEach((daemon, i) =>
          assert.isAbove(
            runsAfter[i]!,
            runsBefore[i]!,
            `runs finished by ${daemon.pid}:\n${daemon.output().slice(-5000)}`
          )
        )
        assert.deepStrictEqual(yield* bucketProblems(deploy.bucket), [])
      }).pipe(Effect.provide(FixtureServer.layer({ hnItems, topStories: STORIES, rewriteHnUrls: false }))),
    240_000
  )
})
