/**
 * What every process of a deployment reads and does the same way, the `medallion` CLI and each daemon's
 * own `main`: the configuration file (`medallion.config.json`: its schema, its loading with the plug-ins it
 * names, its S3 settings), the log output, the shutdown bound after SIGINT or SIGTERM, and a daemon's
 * process with the CLI's exit codes.
 */
export * as DaemonProcess from "./DaemonProcess.ts"
export * as Logging from "./Logging.ts"
export * as MedallionConfig from "./MedallionConfig.ts"
export { ConfigFileError } from "./MedallionConfig.ts"
export * as ShutdownBound from "./ShutdownBound.ts"
