import { QueueAdmin } from "@medallion/queue"
import { SensorStore } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import { TransformDaemon } from "@medallion/transform-daemon"
import { Console, Effect, Option, Schema } from "effect"
import { NotFound } from "../ExitCode.ts"
import * as Operations from "../Operations.ts"
import * as TransformWiring from "../TransformWiring.ts"

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
      const job = TransformWiring.transformJob(app)
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
      for (const run of runs) {
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
      if (app.config.runs.launcher === "in-process")
        yield* Console.log(`retried ${runs.length} failed run(s); ${stillFailing} still failing`)
      if (items) {
        let afterId: number | undefined = undefined
        let total = 0
        let failures = 0
        while (true) {
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
        yield* Console.log(`transformed ${total} failed item(s) again; ${failures} still failing`)
      }
    }).pipe(Effect.provide(TransformWiring.extractPool(app)))
  )
})
