/**
 * The metrics of executed runs, shared by the launchers (in process, and the queue's workers), so a
 * dashboard reads the same series whichever executes the runs.
 */
import { Metric } from "effect"

/** Runs finished, by `sensor` and `status` (`succeeded` or `failed`). */
export const runsFinished = Metric.counter("runs_finished_total", {
  description: "Runs finished, by sensor and outcome"
})

/** Items the finished runs reported as failed, by `sensor`. */
export const itemFailures = Metric.counter("run_item_failures_total", { description: "Items a run reported as failed" })

/** Duration of a run, by `sensor`. */
export const runDuration = Metric.timer("run_duration", {
  description: "Duration of a run (in process: retries included; on the queue: its attempt that finished it)"
})
