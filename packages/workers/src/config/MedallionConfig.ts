/**
 * The configuration file: sources, schedules, endpoints and limits, in one
 * JSON document validated at start. Secrets never go in the file: API keys come
 * from the environment (`MEDALLION_TRANSCRIPTION_API_KEY`,
 * `MEDALLION_ENRICHMENT_API_KEY`, `DATABASE_URL`).
 *
 * Every key is optional; the defaults ingest Hacker News top stories. A bad
 * value stops the start with the file, the key and what was expected. The
 * `medallion` CLI and each daemon's own `main` read it the same way.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"
import { AddressPolicy, Shard } from "../settings/index.ts"
import { EntryFields, type SourcePlugin, SourcePlugins } from "../plugins/index.ts"
import { Config, Cron, Duration, Effect, Layer, Option, Result, Schema } from "effect"

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const { Bounded, Count, HttpUrl, Interval, durationText, withDefault } = EntryFields
const Port = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))
/** Parsed, not only matched: a valid IPv4/IPv6 address and a prefix length within its family's range. */
const Cidr = Schema.String.check(
  Schema.makeFilter((text: string) => text.includes("/") && AddressPolicy.parseCidr(text) !== undefined, {
    expected: "a CIDR such as 127.0.0.1/32 or ::1/128 (an IPv4 or IPv6 address, a prefix length of 0-32 or 0-128)"
  })
)

/** As `Interval`, zero allowed ("0 millis"). */
const Delay = durationText(
  (d) => Duration.isGreaterThanOrEqualTo(d, Duration.zero),
  'a duration such as "250 millis" or "0 millis"'
)

/** A configured source: its plug-in's `type`, `name`, `every` and the plug-in's own keys. */
export type Source = SourcePlugins.Entry

const section = <F extends Schema.Struct.Fields>(fields: F) =>
  // Every key of a section has a default, so an absent section decodes like `{}`.
  withDefault(Schema.Struct(fields), {} as Schema.Struct<F>["Encoded"])

const BucketName = Schema.String.check(
  Schema.isPattern(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { expected: "an S3 bucket name (3-63 of a-z 0-9 . -)" })
)

/** Where bronze lives on S3 (credentials come from the environment, never from the file). */
export const S3Settings = Schema.Struct({
  bucket: BucketName,
  /** Key prefix inside the bucket, e.g. `medallion/`; default none. */
  prefix: withDefault(Schema.String, ""),
  /** Endpoint of an S3-compatible server; default AWS's for the region. */
  endpoint: Schema.optionalKey(HttpUrl),
  region: withDefault(Schema.String, "us-east-1"),
  /**
   * `bucket` in the path instead of the host name: what most S3-compatible servers need. Default: true
   * when an `endpoint` is given, false for AWS.
   */
  forcePathStyle: Schema.optionalKey(Schema.Boolean)
})

const Bronze = Schema.Struct({
  /** `filesystem` (a local folder) or `s3` (an S3-compatible object store, see `bronze.s3`). */
  store: withDefault(Schema.Literals(["filesystem", "s3"]), "filesystem"),
  /** Filesystem store: default `<data dir>/bronze`. */
  root: Schema.optionalKey(Schema.String),
  /** S3 store: required when `store` is `s3`. */
  s3: Schema.optionalKey(S3Settings),
  /** How the transform side finds new artifacts: `scan` below ~100k items, `index` above (see the scaling guide). */
  discovery: withDefault(Schema.Literals(["scan", "index"]), "scan"),
  /**
   * The fetch daemon restores lost index lines and removes stale temporary files at start and on this
   * schedule, checking the artifacts written in the last day.
   */
  reconcileEvery: withDefault(Bounded("1 minute", "30 days"), "6 hours")
}).check(
  Schema.makeFilter((bronze) =>
    bronze.store === "s3" && bronze.s3 === undefined
      ? { path: ["s3"], issue: 'required when bronze.store is "s3" (at least { "bucket": "..." })' }
      : undefined
  )
)

