/**
 * Log output of every command: pretty lines on a terminal, one JSON object per
 * line with `--log-format json` (for log shippers), logfmt with `logfmt`.
 */
import { Logger } from "effect"

export const LogFormats = ["pretty", "json", "logfmt"] as const
export type LogFormat = (typeof LogFormats)[number]

export const layer = (format: LogFormat) =>
  Logger.layer([
    format === "json" ? Logger.consoleJson : format === "logfmt" ? Logger.consoleLogFmt : Logger.consolePretty()
  ])
