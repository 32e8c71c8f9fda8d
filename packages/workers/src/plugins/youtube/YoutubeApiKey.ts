/**
 * The YouTube Data API key of one entry, read from the environment variable the entry names when the
 * fetch daemon starts (the plug-in's layer, built per entry). A missing or empty variable stops the start,
 * naming it; the key itself is kept `Redacted` and only ever sent in the `X-Goog-Api-Key` header.
 */
import { Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"

export class MissingApiKey extends Schema.TaggedError<MissingApiKey>()("MissingApiKey", {
  variable: Schema.String,
  message: Schema.String
}) {}

export class YoutubeApiKey extends Context.Service<YoutubeApiKey, Redacted.Redacted<string>>()(
  "@medallion/workers/YoutubeApiKey"
) {
  /** The key from `variable`, for the source named `source`. */
  static readonly layer = (variable: string, source: string) =>
    Layer.effect(
      YoutubeApiKey,
      Effect.gen(function* () {
        const key = yield* Config.option(Config.Redacted(variable)).pipe(
          Effect.catch(() => Effect.succeed(Option.none<Redacted.Redacted<string>>()))
        )
        if (Option.isNone(key) || Redacted.value(key.value).trim().length === 0)
          return yield* new MissingApiKey({
            variable,
            message: `the environment variable ${variable} is not set: the YouTube source "${source}" needs a YouTube Data API key in it (the entry's "apiKeyEnv" names another variable)`
          })
        return key.value
      })
    )
}
