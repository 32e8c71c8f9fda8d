/**
 * What a source says about an item beyond its title, author and body: the short description (`excerpt`),
 * the site or feed it belongs to (`site_name`), its `categories`, the item's other text (`secondary_text`:
 * a podcast's show notes, a feed entry's own text when the linked article won `body_text`, or the
 * article's text when the entry's won), what produced `body_text` (`extractor`), and a published date
 * the source gave but that could not be parsed (`published_unparsed`, so it is visible instead of a
 * silent NULL). Transcript segments keep the language the transcription detected.
 *
 * `body_tsv` is rebuilt so that `secondary_text` is searchable too (weight C, its first 100,000
 * characters): a generated column cannot change its expression before PostgreSQL 17, so it is dropped
 * and added again, which rewrites the table once.
 *
 * Forward-only: once released, this file never changes.
 */
import { statements } from "./Statements.ts"

export default statements(
  `alter table items
     add column excerpt text,
     add column site_name text,
     add column categories text[]
       constraint items_categories_count check (cardinality(categories) <= 200),
     add column secondary_text text
       constraint items_secondary_text_is_not_html check (secondary_text !~* '^\\s*<(!doctype|html)'),
     add column extractor text
       constraint items_extractor_slug check (extractor ~ '^[a-z][a-z0-9-]{0,39}$'),
     add column published_unparsed text
       constraint items_published_unparsed_length check (length(published_unparsed) <= 200)`,
  `do $$ begin
     alter table items alter column secondary_text set compression lz4;
   exception when feature_not_supported or invalid_parameter_value then
     raise notice 'lz4 is not available on this server: secondary_text keeps the default compression';
   end $$`,
  `alter table items drop column body_tsv`,
  `alter table items add column body_tsv tsvector generated always as (
     setweight(to_tsvector(silver_text_search_config(language), coalesce(title, '')), 'A') ||
     setweight(to_tsvector(silver_text_search_config(language), left(coalesce(body_text, ''), 500000)), 'B') ||
     setweight(to_tsvector(silver_text_search_config(language), left(coalesce(secondary_text, ''), 100000)), 'C')
   ) stored`,
  `create index items_body_tsv on items using gin (body_tsv)`,
  `alter table transcript_segments
     add column language text
       constraint transcript_segments_language_tag check (language ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$')`
)
