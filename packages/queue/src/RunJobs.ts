/**
 * Runs as graphile-worker jobs: one job per run of a sensor, its payload only `{ sensor, runKey }` (the
 * items stay in `sensor_runs`), its `job_key` `<sensor>/<runKey>` (a sensor name never holds a `/`), so a
 * run has at most one job. Everything here is plain SQL on the caller's connection, so it commits or
 * rolls back with the caller's transaction (the tick's, or a retry's).
 *
 * It reads graphile-worker's own tables (`_private_jobs`, `_private_tasks`) where its public view lacks
 * the payload or the functions lack a filter; the package pins graphile-worker's version.
 */
import { SilverError } from "@medallion/silver"
import { Effect, Redacted, Schema } from "effect"
import { runMigrations } from "graphile-worker"
import type { SqlClient } from "effect/sql/SqlClient"
import * as SqlSchema from "effect/sql/SqlSchema"
import { QueueError } from "./QueueError.ts"

/** graphile-worker's task identifier of a run. */
export const TASK = "medallion_run"

/** Attempts per run before its job is dead (graphile retries with backoff of exp(attempt) seconds). */
export const DEFAULT_MAX_ATTEMPTS = 5

export const Payload = Schema.Struct({ sensor: Schema.String, runKey: Schema.String })
export type Payload = typeof Payload.Type

export const jobKey = (run: Payload) => `${run.sensor}/${run.runKey}`

/** The runs as a JSON array of `{ sensor, runKey, key }` for the statements below. */
const runsJson = (runs: ReadonlyArray<Payload>) =>
  JSON.stringify(runs.map((run) => ({ sensor: run.sensor, runKey: run.runKey, key: jobKey(run) })))

/** Installs (or upgrades) graphile-worker's schema, so jobs can be added before any worker has started. */
export const installSchema = (connectionString: Redacted.Redacted<string>) =>
  Effect.tryPromise({
    try: () => runMigrations({ connectionString: Redacted.value(connectionString), noHandleSignals: true }),
    catch: (cause) => new QueueError({ operation: "installSchema", cause })
  })

/**
 * Adds one job per run (the tick's fresh runs). A queued job with the same key is replaced in place,
 * never doubled.
 */
export const add = (sql: SqlClient, runs: ReadonlyArray<Payload>, maxAttempts: number) =>
  runs.length === 0
    ? Effect.succeed(0)
    : sql`
        select id from graphile_worker.add_jobs(array(
          select row(
            ${TASK}::text,
            json_build_object('sensor', r->>'sensor', 'runKey', r->>'runKey'),
            null::text, null::timestamptz, ${maxAttempts}::int,
            r->>'key',
            null::int, null::text[]
          )::graphile_worker.job_spec
          from jsonb_array_elements(${runsJson(runs)}::jsonb) r
        ))`.pipe(Effect.map((rows) => rows.length))

/** A wanted run and the state of its job; the job id is a bigint, selected as text. */
const RequeueRow = Schema.Struct({
  sensor: Schema.String,
  runKey: Schema.String,
  jobId: Schema.NullOr(Schema.String),
  state: Schema.Literals(["none", "running", "dead", "queued"])
})

/**
 * Gives each of `runs` that is still unfinished in `sensor_runs` a job again (recovery, retry): a dead job
 * (attempts exhausted) is re-queued with its attempts reset; a run without a job gets one; a queued or
 * running job is left alone, so a job is never doubled. With `replaceRunning`, a run whose job is still
 * locked gets a new job too: right after a retry reset a failed run, that job has finished its work and
 * is only waiting to be deleted. Returns the runs re-queued (their dead job rescheduled, or a job added).
 */
export const requeue = (
  sql: SqlClient,
  runs: ReadonlyArray<Payload>,
  maxAttempts: number,
  options: { readonly replaceRunning?: boolean } = {}
) =>
  Effect.gen(function* () {
    if (runs.length === 0) return []
    const rows = yield* SqlSchema.findAll({
      Request: Schema.Void,
      Result: RequeueRow,
      execute: () => sql`
        with wanted as (
          select r.sensor, r.run_key, k->>'key' as key
          from jsonb_array_elements(${runsJson(runs)}::jsonb) k
          join sensor_runs r on r.sensor = k->>'sensor' and r.run_key = k->>'runKey'
          where r.status in ('requested', 'running')
        )
        select w.sensor, w.run_key as "runKey", j.id::text as "jobId",
               case when j.id is null then 'none'
                    when j.locked_at is not null then 'running'
                    when j.attempts >= j.max_attempts then 'dead'
                    else 'queued' end as state
        from wanted w left join graphile_worker._private_jobs j on j.key = w.key`
    })(undefined).pipe(SilverError.undecodableAsSqlError("RunJobs.requeue", "wanted runs"))
    const dead = rows.filter((row) => row.state === "dead")
    const missing = rows.filter(
      (row) => row.state === "none" || (options.replaceRunning === true && row.state === "running")
    )
    if (dead.length > 0) {
      yield* sql`
        select id from graphile_worker.reschedule_jobs(
          array(select jsonb_array_elements_text(${JSON.stringify(dead.map((row) => row.jobId!))}::jsonb)::bigint),
          run_at := now(), attempts := 0, max_attempts := ${maxAttempts}::int)`
    }
    yield* add(
      sql,
      missing.map((row) => ({ sensor: row.sensor, runKey: row.runKey })),
      maxAttempts
    )
    return [...dead, ...missing].map((row): Payload => ({ sensor: row.sensor, runKey: row.runKey }))
  })