const Queue = Schema.Struct({
  /** How often each daemon proves it is alive. */
  heartbeat: withDefault(Bounded("1 second", "5 minutes"), "5 seconds"),
  /** A daemon silent this long is dead: its runs go back to the queue for the others. */
  deadAfter: withDefault(Interval, "30 seconds"),
  /** How often an idle worker looks for jobs when no notification arrived. */
  pollInterval: withDefault(Bounded("100 millis", "5 minutes"), "2 seconds"),
  /** The longest a run's attempt may take before it is given up and retried. */
  runTimeout: withDefault(Bounded("1 second", "1 day"), "10 minutes")
}).check(
  Schema.makeFilter((queue) =>
    // A live daemon must never look dead: a few heartbeats may be late (a busy machine, a slow query).
    Duration.isGreaterThanOrEqualTo(queue.deadAfter, Duration.times(queue.heartbeat, 3))
      ? undefined
      : { path: ["deadAfter"], issue: "at least three times runs.queue.heartbeat" }
  )
)

const CronText = Schema.String.check(
  Schema.makeFilter((text: string) => Result.isSuccess(Cron.parse(text)), {
    expected: 'a cron expression such as "0 3 * * *" (minute hour day month weekday)'
  })
)

/**
 * How many versions of a refetched artifact bronze keeps for one source type: the newest `keepVersions`,
 * and every version younger than `keepFor`; a version goes only when neither keeps it. The newest
 * version, and whatever silver derives from, always stay.
 */
export const RetentionPolicy = Schema.Struct({
  keepVersions: Schema.optionalKey(Count(1_000_000)),
  keepFor: Schema.optionalKey(Interval)
}).check(
  Schema.makeFilter((policy) =>
    policy.keepVersions === undefined && policy.keepFor === undefined
      ? 'at least one of "keepVersions" (e.g. 3) or "keepFor" (e.g. "30 days")'
      : undefined
  )
)
export type RetentionPolicy = typeof RetentionPolicy.Type

/** `retention.sources`: by source type (the `hn` of `data/bronze/hn/...`), one a plug-in transforms. */
const retentionSources = (registry: SourcePlugins.Registry) => {
  const known = Array.from(registry.values()).flatMap((p) => p.transforms.map((t) => t.sourceType))
  return Schema.Record(Schema.String, RetentionPolicy).check(
    Schema.makeFilter((sources: Readonly<Record<string, RetentionPolicy>>) => {
      const unknown = Object.keys(sources).find((type) => !known.includes(type))
      return unknown === undefined
        ? undefined
        : {
            path: [unknown],
            issue: `a source type of the configured plug-ins (${known.map((t) => `"${t}"`).join(", ")})`
          }
    })
  )
}

