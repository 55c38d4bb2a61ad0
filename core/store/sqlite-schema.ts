import type Database from 'better-sqlite3';

/**
 * The embedded store's tables. `log` keeps every revision (a tombstone for deletes) until
 * compaction, which serves lists at a past revision and watch catch-up; `kv` is the current
 * state, which serves get, count and the checks of a write; `meta` holds the revision
 * counter and the compacted revision. `kv` keeps its rowid so that its key index stays apart
 * from the values: counting a range then reads keys only.
 */
const schema = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 1), ('compacted', 0);
CREATE TABLE IF NOT EXISTS log (
  rev INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  create_rev INTEGER NOT NULL,
  deleted INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev);
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  create_rev INTEGER NOT NULL,
  mod_rev INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
`;

/** KvRow is a row of the current state. */
export interface KvRow {
  key: string;
  value: Buffer;
  create_rev: number;
  mod_rev: number;
}

/** LogRow is a row of the history, with the value it replaced when still known. */
export interface LogRow {
  rev: number;
  key: string;
  value: Buffer;
  create_rev: number;
  deleted: number;
  prev: Buffer | null;
}

/** prepareStatements creates the schema and prepares every statement the store runs. */
export function prepareStatements(db: Database.Database) {
  db.exec(schema);
  return {
    meta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE name = ?'),
    get: db.prepare<[string], KvRow>(
      'SELECT key, value, create_rev, mod_rev FROM kv WHERE key = ?',
    ),
    count: db.prepare<[string, string], { n: number }>(
      'SELECT count(*) AS n FROM kv WHERE key >= ? AND key < ?',
    ),
    insertKv: db.prepare<[string, Buffer, number, number, number | null]>(
      'INSERT INTO kv (key, value, create_rev, mod_rev, expires_at) VALUES (?, ?, ?, ?, ?)',
    ),
    updateKv: db.prepare<[Buffer, number, number | null, string]>(
      'UPDATE kv SET value = ?, mod_rev = ?, expires_at = ? WHERE key = ?',
    ),
    deleteKv: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
    insertLog: db.prepare<[number, string, Buffer, number, number]>(
      'INSERT INTO log (rev, key, value, create_rev, deleted) VALUES (?, ?, ?, ?, ?)',
    ),
    expired: db.prepare<[number], { key: string; mod_rev: number }>(
      'SELECT key, mod_rev FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1000',
    ),
    listNow: db.prepare<[string, string, number], KvRow>(
      'SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?',
    ),
    // The latest history row of each key at a revision, skipping deleted keys: a list at any
    // revision the store still holds. SQLite takes the bare columns from the max(rev) row.
    listAt: db.prepare<[string, string, number, number], KvRow>(
      `SELECT key, value, create_rev, mod_rev FROM (
         SELECT key, value, create_rev, deleted, max(rev) AS mod_rev FROM log
         WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key
       ) WHERE deleted = 0 ORDER BY key LIMIT ?`,
    ),
    countAt: db.prepare<[string, string, number], { n: number }>(
      `SELECT count(*) AS n FROM (
         SELECT deleted, max(rev) FROM log WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key
       ) WHERE deleted = 0`,
    ),
    history: db.prepare<[number, string, string], LogRow>(
      `SELECT l.rev, l.key, l.value, l.create_rev, l.deleted,
         (SELECT CASE WHEN p.deleted THEN NULL ELSE p.value END FROM log p
           WHERE p.key = l.key AND p.rev < l.rev ORDER BY p.rev DESC LIMIT 1) AS prev
       FROM log l WHERE l.rev >= ? AND l.key >= ? AND l.key < ? ORDER BY l.rev`,
    ),
    // Compaction keeps, per key, the newest row at or before the compaction revision (unless
    // it is a tombstone) and everything after it.
    compact: db.prepare<[number, number]>(
      `DELETE FROM log WHERE rev < ? AND (deleted = 1 OR EXISTS (
         SELECT 1 FROM log n WHERE n.key = log.key AND n.rev > log.rev AND n.rev <= ?))`,
    ),
  };
}

/** Statements is the prepared statement set of one database. */
export type Statements = ReturnType<typeof prepareStatements>;
