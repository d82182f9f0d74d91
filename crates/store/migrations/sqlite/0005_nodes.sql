-- Several nodes on one database (SQLite): what they share instead of process
-- memory. Keep in step with ../postgres/0005_nodes.sql (the parity test
-- compares the two schemas).

-- System parameters are saved with a version: a save names the version it
-- started from and fails when another admin saved first, who is then told
-- which fields conflicted. Each saved version is kept, for that comparison.
ALTER TABLE settings ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE settings_history (
  key TEXT NOT NULL,
  version INTEGER NOT NULL,
  value TEXT NOT NULL,
  saved_at INTEGER NOT NULL,
  saved_by TEXT NOT NULL,
  PRIMARY KEY (key, version)
);

-- One counter per cache (settings, clients, signing keys), bumped in the
-- transaction that changes what it caches. Every node compares it with the
-- version it holds, at most once a second, instead of waiting out a timeout.
CREATE TABLE cache_versions (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL
);
INSERT INTO cache_versions (name, version) VALUES ('settings', 1), ('clients', 1), ('keys', 1);

-- Fixed-window rate limits (the token endpoint, the application APIs):
-- counted here, so a limit holds across nodes.
CREATE TABLE rate_windows (
  key TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  hits INTEGER NOT NULL
);
CREATE INDEX rate_windows_start ON rate_windows(window_start);

-- The parameters saved before versions existed are version 1: kept, so a
-- form opened at version 1 can be compared with what was saved since.
INSERT INTO settings_history (key, version, value, saved_at, saved_by)
  SELECT key, version, value, updated_at, updated_by FROM settings;
