// Browser journeys in Debian's Chromium against a real `portico demo`.
// Each page a journey visits is checked with axe-core (WCAG 2.1 AA).
// The captcha answer is read from the demo's own database, as a person
// would read the picture: the shipped binary has no back door.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { startDemo, launch, shots, PASSWORD, captchaAnswer as answerIn, axe } from "./lib.mjs";

let demo, base, data, browser;

before(async () => {
  demo = await startDemo(600);
  ({ base, data } = demo);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  demo?.stop();
});

function captchaAnswer(id) {
  return answerIn(demo.db, id);
}

// The newest message to `to`, read from the demo's outbox (the demo
// records mail instead of sending it; the admin's outbox page shows it).
function lastMessageTo(to) {
  return execFileSync("python3", ["-c", "import sqlite3,sys;r=sqlite3.connect(sys.argv[1]).execute('select body from outbox where recipient=? order by id desc limit 1',(sys.argv[2],)).fetchone();print(r[0] if r else '')", join(data, "portico.db"), to]).toString();
}

// The code in the newest message to `to`.
function codeSentTo(to) {
  const body = lastMessageTo(to);
  // A mail has the code on a line of its own; an SMS has one run of six digits.
  const m = body.match(/^\s+(\d{6})$/m) || body.match(/(?<!\d)(\d{6})(?!\d)/);
  assert.ok(m, `a code in the mail to ${to}: ${body}`);
  return m[1];
}

// A valid national ID check digit for a letter and eight digits.
function checkDigit(nine) {
  const codes = { A: 10, B: 11, C: 12, D: 13, E: 14, F: 15, G: 16, H: 17, I: 34, J: 18, K: 19, L: 20, M: 21, N: 22, O: 35, P: 23, Q: 24, R: 25, S: 26, T: 27, U: 28, V: 29, W: 32, X: 30, Y: 31, Z: 33 };
  const l = codes[nine[0]];
  const d = [Math.floor(l / 10), l % 10, ...nine.slice(1).split("").map(Number)];
  const w = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  const sum = d.reduce((a, x, i) => a + x * w[i], 0);
  return String((10 - (sum % 10)) % 10);
}

async function signIn(page, login, password = PASSWORD) {
  await page.goto(`${base}/login`);
  const id = await page.inputValue('input[name="captcha_id"]');
  await page.fill("#login", login);
  await page.fill("#password", password);
  await page.fill("#captcha", captchaAnswer(id));
  await page.click('button[type="submit"].primary');
}

// Step 1 and 2 of an account flow by the backup e-mail (004 L691): the
// address and the captcha, then the mailed code.
async function verifyByEmail(page, email) {
  await page.fill("#email", email);
  await page.fill("#captcha", captchaAnswer(await page.inputValue('input[name="captcha_id"]')));
  await page.click('button:has-text("寄送驗證碼")');
  await page.fill("#code", codeSentTo(email));
  await page.click('button:has-text("繼續")');
}

async function fresh() {
  const ctx = await browser.newContext({ bypassCSP: true, locale: "zh-TW", viewport: { width: 1280, height: 900 } });
  return [ctx, await ctx.newPage()];
}

