// Seed 002 §六 (二) in Chromium (issue 15): 民政局's admin works through
// the access review the demo left half done — unused accounts first, a
// batch kept, a hand-on refused with why, one handed to a colleague — and
// reads the report back (xlsx headers, PDF through poppler); the system
// admin opens a city-wide review from the form, a bad deadline refused
// first. axe-core checks every page at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDemo, launch, shots, axe, fillSignIn, PHONE } from "./lib.mjs";

let demo, base, browser;

before(async () => {
  demo = await startDemo(300);
  base = demo.base;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  demo?.stop();
});

async function as(login, viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ locale: "zh-TW", viewport });
  const page = await ctx.newPage();
  await page.goto(`${base}/login`);
  await fillSignIn(page, demo.db, login);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  return [ctx, page];
}

test("民政局's admin works through the half-done review and reads its report", async () => {
  const [ctx, page] = await as("civil_admin");
  try {
    await page.click('nav a[href="/access-reviews"]');
    await page.waitForURL(/\/access-reviews$/);
    await axe(page, "access reviews");
    await page.screenshot({ path: join(shots, "access-reviews.png"), fullPage: true });
    await page.locator("tbody tr", { hasText: "民政局" }).first().locator("a").first().click();
    await page.waitForURL(/\/access-reviews\/\d+$/);
    const url = page.url();
    await axe(page, "access review");
    await page.screenshot({ path: join(shots, "access-review.png"), fullPage: true });
    const waiting = Number(await page.textContent("dl.grid dd:nth-of-type(5)"));
    assert.ok(waiting >= 2, `items wait for 林美玲: ${waiting}`);
    // Unused accounts are listed first.
    const rows = await page.$$eval("table.records tbody tr", (trs) => trs.map((t) => t.className));
    const firstUsed = rows.indexOf("");
    assert.ok(firstUsed === -1 || rows.slice(firstUsed).every((c) => c === ""), `unused first: ${rows}`);
    // Handing on to someone of another agency is refused, with why.
    const boxes = page.locator('input[name="items"]');
    await boxes.nth(0).check();
    await page.check("#d-hand");
    await page.fill("#d-to", "edu_admin");
    await page.click('fieldset.batch button[type="submit"]');
    await page.waitForSelector(".error-box");
    assert.match(await page.textContent(".error-box"), /只能轉交給也有權清查此項目的管理者/);
    await axe(page, "access review with a refusal");
    // An unknown login is a field error on the form.
    await page.goto(url);
    await boxes.nth(0).check();
    await page.check("#d-hand");
    await page.fill("#d-to", "nobody_here");
    await page.click('fieldset.batch button[type="submit"]');
    await page.waitForSelector("#d-to-err:not(:empty)");
    assert.match(await page.textContent("#d-to-err"), /找不到這個啟用中的帳號/);
    assert.equal(await page.getAttribute("#d-to", "aria-invalid"), "true");
    await axe(page, "access review with a field error");
    // Two kept in one go, with a note.
    await page.goto(url);
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.check("#d-keep");
    await page.fill("#d-note", "仍辦理本項業務");
    await page.click('fieldset.batch button[type="submit"]');
    await page.waitForURL(/ok=kept/);
    assert.match(await page.textContent(".flash"), /已保留 2 項權限/);
    const left = Number(await page.textContent("dl.grid dd:nth-of-type(5)"));
    assert.equal(left, waiting - 2);
    // The decided list shows who decided, and the note.
    await page.goto(`${url}?state=decided`);
    assert.match(await page.textContent("table.records"), /仍辦理本項業務/);
    assert.match(await page.textContent("table.records"), /林美玲/);
    await axe(page, "access review, decided");
    // The report: a spreadsheet and a PDF with Chinese text.
    const xlsx = await page.request.get(`${url}/report?format=xlsx`);
    assert.equal(xlsx.status(), 200);
    assert.match(xlsx.headers()["content-type"], /spreadsheetml/);
    const pdf = await page.request.get(`${url}/report?format=pdf`);
    assert.equal(pdf.headers()["content-type"], "application/pdf");
    const dir = mkdtempSync(join(tmpdir(), "portico-review-"));
    writeFileSync(join(dir, "r.pdf"), await pdf.body());
    const text = execFileSync("pdftotext", ["-layout", join(dir, "r.pdf"), "-"]).toString();
    assert.match(text, /權限清查/);
    assert.match(text, /仍辦理本項業務/);
    // At a phone's width the table reads as cards.
    await page.setViewportSize(PHONE);
    await page.goto(url);
    await axe(page, "access review (phone)");
    await page.screenshot({ path: join(shots, "access-review-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test("the system admin opens a review: a bad deadline and an overlapping scope refused first", async () => {
  const [ctx, page] = await as("admin");
  try {
    await page.goto(`${base}/access-reviews`);
    await page.fill("#cr-name", "臺南市 115 年下半年權限清查");
    await page.selectOption("#cr-kind", "city");
    await page.fill("#cr-dl", "2020-01-01");
    await page.click('button:has-text("開始清查")');
    await page.waitForSelector("#cr-dl-err:not(:empty)");
    assert.match(await page.textContent("#cr-dl-err"), /截止日期須在今天起 7 到 90 天之間（\d{4}-\d\d-\d\d 至/);
    assert.equal(await page.inputValue("#cr-name"), "臺南市 115 年下半年權限清查", "what was typed stays");
    await axe(page, "open a review, refused");
    // The city's would cover 民政局's people, whose review is still open.
    const later = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
    await page.fill("#cr-dl", later);
    await page.click('button:has-text("開始清查")');
    await page.waitForSelector("#cr-kind-err:not(:empty)");
    assert.match(await page.textContent("#cr-kind-err"), /仍在進行中/);
    // 教育局's stands beside it.
    await page.fill("#cr-name", "教育局 115 年下半年權限清查");
    await page.selectOption("#cr-kind", "agency");
    await page.selectOption("#cr-unit", { label: "教育局" });
    await page.fill("#cr-dl", later);
    await page.check("#cr-x-revoke");
    await page.click('button:has-text("開始清查")');
    await page.waitForURL(/\/access-reviews\/\d+\?ok=opened/);
    assert.match(await page.textContent(".flash"), /權限清查已開始/);
    assert.match(await page.textContent("main"), /機關：教育局/);
    await axe(page, "a city review");
    await page.setViewportSize(PHONE);
    await page.goto(`${base}/access-reviews`);
    await axe(page, "access reviews (phone)");
    await page.screenshot({ path: join(shots, "access-reviews-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});
