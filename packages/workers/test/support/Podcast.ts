import { Effect } from "effect"
import * as FeedEntryId from "../../src/fetch/FeedEntryId.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"

/** The guids of the two episodes of the fixture server's `/podcast.xml`. */
export type EpisodeGuid = "fixture-podcast-jfk-wav" | "fixture-podcast-jfk-mp3"

/** The item of an episode of the fixture server's podcast: entries are keyed by their feed's URL and guid. */
export const episode = (guid: EpisodeGuid) =>
  Effect.map(Effect.service(FixtureServer), (server) => ({
    sourceType: "feed",
    externalId: FeedEntryId.entryId(`${server.url}/podcast.xml`, guid)
  }))
