/**
 * Liveness of queue workers in `queue_workers`. graphile-worker keeps the jobs of a worker that died
 * without unlocking them (SIGKILL, a lost machine) locked for 4 hours; here every worker writes a
 * heartbeat, and the sweep any live worker runs releases the jobs of workers whose heartbeat went stale
 * (`force_unlock_workers`) and deletes their rows.
 */
import { SilverError } from "@medallion/silver"
import { Effect, Schema } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import * as SqlSchema from "effect/sql/SqlSchema"
import { TASK } from "./RunJobs.ts"

export const beat = (sql: SqlClient, workerId: string, host: string, pid: number) =>
  sql`insert into queue_workers (worker_id, heartbeat_at, host, pid) values (${workerId}, clock_timestamp(), ${host}, ${pid})
      on conflict (worker_id) do update set heartbeat_at = excluded.heartbeat_at`.pipe(Effect.asVoid)

/** Forgets workers that stopped gracefully (their jobs are already unlocked). */
export const remove = (sql: SqlClient, workerIds: ReadonlyArray<string>) =>
  workerIds.length === 0
    ? Effect.void
    : sql`delete from queue_workers
          where worker_id = any(array(select jsonb_array_elements_text(${JSON.stringify(workerIds)}::jsonb)))`.pipe(
        Effect.asVoid
      )

/** The reason recorded for a run whose job was on its last attempt when its worker died. */
export const DIED_ON_LAST_ATTEMPT = "the worker executing it died on its last attempt"

export interface Swept {
  /** The workers declared dead. */
  readonly workers: ReadonlyArray<string>
  /** The runs recorded `failed`: their jobs were on their last attempt, so they are dead now. */
  readonly failedRuns: ReadonlyArray<{ readonly sensor: string; readonly runKey: string }>
}

const WorkerRow = Schema.Struct({ workerId: Schema.String })
/** A job id is a bigint: selected as text, kept as the string the next statements bind. */
const JobRow = Schema.Struct({ id: Schema.String })
const RunRow = Schema.Struct({ sensor: Schema.String, runKey: Schema.String })

/**
 * Declares dead the workers silent for longer than `deadAfterMs`, and those that locked runs that long
 * ago without ever writing a heartbeat (killed before their first), releases their jobs and forgets them.
 *
 * graphile-worker counted an attempt when the dead worker took the job, so a job taken on its last
 * attempt is dead once released, and nothing would ever finish its run: in the same transaction the run
 * is recorded `failed` (and the job keeps the same reason as its last error), so status shows it and a
 * retry re-queues it. Waiting for a run's row lock is bounded by `lockTimeoutMs` (a vanished worker's
 * transaction may still hold it until PostgreSQL ends it): past that the sweep rolls back and the next
 * one tries again, so the caller's heartbeat is never held up for long.
 */
