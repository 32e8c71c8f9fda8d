/**
 * Flags shared by every command. Each one also reads an environment variable,
 * so a deployment can set them once: `--data-dir` / `MEDALLION_DATA_DIR`,
 * `--config` / `MEDALLION_CONFIG`, `--log-format` / `MEDALLION_LOG_FORMAT`.
 */
import { Config } from "effect"
import { Flag } from "effect/cli"
import { Logging } from "@medallion/workers/config"

/** The data dir when neither `--data-dir` nor `MEDALLION_DATA_DIR` names one. */
export const DEFAULT_DATA_DIR = "./data"

export const dataDir = Flag.String("data-dir").pipe(
  Flag.withDescription(
    "Folder for the embedded PostgreSQL and, unless configured otherwise, bronze (env MEDALLION_DATA_DIR)"
  ),
  Flag.withFallbackConfig(Config.String("MEDALLION_DATA_DIR")),
  Flag.withDefault(DEFAULT_DATA_DIR)
)

export const config = Flag.String("config").pipe(
  Flag.withDescription("Configuration file (JSON); default: ./medallion.config.json if present (env MEDALLION_CONFIG)"),
  Flag.withFallbackConfig(Config.String("MEDALLION_CONFIG")),
  Flag.optional
)

export const logFormat = Flag.Literals("log-format", Logging.LogFormats).pipe(
  Flag.withDescription("pretty (default), json (one object per line) or logfmt (env MEDALLION_LOG_FORMAT)"),
  Flag.withFallbackConfig(Config.Literals(Logging.LogFormats, "MEDALLION_LOG_FORMAT")),
  Flag.withDefault("pretty" as const)
)

export const shared = { dataDir, config, logFormat }
