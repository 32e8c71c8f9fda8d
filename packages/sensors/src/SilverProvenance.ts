/**
 * Which bronze artifacts silver already holds: the filter the scan-mode reconcile
 * pass of the bronze -> silver sensor uses, so a periodic full pass re-requests
 * only artifacts silver has not seen (an old-mtime rename, a lost run) rather
 * than all of bronze. An artifact counts as known when silver's provenance has
 * its location with the same sha256; a superseded version of an artifact type
 * is not recorded there and is requested again, which idempotent runs absorb.
 */
import { SilverError } from "@medallion/silver"
import type { ArtifactInfo } from "@medallion/bronze"
import { Effect, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as SqlSchema from "effect/sql/SqlSchema"

const ArtifactRow = Schema.Struct({ location: Schema.String, sha256: Schema.String })

export const known = (artifacts: ReadonlyArray<ArtifactInfo>): Effect.Effect<ReadonlySet<string>, never, SqlClient> =>
  Effect.gen(function* () {
    if (artifacts.length === 0) return new Set<string>()
    const sql = yield* SqlClient
    const wanted = new Map(artifacts.map((a) => [a.location, a.sha256]))
    const rows = yield* SqlSchema.findAll({
      Request: Schema.Void,
      Result: ArtifactRow,
      execute: () => sql`
        select location, sha256 from item_artifacts where ${sql.in("sha256", [...new Set(wanted.values())])}`
    })(undefined).pipe(SilverError.undecodableAsSqlError("SilverProvenance.known"))
    return new Set(rows.filter((row) => wanted.get(row.location) === row.sha256).map((row) => row.location))
  }).pipe(
    // Without the filter the pass re-requests everything, which is slower but still correct.
    Effect.catchCause((cause) =>
      Effect.as(Effect.logWarning("reconcile: silver's provenance could not be read", cause), new Set<string>())
    )
  )
