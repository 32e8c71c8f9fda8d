import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as HnItem from "../../src/extract/HnItem.ts"
import { served } from "../support/Fixtures.ts"

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe("HnItem", () => {
  it.effect("reads stories, comments, polls and jobs of the API documentation", () =>
    Effect.gen(function* () {
      const story = (yield* HnItem.parseItem(served("hn/8863_story_apidocs.json")))!
      assert.strictEqual(story.type, "story")
      assert.strictEqual(story.state, "live")
      assert.strictEqual(story.title, "My YC app: Dropbox - Throw away your USB drive")
      assert.strictEqual(story.kids.length, 33)
      const comment = (yield* HnItem.parseItem(served("hn/2921983_comment_apidocs.json")))!
      assert.strictEqual(comment.by, "norvig")
      assert.strictEqual(comment.parent, 2921506)
      for (const file of ["126809_poll_apidocs.json", "160705_pollopt_apidocs.json", "192327_job_apidocs.json"]) {
        const item = yield* HnItem.parseItem(served(`hn/${file}`))
        assert.isDefined(item)
      }
    })
  )

  it.effect("deleted and dead items are states, a missing item is `undefined`", () =>
    Effect.gen(function* () {
      // The shapes the API documents for a removed and a killed comment.
      const deleted = (yield* HnItem.parseItem(
        json({ deleted: true, id: 11, parent: 10, time: 1773425081, type: "comment" })
      ))!
      assert.strictEqual(deleted.state, "deleted")
      assert.isUndefined(deleted.by)
      const dead = (yield* HnItem.parseItem(
        json({ by: "x", dead: true, id: 12, parent: 10, text: "[dead]", time: 1, type: "comment" })
      ))!
      assert.strictEqual(dead.state, "dead")
      assert.isUndefined(dead.text)
      assert.isUndefined(yield* HnItem.parseItem(new TextEncoder().encode("null")))
    })
  )

  it.effect("orders a comment tree with depths, keeping orphans", () =>
    Effect.gen(function* () {
      const tree = json([
        { id: 2, parent: 1, by: "a", text: "top", time: 1, type: "comment", kids: [4] },
        { id: 3, parent: 1, deleted: true, time: 2, type: "comment" },
        { id: 4, parent: 2, by: "b", text: "reply", time: 3, type: "comment" },
        null,
        { id: 9, parent: 8, by: "c", text: "orphan", time: 4, type: "comment" }
      ])
      const comments = yield* HnItem.parseCommentTree(tree, 1)
      assert.deepStrictEqual(
        comments.map((c) => [c.id, c.depth, c.state]),
        [
          [2, 1, "live"],
          [4, 2, "live"],
          [3, 1, "deleted"],
          [9, 0, "live"]
        ]
      )
    })
  )

  it.effect("invalid and truncated JSON give typed reasons", () =>
    Effect.gen(function* () {
      const bytes = served("hn/8863_story_apidocs.json")
      const truncated = yield* Effect.flip(HnItem.parseItem(bytes.subarray(0, 100)))
      assert.strictEqual(truncated.kind, "truncated")
      // A hand-edited file with a trailing comma, as found in the wild.
      const invalid = yield* Effect.flip(HnItem.parseItem(new TextEncoder().encode('{"id": 1, "type": "story",}')))
      assert.strictEqual(invalid.kind, "invalid-json")
      const wrong = yield* Effect.flip(HnItem.parseItem(json({ id: "one" })))
      assert.strictEqual(wrong.kind, "schema-mismatch")
    })
  )
})
