#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: initdb in a temporary folder (as a non-root user: postgres or
# nobody when run as root), listening on 127.0.0.1 only, trust auth for the `nova` role.
#   scripts/throwaway-postgres.sh start DIR PORT   prints the server's PID; the URL is postgresql://nova@127.0.0.1:PORT/postgres
#   scripts/throwaway-postgres.sh stop DIR         stops it by its PID and removes DIR
set -euo pipefail
BIN=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        local user=postgres
        id "$user" > /dev/null 2>&1 || user=nobody
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}
case "$1" in
start)
    DIR=$2 PORT=$3
    mkdir -p "$DIR"
    if [ "$(id -u)" = 0 ]; then
        user=postgres; id "$user" > /dev/null 2>&1 || user=nobody
        chown "$user" "$DIR"
    fi
    as_owner "$BIN/initdb" -D "$DIR/data" -U nova --auth=trust --no-sync > "$DIR/initdb.log"
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/data/server.log" -w \
        -o "-p $PORT -k $DIR/data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=1000" start > /dev/null
    head -1 "$DIR/data/postmaster.pid"
    ;;
stop)
    DIR=$2
    if [ -f "$DIR/data/postmaster.pid" ]; then
        PID=$(head -1 "$DIR/data/postmaster.pid")
        kill "$PID" 2> /dev/null || true
        for _ in $(seq 100); do kill -0 "$PID" 2> /dev/null || break; sleep 0.1; done
    fi
    rm -rf "$DIR"
    ;;
*)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
