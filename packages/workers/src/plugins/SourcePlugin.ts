/**
 * A source plug-in: everything one source type brings, as one value. Its entry's keys in the
 * configuration (`sources[]`, with the plug-in's `type`), the fetch side's `Source` built from such an
 * entry (with whatever services it needs, provided by the plug-in's own `layer`), and the transforms of
 * the source types its items are stored under, each with its own version.
 *
 * The built-in `hn`, `feed` and `web` sources are plug-ins like any other; a user's is registered with
 * `SourcePlugins.extend` in code, or named in the configuration's `plugins` for the `medallion` CLI.
 *
 * ```ts
 * export default SourcePlugin.make({
 *   type: "podcast",
 *   defaults: { every: "1 hour" },
 *   fields: { url: EntryFields.HttpUrl },
 *   source: (entry) => PodcastSource.make(entry.url),
 *   transforms: [podcastTransform]
 * })
 * ```
 */
import type { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { type Duration, Layer, type Schema } from "effect"
import type { Source } from "../fetch/Source.ts"
import type { FetchHttp } from "../http/FetchHttp.ts"
import type { RobotsTxt } from "../http/RobotsTxt.ts"
import type { SourceTransform } from "../transform/SourceTransform.ts"
import type { SourceContext } from "./SourceContext.ts"

/** The fetch side's own services: every plug-in's source and layer may use them. */
export type FetchServices = FetchHttp | RobotsTxt | BronzeWriter | BronzeReader

export interface SourcePluginDefaults {
  /** The entry's `name` when the file leaves it out; without one, the file must name each entry. */
  readonly name?: string | undefined
  /** How often the source is polled when the entry leaves `every` out ("10 minutes"). */
  readonly every: Duration.Input & string
}

/** A decoded entry as its plug-in sees it: its own keys, and the `name` every entry has. */
export type EntryOf<F extends Schema.Struct.Fields> = Schema.Struct<F>["Type"] & { readonly name: string }

/**
 * The services a plug-in's source needs beyond the fetch side's: one layer for every entry, or one built
 * from each entry (a key read from the variable the entry names).
 */
export type PluginLayer<F extends Schema.Struct.Fields, R> =
  Layer.Layer<R, unknown, FetchServices> | ((entry: EntryOf<F>) => Layer.Layer<R, unknown, FetchServices>)

/** A plug-in whose source needs only the fetch side's services, or `R` as well, provided by `layer`. */
export type SourcePlugin<F extends Schema.Struct.Fields = Schema.Struct.Fields, R = never> = {
  /** The entry's `type` in the configuration. */
  readonly type: string
  readonly defaults: SourcePluginDefaults
  /** The entry's own keys (beside `type`, `name` and `every`), checked with the rest of the file. */
  readonly fields: F
  readonly source: (entry: EntryOf<F>, context: SourceContext) => Source<R>
  /** The transforms of the source types the source stores its items under. */
  readonly transforms: ReadonlyArray<SourceTransform>
  /**
   * The external ids (in the source's own source type) of the discovery folders an entry writes (a
   * feed document, a list of ids), so that `status` names the entry a failed discovery belongs to.
   */
  readonly discoveries?: ((entry: Schema.Struct<F>["Type"]) => ReadonlyArray<string>) | undefined
} & ([Exclude<R, FetchServices>] extends [never]
  ? { readonly layer?: undefined }
  : { readonly layer: PluginLayer<F, Exclude<R, FetchServices>> })

/** A plug-in of any entry and requirements, as the registry holds them. */
export interface AnySourcePlugin {
  readonly type: string
  readonly defaults: SourcePluginDefaults
  readonly fields: Schema.Struct.Fields
  // The entry's type is its plug-in's own: the registry only hands a plug-in the entries it decoded.
  readonly source: (entry: any, context: SourceContext) => Source<any>
  readonly transforms: ReadonlyArray<SourceTransform>
  readonly discoveries?: ((entry: any) => ReadonlyArray<string>) | undefined
  readonly layer?:
    Layer.Layer<any, unknown, FetchServices> | ((entry: any) => Layer.Layer<any, unknown, FetchServices>) | undefined
}

/** The layer of a plug-in's source for one of its entries (built once per entry when the fetch daemon starts). */
export const layerOf = (
  plugin: AnySourcePlugin,
  entry: unknown
): Layer.Layer<any, unknown, FetchServices> | undefined =>
  plugin.layer === undefined || Layer.isLayer(plugin.layer)
    ? (plugin.layer as Layer.Layer<any, unknown, FetchServices> | undefined)
    : plugin.layer(entry)

/** A plug-in, typed from its `fields` and its source's services. */
export const make = <const F extends Schema.Struct.Fields, R = never>(
  plugin: SourcePlugin<F, R>
): AnySourcePlugin & SourcePlugin<F, R> => plugin as AnySourcePlugin & SourcePlugin<F, R>

/** Whether a loaded module's export looks like a plug-in (what `SourcePlugins.fromModule` accepts). */
export const isSourcePlugin = (value: unknown): value is AnySourcePlugin => {
  if (typeof value !== "object" || value === null) return false
  const p = value as Record<string, unknown>
  return (
    typeof p.type === "string" &&
    typeof p.source === "function" &&
    typeof p.fields === "object" &&
    p.fields !== null &&
    typeof p.defaults === "object" &&
    p.defaults !== null &&
    Array.isArray(p.transforms)
  )
}
