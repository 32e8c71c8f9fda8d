/**
 * The liveness of queue workers (`@medallion/queue`): each running worker pool upserts its row every few
 * seconds. A pool whose row went stale is dead (killed, machine lost); a sweeper in any live worker then
 * releases the jobs it had locked, which the task queue would otherwise keep locked for hours. Rows are
 * deleted on a clean stop and by the sweeper, so the table holds one row per live worker.
 *
 * Forward-only: once released, this file never changes.
 */
import { statements } from "./Statements.ts"

export default statements(
  `create table queue_workers (
     worker_id text primary key constraint queue_workers_id_length check (length(worker_id) between 1 and 200),
     heartbeat_at timestamptz not null,
     host text not null constraint queue_workers_host_length check (length(host) <= 255),
     pid integer not null,
     started_at timestamptz not null default now()
   )`,
  `create index queue_workers_heartbeat on queue_workers (heartbeat_at)`
)
