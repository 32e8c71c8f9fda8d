/**
 * The failures of one discovery. A source that cannot fetch or parse one of its discovery documents (a
 * feed, a list, a sitemap) records it in bronze (`ItemArtifacts.recordFailure`, a `fetch-error@<stamp>`
 * record in the document's folder) and goes on with the others, so its discovery as a whole succeeds.
 * `FetchWorker.runOnce` collects every record written while a discovery runs here: each failed document
 * reaches the run's report, the daemon's log and its metrics, whatever source wrote it, and a source
 * reports nothing twice.
 */
import { Context, Effect } from "effect"

export interface DiscoveryFailure {
  /** The folder of the discovery document: `_feed:<url>`, `_lists`, `_sitemap:<url>`. */
  readonly externalId: string
  /** What failed: `feed`, a list name (`topstories`), `sitemap`. */
  readonly artifact: string
  readonly url: string | undefined
  /** One of the `FetchError` reasons, or `invalid-response` when the body came but did not parse. */
  readonly reason: string
  readonly message: string
  /** The failure record in bronze. */
  readonly location: string
}

/** Where `recordFailure` reports while a discovery runs; `undefined` outside of one. */
export const DiscoveryFailures = Context.Reference<Array<DiscoveryFailure> | undefined>(
  "@medallion/workers/DiscoveryFailures",
  { defaultValue: () => undefined }
)

/** Notes a failure record, when it was written during a discovery. */
export const note = (failure: DiscoveryFailure): Effect.Effect<void> =>
  Effect.gen(function* () {
    const sink = yield* DiscoveryFailures
    sink?.push(failure)
  })

/** Runs a discovery and returns what it found with the failures recorded meanwhile. */
export const collect = <A, E, R>(
  discovery: Effect.Effect<A, E, R>
): Effect.Effect<readonly [A, ReadonlyArray<DiscoveryFailure>], E, R> =>
  Effect.suspend(() => {
    const sink: Array<DiscoveryFailure> = []
    return discovery.pipe(
      Effect.provideService(DiscoveryFailures, sink),
      Effect.map((found) => [found, sink] as const)
    )
  })
