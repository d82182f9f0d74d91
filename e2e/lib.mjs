// What every end-to-end suite needs: a real `portico demo` on a free port,
// Debian's Chromium, axe-core with the WCAG 2.1 AA rules, and the demo's
// own database for reading a captcha or a mailed code as a person would
// read the picture or the mail (the shipped binary has no back door).
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..");
export const bin = process.env.PORTICO_BIN || join(root, "target", "debug", "portico");
export const shots = join(here, "artifacts");
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");
export const PASSWORD = "Portico#2026";

/// Starts `portico demo` with `accounts` accounts; resolves to its base URL
/// and data folder.
export async function startDemo(accounts = 600, listen = "127.0.0.1:0") {
  const data = mkdtempSync(join(tmpdir(), "portico-e2e-"));
  const server = spawn(bin, ["demo", "--listen", listen, "--data", data, "--accounts", String(accounts), "--card-agent", "127.0.0.1:0", "--mobile-id-sim", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  let buf = "";
  const base = await new Promise((resolve, reject) => {
    server.stdout.on("data", (d) => {
      buf += d;
      // The whole banner: the simulators' addresses come after the first line.
      const m = buf.match(/Portico listening on (http:\/\/\S+)[\s\S]*Passkeys need/);
      if (m) resolve(m[1]);
    });
    server.on("exit", (c) => reject(new Error(`portico exited ${c}`)));
  });
  return {
    base,
    data,
    /// What the demo printed (credentials, simulator addresses).
    banner: buf,
    db: join(data, "portico.db"),
    stop() {
      server.kill("SIGINT");
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export function sql(db, query, ...args) {
  return execFileSync("python3", ["-c", "import sqlite3,sys,json;r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2],sys.argv[3:]).fetchone();print(json.dumps(r))", db, query, ...args.map(String)]).toString().trim();
}

export function captchaAnswer(db, id) {
  return JSON.parse(sql(db, "select answer from captchas where id=?", id))[0];
}

/// axe-core's WCAG 2.1 AA rules on the page as it is, then again at a
/// phone's width (a table that scrolls sideways must be reachable by
/// keyboard there), and the viewport put back.
export async function axe(page, name) {
  // Evaluated through DevTools, so the page keeps its content security
  // policy (an injected script tag would need it bypassed).
  await page.evaluate(`${axeSource}\n;void 0`);
  const run = async (width) => {
    const r = await page.evaluate(async () => await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
    const v = r.violations.map((x) => `${x.id}: ${x.help} (${x.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
    assert.deepEqual(v, [], `axe on ${name} at ${width}`);
  };
  const size = page.viewportSize();
  await run(size ? `${size.width} px` : "its width");
  if (size && size.width > PHONE.width) {
    await page.setViewportSize(PHONE);
    try {
      await run(`${PHONE.width} px`);
    } finally {
      await page.setViewportSize(size);
    }
  }
}

/// A phone's viewport.
export const PHONE = { width: 390, height: 844 };

/// Fills and sends the portal's sign-in form on the current page. `db` is
/// the demo's SQLite file, or a function from a captcha id to its answer
/// (another database).
export async function fillSignIn(page, db, login, password = PASSWORD) {
  const id = await page.inputValue('input[name="captcha_id"]');
  await page.fill("#login", login);
  await page.fill("#password", password);
  await page.fill("#captcha", typeof db === "function" ? db(id) : captchaAnswer(db, id));
  await page.click('button[type="submit"].primary');
}

/// A new browser context signed in as `login` at `demo`, answering every
/// confirm() with OK: [context, page].
export async function signedIn(browser, demo, login, viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ locale: "zh-TW", viewport });
  const page = await ctx.newPage();
  page.on("dialog", (d) => d.accept());
  await page.goto(`${demo.base}/login`);
  await fillSignIn(page, demo.db, login);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  return [ctx, page];
}
