#!/usr/bin/env bash
# A throwaway single-node Ceph radosgw for tests: one monitor, one in-memory
# (memstore) OSD, no authentication, everything on 127.0.0.1.
#
#   radosgw.sh start DIR RGW_PORT MON_PORT [OWNER_PID]
#   radosgw.sh stop DIR
#
# start writes ceph.conf, the daemons' data, logs and pid files into DIR (which
# must be empty or absent), waits until S3 answers, and creates the S3 user
# "medallion" with access key "medallion-test" and secret "medallion-test-secret".
# If a step fails, or start takes more than START_SECONDS, it says which step,
# stops what it started and exits 1.
# With OWNER_PID, a detached watchdog stops the daemons once that process is
# gone, so a killed test run leaves nothing behind. stop kills what the pid
# files in DIR name, and removes DIR.
set -euo pipefail

SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
ACCESS_KEY=medallion-test
SECRET_KEY=medallion-test-secret
# The most start may take, below the 300 s the test setup waits for it; a normal start takes ~15 s.
START_SECONDS=240

usage() {
  echo "usage: $0 start DIR RGW_PORT MON_PORT [OWNER_PID] | stop DIR" >&2
  exit 2
}

need() {
  for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
    if ! command -v "$bin" >/dev/null 2>&1; then
      echo "radosgw.sh: $bin not found; install Ceph: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common" >&2
      exit 3
    fi
  done
}

