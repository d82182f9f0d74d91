// Browser journeys in Debian's Chromium against a real `portico demo`.
// Each page a journey visits is checked with axe-core (WCAG 2.1 AA).
// The captcha answer is read from the demo's own database, as a person
// would read the picture: the shipped binary has no back door.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.PORTICO_BIN || join(here, "..", "target", "debug", "portico");
const shots = join(here, "artifacts");
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");
const PASSWORD = "Portico#2026";

let server, base, data, browser;

before(async () => {
  data = mkdtempSync(join(tmpdir(), "portico-e2e-"));
  server = spawn(bin, ["demo", "--listen", "127.0.0.1:0", "--data", data, "--accounts", "600"], { stdio: ["ignore", "pipe", "inherit"] });
  base = await new Promise((resolve, reject) => {
    let buf = "";
    server.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/Portico listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server.on("exit", (c) => reject(new Error(`portico exited ${c}`)));
  });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGINT");
  if (data) rmSync(data, { recursive: true, force: true });
});

function captchaAnswer(id) {
  return execFileSync("python3", ["-c", "import sqlite3,sys;print(sqlite3.connect(sys.argv[1]).execute('select answer from captchas where id=?',(sys.argv[2],)).fetchone()[0])", join(data, "portico.db"), id]).toString().trim();
}

async function axe(page, name) {
  await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate(async () => await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  const v = r.violations.map((x) => `${x.id}: ${x.help} (${x.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  assert.deepEqual(v, [], `axe on ${name}`);
}

async function signIn(page, login, password = PASSWORD) {
  await page.goto(`${base}/login`);
  const id = await page.inputValue('input[name="captcha_id"]');
  await page.fill("#login", login);
  await page.fill("#password", password);
  await page.fill("#captcha", captchaAnswer(id));
  await page.click('button[type="submit"].primary');
}

async function fresh() {
  const ctx = await browser.newContext({ bypassCSP: true, locale: "zh-TW", viewport: { width: 1280, height: 900 } });
  return [ctx, await ctx.newPage()];
}

test("sign-in with captcha, the shell, language and theme", async () => {
  const [ctx, page] = await fresh();
  try {
    await page.goto(`${base}/`);
    await axe(page, "login");
    await page.screenshot({ path: join(shots, "login.png"), fullPage: true });
    await signIn(page, "staff");
    await page.waitForURL(`${base}/`);
    assert.match(await page.textContent("body"), /王小明/);
    assert.match(await page.textContent("header"), /後回登入頁/);
    await axe(page, "home");
    await page.screenshot({ path: join(shots, "home.png"), fullPage: true });
    for (const path of ["/account", "/records/sign-in", "/records/usage"]) {
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
    await page.waitForLoadState();
    assert.equal(await page.getAttribute("html", "lang"), "en");

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

test("a phone-width screen keeps every control reachable", async () => {
  const ctx = await browser.newContext({ bypassCSP: true, locale: "zh-TW", viewport: { width: 375, height: 800 } });
  const page = await ctx.newPage();
  try {
    await signIn(page, "admin");
    await page.waitForURL(`${base}/`);
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
