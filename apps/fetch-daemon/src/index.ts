export * as FetchDaemon from "./FetchDaemon.ts"
export * as FetchDeployment from "./FetchDeployment.ts"