# Kills every daemon whose pid file is in DIR: TERM, then KILL after 5 s.
stop_daemons() {
  local dir="$1" pids=() pid file
  for file in "$dir"/run/*.pid; do
    [ -f "$file" ] || continue
    pid="$(cat "$file" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# True once an HTTP server answers on 127.0.0.1:$1 (bash's /dev/tcp: no curl needed).
http_answers() {
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  reply="$(timeout 5 head -c 12 <&3 || true)"
  exec 3<&- 3>&-
  [[ "$reply" == HTTP/1.* ]]
}

osd_up() {
  [ "$(timeout 10 ceph -c "$DIR/ceph.conf" osd stat -f json 2>/dev/null | grep -o '"num_up_osds":[0-9]*')" = '"num_up_osds":1' ]
}

# Seconds start may still spend on a step: at most $1, and what is left until DEADLINE (but at least 1,
# since `timeout 0` would not bound anything).
budget() {
  local left=$((DEADLINE - SECONDS))
  [ "$left" -lt "$1" ] || left="$1"
  [ "$left" -ge 1 ] || left=1
  echo "$left"
}

# wait_for WHAT SECONDS PROBE...: polls the probe until it succeeds, for at most SECONDS (and not past
# DEADLINE); each probe bounds its own time, so the wait ends even when a probe hangs.
wait_for() {
  local what="$1" end=$((SECONDS + $(budget "$2")))
  shift 2
  while [ "$SECONDS" -lt "$end" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  echo "radosgw.sh: $what did not come up; logs in $DIR/log" >&2
  return 1
}

# step WHAT SECONDS LOG COMMAND...: runs one step of start with its output appended to $DIR/log/LOG, for
# at most SECONDS (and not past DEADLINE); a failure or a timeout is reported and fails the step.
step() {
  local what="$1" limit log="$DIR/log/$3"
  limit="$(budget "$2")"
  shift 3
  local status=0
  timeout "$limit" "$@" >>"$log" 2>&1 || status=$?
  case "$status" in
    0) return 0 ;;
    124) echo "radosgw.sh: $what did not finish within ${limit}s; see $log" >&2 ;;
    *) echo "radosgw.sh: $what failed (exit $status); see $log" >&2 ;;
  esac
  return 1
}

# Every command ends in `|| return 1`: start runs as the condition of an `if`, where bash ignores
# `set -e`, so a step that fails must stop start itself.
start() {
  need
  DEADLINE=$((SECONDS + START_SECONDS))
  mkdir -p "$DIR" || return 1
  if [ -n "$(ls -A "$DIR")" ]; then
    echo "radosgw.sh: $DIR is not empty" >&2
    exit 2
  fi
  DIR="$(cd "$DIR" && pwd)" || return 1
  mkdir -p "$DIR/mon" "$DIR/osd" "$DIR/rgw" "$DIR/run" "$DIR/log" || return 1
  local conf="$DIR/ceph.conf" fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)" || return 1
  cat >"$conf" <<CONF || return 1
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr2 = false
ms bind ipv6 = false
osd objectstore = memstore
memstore device bytes = 4294967296
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
admin socket = $DIR/run/\$name.asok
keyring = $DIR/keyring
[mon]
mon data = $DIR/mon/\$id
[osd]
osd data = $DIR/osd/\$id
osd max object name len = 1024
osd max object namespace len = 256
# At init an OSD places itself in the CRUSH map and sets its device class with monitor commands that, on a
# loaded machine, it may send before it knows the cluster's fsid: the monitor then refuses them ("wrong
# fsid") and the OSD exits. The script places the OSD itself, with the admin client, before it starts.
osd crush update on start = false
osd class update on start = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
rgw enable usage log = false
CONF
  local c=(-c "$conf")
  step "monmaptool" 30 mon-mkfs.log \
    monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$DIR/monmap" || return 1
  step "ceph-mon --mkfs" 60 mon-mkfs.log ceph-mon "${c[@]}" --mkfs -i a --monmap "$DIR/monmap" || return 1
  step "ceph-mon" 60 mon-start.log ceph-mon "${c[@]}" -i a || return 1
  if [ -n "$OWNER_PID" ]; then
    # The watchdog ends by itself when stop removed the folder.
    setsid sh -c "while kill -0 $OWNER_PID 2>/dev/null && [ -d '$DIR/run' ]; do sleep 0.5; done; [ -d '$DIR/run' ] && '$SELF' stop '$DIR'" \
      >/dev/null 2>&1 </dev/null &
  fi
  wait_for "ceph-mon" 60 timeout 10 ceph "${c[@]}" --connect-timeout 5 mon stat || return 1
  # The OSD id is allocated without a uuid: the OSD's first boot registers the fsid its mkfs chose (a uuid
  # given to both `osd new` and `--mkfs --osd-uuid` is not always the one memstore keeps: "wrong fsid").
  local osd
  osd="$(timeout "$(budget 60)" ceph "${c[@]}" osd create 2>>"$DIR/log/osd-new.log")" || {
    echo "radosgw.sh: ceph osd create failed or timed out; see $DIR/log/osd-new.log" >&2
    return 1
  }
  if ! [[ "$osd" =~ ^[0-9]+$ ]]; then
    echo "radosgw.sh: ceph osd create answered '$osd', not an OSD id" >&2
    return 1
  fi
  mkdir -p "$DIR/osd/$osd" || return 1
  step "ceph osd crush add" 60 osd-new.log ceph "${c[@]}" osd crush add "osd.$osd" 1.0 root=default || return 1
  step "ceph-osd --mkfs" 60 osd-mkfs.log ceph-osd "${c[@]}" -i "$osd" --mkfs || return 1
  step "ceph-osd" 60 osd-start.log ceph-osd "${c[@]}" -i "$osd" || return 1
  wait_for "ceph-osd" 90 osd_up || return 1
  step "radosgw" 60 rgw-start.log radosgw "${c[@]}" -n client.rgw.a || return 1
  wait_for "radosgw" 90 http_answers "$RGW_PORT" || return 1
  step "radosgw-admin user create" 120 rgw-user.log radosgw-admin "${c[@]}" user create --uid=medallion \
    --display-name=medallion --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" || return 1
}

[ $# -ge 2 ] || usage
DIR="$2"
case "$1" in
  start)
    [ $# -ge 4 ] || usage
    RGW_PORT="$3"
    MON_PORT="$4"
    OWNER_PID="${5:-}"
    if ! start; then
      stop_daemons "$DIR"
      exit 1
    fi
    ;;
  stop)
    stop_daemons "$DIR"
    rm -rf "$DIR"
    ;;
  *) usage ;;
esac
