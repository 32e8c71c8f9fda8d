/**
 * The last line of the shutdown contract: after SIGINT or SIGTERM, the process is gone within
 * `SHUTDOWN_BOUND_MS` whatever its work. The signal interrupts the daemons' fibers (in-flight runs roll
 * back, extraction threads are terminated, the embedded server stops); should a finalizer still hang
 * past the bound, the process exits anyway. That leaves nothing half-done: bronze writes become visible
 * whole or not at all, a run's work commits with its status or not at all, sensor cursors never pass
 * unfinished runs, and the embedded server's watchdog stops it.
 */
export const SHUTDOWN_BOUND_MS = 15_000

/** Arms the bound on the first SIGINT or SIGTERM (the timer does not keep the process alive). */
export const arm = (): void => {
  const onSignal = (signal: NodeJS.Signals) => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
    setTimeout(() => {
      process.stderr.write(
        `medallion: ${signal}: shutdown did not finish within ${SHUTDOWN_BOUND_MS / 1000} s; exiting now\n`
      )
      process.exit(1)
    }, SHUTDOWN_BOUND_MS).unref()
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
}
