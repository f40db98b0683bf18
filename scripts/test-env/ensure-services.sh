#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL (5432), Redis (6379) and NATS with JetStream (4222) accept
# connections, starting whichever is down the way this machine's image starts them. Used by the
# Dapr test suites; exits non-zero naming the service that could not be reached.
set -uo pipefail
log() { echo "[services] $*" >&2; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 50); do listening "$port" && return 0; sleep 0.2; done
  log "$name is not accepting connections on 127.0.0.1:$port"; return 1
}
status=0
if ! listening 5432; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start >&2 || true
  wait_for PostgreSQL 5432 || status=1
fi
if ! listening 6379; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 || true
  wait_for Redis 6379 || status=1
fi
if ! listening 4222; then
  log "starting NATS with JetStream"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log >&2 || true
  wait_for NATS 4222 || status=1
fi
exit $status
