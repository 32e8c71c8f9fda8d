/** The real YouTube API responses of `fixtures/youtube/` (see `SOURCES.md` there), and the URLs they answer. */
import * as Fs from "node:fs"
import * as Path from "node:path"

const dir = Path.join(import.meta.dirname, "..", "fixtures", "youtube")

export const bytes = (name: string): Uint8Array => new Uint8Array(Fs.readFileSync(Path.join(dir, name)))
export const text = (name: string): string => Fs.readFileSync(Path.join(dir, name), "utf8")

export const WATCHED = ["D-lhorsDlUQ", "ovdbrdCIP7U"] as const
/** The video whose own lookup the API refuses (403) in these tests. */
export const REFUSED = "ovdbrdCIP7U"
export const FETCHED = "D-lhorsDlUQ"

/** Path and query the source requests, with the response each gets. */
export const routes: ReadonlyArray<{
  readonly pathAndQuery: string
  readonly status: number
  readonly file: string
}> = [
  {
    pathAndQuery: `/youtube/v3/videos?part=snippet&id=${encodeURIComponent(WATCHED.join(","))}`,
    status: 200,
    file: "videos_info_multi.json"
  },
  {
    pathAndQuery: `/youtube/v3/videos?part=snippet,player&id=${FETCHED}`,
    status: 200,
    file: "videos_info_single.json"
  },
  {
    pathAndQuery: `/youtube/v3/videos?part=snippet,player&id=${REFUSED}`,
    status: 403,
    file: "error_permission_resp.json"
  }
]
