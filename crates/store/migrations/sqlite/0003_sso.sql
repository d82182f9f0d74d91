-- Single sign-on (SQLite): registered applications, the services they apply
-- for, and the OpenID provider's state. Keep in step with
-- ../postgres/0003_sso.sql.

-- 應用系統 (004 §捌 七 (六)). `client_id` is public and assigned at
-- registration; the secret exists only as its SHA-256 (it is 256 random
-- bits, so a slow hash adds nothing) once the owner has generated it.
CREATE TABLE apps (
  id INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL,
  name TEXT NOT NULL,
  short_name TEXT NOT NULL DEFAULT '',
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  contact_name TEXT NOT NULL,
  contact_phone TEXT NOT NULL,
  contact_email TEXT NOT NULL,
  vendor TEXT NOT NULL,
  description TEXT NOT NULL,
  url TEXT NOT NULL,
  ips TEXT NOT NULL,
  owner_id INTEGER NOT NULL REFERENCES accounts(id),
  secret_hash TEXT,
  secret_set_at INTEGER,
  suspended INTEGER NOT NULL DEFAULT 0,
  suspended_note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX apps_client_id ON apps(client_id);
CREATE INDEX apps_owner ON apps(owner_id);
CREATE INDEX apps_name ON apps(name);

-- Applications for a service (介接服務申請), one row each, kept as the
-- record of who asked for what and who decided. At most one pending and
-- one approved row per application and kind; the approved row is the
-- service's configuration.
CREATE TABLE app_services (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id),
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  claims TEXT NOT NULL DEFAULT '',
  redirect_uris TEXT NOT NULL DEFAULT '',
  post_logout_uris TEXT NOT NULL DEFAULT '',
  client_type TEXT NOT NULL DEFAULT 'confidential',
  signing_alg TEXT NOT NULL DEFAULT 'ES256',
  api_access INTEGER NOT NULL DEFAULT 0,
  initiate_login_uri TEXT NOT NULL DEFAULT '',
  tile_agencies TEXT NOT NULL DEFAULT '',
  sms_quota INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  submitted_by INTEGER NOT NULL REFERENCES accounts(id),
  submitted_login TEXT NOT NULL,
  submitted_at INTEGER NOT NULL,
  decided_by_login TEXT NOT NULL DEFAULT '',
  decided_at INTEGER,
  decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX app_services_app ON app_services(app_id, kind, state);
CREATE INDEX app_services_state ON app_services(state, submitted_at);
CREATE UNIQUE INDEX app_services_one_pending ON app_services(app_id, kind) WHERE state = 'pending';
CREATE UNIQUE INDEX app_services_one_approved ON app_services(app_id, kind) WHERE state = 'approved';

-- Token signing keys, the private half sealed with the server's key
-- (AES-256-GCM, the key id as associated data). A retired key stays in the
-- JWKS until the tokens it signed have expired.
CREATE TABLE oauth_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  sealed TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);

-- Authorization codes: single use, 60 seconds, only the hash kept.
CREATE TABLE oauth_codes (
  code_hash TEXT PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id),
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  redirect_uri TEXT NOT NULL,
  scope TEXT NOT NULL,
  nonce TEXT NOT NULL DEFAULT '',
  code_challenge TEXT NOT NULL DEFAULT '',
  session_hash TEXT NOT NULL DEFAULT '',
  auth_time INTEGER NOT NULL,
  family TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX oauth_codes_expires ON oauth_codes(expires_at);

-- Refresh tokens: rotated on every use; a used one presented again
-- revokes its whole family (every token descended from one code).
CREATE TABLE oauth_refresh (
  token_hash TEXT PRIMARY KEY,
  family TEXT NOT NULL,
  app_id INTEGER NOT NULL REFERENCES apps(id),
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  scope TEXT NOT NULL,
  session_hash TEXT NOT NULL DEFAULT '',
  auth_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX oauth_refresh_family ON oauth_refresh(family);
CREATE INDEX oauth_refresh_account ON oauth_refresh(account_id);
CREATE INDEX oauth_refresh_expires ON oauth_refresh(expires_at);

-- Access tokens revoked before they expire (RFC 7009): introspection and
-- userinfo check this list; rows go once the token would have expired.
CREATE TABLE oauth_revoked (
  jti TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);

-- Per application and day (Asia/Taipei): sign-ins, verifications, SMS.
CREATE TABLE app_usage (
  app_id INTEGER NOT NULL REFERENCES apps(id),
  day TEXT NOT NULL,
  sign_ins INTEGER NOT NULL DEFAULT 0,
  verifies INTEGER NOT NULL DEFAULT 0,
  sms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (app_id, day)
);
