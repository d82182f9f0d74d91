// Seed 002 §七 in Chromium (issue 15): a unit admin finishes the quarter's
// unit audit the demo left half done (the rest marked 正常 in one go, the
// sign-off, the record 附件二 as PDF read back by poppler); the agency
// admin audits the half year (附件三), records it sent on, and closes the
// finding the unit audit opened. axe-core checks every page at desktop and
// phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDemo, launch, shots, axe, PHONE, signedIn } from "./lib.mjs";

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

const as = (login, viewport) => signedIn(browser, demo, login, viewport);

async function pdfText(page, href) {
  const r = await page.request.get(base + href);
  assert.equal(r.headers()["content-type"], "application/pdf");
  const dir = mkdtempSync(join(tmpdir(), "portico-rec-"));
  const file = join(dir, "r.pdf");
  writeFileSync(file, await r.body());
  return execFileSync("pdftotext", ["-layout", file, "-"]).toString();
}

test("a unit admin finishes the quarter's audit and prints 附件二", async () => {
  const [ctx, page] = await as("unit_admin");
  try {
    await page.click('nav a[href="/inspections"]');
    await page.waitForURL(/\/inspections$/);
    await axe(page, "inspections");
    await page.screenshot({ path: join(shots, "inspections-list.png"), fullPage: true });
    // The open quarter: the first row that is 稽核中.
    const row = page.locator("tbody tr", { hasText: "稽核中" }).first();
    await row.locator("a").first().click();
    await page.waitForURL(/\/inspections\/\d+$/);
    await axe(page, "inspection");
    // An 異常 without a note is refused, and nothing is saved.
    const id = await page.evaluate(() => [...document.querySelectorAll('select[name="mark"]')].find((x) => x.value === "")?.id);
    assert.ok(id, "an unmarked record");
    await page.selectOption(`#${id}`, "abnormal");
    await page.click('button:has-text("儲存標記")');
    await page.waitForSelector(".error-box");
    assert.match(await page.textContent(".error-box"), /請說明異常的情形/);
    await axe(page, "inspection with an error");
    // Back to 未標記, then the rest marked normal in one go.
    await page.selectOption(`#${id}`, "");
    await page.click('button:has-text("其餘未標記者皆標為正常並儲存")');
    await page.waitForURL(/ok=marked/);
    assert.match(await page.textContent(".flash"), /標記已儲存/);
    await page.click('a:has-text("重新抽樣驗證")');
    await page.waitForURL(/redraw=1/);
    assert.match(await page.textContent("main"), /結果與原樣本相同/);
    await page.fill("#sg-c", "抽查紀錄均有公文號可稽，其中一筆異常已通報。");
    await page.click('button:has-text("簽核完成")');
    await page.waitForURL(/ok=signed/);
    assert.match(await page.textContent("main"), /已完成/);
    await page.screenshot({ path: join(shots, "inspection-signed.png"), fullPage: true });
    const href = await page.getAttribute('a:has-text("稽核紀錄表 PDF")', "href");
    const text = await pdfText(page, href);
    assert.match(text, /單位使用紀錄稽核紀錄表（附件二）/);
    assert.match(text, /簽核完成/);
    assert.match(text, /異常 1 筆/);
    // At a phone's width the page still reads.
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "inspection-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test("the agency admin audits the half year, sends it on and closes the finding", async () => {
  const [ctx, page] = await as("civil_admin");
  try {
    await page.goto(`${base}/inspections?kind=agency`);
    await axe(page, "inspections (agency)");
    await page.locator("tbody tr", { hasText: "機關稽核" }).first().locator("a").first().click();
    await page.waitForURL(/\/inspections\/\d+$/);
    assert.match(await page.textContent("main"), /ethics\.civil@mail\.tainan\.gov\.tw/);
    await page.click('button:has-text("其餘未標記者皆標為正常並儲存")');
    await page.waitForURL(/ok=marked/);
    await page.click('button:has-text("簽核完成")');
    await page.waitForURL(/ok=signed/);
    await page.click('button:has-text("登記已函送")');
    await page.waitForURL(/ok=sent/);
    assert.match(await page.textContent("main"), /已函送/);
    await axe(page, "agency inspection");
    const text = await pdfText(page, await page.getAttribute('a:has-text("稽核紀錄表 PDF")', "href"));
    assert.match(text, /機關使用紀錄稽核紀錄表（附件三）/);
    assert.match(text, /機關首長核定/);
    // The finding the unit audit opened.
    await page.goto(`${base}/inspections/findings`);
    await axe(page, "findings");
    await page.screenshot({ path: join(shots, "findings.png"), fullPage: true });
    const form = page.locator("tbody form").first();
    await form.locator('input[name="close_note"]').fill("已提報機關首長議處並通報政風單位");
    await form.locator("button").click();
    await page.waitForURL(/ok=closed/);
    assert.match(await page.textContent(".flash"), /異常事項已結案/);
  } finally {
    await ctx.close();
  }
});
