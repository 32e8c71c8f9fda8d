/**
 * The names of the transform daemon's sensors, in a module of their own (`@medallion/transform-daemon/names`):
 * what reads their state (`status`, `retry`) needs the names, not the daemon's code.
 */
export const BRONZE_SENSOR = "bronze-to-silver"
