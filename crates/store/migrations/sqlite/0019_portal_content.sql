-- What system admins publish on the portal itself (issue 17, SQLite): home
-- banners (首頁橫幅), platform notices (訊息管理), the FAQ (常見問題) and
-- the links of the application list and dashboard (外部連結,
-- 首頁應用程式管理). Keep in step with ../postgres/0019_portal_content.sql.
-- Periods are instants; NULL is open-ended.
CREATE TABLE banners (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  alt TEXT NOT NULL,
  link TEXT NOT NULL DEFAULT '',
  file_id INTEGER NOT NULL REFERENCES files(id),
  starts_at INTEGER,
  ends_at INTEGER,
  position INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE notices (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body_html TEXT NOT NULL,
  audience TEXT NOT NULL,
  starts_at INTEGER,
  ends_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE notice_agencies (
  notice_id INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  PRIMARY KEY (notice_id, agency_id)
);

CREATE TABLE faq_categories (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX faq_categories_name ON faq_categories(name);
CREATE TABLE faqs (
  id INTEGER PRIMARY KEY,
  category_id INTEGER NOT NULL REFERENCES faq_categories(id),
  question TEXT NOT NULL,
  answer_html TEXT NOT NULL,
  answer_text TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);

CREATE TABLE portal_links (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  icon TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  audience TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  on_home INTEGER NOT NULL,
  in_list INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE portal_link_agencies (
  link_id INTEGER NOT NULL REFERENCES portal_links(id) ON DELETE CASCADE,
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  PRIMARY KEY (link_id, agency_id)
);
