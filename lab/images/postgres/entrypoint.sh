#!/bin/sh
# The lab's PostgreSQL node.
# Primary (no PRIMARY_HOST): first start runs initdb, one database and one user from POSTGRES_DB /
#   POSTGRES_USER / POSTGRES_PASSWORD, ready for streaming replication (wal_log_hints for pg_rewind).
# Standby (PRIMARY_HOST=<the primary's container name>, NODE_NAME=<its application_name>):
#   an empty volume is copied from the primary (pg_basebackup); a former primary is rewound onto the
#   new primary's timeline (pg_rewind), or copied afresh when the rewind fails; then it streams.
set -eu
user="${POSTGRES_USER:-trading}"
db="${POSTGRES_DB:-trading}"
export PGPASSFILE=/tmp/.pgpass
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
pgpass_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g'; }  # .pgpass: backslash and colon escaped
umask 077
printf '*:*:*:%s:%s\n' "$(pgpass_escape "$user")" "$(pgpass_escape "$POSTGRES_PASSWORD")" >"$PGPASSFILE"
umask 022

if [ -n "${PRIMARY_HOST:-}" ]; then
  conninfo="host=$PRIMARY_HOST port=5432 user=$user dbname=$db application_name=${NODE_NAME:-standby} passfile=$PGPASSFILE connect_timeout=5"
  if [ -s "$PGDATA/PG_VERSION" ] && [ ! -f "$PGDATA/standby.signal" ]; then
    echo "entrypoint: former primary, pg_rewind from $PRIMARY_HOST"
    if ! pg_rewind -D "$PGDATA" --source-server="$conninfo" --progress; then
      echo "entrypoint: pg_rewind failed, copying the primary afresh"
      find "$PGDATA" -mindepth 1 -delete
    fi
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    tries=0
    until pg_basebackup -d "$conninfo" -D "$PGDATA" -X stream -c fast; do
      tries=$((tries + 1))
      [ "$tries" -lt 60 ] || { echo "entrypoint: pg_basebackup from $PRIMARY_HOST failed"; exit 1; }
      find "$PGDATA" -mindepth 1 -delete
      sleep 1
    done
  fi
  touch "$PGDATA/standby.signal"
  exec postgres -D "$PGDATA" -c "primary_conninfo=$conninfo"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  cat >>"$PGDATA/postgresql.conf" <<EOF
listen_addresses = '*'
unix_socket_directories = '/tmp'
wal_log_hints = on
wal_keep_size = '256MB'
EOF
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "host replication all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  createdb -h /tmp -U "$user" "$db"
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA"
