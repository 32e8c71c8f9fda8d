/**
 * The real bronze -> silver path for the hostile-input suite: the filesystem store in a temp folder, the
 * scan-mode bronze -> silver sensor with the built-in transforms, the in-process launcher, and the SQL
 * sensor store and silver on a real PostgreSQL (a fresh database per test file). What each item became
 * is read back from silver (a row) and from the run records (a failed item with its reason).
 */
import { BronzeReader, BronzeWriter, FileSystemBronze, type ItemKey } from "@medallion/bronze"
import { BronzeSensor, InProcessLauncher, SensorRunner, SensorStore, SqlSensorStore } from "@medallion/sensors"
import { type Item, ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as TransformJob from "../../src/transform/TransformJob.ts"
import { tempDir } from "../support/TempDir.ts"

export const SENSOR = "hostile"

/** The folder the store writes to, for tests that write into it the way another process would. */
export class BronzeRoot extends Context.Service<BronzeRoot, string>()("test/hostile/BronzeRoot") {}

const Root = Layer.effect(BronzeRoot, tempDir("medallion-hostile-"))

const Bronze = Layer.unwrap(
  Effect.map(BronzeRoot, (root) => FileSystemBronze.layerWith({ root, catalog: "scan" }))
).pipe(Layer.provideMerge(Root))

const Silver = ItemRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
)

const sensor = BronzeSensor.scan({
  name: SENSOR,
  job: TransformJob.make(),
  settle: 0,
  reconcileEvery: null,
  batchSize: 20,
  maxRunsPerTick: 50,
  minInterval: "1 hour"
})

/** Everything a hostile test needs, built once per file. */
export const layer = SensorRunner.layer([sensor], { owner: "hostile-test", wakeFloor: "10 millis" }).pipe(
  Layer.provideMerge(InProcessLauncher.layer({ maxAttempts: 2, retryBase: "10 millis" })),
  Layer.provideMerge(SqlSensorStore.layer),
  Layer.provideMerge(Layer.mergeAll(Bronze, Silver))
)

export type Services =
  SensorRunner.SensorRunner | SensorStore | BronzeWriter | BronzeReader | BronzeRoot | ItemRepo | SqlClient

/** Fails with `what` when `effect` has not finished after `seconds` (real time): nothing may stall. */
export const within =
  (seconds: number, what: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.timeoutOrElse(effect, {
      duration: `${seconds} seconds`,
      orElse: () => Effect.die(new Error(`${what} did not finish within ${seconds} s: something stalled`))
    })

/**
 * Ticks until a tick has nothing new, waiting for the runs of each: what bronze holds is then handed to
 * silver. Every tick must succeed or skip (a failed tick is how a poison item stalled the sensor).
 */
export const settle = Effect.gen(function* () {
  const runner = yield* SensorRunner.SensorRunner
  const started = yield* Clock.currentTimeMillis
  for (let ticks = 0; ticks < 50; ticks++) {
    const report = yield* runner.tick(SENSOR).pipe(within(30, "a tick"))
    yield* runner.awaitIdle(SENSOR).pipe(within(60, "the runs of a tick"))
    if (report.status === "failed") return yield* Effect.die(new Error(`a tick failed: ${report.reason}`))
    if (report.status === "skipped") return { ticks: ticks + 1, ms: (yield* Clock.currentTimeMillis) - started }
  }
  return yield* Effect.die(new Error("the sensor still found new work after 50 ticks"))
})

/** No tick of the sensor ever failed. */
export const failedTicks = Effect.gen(function* () {
  const store = yield* SensorStore
  return (yield* store.recentTicks(SENSOR, 1000)).filter((tick) => tick.status === "failed")
})

/** Every failed item of the sensor's runs, with its reason: quarantined ones are shown as JSON text. */
export const failedItems = Effect.gen(function* () {
  const sql = yield* SqlClient
  const rows = yield* sql<{ runKey: string; failures: unknown }>`
    select run_key, failures from sensor_runs where sensor = ${SENSOR} and status = 'failed'`
  return rows.flatMap((row) =>
    (
      (typeof row.failures === "string" ? JSON.parse(row.failures) : row.failures) as ReadonlyArray<{
        readonly item: unknown
        readonly reason: string
      }>
    ).map((failure) => ({ runKey: row.runKey, ...failure }))
  )
})

export type Outcome =
  | { readonly _tag: "Row"; readonly detail: Item.ItemDetail }
  | { readonly _tag: "FailedItem"; readonly reason: string }
  | { readonly _tag: "Nothing" }

/** What silver, or the run records, say about an item. */
export const outcomeOf = (key: ItemKey, failures: ReadonlyArray<{ readonly item: unknown; readonly reason: string }>) =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    const row = yield* Effect.option(repo.get(key))
    if (Option.isSome(row) && Option.isSome(row.value)) return { _tag: "Row", detail: row.value.value } as Outcome
    const shown = JSON.stringify(key)
    const failure = failures.find(
      (f) =>
        f.item === shown ||
        (typeof f.item === "object" &&
          f.item !== null &&
          (f.item as ItemKey).sourceType === key.sourceType &&
          (f.item as ItemKey).externalId === key.externalId)
    )
    return (failure === undefined ? { _tag: "Nothing" } : { _tag: "FailedItem", reason: failure.reason }) as Outcome
  })
