#!/usr/bin/env bash
# A throw-away S3 server for tests and local trials: Ceph RADOS Gateway from Debian 12's packages,
# as a single-host cluster on 127.0.0.1 (one monitor, one OSD keeping data in RAM, radosgw).
#
#   scripts/s3-server.sh start   install if needed, start, create the bucket; prints the path of an
#                                env file with S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION,
#                                S3_BUCKET (so: source "$(scripts/s3-server.sh start)")
#   scripts/s3-server.sh stop    stop it (radosgw first: it hangs if the cluster goes before it)
#
# Environment: ICEGATE_S3_DIR (default ${TMPDIR:-/tmp}/icegate-s3), S3_PORT (7480), MON_PORT (3300),
# S3_BUCKET (icegate-test), S3_ACCESS_KEY / S3_SECRET_KEY.
set -euo pipefail

dir=${ICEGATE_S3_DIR:-${TMPDIR:-/tmp}/icegate-s3}
port=${S3_PORT:-7480}
mon_port=${MON_PORT:-3300}
bucket=${S3_BUCKET:-icegate-test}
access_key=${S3_ACCESS_KEY:-icegate-test-key}
secret_key=${S3_SECRET_KEY:-icegate-test-secret}
conf="$dir/ceph.conf"

log() { echo "s3-server: $*" >&2; }

stop_daemon() { # TERM a daemon by its pid file, wait up to 10 s, then KILL
  local pidfile="$dir/run/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    grep -qs '^State:[[:space:]]*[^Z]' "/proc/$pid/status" || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  [ -d "$dir/run" ] || return 0
  stop_daemon client.rgw.gw
  stop_daemon osd.0
  stop_daemon mon.a
}

install_packages() {
  command -v radosgw >/dev/null && command -v ceph-osd >/dev/null && command -v ceph-mon >/dev/null && return 0
  log "installing Ceph (ceph-mon, ceph-osd, radosgw) from Debian's packages"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ceph-mon ceph-osd radosgw ceph-common curl >&2
}

fail() {
  log "$1"
  tail -n 20 "$dir"/log/*.log >&2 || true
  stop
  exit 1
}

wait_for() { # wait_for <seconds> <command...>
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.3
  done
}

start() {
  install_packages
  stop
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then fail "port $port is already in use"; fi
  rm -rf "$dir"
  mkdir -p "$dir"/{mon.a,osd.0,run,log}
  local fsid; fsid=$(cat /proc/sys/kernel/random/uuid)
  # No authentication, one replica, few placement groups: a test cluster on loopback only.
  cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
keyring = $dir/keyring
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
[mon]
mon data = $dir/mon.\$id
mon cluster log file = $dir/log/cluster.log
mon data avail warn = 1
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd data = $dir/osd.\$id
osd objectstore = memstore
memstore device bytes = 4294967296
osd memory target = 1073741824
osd fast shutdown notify mon = false
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/rgw
CONF
  touch "$dir/keyring"
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >&2
  ceph-mon -c "$conf" -i a >&2
  local osd_uuid osd_id
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(timeout 60 ceph -c "$conf" osd new "$osd_uuid") || fail "could not register the OSD"
  ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" > "$dir/log/osd-mkfs.log" 2>&1
  ceph-osd -c "$conf" -i "$osd_id" 2>> "$dir/log/osd-stderr.log"
  osd_up() { timeout 10 ceph -c "$conf" osd stat 2>/dev/null | grep -q ' 1 up'; }
  wait_for 60 osd_up || fail "the OSD did not come up"
  mkdir -p "$dir/rgw"
  timeout 120 radosgw -c "$conf" -n client.rgw.gw >&2 || fail "radosgw did not start"
  wait_for 60 curl -s -o /dev/null "http://127.0.0.1:$port/" || fail "radosgw is not answering on 127.0.0.1:$port"
  radosgw-admin -c "$conf" user create --uid=icegate --display-name=icegate \
    --access-key="$access_key" --secret-key="$secret_key" > /dev/null
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$access_key:$secret_key" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$port/$bucket")
  [ "$code" = 200 ] || fail "creating bucket $bucket failed: HTTP $code"
  cat > "$dir/s3.env" <<ENV
export S3_ENDPOINT=http://127.0.0.1:$port
export S3_ACCESS_KEY=$access_key
export S3_SECRET_KEY=$secret_key
export S3_REGION=us-east-1
export S3_BUCKET=$bucket
ENV
  log "S3 is up at http://127.0.0.1:$port, bucket $bucket"
  echo "$dir/s3.env"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