export const sweep = (sql: SqlClient, deadAfterMs: number, lockTimeoutMs: number, orphanAfterMs?: number) =>
  sql.withTransaction(
    Effect.gen(function* () {
      if (orphanAfterMs !== undefined) {
        // A job locked longer than any attempt may last is held by nobody, even under a live worker's id:
        // e.g. the reply to graphile-worker's fetch was lost with its connection when the server stopped,
        // so the lock was taken but no worker runs the job. It goes back to the queue.
        yield* sql`
          update graphile_worker._private_jobs j set locked_by = null, locked_at = null
          from graphile_worker._private_tasks t
          where t.id = j.task_id and t.identifier = ${TASK} and j.locked_by is not null
            and j.locked_at < now() - ${orphanAfterMs} * interval '1 millisecond'`
      }
      yield* sql`select set_config('lock_timeout', ${String(Math.max(1, Math.round(lockTimeoutMs)))}, true) as lock_timeout`
      const stale = yield* SqlSchema.findAll({
        Request: Schema.Void,
        Result: WorkerRow,
        execute: () => sql`
          delete from queue_workers
          where heartbeat_at < clock_timestamp() - ${deadAfterMs} * interval '1 millisecond'
          returning worker_id as "workerId"`
      })(undefined).pipe(SilverError.undecodableAsSqlError("WorkerLiveness.sweep", "stale workers"))
      const unknown = yield* SqlSchema.findAll({
        Request: Schema.Void,
        Result: WorkerRow,
        execute: () => sql`
          select distinct j.locked_by as "workerId"
          from graphile_worker._private_jobs j
          join graphile_worker._private_tasks t on t.id = j.task_id
          where t.identifier = ${TASK} and j.locked_by is not null
            and j.locked_at < now() - ${deadAfterMs} * interval '1 millisecond'
            and not exists (select 1 from queue_workers w where w.worker_id = j.locked_by)`
      })(undefined).pipe(SilverError.undecodableAsSqlError("WorkerLiveness.sweep", "workers without a heartbeat"))
      // A job whose run already succeeded has nothing left to do, whatever its attempts say: e.g. its
      // worker committed the run, then could not record the job's completion (a database outage) and was
      // replaced. Left in place it would run once more for nothing, or stay dead in the statistics.
      yield* sql`
        delete from graphile_worker._private_jobs j
        using graphile_worker._private_tasks t, sensor_runs r
        where t.id = j.task_id and t.identifier = ${TASK} and j.locked_by is null
          and r.sensor = j.payload->>'sensor' and r.run_key = j.payload->>'runKey' and r.status = 'succeeded'`
      const workers = [...new Set([...stale, ...unknown].map((row) => row.workerId))]
      if (workers.length === 0) return { workers, failedRuns: [] } satisfies Swept
      const ids = JSON.stringify(workers)
      const lastAttempts = yield* SqlSchema.findAll({
        Request: Schema.Void,
        Result: JobRow,
        execute: () => sql`
          select j.id::text as id
          from graphile_worker._private_jobs j
          join graphile_worker._private_tasks t on t.id = j.task_id
          where t.identifier = ${TASK} and j.attempts >= j.max_attempts
            and j.locked_by = any(array(select jsonb_array_elements_text(${ids}::jsonb)))`
      })(undefined).pipe(SilverError.undecodableAsSqlError("WorkerLiveness.sweep", "jobs on their last attempt"))
      const jobIds = JSON.stringify(lastAttempts.map((job) => job.id))
      const failedRuns =
        lastAttempts.length === 0
          ? []
          : yield* SqlSchema.findAll({
              Request: Schema.Void,
              Result: RunRow,
              execute: () => sql`
                update sensor_runs r
                set status = 'failed', error = ${DIED_ON_LAST_ATTEMPT}, finished_at = clock_timestamp()
                from graphile_worker._private_jobs j
                where j.id = any(array(select jsonb_array_elements_text(${jobIds}::jsonb)::bigint))
                  and r.sensor = j.payload->>'sensor' and r.run_key = j.payload->>'runKey'
                  and r.status in ('requested', 'running')
                returning r.sensor, r.run_key as "runKey"`
            })(undefined).pipe(
              SilverError.undecodableAsSqlError("WorkerLiveness.sweep", "runs failed on their last attempt")
            )
      yield* sql`
        select 1 as unlocked
        from graphile_worker.force_unlock_workers(array(select jsonb_array_elements_text(${ids}::jsonb)))`
      if (lastAttempts.length > 0) {
        // The dead job shows the same reason as its run (`deadJobs`), as after a failed last attempt.
        yield* sql`
          select id from graphile_worker.permanently_fail_jobs(
            array(select jsonb_array_elements_text(${jobIds}::jsonb)::bigint), ${DIED_ON_LAST_ATTEMPT})`
      }
      // Wakes idle workers at once (graphile-worker's own channel for new jobs) instead of at their next poll.
      yield* sql`select pg_notify('jobs:insert', '{"r":0,"count":1}') is null as notified`
      return { workers, failedRuns } satisfies Swept
    })
  )
