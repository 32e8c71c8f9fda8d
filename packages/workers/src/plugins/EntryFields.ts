/**
 * Schemas for the keys of a source's entry in the configuration (`sources[]`), shared by the built-in
 * plug-ins and a user's: each checks a value as text first, so its error is reported with every other
 * key's, naming what was expected.
 */
import { Duration, Effect, Option, Schema, SchemaTransformation } from "effect"

/** A key that may be left out: the decoder fills in `value` (written as in the file). */
export const withDefault = <S extends Schema.Top>(schema: S, value: S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** A count that must be at least 1 and at most `maximum`: past it the value is a typo or unusable, not a choice. */
export const Count = (maximum: number) => Schema.Int.check(Schema.isBetween({ minimum: 1, maximum }))

export const HttpUrl = Schema.String.check(
  Schema.isPattern(/^https?:\/\/[^\s/$.?#].[^\s]*$/i, { expected: "an http(s) URL" })
)

/** A duration written as text ("30 seconds", "5 minutes", "6 hours", "1 day") that `accept`s. */
export const durationText = (accept: (duration: Duration.Duration) => boolean, expected: string) =>
  Schema.String.check(
    Schema.makeFilter(
      (text: string) =>
        Option.match(Duration.fromInput(text as Duration.Input), { onNone: () => false, onSome: accept }),
      { expected }
    )
  ).pipe(Schema.decodeTo(Schema.Duration, SchemaTransformation.durationFromString))

export const Interval = durationText(
  (d) => Duration.isGreaterThan(d, Duration.zero),
  'a positive duration such as "30 seconds" or "6 hours"'
)

/** A duration within `[minimum, maximum]`: a schedule faster than the floor would hammer a site or the database. */
export const Bounded = (minimum: Duration.Input & string, maximum: Duration.Input & string) => {
  const low = Duration.fromInputUnsafe(minimum)
  const high = Duration.fromInputUnsafe(maximum)
  return durationText(
    (d) => Duration.isGreaterThanOrEqualTo(d, low) && Duration.isLessThanOrEqualTo(d, high),
    `a duration from "${minimum}" to "${maximum}"`
  )
}

/** How often a source is polled: more than once a minute is impolite to the sites it reads. */
export const SourceEvery = Bounded("1 minute", "30 days")

/** The entry's `every`, with the plug-in's default. */
export const every = (value: Duration.Input & string) => withDefault(SourceEvery, value)

/** The entry's `name` (shown in logs, metrics and `status`): required, or defaulted when given. */
export const name = (value?: string) =>
  value === undefined ? Schema.NonEmptyString : withDefault(Schema.NonEmptyString, value)
