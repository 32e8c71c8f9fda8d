/**
 * What the sensors need beyond the sensor state: the ownership lease of a sensor (one process ticks it
 * at a time, across processes; every cursor write is fenced by the owner), the per-item failures of a
 * run (so an explicit retry reprocesses only those), and the example gold table fed by the
 * silver -> gold sensor.
 *
 * Forward-only: once released, this file never changes.
 */
import { statements } from "./Statements.ts"

export default statements(
  `alter table sensor_state
     add column lease_owner text constraint sensor_state_lease_owner_length check (length(lease_owner) <= 200),
     add column lease_expires_at timestamptz`,

  `alter table sensor_runs
     add column failures jsonb not null default '[]'
       constraint sensor_runs_failures_size check (octet_length(failures::text) <= 1048576)`,

  // Example gold asset: items per source and published day (day of first sight when unpublished).
  `create table gold_daily_counts (
     source_type text not null,
     day date not null,
     items integer not null constraint gold_daily_counts_items check (items > 0),
     updated_at timestamptz not null default now(),
     primary key (source_type, day)
   )`
)
