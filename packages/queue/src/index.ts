/**
 * @since 0.1.0
 */
export * from "./QueueError.ts"
export * as PoolSupervisor from "./PoolSupervisor.ts"
export * as QueueAdmin from "./QueueAdmin.ts"
export * as QueueLauncher from "./QueueLauncher.ts"
export * as QueueLauncherTest from "./QueueLauncherTest.ts"
export * as QueueReport from "./QueueReport.ts"
export { EnqueuedRuns, type EnqueuedRun } from "./QueueLauncherTest.ts"
export * as QueueWorker from "./QueueWorker.ts"
export * as RunJobs from "./RunJobs.ts"
export * as RunTask from "./RunTask.ts"
export * as WorkerLiveness from "./WorkerLiveness.ts"
