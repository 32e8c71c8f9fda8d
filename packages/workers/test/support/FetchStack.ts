import { FileSystemBronze } from "@medallion/bronze"
import { Duration, Effect, Layer } from "effect"
import { FetchHttp, type FetchHttpOptions } from "../../src/http/FetchHttp.ts"
import { FixtureServer, type FixtureServerOptions } from "../../src/testing/FixtureServer.ts"
import { tempDir } from "./TempDir.ts"

/**
 * The real stack of a fetch test: the fixture server on loopback (allowed
 * explicitly), the production HTTP client, and the filesystem bronze store on
 * a temporary directory.
 */
export const fetchStack = (server: FixtureServerOptions = {}, http: Partial<FetchHttpOptions> = {}) =>
  Layer.mergeAll(
    FetchHttp.layer({
      addressPolicy: { allow: ["127.0.0.1/32"] },
      perHostInterval: Duration.zero,
      retryBase: Duration.millis(5),
      maxRetries: 0,
      ...http
    }),
    Layer.unwrap(Effect.map(tempDir(), (root) => FileSystemBronze.layerWith({ root, catalog: "scan" }))).pipe(
      Layer.orDie
    )
  ).pipe(Layer.provideMerge(FixtureServer.layer(server)))
