// Reads and writes a SQLite file from a test without a Node SQLite module:
// through the sqlite3 command when it is installed, else Python's sqlite3.
// `make test` installs sqlite3 (scripts/setup.sh), so one of them is always
// there: without either, importing this module fails with a clear message
// rather than letting the checks that read the database go missing.
import { spawnSync } from 'node:child_process';

function works(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0;
}

const PY = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.row_factory = sqlite3.Row
rows = []
for stmt in [s for s in sys.argv[2].split(';') if s.strip()]:
    cur = db.execute(stmt)
    rows = [dict(r) for r in cur.fetchall()]
db.commit()
db.close()
print(json.dumps(rows))
`;

// 'sqlite3' or 'python3'.
export const sqliteTool = works('sqlite3', ['-version'])
  ? 'sqlite3'
  : works('python3', ['-c', 'import sqlite3'])
    ? 'python3'
    : null;
if (!sqliteTool) {
  throw new Error('the tests read the database with the sqlite3 command (or Python\'s sqlite3): '
    + 'run scripts/setup.sh test to install it');
}

// Runs sql (statements separated by ';', no ';' inside literals) on the
// database file and returns the rows of the last statement as objects.
export function sqlite(dbPath, sql) {
  const r =
    sqliteTool === 'sqlite3'
      ? spawnSync('sqlite3', ['-json', '-bail', dbPath, sql], { encoding: 'utf8' })
      : spawnSync('python3', ['-c', PY, dbPath, sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${sqliteTool} failed on ${sql}: ${r.stderr}`);
  const out = r.stdout.trim();
  return out ? JSON.parse(out) : [];
}
