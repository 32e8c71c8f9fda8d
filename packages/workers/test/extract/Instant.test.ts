import { assert, describe, it } from "@effect/vitest"
import { DateTime } from "effect"
import * as Instant from "../../src/extract/Instant.ts"

const iso = (text: string) => {
  const at = Instant.parse(text)
  return at === undefined ? undefined : DateTime.formatIso(at)
}

describe("Instant", () => {
  it("reads RFC 822 dates with every zone RFC 822 names, numeric offsets and the abbreviations feeds use", () => {
    assert.strictEqual(iso("Sun, 29 Jun 2008 23:13:39 EDT"), "2008-06-30T03:13:39.000Z")
    assert.strictEqual(iso("07 Nov 2015 12:00:00 EST"), "2015-11-07T17:00:00.000Z")
    assert.strictEqual(iso("Tue, 10 Jun 2003 04:00:00 PDT"), "2003-06-10T11:00:00.000Z")
    assert.strictEqual(iso("Tue, 10 Jun 2003 04:00:00 CST"), "2003-06-10T10:00:00.000Z")
    assert.strictEqual(iso("Mon, 01 Jul 2024 10:00:00 BST"), "2024-07-01T09:00:00.000Z")
    assert.strictEqual(iso("Fri, 20 Feb 2015 09:51:15 UTC"), "2015-02-20T09:51:15.000Z")
    assert.strictEqual(iso("Fri, 20 Feb 2015 09:51:15 UT"), "2015-02-20T09:51:15.000Z")
    assert.strictEqual(iso("Fri, 19 May 2017 21:05:02 +0530"), "2017-05-19T15:35:02.000Z")
    assert.strictEqual(iso("Mon, 07 Jan 2019 17:19:19 -0500 (EST)"), "2019-01-07T22:19:19.000Z")
    // Military letters, with their real offsets (RFC 1123 notes RFC 822 gave the signs backwards).
    assert.strictEqual(iso("Mon, 01 Jan 2024 10:00:00 Z"), "2024-01-01T10:00:00.000Z")
    assert.strictEqual(iso("Mon, 01 Jan 2024 10:00:00 A"), "2024-01-01T09:00:00.000Z")
    assert.strictEqual(iso("Mon, 01 Jan 2024 10:00:00 M"), "2023-12-31T22:00:00.000Z")
    assert.strictEqual(iso("Mon, 01 Jan 2024 10:00:00 N"), "2024-01-01T11:00:00.000Z")
    assert.strictEqual(iso("Mon, 01 Jan 2024 10:00:00 Y"), "2024-01-01T22:00:00.000Z")
    assert.isUndefined(iso("Mon, 01 Jan 2024 10:00:00 J"))
  })

  it("reads RFC 3339 / ISO 8601 and W3C-DTF", () => {
    assert.strictEqual(iso("2016-06-03T07:38:00.000-07:00"), "2016-06-03T14:38:00.000Z")
    assert.strictEqual(iso("2021-11-01T10:52:50+0100"), "2021-11-01T09:52:50.000Z")
    assert.strictEqual(iso("2018-01-31T20:15:15Z"), "2018-01-31T20:15:15.000Z")
    assert.strictEqual(iso("2018-01-31t20:15:15z"), "2018-01-31T20:15:15.000Z")
    assert.strictEqual(iso("2017-11-03 03:01:00.000000"), "2017-11-03T03:01:00.000Z")
    assert.strictEqual(iso("2024-06-25"), "2024-06-25T00:00:00.000Z")
    assert.strictEqual(iso("2018-06"), "2018-06-01T00:00:00.000Z")
    assert.strictEqual(iso("20240101T120000Z"), "2024-01-01T12:00:00.000Z")
  })

  it("takes the sloppy forms real feeds use", () => {
    // No seconds, full month and day names, a wrong day name, no zone (UTC), two-digit years, ctime.
    assert.strictEqual(iso("Monday, 01 January 2024 10:00"), "2024-01-01T10:00:00.000Z")
    assert.strictEqual(iso("Sat, 01 Jan 2024 10:00:00 GMT"), "2024-01-01T10:00:00.000Z")
    assert.strictEqual(iso("Sat, 01 Jan 99 00:00:00 GMT"), "1999-01-01T00:00:00.000Z")
    assert.strictEqual(iso("1 Sept 2023"), "2023-09-01T00:00:00.000Z")
    assert.strictEqual(iso("Thu Jan  4 15:04:05 PST 2024"), "2024-01-04T23:04:05.000Z")
    assert.strictEqual(
      iso("Thu Jan 25 2024 10:00:00 GMT+0200 (Central European Summer Time)"),
      "2024-01-25T08:00:00.000Z"
    )
    assert.strictEqual(iso("Mon, 07 Jan 2019 17:19:19 GMT+1"), "2019-01-07T16:19:19.000Z")
    // Localized month and day names.
    assert.strictEqual(iso("Di, 07 Jan 2019 17:19:19 +0100"), "2019-01-07T16:19:19.000Z")
    assert.strictEqual(iso("7 janvier 2019 10:00"), "2019-01-07T10:00:00.000Z")
    assert.strictEqual(iso("lun, 07 ene 2019 10:00:00 +0100"), "2019-01-07T09:00:00.000Z")
    assert.strictEqual(iso("Fri, 20 Jan 1961 17:00:00 GMT"), "1961-01-20T17:00:00.000Z")
  })

  it("gives nothing for what is not a date, so the caller keeps the text", () => {
    for (const text of [
      "garbage",
      "",
      "Tuesday, 2024",
      "31 Feb 2024 10:00 GMT",
      "2024-13-01",
      "0001-01-01T00:00:00Z",
      "soon",
      "Mon, 01 Jan 2024 25:00:00 GMT"
    ])
      assert.isUndefined(Instant.parse(text), text)
  })
})
