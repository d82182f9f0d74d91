-- Official documents' attachments (issue 17, seed 004 §肆 三
-- 我的公文附件管理, §伍 四 公文附件下載區, SQLite). Keep in step with
-- ../postgres/0020_documents.sql. A topic (公文主題) names one document by
-- its word, number and branch (one live topic each); `takedown` is the
-- last day served (下架日期, a Taipei date as YYYY-MM-DD); `code` is the
-- 識別碼, fixed once published; `public` lets agencies outside the city
-- fetch it from the signed-out page.
CREATE TABLE doc_topics (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES accounts(id),
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  agency_path TEXT NOT NULL,
  agency_name TEXT NOT NULL,
  word TEXT NOT NULL,
  number TEXT NOT NULL,
  branch TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  code TEXT NOT NULL,
  takedown TEXT NOT NULL,
  public INTEGER NOT NULL,
  downloads INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX doc_topics_document ON doc_topics(word, number, branch);
CREATE INDEX doc_topics_number ON doc_topics(number);
CREATE INDEX doc_topics_owner ON doc_topics(owner_id, created_at);

CREATE TABLE doc_topic_files (
  topic_id INTEGER NOT NULL REFERENCES doc_topics(id) ON DELETE CASCADE,
  file_id INTEGER NOT NULL REFERENCES files(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (topic_id, file_id)
);

-- Failed guesses at the public page, by caller and by document: a key's
-- failures in its window, and when it is blocked until.
CREATE TABLE doc_guesses (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  blocked_until INTEGER
);
