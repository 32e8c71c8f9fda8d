/**
 * The registry of source plug-ins, keyed by their configuration `type`. Everything that depends on
 * which sources exist reads it: the configuration's decoder (one entry schema per plug-in), the fetch
 * side (the `Source` of each entry), the transform side, backfill and retry (the transforms and their
 * versions), and `status` (the names of discovery folders).
 */
import { Context, Layer, Schema } from "effect"
import type { SourceTransform } from "../transform/SourceTransform.ts"
import * as SourceTransforms from "../transform/SourceTransforms.ts"
import * as EntryFields from "./EntryFields.ts"
import { feed } from "./feed.ts"
import { hn } from "./hn.ts"
import { reddit } from "./reddit/index.ts"
import { type AnySourcePlugin, isSourcePlugin } from "./SourcePlugin.ts"
import { web } from "./web.ts"
import { youtube } from "./youtube/index.ts"

export type Registry = ReadonlyMap<string, AnySourcePlugin>

/** A registry that refuses two plug-ins for one `type`, or two transforms for one source type. */
export const make = (plugins: Iterable<AnySourcePlugin>): Registry => {
  const registry = new Map<string, AnySourcePlugin>()
  const transformedBy = new Map<string, string>()
  for (const plugin of plugins) {
    if (registry.has(plugin.type)) throw new Error(`two source plug-ins have the type "${plugin.type}"`)
    for (const t of plugin.transforms) {
      const other = transformedBy.get(t.sourceType)
      if (other !== undefined)
        throw new Error(`the plug-ins "${other}" and "${plugin.type}" both transform source type "${t.sourceType}"`)
      transformedBy.set(t.sourceType, plugin.type)
    }
    registry.set(plugin.type, plugin)
  }
  return registry
}

/**
 * The built-in sources: Hacker News, feeds (RSS, Atom, podcasts), web pages, Reddit and YouTube. Their
 * sources and transforms are imported on first use, so reading a configuration loads no parser or
 * extractor.
 */
export const builtIn: Registry = make([hn, feed, web, reddit, youtube])

/**
 * `base` with `plugins` added; a plug-in whose `type` is already present replaces it (with its
 * transforms), so a built-in source can be swapped for a user's own.
 */
export const extend = (base: Registry, plugins: Iterable<AnySourcePlugin>): Registry => {
  const added = Array.from(plugins)
  const replaced = new Set(added.map((p) => p.type))
  return make([...Array.from(base.values()).filter((p) => !replaced.has(p.type)), ...added])
}

/** Every plug-in's transforms, for `TransformJob.make` and `Transform.transformItemWith`. */
export const transforms = (registry: Registry): SourceTransforms.SourceTransforms =>
  SourceTransforms.make(Array.from(registry.values()).flatMap((p): ReadonlyArray<SourceTransform> => p.transforms))

/**
 * Whether items of `sourceType` can move to silver with this registry: a plug-in transforms them, or
 * they are the fetch side's own bookkeeping (never content items, never transformed).
 */
export const transformable = (registry: Registry, sourceType: string): boolean =>
  SourceTransforms.bookkeeping.has(sourceType) ||
  Array.from(registry.values()).some((p) => p.transforms.some((t) => t.sourceType === sourceType))

/** The schema of one entry of a plug-in: its `type`, `name`, `every` and its own fields. */
export const entrySchema = (plugin: AnySourcePlugin) =>
  Schema.Struct({
    type: Schema.Literal(plugin.type),
    name: EntryFields.name(plugin.defaults.name),
    every: EntryFields.every(plugin.defaults.every),
    ...plugin.fields
  })

/** A decoded entry: the keys every entry has, and its plug-in's own. */
export interface Entry {
  readonly type: string
  readonly name: string
  readonly every: import("effect").Duration.Duration
  readonly [key: string]: unknown
}

/** The schema of `sources[]`'s entries: one of the registry's plug-ins, chosen by `type`. */
export const entriesSchema = (registry: Registry): Schema.Codec<Entry, unknown> => {
  const members = Array.from(registry.values(), entrySchema)
  const [first, ...rest] = members
  if (first === undefined) throw new Error("a registry with no source plug-in")
  const union = rest.length === 0 ? first : Schema.Union([first, ...rest])
  const types = Array.from(registry.keys())
  // The type is checked first, so an unknown one is named as such rather than as a mismatch with every plug-in.
  const typed = Schema.Unknown.check(
    Schema.makeFilter((entry: unknown) => {
      const type = typeof entry === "object" && entry !== null ? (entry as { type?: unknown }).type : undefined
      return typeof type === "string" && registry.has(type)
        ? undefined
        : {
            path: ["type"],
            issue: `one of the source types ${types.map((t) => `"${t}"`).join(", ")} (a source of another type needs its plug-in in "plugins")`
          }
    })
  )
  return typed.pipe(Schema.decodeTo(union as unknown as Schema.Codec<Entry, unknown>)) as unknown as Schema.Codec<
    Entry,
    unknown
  >
}

/**
 * The plug-ins a module exports: its default export, or an export named `plugins` (an array) or
 * `plugin`. Anything else is refused with what was found, so a wrong path says so at start.
 */
export const fromModule = (specifier: string, module: Record<string, unknown>): ReadonlyArray<AnySourcePlugin> => {
  const candidates = [module.default, module.plugins, module.plugin].filter((v) => v !== undefined)
  const found = candidates.flatMap((v) => (Array.isArray(v) ? v : [v]))
  if (found.length === 0)
    throw new Error(
      `${specifier} exports no source plug-in (expected a default export, or "plugins"/"plugin", made with SourcePlugin.make)`
    )
  const bad = found.find((v) => !isSourcePlugin(v))
  if (bad !== undefined)
    throw new Error(
      `${specifier} exports something that is not a source plug-in (a value with type, defaults, fields, source and transforms): ${typeof bad}`
    )
  return found as ReadonlyArray<AnySourcePlugin>
}

/** The registry as a service, for layers that read it from their context. */
export class SourcePlugins extends Context.Service<SourcePlugins, Registry>()("@medallion/workers/SourcePlugins") {}

export const layer = (registry: Registry): Layer.Layer<SourcePlugins> => Layer.succeed(SourcePlugins, registry)
