// Strong sign-in in Debian's Chromium against a real `portico demo`: the
// authenticator app (codes computed here from the key the page shows, as
// the phone would), the temporary password by mail, passkeys through
// Chromium's virtual authenticator (DevTools WebAuthn domain), and the
// sign-in page from outside the government network. axe (WCAG 2.1 AA) runs
// on every page visited.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { startDemo, launch, shots, sql, captchaAnswer, axe, fillSignIn, PASSWORD } from "./lib.mjs";

let demo, browser;

before(async () => {
  demo = await startDemo(20);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  demo?.stop();
});

async function fresh(base = demo.base) {
  const ctx = await browser.newContext({ locale: "zh-TW", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  return [ctx, page, base];
}

// RFC 6238 with SHA-1, 6 digits, 30-second steps, as the authenticator
// apps compute it.
function totp(key, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of key.replace(/[\s=]/g, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac("sha1", Buffer.from(bytes)).update(counter).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function passwordSignIn(page, base, login) {
  await page.goto(`${base}/login`);
  await fillSignIn(page, demo.db, login);
  await page.waitForURL(`${base}/`);
}

test("the authenticator app: set up with a QR code, sign in with a code", async () => {
  const [ctx, page, base] = await fresh();
  try {
    await passwordSignIn(page, base, "staff");
    await page.goto(`${base}/account#methods`);
    await page.fill("#totp-password", PASSWORD);
    await page.click("text=進行「OTP 驗證」");
    await page.waitForURL(`${base}/account/totp`);
    await axe(page, "totp setup");
    await page.screenshot({ path: join(shots, "totp-setup.png"), fullPage: true });
    const key = (await page.textContent("#totp-key")).trim();
    await page.fill("#code", "000000");
    await page.click("button:has-text(\"完成綁定\")");
    assert.match(await page.textContent(".error-box"), /驗證碼不正確/);
    await axe(page, "totp setup with an error");
    await page.fill("#code", totp(key));
    await page.click("button:has-text(\"完成綁定\")");
    await page.waitForURL(/\/account\?ok=totp-on/);
    assert.match(await page.textContent("#methods"), /已啟用/);
    await axe(page, "account with totp on");

    await ctx.clearCookies();
    await page.goto(`${base}/login`);
    await page.click('.method-tabs >> text=動態驗證碼');
    await axe(page, "login: totp");
    await page.screenshot({ path: join(shots, "login-totp.png"), fullPage: true });
    await page.fill("#login", "staff");
    // The confirming code is spent; the app's next one is within the
    // allowed drift.
    await page.fill("#code", totp(key, Date.now() + 30000));
    await page.fill("#captcha", captchaAnswer(demo.db, await page.inputValue('input[name="captcha_id"]')));
    await page.click('button[type="submit"].primary');
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/records/sign-in`);
    assert.match(await page.textContent("table"), /動態驗證碼/);
    await axe(page, "sign-in records with methods");
  } finally {
    await ctx.close();
  }
});

test("a temporary password by mail signs in once", async () => {
  const [ctx, page, base] = await fresh();
  try {
    await page.goto(`${base}/login?method=temp_password`);
    await axe(page, "login: temporary password");
    const email = JSON.parse(sql(demo.db, "select backup_email from accounts where login=?", "staff"))[0];
    let id = await page.inputValue('input[name="captcha_id"]');
    await page.fill("#email", email);
    await page.fill("#captcha", captchaAnswer(demo.db, id));
    await page.click('button[type="submit"].primary');
    assert.match(await page.textContent("#login-notice"), /臨時密碼已寄出/);
    await axe(page, "temporary password: step two");
    await page.screenshot({ path: join(shots, "login-temp-password.png"), fullPage: true });
    const body = JSON.parse(sql(demo.db, "select body from outbox where recipient=? order by id desc limit 1", email))[0];
    const code = body.match(/^\s+([A-Z0-9]{10})$/m)[1];
    id = await page.inputValue('input[name="captcha_id"]');
    await page.fill("#code", code);
    await page.fill("#captcha", captchaAnswer(demo.db, id));
    await page.click('button[type="submit"].primary');
    await page.waitForURL(`${base}/`);
    assert.match(await page.textContent("body"), /王小明/);
  } finally {
    await ctx.close();
  }
});

test("passkeys: add one, name it, sign in with it alone", async () => {
  // Browsers allow WebAuthn on a host name, not an IP address: the demo's
  // passkeys belong to localhost.
  const [ctx, page, base] = await fresh(demo.base.replace("127.0.0.1", "localhost"));
  try {
    const cdp = await ctx.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await passwordSignIn(page, base, "civil_admin");
    await page.goto(`${base}/account#methods`);
    await page.click("#passkey-register");
    await page.waitForFunction(() => document.getElementById("passkey-reg-error").textContent !== "");
    assert.match(await page.textContent("#passkey-reg-error"), /請為通行金鑰命名/);
    await page.fill("#passkey-name", "辦公室電腦");
    await page.fill("#passkey-password", PASSWORD);
    await page.click("#passkey-register");
    await page.waitForURL(/ok=passkey-added/);
    assert.match(await page.textContent("#passkey-list"), /辦公室電腦/);
    await axe(page, "account with a passkey");
    await page.screenshot({ path: join(shots, "account-passkeys.png"), fullPage: true });

    await ctx.clearCookies();
    await page.goto(`${base}/login?method=passkey`);
    await axe(page, "login: passkey");
    await page.screenshot({ path: join(shots, "login-passkey.png"), fullPage: true });
    await page.click("#passkey-sign-in");
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/account`);
    assert.match(await page.textContent("#status-h + dl"), /civil_admin/);
    await page.goto(`${base}/records/sign-in`);
    assert.match(await page.textContent("table"), /通行金鑰/);

    // On the IP address the page says where passkeys work.
    await page.goto(`${demo.base}/login?method=passkey`);
    await page.click("#passkey-sign-in");
    assert.equal(await page.isVisible("#passkey-host"), true);
  } finally {
    await ctx.close();
  }
});

test("the citizen certificate card: bind it with the PIN, sign in with it", async () => {
  const [ctx, page, base] = await fresh();
  try {
    await passwordSignIn(page, base, "staff");
    await page.goto(`${base}/account#methods`);
    // A wrong PIN: the card refuses, the page says so.
    await page.fill("#card-pin", "000000");
    await page.click("#card-bind");
    await page.waitForFunction(() => document.getElementById("card-error").textContent !== "");
    assert.match(await page.textContent("#card-error"), /PIN/);
    await page.fill("#card-pin", "123456");
    await page.click("#card-bind");
    await page.waitForURL(/ok=card-bound/);
    assert.match(await page.textContent("#card-list"), /王小明/);
    await axe(page, "account with a bound card");
    await page.screenshot({ path: join(shots, "account-card.png"), fullPage: true });

    await ctx.clearCookies();
    await page.goto(`${base}/login?method=certificate`);
    await axe(page, "login: certificate card");
    await page.screenshot({ path: join(shots, "login-card.png"), fullPage: true });
    await page.fill("#card-pin", "123456");
    await page.click("#card-sign-in");
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/records/sign-in`);
    assert.match(await page.textContent("table"), /自然人憑證/);

    // 忘記密碼 by the bound card (004 L795): the PIN, then the password form.
    await ctx.clearCookies();
    await page.goto(`${base}/forgot?by=card`);
    await axe(page, "forgot password: card");
    await page.fill("#card-pin", "123456");
    await page.click("#card-verify");
    await page.waitForURL(/\/forgot\/password$/);
    assert.match(await page.textContent("main"), /staff/);
  } finally {
    await ctx.close();
  }
});

test("mobile ID: push to the phone, approve there, signed in; a declined QR request says so", async () => {
  const [ctx, page, base] = await fresh();
  try {
    const m = demo.banner.match(/national ID (\w+) and approve on the phone page (\S+)\./);
    assert.ok(m, demo.banner);
    const [, idNum, phoneUrl] = m;
    await page.goto(`${base}/login?method=mobile_id`);
    await axe(page, "login: mobile ID");
    await page.fill("#id_num", idNum);
    await page.click('button[value="push"].primary');
    assert.match(await page.textContent("#mobile-status"), /已推播至您的手機/);
    await axe(page, "mobile ID: waiting for the phone");
    await page.screenshot({ path: join(shots, "login-mobile-id-push.png"), fullPage: true });
    // The phone's page refreshes itself while it waits: each answer is
    // given on a page opened for it, so no navigation races another.
    const onPhone = async (button) => {
      const phone = await ctx.newPage();
      await phone.goto(phoneUrl);
      await phone.click(`text=${button}`);
    };
    await onPhone("同意並簽章");
    await page.waitForURL(`${base}/`, { timeout: 20000 });
    await page.goto(`${base}/records/sign-in`);
    assert.match(await page.textContent("table"), /行動自然人憑證/);

    await ctx.clearCookies();
    await page.goto(`${base}/login?method=mobile_id`);
    await page.fill("#id_num", idNum);
    await page.click('button[value="qr"]');
    assert.equal(await page.locator("figure.qr svg").count(), 1, "a QR code to scan");
    await axe(page, "mobile ID: QR code");
    await page.screenshot({ path: join(shots, "login-mobile-id-qr.png"), fullPage: true });
    await onPhone("拒絕");
    await page.waitForFunction(() => !document.getElementById("mobile-error").hidden, null, { timeout: 20000 });
    assert.match(await page.textContent("#mobile-error"), /拒絕/);

    // 忘記密碼 by mobile ID asks the 身分證字號 (004 L834) and shows it masked.
    await ctx.clearCookies();
    await page.goto(`${base}/forgot?by=mobile_id`);
    await page.fill("#national_id", idNum);
    await page.click('button:has-text("繼續")');
    const status = await page.textContent("#mobile-status");
    assert.ok(!status.includes(idNum), status);
    assert.match(status, new RegExp(`${idNum.slice(0, 2)}\\*+${idNum.slice(-2)}`));
    await axe(page, "forgot password: waiting for the phone");
    await onPhone("同意並簽章");
    await page.waitForURL(/\/forgot\/password$/, { timeout: 20000 });
  } finally {
    await ctx.close();
  }
});

test("outside the government network the page offers only strong methods", async () => {
  const [ctx, page, base] = await fresh();
  try {
    await passwordSignIn(page, base, "admin");
    // The methods staff bound in the journeys above, and their reset.
    await page.goto(`${base}/admin/accounts?login=staff`);
    await page.click('a:has-text("王小明")');
    const bound = await page.textContent("#bound-methods");
    assert.match(bound, /動態驗證碼：已啟用/);
    assert.match(bound, /自然人憑證：1/);
    await axe(page, "admin account with bound methods");
    await page.screenshot({ path: join(shots, "admin-bound-methods.png"), fullPage: true });
    page.once("dialog", (d) => d.accept());
    await page.click('#bound-methods button:has-text("重設")');
    await page.waitForURL(/ok=method-reset/);
    assert.match(await page.textContent("#bound-methods"), /動態驗證碼：未啟用/);
    await page.goto(`${base}/admin/settings`);
    await page.fill("#inet", "10.0.0.0/33");
    await page.click('button[type="submit"].primary');
    assert.match(await page.textContent("#inet-err"), /不是正確的網段/);
    await axe(page, "settings with a bad range");
    await page.fill("#inet", "10.0.0.0/8");
    await page.click('button[type="submit"].primary');
    await page.waitForURL(/ok=settings/);

    const [other, outside] = await fresh();
    await outside.goto(`${base}/login`);
    assert.match(await outside.textContent("#zone-note"), /不在府內網路/);
    assert.equal(await outside.locator("#password").count(), 0, "no password form");
    const tabs = await outside.textContent(".method-tabs");
    assert.match(tabs, /行動自然人憑證/);
    assert.match(tabs, /自然人憑證/);
    // 004 L349: the seed's two certificate methods, no passkey unless a
    // system admin allows it.
    assert.doesNotMatch(tabs, /一般登入|動態驗證碼|臨時密碼|通行金鑰/);
    assert.equal(await outside.locator("#id_num").count(), 1, "mobile ID is the first offered");
    await axe(outside, "login from outside");
    await outside.screenshot({ path: join(shots, "login-outside.png"), fullPage: true });
    await other.close();

    // Back inside for any later journey.
    await page.goto(`${base}/admin/settings`);
    await page.fill("#inet", "127.0.0.0/8\n10.0.0.0/8");
    await page.click('button[type="submit"].primary');
    await page.waitForURL(/ok=settings/);
  } finally {
    await ctx.close();
  }
});