/** The file's schema, with one `sources[]` entry schema per plug-in of `registry`. */
export const schema = (registry: SourcePlugins.Registry) =>
  Schema.Struct({
    /**
     * Modules of source plug-ins to load beside the built-in ones: paths (relative to the file) or package
     * names, each exporting plug-ins made with `SourcePlugin.make` (see "Write your own source").
     */
    plugins: withDefault(Schema.Array(Schema.NonEmptyString), []),
    bronze: withDefault(Bronze, {}),
    fetch: section({
      /**
       * This daemon's share of every source's items, `"index/count"` (e.g. `"2/3"`), when several fetch
       * daemons share the sources; default all of them.
       */
      shard: Schema.optionalKey(Shard.ShardFromString),
      /**
       * The time budget of parsing one feed document, or the article of a page to enrich, in the fetch
       * daemon: over it, the feed fails with `extract-timeout` (the page is passed over).
       */
      extractTimeout: withDefault(Bounded("100 millis", "10 minutes"), "5 seconds"),
      /** Worker threads for that parsing (default 1). */
      extractThreads: withDefault(Count(256), 1)
    }),
    database: section({
      poolSize: withDefault(Count(200), 10)
    }),
    sources: withDefault(Schema.Array(SourcePlugins.entriesSchema(registry)), [{ type: "hn" }]),
    http: section({
      userAgent: withDefault(Schema.String, "Medallion/0.1"),
      timeout: withDefault(Bounded("1 second", "1 hour"), "30 seconds"),
      maxBodyBytes: withDefault(Count(1024 * 1024 * 1024), 50 * 1024 * 1024),
      perHostConcurrency: withDefault(Count(64), 2),
      /** Politeness: the least time between two requests to one host. */
      perHostInterval: withDefault(Delay, "250 millis"),
      /** Loopback/private/link-local addresses are refused unless a CIDR here covers them (e.g. `127.0.0.1/32`). */
      allowNetworks: withDefault(Schema.Array(Cidr), [])
    }),
    transcription: section({
      enabled: withDefault(Schema.Boolean, false),
      /** Base URL of a Whisper-compatible API (`/v1/audio/transcriptions` is appended). */
      endpoint: withDefault(HttpUrl, "https://api.openai.com"),
      model: withDefault(Schema.String, "whisper-1"),
      maxItemsPerDay: withDefault(NonNegativeInt, 100),
      maxMinutesPerDay: withDefault(NonNegativeInt, 120)
    }),
    enrichment: section({
      enabled: withDefault(Schema.Boolean, false),
      /** Base URL of an OpenAI-compatible API (`/v1/chat/completions` is appended). */
      endpoint: withDefault(HttpUrl, "https://api.openai.com"),
      model: withDefault(Schema.String, "gpt-4o-mini"),
      maxItemsPerDay: withDefault(NonNegativeInt, 200)
    }),
    sensors: section({
      interval: withDefault(Bounded("1 second", "1 day"), "30 seconds"),
      tickTimeout: withDefault(Bounded("1 second", "5 minutes"), "5 seconds"),
      maxRunsPerTick: withDefault(Count(10_000), 100),
      /** Items per run, written to silver in one transaction. */
      batchSize: withDefault(Count(5_000), 50)
    }),
    runs: section({
      /**
       * `in-process` (runs execute in the daemon that ticked, below ~100k items) or `queue` (a durable
       * queue in PostgreSQL consumed by every transform daemon, above).
       */
      launcher: withDefault(Schema.Literals(["in-process", "queue"]), "in-process"),
      /** Runs executing at once per daemon. */
      concurrency: withDefault(Count(256), 4),
      maxAttempts: withDefault(Count(100), 5),
      /** In process: the longest one attempt of a run may take before it is given up and retried. */
      runTimeout: withDefault(Bounded("1 second", "1 day"), "10 minutes"),
      queue: withDefault(Queue, {})
    }),
    transform: section({
      /** The time budget of one artifact's extraction: over it, the item fails with `extract-timeout`. */
      extractTimeout: withDefault(Bounded("100 millis", "10 minutes"), "5 seconds"),
      /** Worker threads for extraction; default the CPU count. */
      extractThreads: Schema.optionalKey(Count(256))
    }),
    backfill: section({
      /** A cron expression: re-materialize all history on this schedule inside the transform daemon. */
      schedule: Schema.optionalKey(CronText)
    }),
    retention: section({
      /** Policies by source type; none: every version is kept. */
      sources: withDefault(retentionSources(registry), {}),
      /** A cron expression: the transform daemon removes what the policies let go on this schedule. */
      schedule: withDefault(CronText, "30 4 * * *")
    }),
    metrics: section({
      host: withDefault(Schema.String, "127.0.0.1"),
      fetchPort: withDefault(Port, 9464),
      transformPort: withDefault(Port, 9465)
    })
  })
/** The file's schema with the built-in sources only. */
export const MedallionConfigSchema = schema(SourcePlugins.builtIn)
export type MedallionConfig = typeof MedallionConfigSchema.Type

