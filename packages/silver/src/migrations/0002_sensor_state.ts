/**
 * The sensors' persisted state: one cursor per sensor, the tick history and
 * the run-key records, each with a retention function so the metadata never
 * grows without bound.
 *
 * Forward-only: once released, this file never changes.
 */
import { statements } from "./Statements.ts"

export default statements(
  `create table sensor_state (
     sensor text primary key constraint sensor_state_name check (sensor ~ '^[a-z][a-z0-9_.:-]{0,127}$'),
     cursor jsonb not null,
     paused boolean not null default false,
     updated_at timestamptz not null default now(),
     constraint sensor_state_cursor_size check (octet_length(cursor::text) <= 65536)
   )`,

  `create table sensor_ticks (
     id bigint generated always as identity primary key,
     sensor text not null,
     status text not null constraint sensor_ticks_status check (status in ('started', 'success', 'skipped', 'failed')),
     reason text constraint sensor_ticks_reason_length check (length(reason) <= 4000),
     cursor_before jsonb constraint sensor_ticks_cursor_before_size check (octet_length(cursor_before::text) <= 65536),
     cursor_after jsonb constraint sensor_ticks_cursor_after_size check (octet_length(cursor_after::text) <= 65536),
     run_keys text[] not null default '{}',
     run_count integer not null default 0 constraint sensor_ticks_run_count check (run_count >= 0),
     started_at timestamptz not null,
     finished_at timestamptz,
     duration_ms integer constraint sensor_ticks_duration check (duration_ms >= 0),
     constraint sensor_ticks_finished check ((status = 'started') = (finished_at is null))
   )`,
  `create index sensor_ticks_recent on sensor_ticks (sensor, started_at desc)`,

  `create table sensor_runs (
     sensor text not null,
     run_key text not null constraint sensor_runs_run_key check (length(run_key) between 1 and 512),
     status text not null default 'requested'
       constraint sensor_runs_status check (status in ('requested', 'running', 'succeeded', 'failed')),
     attempts integer not null default 0 constraint sensor_runs_attempts check (attempts >= 0),
     -- The microbatch: the item keys this run covers.
     item_keys jsonb not null constraint sensor_runs_item_keys_size check (octet_length(item_keys::text) <= 1048576),
     error text constraint sensor_runs_error_length check (length(error) <= 4000),
     requested_at timestamptz not null,
     started_at timestamptz,
     finished_at timestamptz,
     primary key (sensor, run_key),
     constraint sensor_runs_finished check ((status in ('succeeded', 'failed')) = (finished_at is not null))
   )`,
  `create index sensor_runs_status on sensor_runs (sensor, status, requested_at)`,
  `create index sensor_runs_finished on sensor_runs (finished_at) where finished_at is not null`,

  // Retention of the tick history: keeps, per sensor, the newest keep_per_sensor
  // ticks and drops any tick that started before older_than (either bound may be null).
  `create function prune_sensor_ticks(keep_per_sensor integer, older_than timestamptz) returns bigint
     language sql volatile
   begin atomic
     with ranked as (
       select id, started_at,
              row_number() over (partition by sensor order by started_at desc, id desc) as newest
       from sensor_ticks
     ), dropped as (
       delete from sensor_ticks t using ranked r
       where t.id = r.id
         and ((keep_per_sensor is not null and r.newest > keep_per_sensor)
              or (older_than is not null and r.started_at < older_than))
       returning 1
     )
     select count(*) from dropped;
   end`,

  // Retention of finished runs: succeeded runs that finished before
  // succeeded_before, failed runs that finished before failed_before (null keeps them).
  `create function prune_sensor_runs(succeeded_before timestamptz, failed_before timestamptz) returns bigint
     language sql volatile
   begin atomic
     with dropped as (
       delete from sensor_runs
       where (status = 'succeeded' and succeeded_before is not null and finished_at < succeeded_before)
          or (status = 'failed' and failed_before is not null and finished_at < failed_before)
       returning 1
     )
     select count(*) from dropped;
   end`
)
