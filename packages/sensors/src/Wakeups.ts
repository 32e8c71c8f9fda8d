/**
 * Signals that wake a sensor before its interval. They only shorten latency: every sensor still polls,
 * so a missed signal (a dropped notification, a watch that does not see a network filesystem's writes,
 * a reconnect) is caught by the next poll. Bursts coalesce in the runner (one tick serves every signal
 * that arrived before it, and ticks never start closer than the runner's wake floor).
 */
import * as Fs from "node:fs"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Queue, Schedule, Stream } from "effect"

/**
 * A filesystem watch on a folder (recursive) or a file such as `_index.jsonl`. Watch errors end the
 * signal quietly (polling continues); a folder that does not exist yet is retried.
 */
export const fileSystem = (path: string, options: { readonly retry?: Duration.Input } = {}): Stream.Stream<void> =>
  Stream.callback<void, Error>(
    (queue) =>
      Effect.acquireRelease(
        Effect.try({
          try: () => {
            const watcher = Fs.watch(path, { recursive: Fs.statSync(path).isDirectory() }, () =>
              Queue.offerUnsafe(queue, undefined)
            )
            watcher.on("error", (error) => Queue.failCauseUnsafe(queue, { _tag: "Fail", error } as never))
            return watcher
          },
          catch: (error) => (error instanceof Error ? error : new Error(String(error)))
        }),
        (watcher) => Effect.sync(() => watcher.close())
      ),
    { bufferSize: 1, strategy: "sliding" }
  ).pipe(
    Stream.retry(Schedule.spaced(options.retry ?? Duration.seconds(5))),
    Stream.catchCause(() => Stream.empty)
  )

/**
 * `LISTEN` on a channel (e.g. silver's `medallion_silver_changed`), reconnecting with backoff when the
 * connection drops.
 */
export const postgresListen = (channel: string): Stream.Stream<void, never, PgClient.PgClient> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const client = yield* PgClient.PgClient
      return Stream.unwrap(Effect.map(client.listen(channel), Stream.fromQueue))
    })
  ).pipe(
    Stream.map(() => undefined),
    Stream.retry(Schedule.min([Schedule.exponential(Duration.millis(200)), Schedule.spaced(Duration.seconds(10))])),
    Stream.catchCause(() => Stream.empty)
  )
