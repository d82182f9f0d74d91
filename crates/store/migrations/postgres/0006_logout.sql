-- Back-channel logout, the person's sessions page and the lockout of unknown logins (PostgreSQL). Keep in step
-- with ../sqlite/0006_logout.sql (the parity test compares the two).

-- Where an application wants to hear that a portal session ended (OpenID
-- Connect Back-Channel Logout 1.0 §2.2), registered with single sign-on.
ALTER TABLE app_services ADD COLUMN backchannel_logout_uri TEXT NOT NULL DEFAULT '';

-- Which applications a portal session signed into (an ID token issued under
-- it, with the sid the application was given). When the session ends, each
-- that registered a back-channel logout URI gets a logout token through the
-- outbox, and the rows go; the person's sessions page lists them.
CREATE TABLE oauth_sessions (
  session_hash TEXT NOT NULL,
  app_id BIGINT NOT NULL REFERENCES apps(id),
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  sid TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_at BIGINT NOT NULL,
  PRIMARY KEY (session_hash, app_id)
);
CREATE INDEX oauth_sessions_account ON oauth_sessions(account_id);

-- Failed sign-ins under login names no account has, counted like an
-- account's (accounts.failed_count …), so that "locked" tells nobody
-- whether a name exists. Rows go once their window has passed.
CREATE TABLE unknown_login_failures (
  login TEXT PRIMARY KEY,
  failed_count BIGINT NOT NULL,
  window_start BIGINT NOT NULL,
  locked_until BIGINT
);

-- 「上次登入」 is the sign-in before this one, and a failed attempt since
-- then is shown beside it (as banks do), so a person can spot someone
-- else's use.
ALTER TABLE accounts ADD COLUMN prev_sign_in_at BIGINT;
ALTER TABLE accounts ADD COLUMN last_failed_at BIGINT;

-- The password section says who last changed the password and why (004
-- L2102: 修改人, 備註).
ALTER TABLE accounts ADD COLUMN password_changed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN password_change_note TEXT NOT NULL DEFAULT '';