/** `0.0.0.0`, `::` (with or without brackets): a server bound there listens on every interface. */
const isUnspecified = (host: string): boolean => {
  const bare = host.trim().replace(/^\[(.*)\]$/, "$1")
  if (bare === "0.0.0.0" || bare === "") return true
  if (!bare.includes(":")) return false
  try {
    return new URL(`http://[${bare}]/`).hostname === "[::]"
  } catch {
    return false
  }
}

/**
 * Values that are valid but open something up, said once when a daemon starts (logged as warnings):
 * an `http.allowNetworks` CIDR of prefix length 0 switches the SSRF guard off (fetch daemon), and a
 * metrics host of `0.0.0.0` or `::` serves `/healthz` and `/metrics` on every interface (both daemons).
 */
export const startWarnings = (config: MedallionConfig, daemon: "fetch" | "transform"): ReadonlyArray<string> => {
  const warnings: Array<string> = []
  if (daemon === "fetch") {
    for (const cidr of config.http.allowNetworks) {
      if (AddressPolicy.parseCidr(cidr)?.prefix === 0)
        warnings.push(
          `http.allowNetworks contains ${cidr}: every ${cidr.includes(":") ? "IPv6" : "IPv4"} address is allowed, so the SSRF guard is off (list only the networks the fetch side needs, e.g. 127.0.0.1/32)`
        )
    }
  }
  if (isUnspecified(config.metrics.host))
    warnings.push(
      `metrics.host is ${config.metrics.host}: the ${daemon} daemon serves /healthz and /metrics on every network interface (use 127.0.0.1 unless the port is firewalled)`
    )
  return warnings
}

/** Logs what the configuration opens up (`startWarnings`) as a daemon starts. */
export const startWarningsLayer = (config: MedallionConfig, daemon: "fetch" | "transform") =>
  Layer.effectDiscard(
    Effect.forEach(startWarnings(config, daemon), (warning) => Effect.logWarning(warning), { discard: true })
  )

export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  file: Schema.String,
  message: Schema.String
}) {}

export const DEFAULT_FILE = "medallion.config.json"

/** Decodes a parsed document; errors name every bad key and what it expected. */
export const decode = (file: string, document: unknown, registry: SourcePlugins.Registry = SourcePlugins.builtIn) =>
  Schema.decodeUnknownEffect(registry === SourcePlugins.builtIn ? MedallionConfigSchema : schema(registry))(document, {
    errors: "all",
    onExcessProperty: "error"
  }).pipe(
    Effect.mapError(
      (error) =>
        new ConfigFileError({
          file,
          message:
            `invalid configuration in ${file}:\n` +
            error.message
              .split("\n")
              .map((line) =>
                line.replace(
                  /^\s*at \[(.*)\]$/,
                  (_, path: string) => `  at ${path.replaceAll("][", ".").replaceAll('"', "")}`
                )
              )
              .join("\n")
        })
    )
  )

/** A configuration and the source plug-ins its entries were decoded with. */
export interface Loaded {
  readonly config: MedallionConfig
  readonly plugins: SourcePlugins.Registry
}

const PluginList = Schema.Struct({ plugins: Schema.optionalKey(Schema.Array(Schema.NonEmptyString)) })

/**
 * The plug-ins named in the document's `plugins` (paths relative to the file's folder, or package names
 * resolved from it), added to the built-in ones. A module that cannot be loaded or exports no plug-in
 * stops the start with the file, the module and the reason.
 */
