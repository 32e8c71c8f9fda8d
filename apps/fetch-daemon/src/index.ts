export * as FetchDaemon from "./FetchDaemon.ts"
