// Single sign-on against a real `portico demo`, with clients nobody here
// wrote: panva's openid-client (and jose for the JWKS), Authlib from PyPI,
// and the sample relying application (examples/sample-rp, openid-client)
// driven in Chromium with the portal's content security policy in force.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { join } from "node:path";
import * as client from "openid-client";
import * as jose from "jose";
import { startDemo, launch, shots, root, axe, fillSignIn, captchaAnswer, sql, PASSWORD } from "./lib.mjs";

const CLIENT_ID = "portico-sample";
const SECRET = "sample-secret-for-the-demo-only";
const RP = "http://127.0.0.1:8081";
const CALLBACK = `${RP}/callback`;

let demo, base, rp, browser;

before(async () => {
  demo = await startDemo(300);
  base = demo.base;
  rp = spawn(process.execPath, [join(root, "examples", "sample-rp", "server.mjs")], {
    env: { ...process.env, ISSUER: base, PORT: "8081" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    let buf = "";
    rp.stdout.on("data", (d) => {
      buf += d;
      if (buf.includes("sample application on")) resolve();
    });
    rp.on("exit", (c) => reject(new Error(`sample application exited ${c}`)));
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  rp?.kill();
  demo?.stop();
});

// A person's session at the portal, signed in over plain HTTP: the sign-in
// form with its captcha, as a browser would send it.
async function portalSession(login) {
  const page = await (await fetch(`${base}/login`)).text();
  const id = page.match(/name="captcha_id" value="([^"]+)"/)[1];
  const body = new URLSearchParams({ login, password: PASSWORD, captcha_id: id, captcha: captchaAnswer(demo.db, id), next: "/" });
  const r = await fetch(`${base}/login`, { method: "POST", body, redirect: "manual" });
  assert.equal(r.status, 303, "signed in");
  return r.headers.get("set-cookie").split(";")[0];
}

const insecure = { execute: [client.allowInsecureRequests] };

test("openid-client: code + PKCE, ID token through the JWKS, userinfo, refresh, introspection, revocation, logout", async () => {
  const config = await client.discovery(new URL(base), CLIENT_ID, SECRET, undefined, insecure);
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, base);
  const cookie = await portalSession("staff");
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: "openid profile email",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const r = await fetch(url, { headers: { cookie }, redirect: "manual" });
  assert.equal(r.status, 303);
  const back = new URL(r.headers.get("location"));
  assert.equal(back.origin + back.pathname, CALLBACK);
  const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  const claims = tokens.claims();
  assert.equal(claims.name, "王小明");
  assert.equal(claims.agency, "民政局");

  // The ID token's signature, checked by jose against the published keys.
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: base, audience: CLIENT_ID });
  assert.equal(protectedHeader.alg, "ES256");
  assert.equal(payload.nonce, nonce);

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.preferred_username, "staff");
  assert.equal(info.email, "staff@mail.tainan.gov.tw");

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  const intro = await client.tokenIntrospection(config, refreshed.access_token);
  assert.equal(intro.active, true);
  assert.equal(intro.client_id, CLIENT_ID);

  // A refresh token used twice: refused, and its family goes with it.
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (e) => e.error === "invalid_grant");
  await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), (e) => e.error === "invalid_grant");

  // A second grant, revoked (RFC 7009).
  const v2 = client.randomPKCECodeVerifier();
  const url2 = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: "openid", code_challenge: await client.calculatePKCECodeChallenge(v2), code_challenge_method: "S256", state: "s2" });
  const r2 = await fetch(url2, { headers: { cookie }, redirect: "manual" });
  const t2 = await client.authorizationCodeGrant(config, new URL(r2.headers.get("location")), { pkceCodeVerifier: v2, expectedState: "s2" });
  await client.tokenRevocation(config, t2.refresh_token);
  assert.equal((await client.tokenIntrospection(config, t2.refresh_token)).active, false);

  // The same code again: refused.
  await assert.rejects(
    client.authorizationCodeGrant(config, new URL(r2.headers.get("location")), { pkceCodeVerifier: v2, expectedState: "s2" }),
    (e) => e.error === "invalid_grant",
  );

  // A tampered access token: userinfo refuses it.
  const [h, p, s] = refreshed.access_token.split(".");
  const evil = JSON.parse(Buffer.from(p, "base64url"));
  evil.sub = "1";
  const forged = `${h}.${Buffer.from(JSON.stringify(evil)).toString("base64url")}.${s}`;
  await assert.rejects(client.fetchUserInfo(config, forged, "1"));

  // A redirect URI that is not registered: no redirect at all.
  const foreign = client.buildAuthorizationUrl(config, { redirect_uri: "https://evil.example/cb", scope: "openid", code_challenge: await client.calculatePKCECodeChallenge(v2), code_challenge_method: "S256" });
  const rf = await fetch(foreign, { headers: { cookie }, redirect: "manual" });
  assert.equal(rf.status, 400);
  assert.equal(rf.headers.get("location"), null);

  // RP-initiated logout ends the portal session: a silent request then
  // answers login_required.
  const end = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: `${RP}/`, state: "bye" });
  const re = await fetch(end, { headers: { cookie }, redirect: "manual" });
  assert.equal(re.headers.get("location"), `${RP}/?state=bye`);
  const silent = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: "openid", prompt: "none", state: "s3", code_challenge: await client.calculatePKCECodeChallenge(v2), code_challenge_method: "S256" });
  const rs = await fetch(silent, { headers: { cookie }, redirect: "manual" });
  assert.equal(new URL(rs.headers.get("location")).searchParams.get("error"), "login_required");

  // Client credentials for the application APIs.
  const cc = await client.clientCredentialsGrant(config, { scope: "account.verify" });
  const vr = await fetch(`${base}/api/v1/apps/verify`, {
    method: "POST",
    headers: { authorization: `Bearer ${cc.access_token}`, "content-type": "application/json" },
    body: JSON.stringify({ login: "admin", password: PASSWORD }),
  });
  assert.equal((await vr.json()).ok, true);
});

