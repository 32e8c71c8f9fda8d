/**
 * Global setup of `pnpm test:s3`: one S3-compatible server for all S3 test files.
 *
 * With `MEDALLION_TEST_S3_ENDPOINT` set, that server is used as it is (with
 * `MEDALLION_TEST_S3_ACCESS_KEY` / `MEDALLION_TEST_S3_SECRET_KEY`). Otherwise a
 * throwaway Ceph radosgw (scripts/ceph/radosgw.sh: one monitor, one in-memory
 * OSD, loopback only) starts in a temporary folder on free ports, and its
 * endpoint and credentials are exported under those names for the test
 * workers. It is stopped and its folder removed at the end of the run, and by
 * its watchdog if the runner is killed. Each test file creates its own bucket.
 *
 * Ceph rather than an npm fake: the fakes accept a PUT with `If-None-Match: *`
 * over an existing key, so a write-once test against them passes when it
 * should fail.
 */
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const launcher = fileURLToPath(new URL("../ceph/radosgw.sh", import.meta.url))

/** The fixed credentials the launcher gives its S3 user. */
const ACCESS_KEY = "medallion-test"
const SECRET_KEY = "medallion-test-secret"

const INSTALL_HINT =
  "pnpm test:s3 needs Ceph radosgw: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common " +
  "(or set MEDALLION_TEST_S3_ENDPOINT, MEDALLION_TEST_S3_ACCESS_KEY and MEDALLION_TEST_S3_SECRET_KEY to use a running server)"

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

const installed = (): boolean =>
  ["radosgw", "ceph-mon", "ceph-osd", "radosgw-admin", "monmaptool", "ceph"].every(
    (bin) => spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0
  )

export default async function setup() {
  if (process.env.MEDALLION_TEST_S3_ENDPOINT) {
    process.env.MEDALLION_TEST_S3_ACCESS_KEY ??= ACCESS_KEY
    process.env.MEDALLION_TEST_S3_SECRET_KEY ??= SECRET_KEY
    return
  }
  if (!installed()) throw new Error(INSTALL_HINT)
  // A single-node Ceph could refuse its own OSD at first boot ("wrong fsid"), on a loaded machine: the
  // launcher now places the OSD itself (see radosgw.sh), and a failed start is still retried from scratch.
  const failures: Array<string> = []
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-test-rgw-"))
    const rgwPort = await freePort()
    let monPort = await freePort()
    while (monPort === rgwPort) monPort = await freePort()
    const started = spawnSync(launcher, ["start", dir, String(rgwPort), String(monPort), String(process.pid)], {
      encoding: "utf8",
      timeout: 300_000,
      killSignal: "SIGKILL"
    })
    if (started.status === 0) return ready(dir, rgwPort)
    spawnSync(launcher, ["stop", dir], { stdio: "ignore" })
    failures.push(`attempt ${attempt} (exit ${started.status ?? started.signal}): ${started.stderr.trim()}`)
  }
  throw new Error(`the throwaway Ceph radosgw did not start:\n${failures.join("\n")}`)
}

const START_ATTEMPTS = 4

const ready = (dir: string, rgwPort: number) => {
  process.env.MEDALLION_TEST_S3_ENDPOINT = `http://127.0.0.1:${rgwPort}`
  process.env.MEDALLION_TEST_S3_ACCESS_KEY = ACCESS_KEY
  process.env.MEDALLION_TEST_S3_SECRET_KEY = SECRET_KEY
  return () => {
    spawnSync(launcher, ["stop", dir], { stdio: "ignore", timeout: 60_000 })
  }
}
