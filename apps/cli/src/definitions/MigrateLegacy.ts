/**
 * `medallion migrate-legacy`: moving a combined fetch+transform pipeline's PostgreSQL into bronze.
 * `inspect` proposes a mapping, `plan` (or `run --dry-run`) counts what would be written, `run` writes
 * bronze (never silver, never the legacy database), the transform daemon then rebuilds silver as usual,
 * `verify` checks every row, `finalize` prints (and with `--apply` runs) the SQL that drops the raw
 * columns. The legacy database is reached with `--from` (or `MEDALLION_LEGACY_DATABASE_URL`).
 */
import { Config } from "effect"
import { Command, Flag } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

const load = () => import("../commands/MigrateLegacy.ts")

/**
 * The defaults of `@medallion/migrate` (`Inspect.DEFAULT_SAMPLE`, `LegacyRun.DEFAULT_CONCURRENCY`,
 * `LegacyDatabase.DEFAULT_MAX_ROW_BYTES`), written out so `--help` need not load the migration; a test
 * checks they are equal.
 */
export const DEFAULTS = { sample: 200, concurrency: 16, maxRowBytes: 64 * 1024 * 1024 }

const from = Flag.Redacted("from").pipe(
  Flag.withDescription(
    "The legacy PostgreSQL, e.g. postgres://user@host/db (env MEDALLION_LEGACY_DATABASE_URL); opened read-only"
  ),
  Flag.withFallbackConfig(Config.Redacted("MEDALLION_LEGACY_DATABASE_URL"))
)

const mapping = Flag.String("mapping").pipe(
  Flag.withDescription("The mapping file (JSON), as `inspect` proposes it and you reviewed it")
)

const maxRowBytes = Flag.Int("max-row-bytes").pipe(
  Flag.withDescription("Rows whose raw values are larger are reported, not read (default 64 MiB)"),
  Flag.withDefault(DEFAULTS.maxRowBytes)
)

const concurrency = Flag.Int("concurrency").pipe(
  Flag.withDescription("Rows written at once"),
  Flag.withDefault(DEFAULTS.concurrency)
)

const inspect = Command.make("inspect", {
  from,
  out: Flag.String("out").pipe(
    Flag.withDescription("Write the proposed mapping to this file (default: stdout)"),
    Flag.optional
  ),
  sample: Flag.Int("sample").pipe(Flag.withDescription("Rows sampled per table"), Flag.withDefault(DEFAULTS.sample)),
  schema: Flag.String("schema").pipe(Flag.withDescription("Only tables of this schema"), Flag.optional)
}).pipe(
  Command.withDescription(
    "Read the legacy catalog and a sample of each table, and propose a mapping: item tables, ids, raw payload columns and the bronze artifact each becomes, statuses and times"
  ),
  Command.withHandler(Lazy.handler(load, (m) => m.inspect))
)

const plan = Command.make("plan", { from, mapping, maxRowBytes }).pipe(
  Command.withDescription(
    "Count what a run would write, per artifact type, the rows it could not migrate and why, and what silver will hold; writes nothing (same as run --dry-run)"
  ),
  Command.withHandler(Lazy.handler(load, (m) => m.plan))
)

const run = Command.make("run", {
  from,
  mapping,
  concurrency,
  maxRowsPerSecond: Flag.Int("max-rows-per-second").pipe(
    Flag.withDescription("Spare a loaded legacy server: read at most this many rows per second"),
    Flag.optional
  ),
  maxRowBytes,
  dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("Only plan: write nothing"), Flag.withDefault(false)),
  restart: Flag.Boolean("restart").pipe(
    Flag.withDescription("Start a new pass even if the last one was interrupted (what is in bronze stays)"),
    Flag.withDefault(false)
  )
}).pipe(
  Command.withDescription(
    "Write every raw value of the mapped tables into bronze as the fetch side's artifacts, with provenance; resumable, a rerun writes nothing, a changed row becomes a new version. Never writes silver or the legacy database"
  ),
  Command.withHandler(Lazy.handler(load, (m) => m.run))
)

const verify = Command.make("verify", { from, mapping, maxRowBytes, concurrency }).pipe(
  Command.withDescription(
    "Check every legacy row: its bronze artifacts with equal bytes (sha256), its silver row, statuses and final text; a count table per source and status, every difference listed. Exits 1 on any unexplained difference"
  ),
  // verify reads silver: the installation the run fed.
  Command.withHandler(Installation.required(Lazy.handler(load, (m) => m.verify)))
)

const finalize = Command.make("finalize", {
  from,
  mapping,
  apply: Flag.Boolean("apply").pipe(
    Flag.withDescription("Run the statements (after a confirmation)"),
    Flag.withDefault(false)
  ),
  confirm: Flag.String("confirm").pipe(
    Flag.withDescription("The legacy database's name, to confirm --apply without a prompt"),
    Flag.optional
  ),
  allowUnmigrated: Flag.Boolean("allow-unmigrated").pipe(
    Flag.withDescription("Drop the raw values of the rows the run could not migrate too (listed in its report)"),
    Flag.withDefault(false)
  )
}).pipe(
  Command.withDescription(
    "Print the SQL that drops the raw columns (or tables) from the legacy database, once a verify of the last run came out clean; --apply runs it after a confirmation. Never automatic"
  ),
  Command.withHandler(Lazy.handler(load, (m) => m.finalize))
)

export const migrateLegacy = Command.make("migrate-legacy").pipe(
  Command.withSubcommands([inspect, plan, run, verify, finalize]),
  Command.withDescription(
    "Move a combined fetch+transform pipeline's PostgreSQL (raw HTML, Whisper JSON, API payloads, LLM pairs next to normalized fields) into bronze; silver is then rebuilt by the transform daemon"
  )
)
