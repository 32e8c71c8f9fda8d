/**
 * Writer-side upkeep: restore index lines lost in a crash, terminate a torn last line, remove stale temp files.
 */
import { Context, type Effect } from "effect"
import type { BronzeIoError } from "./BronzeErrors.ts"
import type { ReconcileOptions, ReconcileReport } from "./Catalog.ts"

export interface BronzeMaintenanceShape {
  readonly reconcile: (options?: ReconcileOptions) => Effect.Effect<ReconcileReport, BronzeIoError>
}

export class BronzeMaintenance extends Context.Service<BronzeMaintenance, BronzeMaintenanceShape>()(
  "@medallion/bronze/BronzeMaintenance"
) {}
