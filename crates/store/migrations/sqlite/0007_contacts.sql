-- A forgotten password by SMS names the account by its bound mobile
-- (004 L928): looked up signed out, so indexed.
CREATE INDEX accounts_mobile ON accounts(mobile);
