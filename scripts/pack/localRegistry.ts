/**
 * A registry for the packed packages alone, on loopback, so that `npm install -g @medallion/cli` can be
 * run as a user will run it once the packages are published: npm is pointed at it for the `@medallion`
 * scope only (`--@medallion:registry=...`) and takes every other package from its usual registry.
 *
 *   node scripts/pack/localRegistry.ts <folder of .tgz files> <folder of the same, unpacked>
 *
 * It prints its URL on the first line of stdout and serves until it is stopped. It answers the two
 * requests an install makes: a package's document (its versions with their manifests and tarball
 * addresses) and the tarball itself.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Path from "node:path"

interface Packed {
  readonly manifest: Record<string, unknown> & { readonly name: string; readonly version: string }
  readonly file: string
  readonly bytes: Buffer
}

const [tarballs, unpacked] = process.argv.slice(2)
if (tarballs === undefined || unpacked === undefined) {
  console.error("usage: node scripts/pack/localRegistry.ts <folder of .tgz files> <folder of the same, unpacked>")
  process.exit(2)
}

// `name-version.tgz` was unpacked into `unpacked/name-version/`.
const packages = new Map<string, Packed>()
for (const file of Fs.readdirSync(tarballs).filter((name) => name.endsWith(".tgz"))) {
  const manifestFile = Path.join(unpacked, Path.basename(file, ".tgz"), "package.json")
  const manifest = JSON.parse(Fs.readFileSync(manifestFile, "utf8")) as Packed["manifest"]
  packages.set(manifest.name, { manifest, file, bytes: Fs.readFileSync(Path.join(tarballs, file)) })
}

const documentOf = (packed: Packed, base: string) => ({
  name: packed.manifest.name,
  "dist-tags": { latest: packed.manifest.version },
  versions: {
    [packed.manifest.version]: {
      ...packed.manifest,
      _id: `${packed.manifest.name}@${packed.manifest.version}`,
      dist: {
        tarball: `${base}/-/${packed.file}`,
        shasum: Crypto.createHash("sha1").update(packed.bytes).digest("hex"),
        integrity: `sha512-${Crypto.createHash("sha512").update(packed.bytes).digest("base64")}`
      }
    }
  }
})

const server = Http.createServer((request, response) => {
  const base = `http://${request.headers.host}`
  const path = decodeURIComponent(new URL(request.url ?? "/", base).pathname)
  const tarball = path.startsWith("/-/") ? [...packages.values()].find((p) => `/-/${p.file}` === path) : undefined
  const packed = tarball ?? packages.get(path.slice(1))
  if (packed === undefined) {
    response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }))
  } else if (tarball !== undefined) {
    response.writeHead(200, { "content-type": "application/octet-stream" }).end(packed.bytes)
  } else {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(documentOf(packed, base)))
  }
})

server.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})
