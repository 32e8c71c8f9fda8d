/**
 * The audit trail of deletions: one row per item purged (or tombstone lifted, or artifacts removed by
 * retention), saying who, what (locations, sizes and sha256 of the bronze artifacts; counts of the
 * silver rows), when and why, never the content.
 *
 * A purge writes its row first (`started`, the intent), then deletes, then marks it `done` in the
 * transaction that deletes the item's silver rows, so a purge killed midway is found and completed
 * on rerun. `xid` is the transaction of the last write: the change feed carries a purge to gold as
 * a change of its item.
 *
 * Forward-only: once released, this file never changes.
 */
import { statements } from "./Statements.ts"

export default statements(
  `create table purge_log (
     id bigint generated always as identity primary key,
     action text not null constraint purge_log_action check (action in ('purge', 'unpurge', 'retention')),
     state text not null constraint purge_log_state check (state in ('started', 'done')),
     source_type text not null,
     external_id text not null,
     requested_by text not null constraint purge_log_requested_by check (length(requested_by) between 1 and 200),
     reason text not null constraint purge_log_reason check (length(reason) between 1 and 2000),
     -- [{ location, size, sha256 }] of the bronze artifacts removed (or to remove, while started).
     artifacts jsonb not null default '[]'
       constraint purge_log_artifacts_size check (octet_length(artifacts::text) <= 4194304),
     -- Counts of the silver rows removed: { items, comments, segments, media, enrichments, artifacts }.
     silver_rows jsonb constraint purge_log_silver_rows_size check (octet_length(silver_rows::text) <= 4096),
     -- Whether the item may be fetched again (no tombstone left standing).
     allow_refetch boolean not null default false,
     requested_at timestamptz not null default now(),
     finished_at timestamptz,
     xid xid8 not null default pg_current_xact_id(),
     constraint purge_log_finished check ((state = 'done') = (finished_at is not null))
   )`,
  `create index purge_log_started on purge_log (id) where state = 'started'`,
  `create index purge_log_item on purge_log (source_type, external_id)`,
  `create index purge_log_xid on purge_log (xid) where state = 'done'`
)
