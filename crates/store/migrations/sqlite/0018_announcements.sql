-- Announcements (issue 17, seed 004 §肆 二 我的公告管理, §伍 一 公告專區,
-- SQLite). Keep in step with ../postgres/0018_announcements.sql.
-- `agency_*` is the author's agency when first posted: the reach counts
-- from it. `publish_at` NULL is 未發布; a time still to come is 預約發布.
-- `views` (點閱數), `updates` (更新次數) and `comments` (留言數, shown
-- ones) are counted as they happen. `search_text` is the title and the
-- text, lower-cased, that 關鍵字 reads with one LIKE.
CREATE TABLE announcements (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES accounts(id),
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  agency_path TEXT NOT NULL,
  agency_name TEXT NOT NULL,
  title TEXT NOT NULL,
  body_html TEXT NOT NULL,
  body_text TEXT NOT NULL,
  search_text TEXT NOT NULL,
  reach TEXT NOT NULL,
  publish_at INTEGER,
  views INTEGER NOT NULL DEFAULT 0,
  updates INTEGER NOT NULL DEFAULT 0,
  comments INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX announcements_published ON announcements(publish_at, id);
CREATE INDEX announcements_author ON announcements(author_id, updated_at);
CREATE INDEX announcements_agency ON announcements(agency_id, publish_at);

-- A post's attachments and images (`role` 'attachment' or 'image'), in
-- the order added; their bytes are in the file store.
CREATE TABLE announcement_files (
  announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
  file_id INTEGER NOT NULL REFERENCES files(id),
  role TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (announcement_id, file_id)
);

-- Comments (留言) and the author's reply to each (回覆留言). A hidden
-- comment (by the post's author or an admin over its agency) keeps its
-- row for the record.
CREATE TABLE announcement_comments (
  id INTEGER PRIMARY KEY,
  announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
  author_id INTEGER NOT NULL REFERENCES accounts(id),
  body TEXT NOT NULL,
  reply TEXT,
  replied_at INTEGER,
  hidden_at INTEGER,
  hidden_by INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL
);
CREATE INDEX announcement_comments_of ON announcement_comments(announcement_id, created_at);
