#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a folder, for tests and local deployments.
# Nothing is assumed running and nothing outside DIR is touched.
#
# Usage: tools/pg-cluster.sh start DIR [--durable]
#        tools/pg-cluster.sh stop DIR
#        tools/pg-cluster.sh uri DIR
#
# start  creates DIR if needed, initialises a cluster in DIR/data (initdb, trust
#        authentication, superuser `mcpsim`, database `mcpsim`), starts it with
#        pg_ctl listening ONLY on a Unix socket in DIR (no TCP port, so parallel
#        clusters never collide), writes the connection URI to DIR/uri and
#        prints it. Without --durable the cluster runs with fsync=off (tests:
#        fast, loses data on an OS crash, never on a process kill).
#        Exit 0: running; 3: PostgreSQL's server programs are not installed
#        (DIR/uri is not written, so PostgreSQL tests skip); 1: failure.
# stop   stops the cluster (fast shutdown) and removes DIR. Idempotent.
# uri    prints DIR/uri.
#
# PostgreSQL refuses to run as root: as root the cluster is owned by and run as
# the `postgres` user when it exists, else `nobody` (via runuser); as any other
# user it runs as that user. Start waits at most 30 s.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: tools/pg-cluster.sh start|stop|uri DIR [--durable]" >&2
  exit 2
fi
durable=0
[ "${3:-}" = "--durable" ] && durable=1

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir=$(pg_config --bindir)
fi
if [ -z "$bindir" ]; then
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir=$d; break; fi
  done
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
fi

case "$cmd" in
  start)
    if [ -z "$bindir" ]; then
      echo "pg-cluster: PostgreSQL server programs (initdb, pg_ctl) not found; install Debian's postgresql" >&2
      exit 3
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # The socket path must fit in sun_path (107 bytes).
    if [ ${#dir} -gt 90 ]; then
      echo "pg-cluster: DIR path too long for a Unix socket (${#dir} > 90): $dir" >&2
      exit 1
    fi
    if [ -f "$dir/uri" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      cat "$dir/uri"
      exit 0
    fi
    rm -f "$dir/uri"
    [ "$(id -u)" -eq 0 ] && chown "$owner" "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      rm -rf "$dir/data"
      as_owner "$bindir/initdb" -D "$dir/data" -U mcpsim -A trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1 || {
        echo "pg-cluster: initdb failed (see $dir/initdb.log):" >&2
        tail -5 "$dir/initdb.log" >&2
        exit 1
      }
    fi
    opts="-c listen_addresses='' -k $dir -p 5432 -c max_connections=50"
    [ $durable -eq 0 ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w -t 30 start >/dev/null 2>&1; then
      echo "pg-cluster: pg_ctl start failed (see $dir/server.log):" >&2
      tail -5 "$dir/server.log" >&2 || true
      exit 1
    fi
    if ! as_owner "$bindir/psql" -h "$dir" -p 5432 -U mcpsim -d postgres -qAt \
        -c "SELECT 1 FROM pg_database WHERE datname = 'mcpsim'" | grep -q 1; then
      as_owner "$bindir/createdb" -h "$dir" -p 5432 -U mcpsim mcpsim
    fi
    uri="postgresql://mcpsim@/mcpsim?host=$dir&port=5432"
    echo "$uri" >"$dir/uri.tmp"
    mv "$dir/uri.tmp" "$dir/uri"
    echo "$uri"
    ;;
  stop)
    if [ -d "$dir/data" ] && [ -n "$bindir" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  uri)
    cat "$dir/uri"
    ;;
  *)
    echo "usage: tools/pg-cluster.sh start|stop|uri DIR [--durable]" >&2
    exit 2
    ;;
esac
