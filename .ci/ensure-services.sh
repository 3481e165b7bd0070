#!/usr/bin/env bash
# Starts PostgreSQL and Redis when they are down, and fails loudly when they cannot be reached:
# integration tests must never skip themselves for want of a server.
set -euo pipefail

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 50); do
    if eval "$check" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "error: $what is not reachable" >&2
  return 1
}

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if ! command -v redis-server >/dev/null; then
    echo "error: Redis is down and redis-server is not installed (Debian: apt-get install redis-server)" >&2
    exit 1
  fi
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for Redis "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG"

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "error: PostgreSQL is down and not installed (Debian: apt-get install postgresql)" >&2
    exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
wait_for PostgreSQL "pg_isready -h 127.0.0.1 -p 5432"
# The Redis Cluster tests start their own redis-server processes on loopback ports.
for binary in redis-server redis-cli; do
  if ! command -v "$binary" >/dev/null; then
    echo "error: $binary is missing; the Redis Cluster tests start their own servers (Debian: apt-get install redis-server)" >&2
    exit 1
  fi
done
echo "Redis and PostgreSQL are up"
