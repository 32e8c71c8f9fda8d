/**
 * Liveness of queue workers in `queue_workers`. graphile-worker keeps the jobs of a worker that died
 * without unlocking them (SIGKILL, a lost machine) locked for 4 hours; here every worker writes a
 * heartbeat, and the sweep any live worker runs releases the jobs of workers whose heartbeat went stale
 * (`force_unlock_workers`) and deletes their rows.
 */
import { Effect } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import { TASK } from "./RunJobs.ts"

export const beat = (sql: SqlClient, workerId: string, host: string, pid: number) =>
  sql`insert into queue_workers (worker_id, heartbeat_at, host, pid) values (${workerId}, clock_timestamp(), ${host}, ${pid})
      on conflict (worker_id) do update set heartbeat_at = excluded.heartbeat_at`.pipe(Effect.asVoid)

export const remove = (sql: SqlClient, workerId: string) =>
  sql`delete from queue_workers where worker_id = ${workerId}`.pipe(Effect.asVoid)

/**
 * Declares dead the workers silent for longer than `deadAfterMs`, and those that locked runs that long
 * ago without ever writing a heartbeat (killed before their first), releases their jobs and forgets them.
 * Returns their ids.
 */
export const sweep = (sql: SqlClient, deadAfterMs: number) =>
  sql.withTransaction(
    Effect.gen(function* () {
      const stale = yield* sql<{ workerId: string }>`
        delete from queue_workers
        where heartbeat_at < clock_timestamp() - ${deadAfterMs} * interval '1 millisecond'
        returning worker_id as "workerId"`
      const unknown = yield* sql<{ workerId: string }>`
        select distinct j.locked_by as "workerId"
        from graphile_worker._private_jobs j
        join graphile_worker._private_tasks t on t.id = j.task_id
        where t.identifier = ${TASK} and j.locked_by is not null
          and j.locked_at < now() - ${deadAfterMs} * interval '1 millisecond'
          and not exists (select 1 from queue_workers w where w.worker_id = j.locked_by)`
      const dead = [...new Set([...stale, ...unknown].map((row) => row.workerId))]
      if (dead.length === 0) return dead
      yield* sql`
        select 1 as unlocked
        from graphile_worker.force_unlock_workers(array(select jsonb_array_elements_text(${JSON.stringify(dead)}::jsonb)))`
      // Wakes idle workers at once (graphile-worker's own channel for new jobs) instead of at their next poll.
      yield* sql`select pg_notify('jobs:insert', '{"r":0,"count":1}') is null as notified`
      return dead
    })
  )
