-- Strong sign-in (SQLite): the methods besides the password, and which one
-- each session used. Keep in step with ../postgres/0004_strong.sql.

-- The method a session signed in with (SignInMethod::as_str), carried into
-- the codes and refresh tokens it grants so ID tokens report amr and acr.
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
ALTER TABLE oauth_codes ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
ALTER TABLE oauth_refresh ADD COLUMN method TEXT NOT NULL DEFAULT 'password';

-- 動態驗證碼 (OTP 驗證, 004 §參 十一): the secret sealed under the master
-- key; unconfirmed until the first code; `last_step` is the last accepted
-- time step, so a code works once.
CREATE TABLE account_totp (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
  sealed_secret TEXT NOT NULL,
  confirmed_at INTEGER,
  last_step INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

-- 臨時密碼 (004 §第一節 四): one-time, 10 minutes. The browser holds the
-- ticket; the mail holds the password; only their hashes are kept.
CREATE TABLE temp_passwords (
  ticket_hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  used_at INTEGER
);
CREATE INDEX temp_passwords_account ON temp_passwords(account_id, created_at);
CREATE INDEX temp_passwords_expires ON temp_passwords(expires_at);

-- Passkeys (WebAuthn): the credential as the WebAuthn library stores it
-- (public key, counter), named by its owner.
CREATE TABLE passkeys (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  credential_id TEXT NOT NULL,
  name TEXT NOT NULL,
  passkey TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE UNIQUE INDEX passkeys_credential ON passkeys(credential_id);
CREATE INDEX passkeys_account ON passkeys(account_id);

-- 自然人憑證 bound to an account (004 §參 十): by issuer and serial.
CREATE TABLE account_certs (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  issuer TEXT NOT NULL,
  serial TEXT NOT NULL,
  subject TEXT NOT NULL,
  not_after INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE UNIQUE INDEX account_certs_serial ON account_certs(issuer, serial);
CREATE INDEX account_certs_account ON account_certs(account_id);

-- One-time challenges of the strong methods (a card's challenge, a WebAuthn
-- ceremony, a mobile-ID transaction), by the hash of the handle the browser
-- holds; spent by setting used_at under a condition, so a handle works once.
CREATE TABLE auth_challenges (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  account_id INTEGER,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX auth_challenges_expires ON auth_challenges(expires_at);