export const loadPlugins = Effect.fn("MedallionConfig.loadPlugins")(function* (file: string, document: unknown) {
  const listed = Schema.decodeUnknownOption(PluginList)(document)
  const names = listed._tag === "Some" ? (listed.value.plugins ?? []) : []
  if (names.length === 0) return SourcePlugins.builtIn
  const from = Url.pathToFileURL(file === "(defaults)" ? Path.join(process.cwd(), DEFAULT_FILE) : file)
  const loaded: Array<SourcePlugin.AnySourcePlugin> = []
  for (const name of names) {
    const specifier = name.startsWith(".") || Path.isAbsolute(name) ? new URL(name, from).href : name
    const module = yield* Effect.tryPromise({
      try: () => import(specifier) as Promise<Record<string, unknown>>,
      catch: (cause) =>
        new ConfigFileError({
          file,
          message: `invalid configuration in ${file}: plugins: cannot load ${name}: ${String(cause)}`
        })
    })
    loaded.push(
      ...(yield* Effect.try({
        try: () => SourcePlugins.fromModule(name, module),
        catch: (cause) =>
          new ConfigFileError({
            file,
            message: `invalid configuration in ${file}: plugins: ${(cause as Error).message}`
          })
      }))
    )
  }
  return yield* Effect.try({
    try: () => SourcePlugins.extend(SourcePlugins.builtIn, loaded),
    catch: (cause) =>
      new ConfigFileError({ file, message: `invalid configuration in ${file}: plugins: ${(cause as Error).message}` })
  })
})

/** Decodes a parsed document with the plug-ins it names. */
export const decodeWithPlugins = Effect.fn("MedallionConfig.decodeWithPlugins")(function* (
  file: string,
  document: unknown
) {
  const plugins = yield* loadPlugins(file, document)
  const config = yield* decode(file, document, plugins)
  return { config, plugins } satisfies Loaded
})

/**
 * Loads the configuration: the given file (which must exist), else
 * `./medallion.config.json` when present, else the defaults.
 */
export const load = Effect.fn("MedallionConfig.load")(function* (file: string | undefined) {
  const path = file ?? (Fs.existsSync(DEFAULT_FILE) ? DEFAULT_FILE : undefined)
  if (path === undefined)
    return { config: yield* decode("(defaults)", {}), plugins: SourcePlugins.builtIn } satisfies Loaded
  const text = yield* Effect.try({
    try: () => Fs.readFileSync(path, "utf8"),
    catch: (cause) =>
      new ConfigFileError({ file: Path.resolve(path), message: `cannot read ${Path.resolve(path)}: ${String(cause)}` })
  })
  const document = yield* Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (cause) =>
      new ConfigFileError({
        file: Path.resolve(path),
        message: `${Path.resolve(path)} is not valid JSON: ${String(cause)}`
      })
  })
  return yield* decodeWithPlugins(Path.resolve(path), document)
})

/**
 * The settings of bronze on S3: the file's `bronze.s3`, and the credentials
 * from `MEDALLION_S3_ACCESS_KEY_ID` / `MEDALLION_S3_SECRET_ACCESS_KEY` (else
 * the AWS SDK's default chain: `AWS_*` variables, profile, instance role).
 */
export const s3Options = (config: MedallionConfig) =>
  Effect.gen(function* () {
    const s3 = config.bronze.s3!
    const accessKeyId = yield* Config.option(Config.String("MEDALLION_S3_ACCESS_KEY_ID"))
    const secretAccessKey = yield* Config.option(Config.Redacted("MEDALLION_S3_SECRET_ACCESS_KEY"))
    if (Option.isSome(accessKeyId) !== Option.isSome(secretAccessKey)) {
      // Half a pair must not fall back to other credentials silently.
      return yield* new ConfigFileError({
        file: "(environment)",
        message:
          "MEDALLION_S3_ACCESS_KEY_ID and MEDALLION_S3_SECRET_ACCESS_KEY must be set together (or neither, for the AWS SDK's default credentials)"
      })
    }
    return {
      bucket: s3.bucket,
      prefix: s3.prefix,
      region: s3.region,
      catalog: config.bronze.discovery,
      ...(s3.forcePathStyle === undefined ? {} : { forcePathStyle: s3.forcePathStyle }),
      ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint }),
      ...(Option.isSome(accessKeyId) && Option.isSome(secretAccessKey)
        ? { credentials: { accessKeyId: accessKeyId.value, secretAccessKey: secretAccessKey.value } }
        : {})
    }
  })
