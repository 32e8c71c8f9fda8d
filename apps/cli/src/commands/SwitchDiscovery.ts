/**
 * `medallion switch-discovery`: the bronze -> silver sensor moved to the configured discovery mode
 * (see `DiscoverySwitch`), holding the sensor's lease throughout so that no daemon ticks meanwhile.
 */
import * as Os from "node:os"
import { BronzeMaintenance } from "@medallion/bronze"
import { DiscoverySwitch, SensorStore, SqlSensorStore } from "@medallion/sensors"
import { SilverMigrator } from "@medallion/silver"
import { BRONZE_SENSOR } from "@medallion/transform-daemon/names"
import { Clock, Console, Effect, Layer, Option, Schedule } from "effect"
import * as App from "../App.ts"
import { Refused } from "../ExitCode.ts"
import * as Progress from "../Progress.ts"

/**
 * The sensor's lease, held throughout and renewed in the background every third of it: a daemon started
 * meanwhile waits, and a switch killed midway blocks its rerun (or a daemon) for at most this long.
 */
const LEASE_TTL_MS = 30_000

/** What `medallion switch-discovery` runs (its definition: ../definitions/SwitchDiscovery.ts). */
export const handler = Effect.fn(function* () {
  yield* App.run((app) =>
    Effect.gen(function* () {
      const target = app.config.bronze.discovery
      const store = yield* SensorStore
      const stored = yield* store.getCursor(BRONZE_SENSOR)
      if (Option.isNone(stored))
        return yield* Console.log(`${BRONZE_SENSOR} has no cursor yet: it starts in ${target} mode; nothing to switch`)
      const cursor = yield* DiscoverySwitch.storedCursor(BRONZE_SENSOR)
      if (Option.isNone(cursor))
        return yield* new Refused({
          message: `the cursor of ${BRONZE_SENSOR} is neither mode's (${JSON.stringify(stored.value).slice(0, 200)}): \`medallion sensors reset ${BRONZE_SENSOR}\` starts it over`
        })
      const from = DiscoverySwitch.modeOf(cursor.value)
      if (from === target)
        return yield* Console.log(`${BRONZE_SENSOR} is in ${target} mode already (bronze.discovery); nothing to switch`)

      const owner = `medallion switch-discovery ${Os.hostname()}:${process.pid}`
      if (!(yield* store.acquireLease(BRONZE_SENSOR, owner, LEASE_TTL_MS, stored.value))) {
        const holder = (yield* store.listSensors).find((s) => s.sensor === BRONZE_SENSOR)?.leaseOwner
        return yield* new Refused({
          message: `${BRONZE_SENSOR} is owned by ${holder ?? "another process"}; stop the transform daemons first (a lease left by a stopped process expires within ${LEASE_TTL_MS / 1000} s)`
        })
      }
      return yield* Effect.gen(function* () {
        yield* Effect.forkScoped(
          Effect.repeat(store.renewLease(BRONZE_SENSOR, owner, LEASE_TTL_MS), Schedule.spaced(LEASE_TTL_MS / 3))
        )
        const started = yield* Clock.currentTimeMillis
        const progressOf = (label: string) => {
          const progress = Progress.make({ label, unit: "artifacts" })
          const update = (done: number) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              progress.update({ done, total: undefined, elapsedMs: now - started })
            )
          return { progress, update }
        }
        if (target === "index") {
          // Every artifact gets its index line first: the new cursor is the index's end.
          const { progress } = progressOf("index lines")
          const maintenance = yield* BronzeMaintenance
          const report = yield* maintenance
            .reconcile({ onProgress: progress.update })
            .pipe(Effect.ensuring(progress.stop))
          yield* Console.log(
            `index: ${report.restoredIndexLines} line(s) added for ${report.scannedArtifacts} artifact(s)`
          )
        }
        const lag = yield* DiscoverySwitch.lagOf(cursor.value)
        const walking = progressOf(`walk (${target})`)
        const walk = yield* DiscoverySwitch.walkTo(target, walking.update).pipe(Effect.ensuring(walking.progress.stop))
        const switched = yield* DiscoverySwitch.commit({
          sensor: BRONZE_SENSOR,
          owner,
          cursor: walk.cursor,
          artifacts: [...lag, ...walk.unknown],
          batchSize: app.config.sensors.batchSize
        })
        yield* Console.log(
          `${BRONZE_SENSOR}: moved from ${from} to ${target} mode over ${walk.artifacts} artifact(s); ` +
            `${lag.length} artifact(s) the old cursor had not handed out and ${walk.unknown.length} of items silver lacks: ` +
            `${switched.items} item(s) in ${switched.runs} run(s), which the transform daemon runs when it starts`
        )
      }).pipe(Effect.ensuring(Effect.ignore(store.releaseLease(BRONZE_SENSOR, owner))), Effect.scoped)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(SqlSensorStore.layer, App.bronze(app)).pipe(
          Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run())),
          Layer.provideMerge(App.database(app))
        )
      )
    )
  )
})
