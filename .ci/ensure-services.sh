#!/usr/bin/env bash
# Makes sure what the tests need is here and running: Redis and PostgreSQL on their default local
# ports, redis-server/redis-cli for the Cluster tests, and Chromium for the end-to-end tests. On
# Debian (as root) it installs and starts what is missing; elsewhere it names what to install.
# It fails loudly rather than let an integration test skip itself for want of a server.
set -euo pipefail

apt_updated=no
need_package() { # need_package <command> <debian package>
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ]; then
    if [ "$apt_updated" = no ]; then apt-get update -qq; apt_updated=yes; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "error: '$1' is missing; install it (Debian/Ubuntu package: $2)" >&2
    exit 1
  fi
}

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 50); do
    if eval "$check" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "error: $what is not reachable on its default local port" >&2
  return 1
}

need_package redis-server redis-server
need_package redis-cli redis-tools
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for Redis "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG"

need_package pg_ctlcluster postgresql
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
wait_for PostgreSQL "pg_isready -h 127.0.0.1 -p 5432"
if ! psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  echo "error: PostgreSQL is up but 'psql -h 127.0.0.1 -U postgres -d test' fails; the tests need" \
    "that login without a password (trust) and a database named test" >&2
  exit 1
fi

need_package chromium chromium
echo "Redis, PostgreSQL and Chromium are ready"
