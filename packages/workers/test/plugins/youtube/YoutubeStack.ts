/**
 * The stack of the YouTube plug-in's tests: the loopback API server, the production HTTP client (allowed to
 * reach it), the filesystem bronze store on a temporary directory, the entry's API key as the plug-in's
 * layer reads it (from `YOUTUBE_API_KEY` of a test environment), and the plug-in's source built from an
 * entry as the configuration decodes it.
 */
import { FileSystemBronze } from "@medallion/bronze"
import { ConfigProvider, Duration, Effect, Layer, Schema } from "effect"
import * as Source from "../../../src/fetch/Source.ts"
import { FetchHttp } from "../../../src/http/FetchHttp.ts"
import { RobotsTxt } from "../../../src/http/RobotsTxt.ts"
import * as SourcePlugin from "../../../src/plugins/SourcePlugin.ts"
import * as SourcePlugins from "../../../src/plugins/SourcePlugins.ts"
import { youtube } from "../../../src/plugins/youtube/index.ts"
import type { YoutubeApiKey } from "../../../src/plugins/youtube/YoutubeApiKey.ts"
import { tempDir } from "../../support/TempDir.ts"
import { KEY, YoutubeServer, type YoutubeServerOptions } from "./YoutubeServer.ts"

export const decode = (entries: unknown) =>
  Schema.decodeUnknownEffect(Schema.Array(SourcePlugins.entriesSchema(SourcePlugins.builtIn)))(entries, {
    errors: "all",
    onExcessProperty: "error"
  })

/** The entry's services as the fetch daemon builds them at start, with `env` as the environment. */
export const entryLayer = (entry: unknown, env: Record<string, string>) =>
  SourcePlugin.layerOf(youtube, entry)!.pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
  ) as Layer.Layer<YoutubeApiKey, unknown, SourcePlugin.FetchServices>

export const stack = (server: YoutubeServerOptions = {}) =>
  Layer.mergeAll(
    RobotsTxt.layer(),
    Layer.unwrap(Effect.map(tempDir(), (root) => FileSystemBronze.layerWith({ root, catalog: "scan" }))).pipe(
      Layer.orDie
    )
  ).pipe(
    Layer.provideMerge(
      FetchHttp.layer({
        addressPolicy: { allow: ["127.0.0.1/32"] },
        perHostInterval: Duration.zero,
        retryBase: Duration.millis(5),
        maxRetries: 0
      })
    ),
    Layer.provideMerge(YoutubeServer.layer(server))
  )

/** The plug-in's source for an entry as the configuration gives it, pointed at the server, with its key. */
export const sourceFor = (entry: Record<string, unknown>) =>
  Effect.gen(function* () {
    const server = yield* YoutubeServer
    const [decoded] = yield* decode([{ type: "youtube", name: "test", baseUrl: server.url, ...entry }])
    const context = yield* Layer.build(entryLayer(decoded, { YOUTUBE_API_KEY: KEY }))
    return Source.provide(youtube.source(decoded as never, { extractTimeout: Duration.seconds(10) }), context)
  })
