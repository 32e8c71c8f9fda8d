/**
 * The stack of the Reddit plug-in's tests: the loopback Reddit server, the production HTTP client (allowed
 * to reach it) with robots.txt, the filesystem bronze store on a temporary directory, and the plug-in's
 * source built from an entry as the configuration decodes it.
 */
import { FileSystemBronze } from "@medallion/bronze"
import { Duration, Effect, Layer, Schema } from "effect"
import { FetchHttp } from "../../../src/http/FetchHttp.ts"
import { RobotsTxt } from "../../../src/http/RobotsTxt.ts"
import { reddit } from "../../../src/plugins/reddit/index.ts"
import * as SourcePlugins from "../../../src/plugins/SourcePlugins.ts"
import { tempDir } from "../../support/TempDir.ts"
import { RedditServer, type RedditServerOptions } from "./RedditServer.ts"

export const decode = (entries: unknown) =>
  Schema.decodeUnknownEffect(Schema.Array(SourcePlugins.entriesSchema(SourcePlugins.builtIn)))(entries, {
    errors: "all",
    onExcessProperty: "error"
  })

export const stack = (server: RedditServerOptions = {}) =>
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
    Layer.provideMerge(RedditServer.layer(server))
  )

/** The plug-in's source for an entry as the configuration gives it, pointed at the server. */
export const sourceFor = (entry: Record<string, unknown>) =>
  Effect.gen(function* () {
    const server = yield* RedditServer
    const [decoded] = yield* decode([{ type: "reddit", name: "test", baseUrl: server.url, ...entry }])
    return reddit.source(decoded as never, { extractTimeout: Duration.seconds(10) })
  })
