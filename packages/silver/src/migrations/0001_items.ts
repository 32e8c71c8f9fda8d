/**
 * Silver's content tables: items, their provenance in bronze, and the rows
 * derived from them (comments, transcript segments, media, enrichments).
 *
 * Forward-only: once released, this file never changes; a later change is a
 * new migration.
 */
import { statements } from "./Statements.ts"

export default statements(
  // The text search configuration for an item's language (ISO 639-1 code, or
  // a BCP 47 tag whose primary subtag is one). IMMUTABLE so a generated column
  // can use it; an unknown or missing language gets `simple` (no stemming).
  `create function silver_text_search_config(language text) returns regconfig
     language sql immutable parallel safe
     return case lower(split_part(coalesce(language, ''), '-', 1))
       when 'ar' then 'arabic'::regconfig
       when 'hy' then 'armenian'::regconfig
       when 'eu' then 'basque'::regconfig
       when 'ca' then 'catalan'::regconfig
       when 'da' then 'danish'::regconfig
       when 'nl' then 'dutch'::regconfig
       when 'en' then 'english'::regconfig
       when 'fi' then 'finnish'::regconfig
       when 'fr' then 'french'::regconfig
       when 'de' then 'german'::regconfig
       when 'el' then 'greek'::regconfig
       when 'hi' then 'hindi'::regconfig
       when 'hu' then 'hungarian'::regconfig
       when 'id' then 'indonesian'::regconfig
       when 'ga' then 'irish'::regconfig
       when 'it' then 'italian'::regconfig
       when 'lt' then 'lithuanian'::regconfig
       when 'ne' then 'nepali'::regconfig
       when 'no' then 'norwegian'::regconfig
       when 'nb' then 'norwegian'::regconfig
       when 'nn' then 'norwegian'::regconfig
       when 'pt' then 'portuguese'::regconfig
       when 'ro' then 'romanian'::regconfig
       when 'ru' then 'russian'::regconfig
       when 'sr' then 'serbian'::regconfig
       when 'es' then 'spanish'::regconfig
       when 'sv' then 'swedish'::regconfig
       when 'ta' then 'tamil'::regconfig
       when 'tr' then 'turkish'::regconfig
       when 'yi' then 'yiddish'::regconfig
       else 'simple'::regconfig
     end`,

  `create table items (
     id bigint generated always as identity primary key,
     source_type text not null
       constraint items_source_type_slug check (source_type ~ '^[a-z][a-z0-9_-]{0,39}$'),
     external_id text not null
       constraint items_external_id_length check (length(external_id) between 1 and 2048),
     title text,
     url text,
     author text,
     published_at timestamptz,
     language text
       constraint items_language_tag check (language ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$'),
     body_text text
       constraint items_body_text_is_not_html check (body_text !~* '^\\s*<(!doctype|html)'),
     -- Search covers the title (weight A) and the first 500,000 characters of
     -- the body (weight B): a tsvector is capped at 1 MB. STORED, because
     -- PostgreSQL 18 makes generated columns virtual by default and a virtual
     -- column cannot be indexed.
     body_tsv tsvector generated always as (
       setweight(to_tsvector(silver_text_search_config(language), coalesce(title, '')), 'A') ||
       setweight(to_tsvector(silver_text_search_config(language), left(coalesce(body_text, ''), 500000)), 'B')
     ) stored,
     fetch_status text not null default 'pending'
       constraint items_fetch_status check (fetch_status in ('pending', 'fetched', 'failed', 'skipped', 'gone')),
     fetch_error text,
     transcription_status text not null default 'not_applicable'
       constraint items_transcription_status
         check (transcription_status in ('not_applicable', 'pending', 'transcribed', 'failed', 'skipped')),
     transcription_error text,
     transform_status text not null default 'pending'
       constraint items_transform_status check (transform_status in ('pending', 'transformed', 'failed')),
     transform_error text,
     transform_version integer not null default 0
       constraint items_transform_version check (transform_version >= 0),
     -- Digests of what the last upsert wrote (the item's own fields, and each
     -- kind of child row), so an identical upsert writes nothing at all.
     row_digest text,
     artifacts_digest text,
     comments_digest text,
     segments_digest text,
     media_digest text,
     enrichments_digest text,
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now(),
     -- The change feed: the id of the transaction that last wrote the row.
     xid xid8 not null default pg_current_xact_id(),
     constraint items_key unique (source_type, external_id),
     constraint items_fetch_error_required check (fetch_status <> 'failed' or fetch_error is not null),
     constraint items_fetch_error_allowed check (fetch_error is null or fetch_status in ('failed', 'skipped', 'gone')),
     constraint items_transcription_error_required
       check (transcription_status <> 'failed' or transcription_error is not null),
     constraint items_transcription_error_allowed
       check (transcription_error is null or transcription_status in ('failed', 'skipped')),
     constraint items_transform_error_required check (transform_status <> 'failed' or transform_error is not null),
     constraint items_transform_error_allowed check (transform_error is null or transform_status = 'failed'),
     constraint items_error_length check (
       length(fetch_error) <= 4000 and length(transcription_error) <= 4000 and length(transform_error) <= 4000
     )
   )`,
  // Text-heavy rows are bound by compressing the body in one backend: lz4 is
  // about twice as fast as the default pglz. Servers built without lz4 keep pglz.
  `do $$ begin
     alter table items alter column body_text set compression lz4;
   exception when feature_not_supported or invalid_parameter_value then
     raise notice 'lz4 is not available on this server: body_text keeps the default compression';
   end $$`,
  `create index items_xid on items (xid)`,
  `create index items_status on items (source_type, fetch_status, transcription_status, transform_status)`,
  `create index items_transform_version on items (source_type, transform_version)`,
  `create index items_body_tsv on items using gin (body_tsv)`,

  // Every write stamps the row with its transaction id (the change feed) and
  // refreshes updated_at; the repositories never issue an update that changes nothing.
  `create function silver_touch_row() returns trigger language plpgsql as $$
   begin
     new.xid := pg_current_xact_id();
     if tg_op = 'UPDATE' then
       new.created_at := old.created_at;
       new.updated_at := now();
     end if;
     return new;
   end $$`,
  `create trigger items_touch before insert or update on items
     for each row execute function silver_touch_row()`,

  // Provenance: the bronze artifacts an item's rows were derived from.
  `create table item_artifacts (
     item_id bigint not null references items (id) on delete cascade,
     artifact_type text not null
       constraint item_artifacts_type_slug
         check (artifact_type ~ '^[a-z][a-z0-9_-]{0,63}(@[0-9A-Za-z_.-]{1,64})?$'),
     ext text not null constraint item_artifacts_ext check (ext ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
     -- The artifact type without its version stamp ('comments' for 'comments@2026-11-27T05-00-00Z').
     artifact_name text generated always as (split_part(artifact_type, '@', 1)) stored,
     sha256 text not null constraint item_artifacts_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$'),
     size bigint not null constraint item_artifacts_size check (size >= 0),
     location text not null constraint item_artifacts_location check (length(location) between 1 and 4096),
     written_at timestamptz,
     primary key (item_id, artifact_type, ext)
   )`,
  `create index item_artifacts_sha256 on item_artifacts (sha256)`,

  `create table comments (
     item_id bigint not null references items (id) on delete cascade,
     external_id text not null constraint comments_external_id_length check (length(external_id) between 1 and 2048),
     -- null for a top-level comment (a reply to the item itself)
     parent_external_id text,
     position integer not null constraint comments_position check (position >= 0),
     depth integer not null constraint comments_depth check (depth >= 0),
     author text,
     body_text text,
     published_at timestamptz,
     deleted boolean not null default false,
     artifact_type text not null,
     artifact_ext text not null,
     primary key (item_id, external_id),
     constraint comments_parent foreign key (item_id, parent_external_id)
       references comments (item_id, external_id) on delete cascade,
     constraint comments_artifact foreign key (item_id, artifact_type, artifact_ext)
       references item_artifacts (item_id, artifact_type, ext) deferrable initially deferred
   )`,
  `create index comments_parent on comments (item_id, parent_external_id)`,

  `create table transcript_segments (
     item_id bigint not null references items (id) on delete cascade,
     position integer not null constraint transcript_segments_position check (position >= 0),
     start_seconds double precision not null constraint transcript_segments_start check (start_seconds >= 0),
     end_seconds double precision not null constraint transcript_segments_end check (end_seconds >= start_seconds),
     text text not null,
     speaker text,
     artifact_type text not null,
     artifact_ext text not null,
     primary key (item_id, position),
     constraint transcript_segments_artifact foreign key (item_id, artifact_type, artifact_ext)
       references item_artifacts (item_id, artifact_type, ext) deferrable initially deferred
   )`,

  `create table media (
     item_id bigint not null references items (id) on delete cascade,
     position integer not null constraint media_position check (position >= 0),
     kind text not null constraint media_kind check (kind in ('audio', 'video', 'image', 'other')),
     url text,
     mime_type text,
     duration_seconds double precision constraint media_duration check (duration_seconds >= 0),
     bytes bigint constraint media_bytes check (bytes >= 0),
     -- The bronze artifact holding the file; null while it is known but not downloaded.
     artifact_type text,
     artifact_ext text,
     primary key (item_id, position),
     constraint media_artifact_complete check ((artifact_type is null) = (artifact_ext is null)),
     constraint media_artifact foreign key (item_id, artifact_type, artifact_ext)
       references item_artifacts (item_id, artifact_type, ext) deferrable initially deferred
   )`,

  `create table enrichments (
     item_id bigint not null references items (id) on delete cascade,
     kind text not null default 'summary' constraint enrichments_kind check (kind ~ '^[a-z][a-z0-9_-]{0,39}$'),
     model text not null constraint enrichments_model check (length(model) between 1 and 200),
     summary_text text not null,
     artifact_type text not null,
     artifact_ext text not null,
     primary key (item_id, kind, model),
     constraint enrichments_artifact foreign key (item_id, artifact_type, artifact_ext)
       references item_artifacts (item_id, artifact_type, ext) deferrable initially deferred
   )`
)