test("Authlib (PyPI): the same flow from Python, with the RS256 client", async () => {
  const out = execFileSync("python3", [join(root, "e2e", "authlib_client.py"), base, demo.db], { encoding: "utf8" });
  assert.match(out, /authlib: ok/);
});

test("the sample application signs a person in through the portal and out again", async () => {
  // No bypassCSP: the portal's form-action policy is in force.
  const ctx = await browser.newContext({ locale: "zh-TW", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  try {
    await page.goto(`${RP}/`);
    await axe(page, "sample application, signed out");
    await page.click("text=以公務入口網登入");
    await page.waitForURL(/\/login\?next=/);
    assert.match(await page.textContent("main"), /登入後將返回「範例應用系統」/);
    await axe(page, "portal sign-in for an application");
    await page.screenshot({ path: join(shots, "sso-login.png"), fullPage: true });
    await fillSignIn(page, demo.db, "staff");
    await page.waitForURL(`${RP}/`);
    assert.match(await page.textContent("h1"), /王小明/);
    assert.match(await page.textContent("#agency"), /民政局/);
    await axe(page, "sample application, signed in");
    await page.screenshot({ path: join(shots, "sso-sample-signed-in.png"), fullPage: true });
    // A land-registry query, reported to the portal's usage API with its
    // document number (002 §六 (三) 2) under a client-credentials token.
    const object = `東區崇德段 ${Date.now() % 100000} 地號`;
    await page.fill("#q-object", object);
    await page.check('input[name="reason_kind"][value="document"]');
    await page.fill("#q-reason", "南市民字第 1150777 號");
    await page.click('button:has-text("查詢")');
    await page.waitForSelector("#q-done");
    assert.match(await page.textContent("#q-done"), /已將查詢紀錄送交公務入口網/);
    const [n] = JSON.parse(sql(demo.db, "select count(*) from audit_events where action = 'usage.record' and actor_login = 'staff' and detail like ?", `%${object}%`));
    assert.equal(n, 1, "the portal holds the record, chained with the rest");
    await page.goto(`${RP}/`);
    await page.click("text=登出");
    await page.waitForURL(`${RP}/?state=signed-out`);
    assert.match(await page.textContent("main"), /您已登出/);
    await page.goto(`${base}/account`);
    assert.match(page.url(), /\/login/, "the portal session ended too");
  } finally {
    await ctx.close();
  }
});

test("a portal tile signs the person into the application without a second sign-in", async () => {
  const ctx = await browser.newContext({ locale: "zh-TW", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/login`);
    await fillSignIn(page, demo.db, "civil_admin");
    await page.waitForURL(`${base}/`);
    const tile = page.locator('a.tile:has-text("範例應用系統")').first();
    await tile.waitFor();
    await axe(page, "home with application tiles");
    await page.screenshot({ path: join(shots, "home-tiles.png"), fullPage: true });
    const [app] = await Promise.all([ctx.waitForEvent("page"), tile.click()]);
    await app.waitForURL(`${RP}/`);
    assert.match(await app.textContent("#login"), /civil_admin/);
  } finally {
    await ctx.close();
  }
});

test("register an application, apply for single sign-on, a system admin approves, the secret is shown once", async () => {
  const ctx = await browser.newContext({ locale: "zh-TW", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on("dialog", (d) => d.accept());
  try {
    await page.goto(`${base}/login`);
    await fillSignIn(page, demo.db, "unit_admin");
    await page.waitForURL(`${base}/`);
    await page.click('nav.side a:has-text("應用系統服務介接申請")');
    await axe(page, "my applications");
    await page.click("text=新增應用系統");
    await page.click('button:has-text("確定")');
    assert.match(await page.textContent("#name-err"), /必填/);
    assert.match(await page.textContent("#ips-err"), /正式 IP/);
    await axe(page, "application form with errors");
    await page.fill("#name", "公文線上簽核系統");
    await page.selectOption("#agency", { label: "民政局" });
    await page.fill("#contact_phone", "062991111#1234");
    await page.fill("#contact_email", "doc@example.net");
    await page.fill("#vendor", "OO科技股份有限公司");
    await page.fill("#description", "公文簽核，改用單一登入");
    await page.fill("#url", "https://doc.tainan.gov.tw/");
    await page.fill("#ips", "10.1.2.3\n10.1.2.4");
    await page.click('button:has-text("確定")');
    await page.waitForURL(/\/apps\/\d+\?ok=created/);
    await axe(page, "application detail");
    const appUrl = page.url().split("?")[0];
    await page.click('a:has-text("我要申請"):has(span:has-text("單一登入"))');
    await page.fill("#redirect_uris", "https://doc.tainan.gov.tw/oidc/callback");
    await page.selectOption("#signing_alg", "RS256");
    await page.fill("#reason", "公文系統改用 OpenID Connect");
    await axe(page, "single sign-on application form");
    await page.click('button:has-text("確定")');
    await page.waitForURL(/\/apps\/services\/\d+\?ok=applied/);
    assert.match(await page.textContent("main"), /審核中/);
    await axe(page, "service application record");
    await page.screenshot({ path: join(shots, "app-service-record.png"), fullPage: true });
    const record = page.url().split("?")[0];

    await ctx.clearCookies();
    await page.goto(`${base}/login`);
    await fillSignIn(page, demo.db, "admin");
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/admin/apps?pending=1`);
    assert.match(await page.textContent("main"), /公文線上簽核系統/);
    await axe(page, "admin application list");
    await page.goto(record);
    await page.click('button[value="approve"]');
    await page.waitForURL(/ok=decided/);
    assert.match(await page.textContent("main"), /已核准/);

    await ctx.clearCookies();
    await page.goto(`${base}/login`);
    await fillSignIn(page, demo.db, "unit_admin");
    await page.waitForURL(`${base}/`);
    await page.goto(appUrl);
    await page.click('button:has-text("產生用戶端密鑰")');
    const secret = await page.textContent("#secret");
    assert.match(secret, /^[0-9a-f]{64}$/);
    await axe(page, "secret shown once");
    await page.screenshot({ path: join(shots, "app-secret.png"), fullPage: true });
    await page.goto(appUrl);
    assert.equal(await page.locator("#secret").count(), 0, "never shown again");
    assert.match(await page.textContent("main"), /重新產生用戶端密鑰/);

    // A logout request without proof of this session asks first.
    await page.goto(`${base}/oauth2/logout?client_id=portico-sample`);
    assert.match(await page.textContent("h1"), /登出公務入口網？/);
    await axe(page, "logout confirmation");
    await page.click("text=留在公務入口網");
    await page.waitForURL(`${base}/`);
  } finally {
    await ctx.close();
  }
});
