#!/usr/bin/env bash
# The whole suite on SQLite and on PostgreSQL, both at once (one per core).
# PostgreSQL is started if it is installed here but down; under CI=true it must run.
set -u
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${ORDERGRAPH_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}

pg_up() { "$BIN/python" - "$PG_URL" <<'PY'
import asyncio, sys
import asyncpg
async def main():
    conn = await asyncpg.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), timeout=3)
    await conn.close()
try:
    asyncio.run(main())
except Exception:
    sys.exit(1)
PY
}

if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is down; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do pg_up && break; sleep 1; done
fi

# The two engines run at the same time, one per core. tests/unit and tests/integrations never open a
# database (no fixture of theirs reaches one), so the whole suite runs them once, with SQLite.
ENGINE_FREE=()
[ "$#" -eq 0 ] && ENGINE_FREE=(--ignore=tests/unit --ignore=tests/integrations)

if pg_up; then
  sqlite_log=$(mktemp)
  ORDERGRAPH_TEST_ENGINE=sqlite "$BIN/python" -m pytest "$@" >"$sqlite_log" 2>&1 &
  sqlite_pid=$!
  trap 'kill "$sqlite_pid" 2>/dev/null; rm -f "$sqlite_log"' INT TERM
  echo "== PostgreSQL (SQLite runs beside it; its output follows) =="
  ORDERGRAPH_TEST_ENGINE=postgres "$BIN/python" -m pytest "${ENGINE_FREE[@]}" "$@"
  postgres_rc=$?
  wait "$sqlite_pid"
  sqlite_rc=$?
  echo "== SQLite =="
  cat "$sqlite_log"
  rm -f "$sqlite_log"
else
  echo "== SQLite =="
  ORDERGRAPH_TEST_ENGINE=sqlite "$BIN/python" -m pytest "$@"
  sqlite_rc=$?
  postgres_rc=0
  if [ -n "${CI:-}" ]; then
    echo "PostgreSQL is not reachable at $PG_URL, and CI requires the PostgreSQL run." >&2
    postgres_rc=1
  else
    echo "PostgreSQL is not reachable at $PG_URL: its run is skipped (CI would fail)."
  fi
fi

[ "$sqlite_rc" -eq 0 ] && [ "$postgres_rc" -eq 0 ]
