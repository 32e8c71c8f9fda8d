/**
 * `ItemRepo.search` on PostgreSQL: the query, prepared like the indexed text
 * (`SearchExpression`, `SearchText`), matched against `body_tsv` with each
 * item's own language configuration, ranked, paged, and given a snippet.
 */
import { Effect, Schema } from "effect"
import * as SqlSchema from "effect/sql/SqlSchema"
import type * as Item from "./Item.ts"
import type { SearchQuery } from "./ItemRepoShape.ts"
import * as SearchExpression from "./SearchExpression.ts"
import * as SearchSnippet from "./SearchSnippet.ts"
import * as SearchText from "./SearchText.ts"
import type { SilverDatabase } from "./SilverDatabase.ts"
import { undecodable } from "./SilverError.ts"

/** The text search configurations `silver_text_search_config` maps languages to (migration 0001). */
export const SEARCH_CONFIGS = [
  "simple",
  "arabic",
  "armenian",
  "basque",
  "catalan",
  "danish",
  "dutch",
  "english",
  "finnish",
  "french",
  "german",
  "greek",
  "hindi",
  "hungarian",
  "indonesian",
  "irish",
  "italian",
  "lithuanian",
  "nepali",
  "norwegian",
  "portuguese",
  "romanian",
  "russian",
  "serbian",
  "spanish",
  "swedish",
  "tamil",
  "turkish",
  "yiddish"
]

/** A hit as PostgreSQL returns it: the id a `bigint` (kept exact for the snippet's lookup), the rank a `float8`. */
const HitRow = Schema.Struct({
  id: Schema.BigInt,
  sourceType: Schema.String,
  externalId: Schema.String,
  title: Schema.NullOr(Schema.String),
  url: Schema.NullOr(Schema.String),
  language: Schema.NullOr(Schema.String),
  rank: Schema.Number,
  excerpt: Schema.String
})
type HitRow = typeof HitRow.Type

/** A word of a hit's excerpt that matches the query, by the hit's own stemming. */
const MatchedWordRow = Schema.Struct({ id: Schema.String, word: Schema.String })

