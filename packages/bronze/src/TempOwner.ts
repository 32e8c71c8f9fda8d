/**
 * Who wrote a temp file, written into its name, so that the upkeep can tell a crashed writer's temp file
 * from a live one's: another live process (a second fetch daemon on the same folder) may be writing into
 * the same bronze at that moment.
 *
 * The owner is this host and boot (short hashes of the host name and of the kernel's boot id), the process
 * id, and the process's start time (clock ticks since boot, from `/proc`), so a reused pid is not taken
 * for the writer. A temp file of this host whose process is gone (or is another process with its pid, or
 * ran before the last reboot) belongs to a dead writer and may be removed at once; one from another host,
 * or of the old unnamed form, only after the grace period, since its writer cannot be checked from here.
 */
import { createHash } from "node:crypto"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"

export interface TempOwner {
  readonly host: string
  readonly boot: string
  readonly pid: number
  /** The process's start time in clock ticks since boot; `0` where `/proc` does not tell. */
  readonly start: number
}

const shortHash = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 6)

const readProc = (path: string): string | undefined => {
  try {
    return NodeFs.readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

/** The fields of `/proc/<pid>/stat` after the parenthesized command (which may hold spaces). */
const statFields = (pid: number): ReadonlyArray<string> | undefined => {
  const stat = readProc(`/proc/${pid}/stat`)
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(")") + 2).split(" ")
}

/** Field 22 of `/proc/<pid>/stat`: when the process started. */
const startTicks = (pid: number): number | undefined => {
  const ticks = Number(statFields(pid)?.[19])
  return Number.isInteger(ticks) ? ticks : undefined
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const hasProc = NodeFs.existsSync("/proc/self/stat")

/** This process, as the owner of the temp files it writes. */
export const current: TempOwner = {
  host: shortHash(NodeOs.hostname()),
  boot: shortHash(readProc("/proc/sys/kernel/random/boot_id")?.trim() ?? "unknown"),
  pid: process.pid,
  start: hasProc ? (startTicks(process.pid) ?? 0) : 0
}

/** The unique part of a temp file's name: `w<host><boot>-<pid>-<start>-<random>`. */
export const unique = (random: string, owner: TempOwner = current): string =>
  `w${owner.host}${owner.boot}-${owner.pid}-${owner.start}-${random}`

const OWNED = /\.w([0-9a-f]{6})([0-9a-f]{6})-(\d+)-(\d+)-[0-9a-f]+\.tmp$/

/** The owner a temp file's name records; `undefined` for another form of name. */
export const ownerOf = (tempFileName: string): TempOwner | undefined => {
  const m = OWNED.exec(tempFileName)
  return m === null ? undefined : { host: m[1]!, boot: m[2]!, pid: Number(m[3]), start: Number(m[4]) }
}

/**
 * Whether the writer of a temp file named `tempFileName` is certainly gone: same host, and an earlier
 * boot, or no process with its pid, or a process with its pid that started at another time.
 */
export const isDeadWriter = (tempFileName: string): boolean => {
  const owner = ownerOf(tempFileName)
  if (owner === undefined || owner.host !== current.host) return false
  if (owner.boot !== current.boot) return true
  if (!isRunning(owner.pid)) return true
  if (!hasProc) return false
  const fields = statFields(owner.pid)
  // Gone between the two checks, or exited and not reaped yet (a zombie writes nothing).
  if (fields === undefined || fields[0] === "Z") return true
  const start = Number(fields[19])
  return owner.start !== 0 && Number.isInteger(start) && start !== owner.start
}
