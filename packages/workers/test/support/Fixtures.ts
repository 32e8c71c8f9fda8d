import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { fixturesDir } from "../../src/testing/FixtureServer.ts"

/** Bytes of a fixture served by the fixture server (`src/testing/fixtures/`). */
export const served = (relative: string): Uint8Array =>
  new Uint8Array(Fs.readFileSync(Path.join(fixturesDir, relative)))

export const testFixturesDir = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures")

/** Bytes of a test-only fixture (`test/fixtures/`). */
export const testFixture = (relative: string): Uint8Array =>
  new Uint8Array(Fs.readFileSync(Path.join(testFixturesDir, relative)))