export const make = (db: SilverDatabase["Service"]) => {
  const sql = db.client
  const json = (value: unknown) => JSON.stringify(value)
  // The item's text as the index saw it, for the check of runs of unspaced scripts: as stored first (cheap,
  // nearly always enough), NFKC-normalized only when that fails (full-width or compatibility forms).
  const itemText = sql`concat_ws(' ', i.title, i.body_text, left(i.secondary_text, ${SearchText.SECONDARY_LENGTH}))`
  const containsRun = (run: string) =>
    sql`(strpos(${itemText}, ${run}) > 0 or strpos(normalize(${itemText}, NFKC), ${run}) > 0)`

  const findMatchedWords = SqlSchema.findAll({
    Request: Schema.Struct({ highlight: Schema.String, ids: Schema.String, candidates: Schema.String }),
    Result: MatchedWordRow,
    execute: ({ highlight, ids, candidates }) => sql`
        with h as materialized (
          select i.id, c.cfg, to_tsquery(c.cfg, ${highlight}) as query
          from items i cross join lateral (select silver_text_search_config(i.language) as cfg) c
          where i.id in (select value::bigint from json_array_elements_text(${ids}::json))
        )
        select x.id::text as id, x.word
        from json_to_recordset(${candidates}::json) as x(id bigint, word text)
        join h on h.id = x.id
        where to_tsvector(h.cfg, x.word) @@ h.query`
  })

  /** Which of each hit's words match the query's, by the hit's own stemming: what the snippet marks. */
  const matchedWords = (rows: ReadonlyArray<HitRow>, words: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const candidates = rows.flatMap((row) =>
        SearchSnippet.words(row.excerpt).map((word) => ({ id: String(row.id), word }))
      )
      if (words.length === 0 || candidates.length === 0) return new Set<string>()
      const highlight = words
        .map((word) => SearchExpression.literalQuery({ negated: false, phrase: false, text: word }))
        .join(" | ")
      const found = yield* findMatchedWords({
        highlight,
        ids: json(rows.map((r) => String(r.id))),
        candidates: json(candidates)
      }).pipe(undecodable("ItemRepo.search", "matched words"))
      return new Set(found.map((row) => `${row.id}\u0000${row.word}`))
    })

  return Effect.fn("ItemRepo.search")(function* (query: SearchQuery) {
    const expression = SearchExpression.parse(query.text)
    if (expression.length === 0) return []
    // Each item is matched with the query as its own language's configuration prepares it (q: one row per
    // configuration). The index is used through the OR of those queries, a superset; then each row is checked
    // with its own. The OR alone would also return items that lack the word (an unstemmed "run" for "running").
    const configs =
      query.language === undefined
        ? sql`(select cfg::regconfig from json_array_elements_text(${json(SEARCH_CONFIGS)}::json) cfg)`
        : sql`(select silver_text_search_config(${query.language}))`
    const narrowing = SearchExpression.prefilter(expression)
    const literals = expression.flat()
    const textChecked = SearchExpression.needsTextCheck(expression)
    // A word of an unspaced script (three characters or more) is found by its bigrams, which may also occur
    // apart: such words are checked in the text, each literal with its own query (columns l0, l1, ...).
    const literalColumns = textChecked
      ? literals.map(
          (literal, n) =>
            sql`, to_tsquery(c.cfg, ${SearchExpression.literalQuery({ ...literal, negated: false })}) as ${sql(`l${n}`)}`
        )
      : []
    let n = 0
    const textCheck = textChecked
      ? sql.or(
          expression.map((conjunction) =>
            sql.and(
              conjunction.map((literal) => {
                const positive = sql.and([
                  sql`i.body_tsv @@ q.${sql(`l${n++}`)}`,
                  ...SearchExpression.requiredRuns(literal).map(containsRun)
                ])
                return literal.negated ? sql`not (${positive})` : positive
              })
            )
          )
        )
      : undefined
    const conditions = [
      narrowing === undefined ? undefined : sql`i.body_tsv @@ (select query from any_query)`,
      narrowing === undefined ? undefined : sql`i.body_tsv @@ q.query`,
      textCheck,
      query.sourceType === undefined ? undefined : sql`i.source_type = ${query.sourceType}`,
      query.language === undefined
        ? undefined
        : sql`lower(split_part(i.language, '-', 1)) = lower(split_part(${query.language}, '-', 1))`
    ].filter((c) => c !== undefined)
    const rows = yield* db.resilient(
      "ItemRepo.search",
      sql.withTransaction(
        Effect.gen(function* () {
          // The planner prices `body_tsv @@ query` on a sequential scan without the cost of reading each row's
          // toasted vector, and picks it for any common word; through the GIN index the same query is 3-4 times
          // faster (measured on 3,000 items). Only this transaction is affected; a query that the index cannot
          // narrow (only excluded words) still scans.
          yield* sql`set local enable_seqscan = off`
          return yield* SqlSchema.findAll({
            Request: Schema.Void,
            Result: HitRow,
            execute: () => sql`
            with q as materialized (
              select c.cfg, to_tsquery(c.cfg, ${SearchExpression.toTsquery(narrowing ?? expression)}) as query
                ${sql.join("", false)(literalColumns)}
              from ${configs} as c(cfg)
            ), any_query as (
              select string_agg('(' || query::text || ')', ' | ')::tsquery as query from q where numnode(query) > 0
            ), hits as (
              select i.id, ts_rank(i.body_tsv, q.query)::float8 as rank
              from items i join q on q.cfg = silver_text_search_config(i.language)
              where ${sql.and(conditions)}
              order by rank desc, i.id
              limit ${query.limit} offset ${query.offset ?? 0}
            )
            select i.id, i.source_type, i.external_id, i.title, i.url, i.language, h.rank,
                   left(coalesce(i.body_text, i.secondary_text, i.title, ''), ${SearchSnippet.EXCERPT_LENGTH}) as excerpt
            from hits h join items i on i.id = h.id
            order by h.rank desc, h.id`
          })(undefined).pipe(undecodable("ItemRepo.search", "hits"))
        })
      )
    )
    const terms = SearchExpression.highlightTerms(expression)
    const matched = yield* db.resilient("ItemRepo.search", matchedWords(rows, terms.words))
    return rows.map(({ excerpt, ...row }): Item.SearchHit => ({
      ...row,
      id: Number(row.id),
      snippet: SearchSnippet.make(excerpt, (word) => matched.has(`${row.id}\u0000${word}`), terms.runs)
    }))
  })
}
