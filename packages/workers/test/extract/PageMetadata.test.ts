import { assert, describe, it } from "@effect/vitest"
import * as PageMetadata from "../../src/extract/PageMetadata.ts"

const title = (input: Partial<PageMetadata.TitleInput>) =>
  PageMetadata.title({
    ogTitle: undefined,
    documentTitle: undefined,
    readabilityTitle: undefined,
    h1s: [],
    siteName: undefined,
    ...input
  })

describe("PageMetadata", () => {
  it("trims the site's name from a title, when the page names its site or its heading is the rest", () => {
    assert.strictEqual(
      title({ documentTitle: "How to Build a Terrarium | eHow", siteName: "eHow" }).title,
      "How to Build a Terrarium"
    )
    assert.strictEqual(
      title({ documentTitle: "Breitbart - 'Neutral' Snopes", siteName: "Breitbart" }).title,
      "'Neutral' Snopes"
    )
    const sphinx = title({
      documentTitle: "os.path — Common pathname manipulations — Python 3.11.2 documentation",
      h1s: ["os.path — Common pathname manipulations¶"]
    })
    assert.deepStrictEqual(sphinx, {
      title: "os.path — Common pathname manipulations",
      trimmedSite: "Python 3.11.2 documentation"
    })
    // The first <h1> is the site's logo; the page's own heading comes second.
    assert.strictEqual(
      title({
        documentTitle: "Evolve: Shared Mutable History — evolve extension for Mercurial",
        h1s: ["evolve extension for Mercurial", "Evolve: Shared Mutable History ¶"]
      }).title,
      "Evolve: Shared Mutable History"
    )
    assert.strictEqual(
      title({ documentTitle: "海外留学生看两会：出国前后关注点大不同_教育频道_中国青年网" }).title,
      "海外留学生看两会：出国前后关注点大不同"
    )
  })

  it("trims the end of a title that says what the page's site heading says, never its start", () => {
    assert.deepStrictEqual(
      title({
        documentTitle: "Path | Node.js v18.20.4 Documentation",
        h1s: ["Node.js v18.20.4 documentation"],
        siteHeadings: ["Node.js v18.20.4 documentation"]
      }),
      { title: "Path", trimmedSite: "Node.js v18.20.4 Documentation" }
    )
    // A bracketed suffix, the heading with a word more (a logo's "beta").
    assert.strictEqual(
      title({
        documentTitle: "Chapter 1 - An Author - Some Fandom | Another Name [Archive of Our Own]",
        h1s: ["Archive of Our Own beta"],
        siteHeadings: ["Archive of Our Own beta"]
      }).title,
      "Chapter 1 - An Author - Some Fandom | Another Name"
    )
    // A banner holding the post's own title: the title's start is the post, not a site's name.
    assert.strictEqual(
      title({ documentTitle: "Post Title | A Blog", h1s: ["Post Title"], siteHeadings: ["Post Title"] }).title,
      "Post Title"
    )
    // Without the heading naming the site, the heading is the page's: it stays.
    assert.strictEqual(
      title({ documentTitle: "Path | Node.js v18.20.4 Documentation", h1s: ["Node.js v18.20.4 documentation"] }).title,
      "Node.js v18.20.4 Documentation"
    )
    assert.strictEqual(title({ documentTitle: "Report [PDF]", siteHeadings: ["A Site"] }).title, "Report [PDF]")
  })

  it("keeps a title whose parts are all the page's, and never returns a slug or nothing when there is a heading", () => {
    const whole = "How we designed Dropbox’s ATF - an async task framework"
    assert.strictEqual(title({ documentTitle: whole, h1s: [whole] }).title, whole)
    assert.strictEqual(
      title({ documentTitle: "Content Depth — Write Comprehensively About Your Core Topics", h1s: ["Content Depth"] })
        .title,
      "Content Depth — Write Comprehensively About Your Core Topics"
    )
    assert.strictEqual(title({ documentTitle: "post-20931.html", h1s: ["A real headline"] }).title, "A real headline")
    assert.strictEqual(title({ documentTitle: "draft-dejong-remotestorage-04 - remoteStorage" }).title, "remoteStorage")
    assert.strictEqual(title({ documentTitle: "  ", h1s: ["Only a heading"] }).title, "Only a heading")
  })

  it("reads a byline's name without its label, and no name from a label or a date", () => {
    assert.strictEqual(PageMetadata.author("By Joshua Sokol"), "Joshua Sokol")
    assert.strictEqual(PageMetadata.author("Par Sébastien Farcis"), "Sébastien Farcis")
    assert.strictEqual(PageMetadata.author("Published by Jane Doe"), "Jane Doe")
    assert.strictEqual(PageMetadata.author("Written by Rob Ewaschuk\n Edited by Betsy Beyer"), "Rob Ewaschuk")
    assert.strictEqual(PageMetadata.author("by Lucas Nolan22 Dec 2016651"), "Lucas Nolan")
    assert.strictEqual(PageMetadata.author("Bradley M. Kuhn (http://ebb.org/bkuhn/)"), "Bradley M. Kuhn")
    assert.strictEqual(PageMetadata.author("肖春芳"), "肖春芳")
    for (const label of [
      "Published by",
      "Follow Author",
      "Last Updated: January 7, 2025",
      "By",
      "April 28, 2019 at 6:01 am Updated April 29, 2019 at 9:53 am",
      "2019-04-28"
    ])
      assert.isUndefined(PageMetadata.author(label), label)
  })
})
