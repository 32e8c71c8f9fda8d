/**
 * The one migration sequence of the project's database, in order. Adding a
 * migration is one line here (the next number, then a short name) and its
 * file; a released migration never changes.
 */
import type { Migration } from "./Statements.ts"
import items from "./0001_items.ts"
import sensorState from "./0002_sensor_state.ts"
import sensorLeasesGold from "./0003_sensor_leases_gold.ts"
import queueWorkers from "./0004_queue_workers.ts"
import itemTextFields from "./0005_item_text_fields.ts"
import searchText from "./0006_search_text.ts"
import purgeLog from "./0007_purge_log.ts"

export type { Migration } from "./Statements.ts"
export { statements } from "./Statements.ts"

export const migrations: Readonly<Record<string, Migration>> = {
  "0001_items": items,
  "0002_sensor_state": sensorState,
  "0003_sensor_leases_gold": sensorLeasesGold,
  "0004_queue_workers": queueWorkers,
  "0005_item_text_fields": itemTextFields,
  "0006_search_text": searchText,
  "0007_purge_log": purgeLog
}
