-- Calendar feeds (issue 16): an unguessable, revocable address a person
-- subscribes to in Outlook or a phone. Only the token's SHA-256 is kept.
-- Keep in step with ../postgres/0015_calendar_feeds.sql.
-- `kind`: 'mine' (the person's own bookings), 'venue', 'car' or 'driver'.
CREATE TABLE calendar_feeds (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  kind TEXT NOT NULL,
  item_id INTEGER,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX calendar_feeds_account ON calendar_feeds(account_id);
