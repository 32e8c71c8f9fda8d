/**
 * Log output of every command and daemon: pretty lines on a terminal, one JSON object per
 * line with `--log-format json` (for log shippers), logfmt with `logfmt`.
 * Logs go to stderr, so stdout carries only a command's result (`status --json`).
 */
import { Layer, Logger } from "effect"

export const LogFormats = ["pretty", "json", "logfmt"] as const
export type LogFormat = (typeof LogFormats)[number]

const logger = (format: LogFormat) =>
  format === "json"
    ? Logger.withConsoleError(Logger.formatJson)
    : format === "logfmt"
      ? Logger.withConsoleError(Logger.formatLogFmt)
      : Logger.consolePretty()

export const layer = (format: LogFormat) =>
  Layer.mergeAll(Logger.layer([logger(format)]), Layer.succeed(Logger.LogToStderr, true))
