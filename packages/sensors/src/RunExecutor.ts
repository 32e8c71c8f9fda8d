/**
 * Executes one run of a sensor's job from its stored items: decodes them with the job's item schema, runs
 * the job, and encodes the items of its failures back to JSON, as the run records keep them. The runner
 * executes in-process runs with it; a queue worker executes the runs it loads from the database with it.
 */
import { Effect, Schema } from "effect"
import type { JobResult } from "./Job.ts"
import type { AnySensor } from "./Sensor.ts"
import { SensorNotFound } from "./SensorErrors.ts"

/** `(sensor, encodedItems) => result`: failures carry encoded items; an unknown sensor fails with `SensorNotFound`. */
export type RunExecutor = (sensor: string, items: ReadonlyArray<unknown>) => Effect.Effect<JobResult<unknown>, unknown>

/** An executor for `sensors`, their jobs running with the context this is built in. */
export const make = Effect.fnUntraced(function* <R>(sensors: ReadonlyArray<AnySensor<R>>) {
  const context = yield* Effect.context<R>()
  const bySensor = new Map(
    sensors.map((sensor) => [sensor.name, { sensor, items: Schema.toCodecJson(Schema.Array(sensor.job.item)) }])
  )

  const execute: RunExecutor = (name, encoded) =>
    Effect.gen(function* () {
      const entry = bySensor.get(name)
      if (entry === undefined) return yield* new SensorNotFound({ sensor: name })
      const decoded = yield* Schema.decodeUnknownEffect(entry.items)(encoded)
      const result: JobResult<unknown> = yield* entry.sensor.job.run(decoded)
      if (result.failures.length === 0) return result
      const failedItems = (yield* Schema.encodeUnknownEffect(entry.items)(
        result.failures.map((failure) => failure.item)
      )) as ReadonlyArray<unknown>
      return {
        failures: result.failures.map((failure, i) => ({ item: failedItems[i], reason: failure.reason }))
      }
    }).pipe(Effect.provideContext(context))

  return execute
})
