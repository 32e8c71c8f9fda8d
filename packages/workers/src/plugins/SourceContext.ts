/**
 * What the fetch side hands every plug-in's `source` beside its own entry: the settings that are the
 * daemon's, not the source's.
 */
import type { Duration } from "effect"

export interface SourceContext {
  /** The time budget of parsing one document (a feed, a page to enrich) in the fetch daemon's threads. */
  readonly extractTimeout: Duration.Duration
}
