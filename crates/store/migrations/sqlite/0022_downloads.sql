-- 檔案下載區 (issue 17, seed 004 §伍 三, sqlite). Keep in step with
-- ../postgres/0022_downloads.sql. `agency_*` is the uploader's agency when
-- first shared: 本機關 counts from it. `keep` is the 保留 flag the
-- clean-up reads. `search_text` is the 使用說明 lower-cased.
CREATE TABLE downloads (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES accounts(id),
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  agency_path TEXT NOT NULL,
  agency_name TEXT NOT NULL,
  description TEXT NOT NULL,
  search_text TEXT NOT NULL,
  category TEXT NOT NULL,
  scope TEXT NOT NULL,
  keep INTEGER NOT NULL DEFAULT 0,
  downloads INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX downloads_scope ON downloads(scope, updated_at);
CREATE INDEX downloads_agency ON downloads(agency_id, updated_at);
CREATE INDEX downloads_owner ON downloads(owner_id, updated_at);

CREATE TABLE download_files (
  download_id INTEGER NOT NULL REFERENCES downloads(id) ON DELETE CASCADE,
  file_id INTEGER NOT NULL REFERENCES files(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (download_id, file_id)
);