test("sign-in with captcha, the shell, language and theme", async () => {
  const [ctx, page] = await fresh();
  try {
    const first = await page.goto(`${base}/`);
    // Secure cookies, so HTTPS only from now on (the demo's cookies are
    // Secure on loopback); no framing, a strict CSP.
    const h = first.headers();
    assert.equal(h["strict-transport-security"], "max-age=31536000");
    assert.equal(h["x-frame-options"], "DENY");
    assert.match(h["content-security-policy"], /default-src 'self'/);
    await axe(page, "login");
    await page.screenshot({ path: join(shots, "login.png"), fullPage: true });
    await signIn(page, "staff");
    await page.waitForURL(`${base}/`);
    assert.match(await page.textContent("body"), /王小明/);
    assert.match(await page.textContent("header"), /後回登入頁/);
    await axe(page, "home");
    await page.screenshot({ path: join(shots, "home.png"), fullPage: true });
    for (const path of ["/account", "/records/sign-in", "/records/usage", "/account/sessions"]) {
      await page.goto(`${base}${path}`);
      await axe(page, path);
    }
    await page.screenshot({ path: join(shots, "records.png"), fullPage: true });
    await page.click(".name-menu summary");
    await page.click('button[name="lang"][value="en"]');
    await page.waitForLoadState();
    assert.match(await page.textContent("nav.side"), /Sign-in records/);
    await page.click(".name-menu summary");
    await page.click('button[name="theme"][value="dark"]');
    await page.waitForLoadState();
    assert.equal(await page.getAttribute("html", "data-theme"), "dark");
    await page.goto(`${base}/account`);
    await axe(page, "account (dark, English)");
    await page.screenshot({ path: join(shots, "account-dark-en.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test("lockout after five wrong passwords", async () => {
  const [ctx, page] = await fresh();
  try {
    for (let i = 0; i < 5; i++) {
      await signIn(page, "unit_admin", "Wrong#Pass1");
      assert.match(await page.textContent("#login-error"), /帳號或密碼錯誤/);
    }
    await signIn(page, "unit_admin");
    assert.match(await page.textContent("#login-error"), /鎖定/);
    await axe(page, "login with error");
  } finally {
    await ctx.close();
  }
});

test("password change on the account page", async () => {
  const [ctx, page] = await fresh();
  try {
    await signIn(page, "expiring");
    await page.waitForURL(`${base}/`);
    assert.match(await page.textContent("header"), /密碼將於 5 天後到期/);
    await page.goto(`${base}/account`);
    await page.fill("#old_password", PASSWORD);
    await page.fill("#new_password", "short");
    await page.fill("#confirm_password", "short");
    await page.click('#password-section button[type="submit"]');
    assert.match(await page.textContent("#new_password-err"), /密碼長度須為 8 至 15 個字元/);
    await axe(page, "password errors");
    await page.fill("#old_password", PASSWORD);
    await page.fill("#new_password", "Tainan#2027");
    await page.fill("#confirm_password", "Tainan#2027");
    await page.click('button[type="submit"].primary:has-text("變更密碼")');
    await page.waitForURL(/ok=password/);
    assert.doesNotMatch(await page.textContent("header"), /5 天後到期/);
  } finally {
    await ctx.close();
  }
});

test("an agency admin disables an account in scope and cannot reach one outside", async () => {
  const [ctx, page] = await fresh();
  try {
    page.on("dialog", (d) => d.accept());
    await signIn(page, "civil_admin");
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/admin/accounts?login=staff`);
    await axe(page, "admin accounts");
    await page.click('a:has-text("王小明")');
    await axe(page, "admin account");
    await page.fill("#disable-reason", "調職");
    await page.click('button:has-text("停用帳號")');
    await page.waitForURL(/ok=disabled/);
    assert.match(await page.textContent("main"), /帳號已停用/);
    await page.screenshot({ path: join(shots, "admin-disabled.png"), fullPage: true });
    const url = page.url().replace(/\/admin\/accounts\/\d+.*/, "");
    // edu_admin belongs to 教育局: outside 民政局's subtree.
    const res = await page.goto(`${url}/admin/accounts/3`);
    assert.equal(res.status(), 404);
  } finally {
    await ctx.close();
  }
});

// Presses Tab until `pred(document.activeElement)` holds; fails after `max`.
async function tabUntil(page, pred, what, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(pred)) return;
  }
  assert.fail(`Tab never reached ${what}`);
}

// The focused element shows a visible focus ring (WCAG 2.4.7).
async function focusVisible(page) {
  return page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
  });
}

test("keyboard alone: sign in, skip to content, open the name menu, switch language", async () => {
  const [ctx, page] = await fresh();
  try {
    await page.goto(`${base}/login`);
    const id = await page.inputValue('input[name="captcha_id"]');
    await tabUntil(page, () => document.activeElement?.id === "login", "the login field");
    assert.ok(await focusVisible(page), "focus ring on the login field");
    // Not "staff": another journey disables that account.
    await page.keyboard.type("anping_admin");
    await tabUntil(page, () => document.activeElement?.id === "password", "the password field");
    await page.keyboard.type(PASSWORD);
    await tabUntil(page, () => document.activeElement?.id === "captcha", "the captcha field");
    await page.keyboard.type(captchaAnswer(id));
    await page.keyboard.press("Enter");
    await page.waitForURL(`${base}/`);

    // The first Tab on a page lands on the skip link, which moves focus to main.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
    assert.ok(await focusVisible(page), "focus ring on the skip link");
    await page.screenshot({ path: join(shots, "keyboard-skip.png") });
    await page.keyboard.press("Enter");
    assert.match(page.url(), /#main$/);

    // The name menu opens with Enter, and its buttons are reachable by Tab.
    await tabUntil(page, () => document.activeElement?.tagName === "SUMMARY", "the name menu");
    await page.keyboard.press("Enter");
    assert.equal(await page.getAttribute(".name-menu", "open"), "");
    await tabUntil(page, () => document.activeElement?.getAttribute("value") === "en", "English");
    assert.ok(await focusVisible(page), "focus ring on the language button");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.documentElement.lang === "en");

    // A form fills and submits from the keyboard: the profile's title.
    await page.goto(`${base}/account`);
    await tabUntil(page, () => document.activeElement?.id === "title", "the title field");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("股長");
    await page.keyboard.press("Enter");
    await page.waitForURL(/ok=profile/);
    assert.equal(await page.inputValue("#title"), "股長");
    await axe(page, "account after a keyboard edit");
  } finally {
    await ctx.close();
  }
});

test("apply, an agency admin approves, activate, sign in, bind a mobile, move to another agency", async () => {
  const [ctx, page] = await fresh();
  const email = "new.hire@example.org";
  try {
    await page.goto(`${base}/login`);
    await page.click('a:has-text("個人帳號申請/修改/復用")');
    await axe(page, "account services");
    await page.click('a:has-text("個人帳號申請")');
    await axe(page, "apply: e-mail");
    await page.fill("#email", email);
    await page.click('button:has-text("寄送驗證碼")');
    assert.match(await page.textContent("main"), /驗證碼已寄至/);
    await axe(page, "apply: code");
    await page.fill("#code", codeSentTo(email));
    await page.click('button:has-text("驗證")');
    await page.waitForURL(/\/apply\/form$/);
    await axe(page, "application form");
    await page.fill("#national_id", "Z10000005" + checkDigit("Z10000005"));
    await page.fill("#login", "newhire");
    await page.click('button:has-text("檢查帳號是否可用")');
    assert.match(await page.textContent("main"), /此帳號可以使用/);
    await page.check('input[name="needs_official_mail"][value="no"]');
    await page.fill("#name", "林新進");
    // The 府內單位/府外機關/區公所 tabs narrow the list.
    await page.check('input[name="unit_group"][value="區公所"]');
    assert.equal(await page.$eval("#unit", (sel) => [...sel.querySelectorAll("optgroup")].filter((g) => !g.hidden).every((g) => g.label.startsWith("區公所"))), true);
    await page.check('input[name="unit_group"][value="府內單位"]');
    const unit = await page.$eval("#unit", (sel) => [...sel.querySelectorAll("optgroup")].find((g) => g.label.endsWith("民政局")).querySelector("option").value);
    await page.selectOption("#unit", unit);
    await page.fill("#title", "科員");
    await page.fill("#office_phone", "2991234");
    await page.click('button:has-text("確定送出")');
    assert.match(await page.textContent("main"), /已送出申請/);
    await axe(page, "application submitted");
    await page.screenshot({ path: join(shots, "apply-submitted.png"), fullPage: true });

    const [actx, admin] = await fresh();
    try {
      await signIn(admin, "civil_admin");
      await admin.waitForURL(`${base}/`);
      await admin.goto(`${base}/admin/requests`);
      await axe(admin, "review queue");
      await admin.click('a:has-text("林新進")');
      await axe(admin, "request detail");
      await admin.fill("#note", "歡迎加入");
      await admin.click('button:has-text("通過")');
      assert.match(await admin.textContent("main"), /審核通過/);
      await admin.screenshot({ path: join(shots, "request-approved.png"), fullPage: true });
    } finally {
      await actx.close();
    }

    await page.goto(`${base}/activate`);
    await axe(page, "activate");
    await verifyByEmail(page, email);
    await page.waitForURL(/\/activate\/password$/);
    await axe(page, "activate: password");
    await page.fill("#new_password", "Newhire#2027");
    await page.fill("#confirm_password", "Newhire#2027");
    await page.click('button:has-text("設定密碼")');
    assert.match(await page.textContent("main"), /帳號已開通/);
    await signIn(page, "newhire", "Newhire#2027");
    await page.waitForURL(`${base}/`);
    assert.match(await page.textContent("header"), /林新進/);

    // The backup e-mail and mobile page, then an agency change to 教育局:
    // the account is disabled and signed out at once; 教育局's admin approves.
    await page.goto(`${base}/account/contacts`);
    await axe(page, "contacts");
    await page.fill("#mobile", "0911222333");
    await page.click('#mobile-h ~ form button:has-text("寄送驗證碼")');
    await page.fill("#mobile-code", codeSentTo("0911222333"));
    await page.click('button:has-text("確認綁定")');
    assert.match(await page.textContent("main"), /手機號碼已綁定/);
    await page.click('a:has-text("帳號異動申請")');
    await axe(page, "my requests");
    page.on("dialog", (d) => d.accept());
    const edu = await page.$eval("#unit", (sel) => [...sel.querySelectorAll("optgroup")].find((g) => g.label.endsWith("教育局")).querySelector("option").value);
    await page.selectOption("#unit", edu);
    await page.fill("#reason", "調任教育局");
    await page.click('button:has-text("送出異動申請")');
    assert.match(await page.textContent("main"), /帳號已停用並登出所有裝置/);
    await axe(page, "agency change submitted");
    await page.goto(`${base}/account`);
    assert.match(page.url(), /\/login/, "signed out");

    const [ectx, eduAdmin] = await fresh();
    try {
      await signIn(eduAdmin, "edu_admin");
      await eduAdmin.waitForURL(`${base}/`);
      await eduAdmin.goto(`${base}/admin/requests?kind=agency_change`);
      await eduAdmin.click('a:has-text("林新進")');
      await eduAdmin.click('button:has-text("通過")');
      assert.match(await eduAdmin.textContent("main"), /審核通過/);
    } finally {
      await ectx.close();
    }
    await signIn(page, "newhire", "Newhire#2027");
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/account`);
    assert.match(await page.textContent("main"), /教育局/);

    // 線上申請作業 > 機關管理者申請 (004 L4804): the profile's facts, a reason.
    await page.click('nav.side a:has-text("機關管理者申請")');
    await page.waitForURL(/\/account\/requests\/admin-rights$/);
    assert.match(await page.textContent("main"), /新增機關管理者[\s\S]*教育局[\s\S]*林新進/);
    await axe(page, "admin rights request");
    await page.click('button:has-text("確定")');
    assert.equal(await page.getAttribute("#rights-reason", "aria-invalid"), "true", "the reason is required");
    await page.fill("#rights-reason", "原機關管理者退休，茲本人申請成為機關管理者");
    await page.click('button:has-text("確定")');
    await page.waitForURL(/ok=sent/);
    assert.match(await page.textContent("main"), /已送出申請/);
    await axe(page, "admin rights request sent");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, "admin-rights-phone.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  } finally {
    await ctx.close();
  }
});

test("signed-out services: reinstatement and finding one's administrators", async () => {
  const [ctx, page] = await fresh();
  try {
    await page.goto(`${base}/services`);
    await page.click('a:has-text("機關管理員查詢")');
    await axe(page, "find admins");
    await verifyByEmail(page, "approved@example.net");
    await page.waitForURL(/\/admins\/list$/);
    assert.match(await page.textContent("main"), /林美玲/);
    await axe(page, "admin contacts");
    await page.goto(`${base}/reinstate`);
    await axe(page, "reinstate");
    await verifyByEmail(page, "disabled@example.net");
    await page.waitForURL(/\/reinstate\/form$/);
    await axe(page, "reinstate form");
    await page.fill("#reason", "復職");
    await page.click('button:has-text("確定送出")');
    assert.match(await page.textContent("main"), /已送出復用申請/);
  } finally {
    await ctx.close();
  }
});

test("forgot password: verify by backup e-mail, set a new one, old sessions end", async () => {
  const [octx, old] = await fresh();
  const [ctx, page] = await fresh();
  try {
    await signIn(old, "edu_admin");
    await old.waitForURL(`${base}/`);
    await page.goto(`${base}/login`);
    await page.click('a:has-text("忘記密碼")');
    await axe(page, "forgot password");
    // 004 L791: four ways to verify, the backup e-mail chosen here.
    const tabs = await page.$$eval(".check-choices a", (as) => as.map((a) => a.textContent.trim()));
    assert.deepEqual(tabs, ["使用自然人憑證", "使用行動自然人憑證", "使用備用信箱", "使用手機簡訊"]);
    await page.click('.check-choices a:has-text("使用行動自然人憑證")');
    await axe(page, "forgot password: mobile ID");
    assert.ok(await page.isVisible("#national_id"));
    await page.click('.check-choices a:has-text("使用備用信箱")');
    await page.screenshot({ path: join(shots, "forgot-password.png"), fullPage: true });
    await verifyByEmail(page, "edu_admin@example.net");
    await page.waitForURL(/\/forgot\/password$/);
    await page.fill("#new_password", "Reset#2027ok");
    await page.fill("#confirm_password", "Reset#2027ok");
    await page.click('button:has-text("設定密碼")');
    assert.match(await page.textContent("main"), /密碼已重設/);
    await axe(page, "password reset done");
    await old.goto(`${base}/account`);
    assert.match(old.url(), /\/login/, "the old session ended");
    await signIn(page, "edu_admin", "Reset#2027ok");
    await page.waitForURL(`${base}/`);

    // 忘記帳號: the login name goes to the bound backup e-mail.
    const [rctx, r] = await fresh();
    try {
      await r.goto(`${base}/login`);
      await r.click('a:has-text("忘記帳號")');
      await axe(r, "forgot login name");
      await r.fill("#email", "edu_admin@example.net");
      await r.fill("#captcha", captchaAnswer(await r.inputValue('input[name="captcha_id"]')));
      await r.click('button:has-text("寄送帳號")');
      assert.match(await r.textContent("main"), /帳號已寄至該信箱/);
      await axe(r, "forgot login name: sent");
      const body = lastMessageTo("edu_admin@example.net");
      assert.match(body, /edu_admin（啟用）/);
    } finally {
      await rctx.close();
    }
  } finally {
    await ctx.close();
    await octx.close();
  }
});

test("batch approval in the review queue", async () => {
  const [ctx, page] = await fresh();
  try {
    await signIn(page, "admin");
    await page.waitForURL(`${base}/`);
    // The home page says how many wait, and leads there.
    assert.match(await page.textContent("main"), /待簽核：\d+ 件/);
    await page.click('a[href="/admin/requests?state=pending"]');
    await page.waitForURL(/\/admin\/requests/);
    const boxes = page.locator('input[name="ids"]');
    assert.ok((await boxes.count()) >= 2, "the demo has pending applications");
    // "Select all" ticks every box, and unticks them again.
    await page.check("#pick-all");
    assert.equal(await page.locator('input[name="ids"]:checked').count(), await boxes.count());
    await page.uncheck("#pick-all");
    assert.equal(await page.locator('input[name="ids"]:checked').count(), 0);
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.click('#batch button:has-text("通過")');
    await page.waitForURL(/done=2/);
    assert.match(await page.textContent("main"), /已完成審核 2 件/);
    await axe(page, "review queue after a batch");
    await page.goto(`${base}/admin/outbox`);
    await axe(page, "outbox");
    await page.click("tbody a >> nth=0");
    await axe(page, "outbox message");
    await page.screenshot({ path: join(shots, "outbox-message.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test("組織管理: create, edit, move, disable and delete a unit through the pages", async () => {
  const [ctx, page] = await fresh();
  page.on("dialog", (d) => d.accept());
  // A unit's OID as the tree's search shows it.
  const oidOf = async (name) => {
    await page.goto(`${base}/admin/org?q=${encodeURIComponent(name)}`);
    return page.$eval("table.tree tbody", (tb, n) => [...tb.querySelectorAll("tr")].find((r) => r.querySelector("a").textContent.trim().endsWith(n)).querySelector("code").textContent, name);
  };
  // Picks `name` in a unit picker after typing it into its filter.
  const pick = async (select, name) => {
    await page.fill(`input[data-filter-for="${select}"]`, name);
    const value = await page.$eval(`#${select}`, (sel, n) => [...sel.options].find((o) => !o.hidden && o.textContent.trim().endsWith(n)).value, name);
    await page.selectOption(`#${select}`, value);
  };
  try {
    await signIn(page, "admin");
    await page.waitForURL(`${base}/`);
    const civil = await oidOf("民政局");
    const edu = await oidOf("教育局");
    await page.goto(`${base}/admin/org`);
    await axe(page, "org tree");
    // A wrong OID: the form keeps what was typed and names the field.
    await pick("parent", "民政局");
    // The next free OID under the parent is filled in.
    assert.match(await page.inputValue("#oid"), new RegExp(`^${civil.replace(/\./g, "\\.")}\\.\\d+$`));
    await page.fill("#name", "測試科");
    await page.fill("#oid", "1.2.3");
    await page.fill("#sort_order", "7");
    await page.click('button:has-text("新增")');
    assert.equal(await page.getAttribute("#oid", "aria-invalid"), "true");
    assert.equal(await page.inputValue("#name"), "測試科");
    await page.fill("#oid", `${civil}.990`);
    await page.click('button:has-text("新增")');
    await page.waitForURL(/\/admin\/org\/\d+\?ok=unit/);
    assert.match(await page.textContent("main"), /測試科/);
    await axe(page, "unit page");
    // Edit: a new name and order.
    await page.fill("#name", "測試二科");
    await page.fill("#sort_order", "8");
    await page.click('form[action^="/admin/org/"] button:has-text("儲存")');
    await page.waitForURL(/ok=/);
    assert.equal(await page.inputValue("#name"), "測試二科");
    assert.equal(await page.inputValue("#sort_order"), "8");
    // Move under 教育局, with an OID under it.
    await pick("move-parent", "教育局");
    await page.fill("#move-oid", `${edu}.990`);
    await page.click('button:has-text("移動")');
    await page.waitForURL(/ok=/);
    assert.equal(await page.inputValue("#oid"), `${edu}.990`);
    // Disable.
    await page.uncheck("#enabled");
    await page.click('form[action^="/admin/org/"] button:has-text("儲存")');
    await page.waitForURL(/ok=/);
    assert.equal(await page.isChecked("#enabled"), false);
    await page.goto(`${base}/admin/org?q=${encodeURIComponent("測試二科")}`);
    assert.match(await page.textContent("table.tree"), /教育局／測試二科[\s\S]*停用/);
    // Delete, after the confirmation.
    await page.click('table.tree a:has-text("測試二科")');
    await page.click('button:has-text("刪除")');
    await page.waitForURL(/ok=unit-deleted/);
    await axe(page, "org tree after a delete");
    await page.goto(`${base}/admin/org?q=${encodeURIComponent("測試二科")}`);
    assert.match(await page.textContent("main"), /查無符合的單位/);
  } finally {
    await ctx.close();
  }
});

test("AD 同步管理作業: the demo's target, its connection test in words, a new target's form", async () => {
  const [ctx, page] = await fresh();
  try {
    await signIn(page, "admin");
    await page.waitForURL(`${base}/`);
    await page.click('nav.side a:has-text("AD 同步管理作業")');
    await page.waitForURL(/\/admin\/directory$/);
    await axe(page, "directory sync");
    assert.match(await page.textContent("main"), /臺南市政府 AD（示範，未連線）/);
    // A new target without its password and with a clear-text URL: each
    // field says what is wrong, and nothing is saved.
    await page.fill("#name", "測試目錄");
    await page.fill("#url", "ldap://127.0.0.1:389");
    await page.click('button:has-text("新增")');
    assert.match(await page.textContent("#url-err"), /StartTLS/);
    assert.match(await page.textContent("#bind_password-err"), /繫結密碼/);
    assert.equal(await page.inputValue("#name"), "測試目錄", "what was typed stays");
    await axe(page, "directory sync: a form with mistakes");
    // The demo's target: the connection test stops at the name lookup.
    await page.goto(`${base}/admin/directory`);
    await page.click('a:has-text("臺南市政府 AD（示範，未連線）")');
    await page.click('button:has-text("測試連線")');
    const steps = await page.textContent("#probe-steps");
    assert.match(steps, /主機名稱解析（DNS）/);
    assert.match(steps, /找不到主機 dc1\.tainan\.test/);
    await axe(page, "directory target: a failed connection test");
    await page.screenshot({ path: join(shots, "directory-target.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

// An active person of 民政局 no journey changes (the crowd shares the demo
// password): (login, name).
function civilPerson() {
  const out = execFileSync("python3", ["-c", "import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print('\\t'.join(c.execute(\"select a.login,a.name from accounts a join org_units u on u.id=a.unit_id join org_units g on g.id=u.agency_id where g.name='民政局' and a.state='active' and a.login glob '*[0-9][0-9][0-9][0-9][0-9]' order by a.id limit 1\").fetchone()))", join(data, "portico.db")]).toString().trim();
  return out.split("\t");
}

test("mail accounts: apply with 檢查, the agency admin approves, hand over, disable; the custodian guard", async () => {
  const [login, name] = civilPerson();
  const [ctx, page] = await fresh();
  try {
    // The signed-out page opens the mail system's sign-in in a new window.
    await page.goto(`${base}/login`);
    assert.equal(await page.getAttribute('a:has-text("機關及系統郵件帳號登入專區")', "target"), "_blank");
    await signIn(page, "clerk");
    await page.waitForURL(`${base}/`);
    // 線上申請作業 → 機關及資訊系統帳號申請: the 說明 of each type, 檢查.
    await page.click('nav.side a:has-text("機關及資訊系統帳號申請")');
    await axe(page, "mail account application");
    await page.check("#mb-kind-agency");
    await page.click("details.about summary >> nth=0");
    assert.match(await page.textContent("main"), /每一機關僅能有一個機關郵件帳號/);
    await page.fill("#mb-name", "民政局公文系統通知");
    await page.fill("#mb-local", "staff");
    await page.click('button:has-text("檢查")');
    assert.match(await page.textContent("#mb-local-err"), /此郵件帳號已被使用/);
    await page.fill("#mb-local", "civil-docs");
    await page.click('button:has-text("檢查")');
    assert.match(await page.textContent("#mb-local-ok"), /此帳號可以使用：civil-docs@mail\.tainan\.gov\.tw/);
    assert.equal(await page.inputValue("#mb-name"), "民政局公文系統通知", "what was typed stays");
    await page.fill("#mb-password", "Civil#Docs2026");
    await page.fill("#mb-confirm", "Civil#Docs2026");
    await page.fill("#mb-reason", "公文系統寄送待辦通知");
    // 民政局 has its agency mail account: the type is refused, in words.
    await page.click('button.primary:has-text("確定")');
    assert.match(await page.textContent("#mb-kind-err"), /您的機關已有機關郵件帳號/);
    await axe(page, "mail account application: refused");
    await page.check("#mb-kind-system");
    await page.fill("#mb-password", "Civil#Docs2026");
    await page.fill("#mb-confirm", "Civil#Docs2026");
    await page.click('button.primary:has-text("確定")');
    await page.waitForURL(/\/mailboxes\/\d+\?ok=applied/);
    assert.match(await page.textContent("main"), /審核中/);
    await axe(page, "mail account waiting");
  } finally {
    await ctx.close();
  }
  // 民政局's admin decides the demo's waiting application in 待簽核.
  const [ctx2, page2] = await fresh();
  try {
    page2.on("dialog", (d) => d.accept());
    await signIn(page2, "civil_admin");
    await page2.waitForURL(`${base}/`);
    await page2.goto(`${base}/admin/requests?kind=mailbox`);
    await axe(page2, "review queue: mail accounts");
    await page2.click('a:has-text("李淑芬")');
    assert.match(await page2.textContent("main"), /civil-library@mail\.tainan\.gov\.tw/);
    await axe(page2, "mail account request");
    await page2.click('button:has-text("通過")');
    await page2.waitForURL(/ok=approved/);
    // 郵件帳號管理: the agency's mail accounts; the clerk's one handed over.
    await page2.click('nav.side a[href="/admin/mailboxes"]');
    await axe(page2, "admin mail accounts");
    assert.match(await page2.textContent("main"), /civil-library@mail\.tainan\.gov\.tw/);
    await page2.click('tr:has-text("civil-attendance") a:has-text("編輯")');
    await axe(page2, "mail account edit");
    await page2.fill("#mb-who", name);
    await page2.click('button:has-text("搜尋")');
    await page2.check(`label:has-text("${name}（${login}")`);
    await page2.click('form[action$="/custodian"] button:has-text("確定")');
    await page2.waitForURL(/ok=custodian/);
    assert.match(await page2.textContent("main"), new RegExp(`陳文書（clerk）→ ${name}（${login}）`));
    await page2.screenshot({ path: join(shots, "mailbox-edit.png"), fullPage: true });
    await page2.click('nav.tabs a:has-text("帳號狀態")');
    await page2.click('summary:has-text("我要停用")');
    await page2.click('button:has-text("確定停用")');
    await page2.waitForURL(/ok=disabled/);
    assert.match(await page2.textContent("main"), /不允許登入/);
    await axe(page2, "mail account state");
    await page2.setViewportSize({ width: 390, height: 844 });
    await page2.screenshot({ path: join(shots, "mailbox-state-phone.png"), fullPage: true });
    await page2.setViewportSize({ width: 1280, height: 900 });
    // The clerk still keeps 民政局's agency mail account: not disabled.
    await page2.goto(`${base}/admin/accounts?login=clerk`);
    await page2.click('a:has-text("陳文書")');
    await page2.fill("#disable-reason", "退休");
    await page2.click('button:has-text("停用帳號")');
    assert.match(await page2.textContent("main"), /保管郵件帳號 civil-affairs@mail\.tainan\.gov\.tw/);
    await axe(page2, "custodian guard");
  } finally {
    await ctx2.close();
  }
  // The new custodian's own list: 詳細 for the agency's account kept by
  // the clerk, and the one they now keep.
  const [ctx3, page3] = await fresh();
  try {
    await signIn(page3, login);
    await page3.waitForURL(`${base}/`);
    await page3.click('nav.side a:has-text("我的機關及系統郵件帳號管理")');
    await axe(page3, "my mail accounts");
    await page3.click('tr:has-text("civil-affairs") summary:has-text("詳細")');
    assert.match(await page3.textContent('tr:has-text("civil-affairs")'), /陳文書/);
    await page3.click('nav.tabs a:has-text("系統郵件帳號")');
    assert.match(await page3.textContent("main"), /civil-attendance/);
    await page3.screenshot({ path: join(shots, "my-mailboxes.png"), fullPage: true });
    assert.equal(await page3.getAttribute('nav.side a:has-text("我的電子郵件")', "target"), "_blank");
  } finally {
    await ctx3.close();
  }
});

test("a phone-width screen keeps every control reachable", async () => {
  const ctx = await browser.newContext({ bypassCSP: true, locale: "zh-TW", viewport: { width: 375, height: 800 } });
  const page = await ctx.newPage();
  try {
    await signIn(page, "admin");
    await page.waitForURL(`${base}/`);
    // The page's own content comes first: the main menu waits behind its
    // button, and opens.
    assert.equal(await page.isVisible("#side-nav"), false, "the menu is folded away");
    await page.click(".menu-toggle");
    assert.equal(await page.getAttribute(".menu-toggle", "aria-expanded"), "true");
    assert.equal(await page.isVisible("#side-nav"), true);
    // The name menu opens inside the screen.
    await page.click(".name-menu summary");
    const panel = await page.locator(".menu-panel").boundingBox();
    assert.ok(panel.x >= 0 && panel.x + panel.width <= 375, `the name menu fits: ${JSON.stringify(panel)}`);
    await page.screenshot({ path: join(shots, "home-phone-menus.png") });
    await page.click(".name-menu summary");
    // Records read as cards, each value named.
    await page.goto(`${base}/records/sign-in`);
    const named = await page.evaluate(() => getComputedStyle(document.querySelector("table.records tbody td"), "::before").content);
    assert.match(named, /操作時間/);
    const head = await page.locator("table.records thead").boundingBox();
    assert.ok(head.height <= 1, "the header row gives way to names (kept for screen readers)");
    await axe(page, "records (phone)");
    await page.screenshot({ path: join(shots, "records-phone.png"), fullPage: true });
    await page.goto(`${base}/admin/org`);
    await axe(page, "org (phone)");
    await page.screenshot({ path: join(shots, "org-phone.png") });
    await page.goto(`${base}/admin/settings`);
    await axe(page, "settings");
    await page.goto(`${base}/admin/audit`);
    await axe(page, "audit");
  } finally {
    await ctx.close();
  }
});
