import { QueueAdmin } from "@medallion/queue"
import { SensorStore } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import { TransformConfig, TransformDaemon } from "@medallion/transform-daemon"
import { Clock, Console, Effect, Option, Schema } from "effect"
import * as App from "../App.ts"
import { NotFound } from "../ExitCode.ts"
import * as Operations from "../Operations.ts"
import * as Progress from "../Progress.ts"

const ItemKeys = Schema.Array(Schema.Struct({ sourceType: Schema.String, externalId: Schema.String }))

/** What `medallion retry` runs (its definition: ../definitions/Retry.ts). */
export const handler = Effect.fn(function* ({
  runKey,
  items
}: {
  readonly runKey: Option.Option<string>
  readonly items: boolean
}) {
  yield* Operations.run((app) =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      const repo = yield* ItemRepo
      const job = TransformConfig.transformJob(app.config, App.plugins(app))
      const sensor = TransformDaemon.BRONZE_SENSOR
      if (Option.isSome(runKey) && Option.isNone(yield* store.getRun(sensor, runKey.value)))
        return yield* new NotFound({
          message: `no run ${runKey.value} of sensor ${sensor} (see \`medallion status\`)`
        })
      if (app.config.runs.launcher === "queue") {
        // On the queue the transform daemons run them: failed runs and dead jobs go back to the queue.
        const admin = yield* QueueAdmin.QueueAdmin.pipe(
          Effect.provide(QueueAdmin.layer({ maxAttempts: app.config.runs.maxAttempts }))
        )
        const requeued = yield* admin.retry(sensor, Option.getOrUndefined(runKey))
        yield* Console.log(`re-queued ${requeued.length} failed run(s); the transform daemons run them`)
      }
      // In process: failed runs go back to `requested` and are run here, now; each records its outcome.
      const runs =
        app.config.runs.launcher === "queue" ? [] : yield* store.resetFailedRuns(sensor, Option.getOrUndefined(runKey))
      let stillFailing = 0
      const started = yield* Clock.currentTimeMillis
      const progress = Progress.make({ label: "retry", unit: "runs" })
      for (const [done, run] of runs.entries()) {
        yield* progress.update({
          done,
          total: runs.length,
          elapsedMs: (yield* Clock.currentTimeMillis) - started,
          counts: { "still failing": stillFailing }
        })
        const keys = yield* Schema.decodeUnknownEffect(ItemKeys)(run.items)
        yield* store.updateRun(sensor, run.runKey, { status: "running" })
        const result = yield* job.run(keys)
        if (result.failures.length > 0) stillFailing++
        yield* store.updateRun(
          sensor,
          run.runKey,
          result.failures.length === 0
            ? { status: "succeeded", error: null, failures: [] }
            : {
                status: "failed",
                error: `${result.failures.length} of ${keys.length} items failed; first: ${result.failures[0]!.reason}`,
                failures: result.failures
              }
        )
      }
      if (runs.length > 0)
        yield* progress.update({
          done: runs.length,
          total: runs.length,
          elapsedMs: (yield* Clock.currentTimeMillis) - started,
          counts: { "still failing": stillFailing }
        })
      yield* progress.stop
      if (app.config.runs.launcher === "in-process")
        yield* Console.log(`retried ${runs.length} failed run(s); ${stillFailing} still failing`)
      if (items) {
        let afterId: number | undefined = undefined
        let total = 0
        let failures = 0
        const counts = yield* repo.countByStatus()
        const failed = counts.filter((c) => c.transformStatus === "failed").reduce((n, c) => n + c.count, 0)
        const itemsStarted = yield* Clock.currentTimeMillis
        const itemProgress = Progress.make({ label: "retry", unit: "items" })
        const report = Effect.gen(function* () {
          yield* itemProgress.update({
            done: total,
            // Items that failed meanwhile join the end of the walk: the total grows with them.
            total: Math.max(failed, total),
            elapsedMs: (yield* Clock.currentTimeMillis) - itemsStarted,
            counts: { "still failing": failures }
          })
        })
        while (true) {
          yield* report
          const page: ReadonlyArray<{ id: number; sourceType: string; externalId: string }> = yield* repo.listByStatus({
            transformStatus: "failed",
            afterId,
            limit: 200
          })
          if (page.length === 0) break
          const result = yield* job.run(page.map((i) => ({ sourceType: i.sourceType, externalId: i.externalId })))
          total += page.length
          failures += result.failures.length
          afterId = page[page.length - 1]!.id
        }
        yield* report
        yield* itemProgress.stop
        yield* Console.log(`transformed ${total} failed item(s) again; ${failures} still failing`)
      }
    }).pipe(Effect.provide(TransformConfig.extractPool(app.config)))
  )
})
