// Seed 004 §肆 三 and §伍 四 in Chromium (issue 17): 王小明 (`staff`) files
// an official document's topic with an attachment (the form refuses a
// nine-digit number first); a colleague finds it in 公文附件下載區 by
// agency, number and code; an agency outside the city, signed out, fetches
// it from /filedownload with the right code and is refused with a wrong
// one. axe-core checks every page, at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startDemo, launch, shots, axe, signedIn } from "./lib.mjs";

let demo, browser;

before(async () => {
  demo = await startDemo(300);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  demo?.stop();
});

const as = (login, viewport) => signedIn(browser, demo, login, viewport);

test("a document's attachment is filed, found inside, and fetched signed out with its code", async () => {
  const [ctx, page] = await as("staff");
  let code;
  try {
    await page.click('nav a[href="/documents/mine"]');
    await page.waitForURL(/\/documents\/mine$/);
    await axe(page, "my document attachments");
    await page.click('a:has-text("新增公文主題")');
    await page.waitForURL(/\/documents\/new$/);
    // The word the person used last, and a random four-digit code.
    assert.equal(await page.inputValue("#t-word"), "南市民");
    code = await page.inputValue("#t-code");
    assert.match(code, /^\d{4}$/);
    await page.fill("#t-number", "100001001");
    await page.click('button:has-text("確定發布")');
    await page.waitForSelector("#t-number-err:not(:empty)");
    assert.match(await page.textContent("#t-number-err"), /10 位數字/);
    await axe(page, "a topic with errors");
    await page.fill("#t-number", "1150009876");
    await page.fill("#t-summary", "115 年度防汛整備會議紀錄");
    await page.setInputFiles("#t-files", { name: "會議紀錄.csv", mimeType: "text/csv", buffer: Buffer.from("議題,決議\n抽水站,12 月底前完成檢修\n") });
    await page.click('button:has-text("確定發布")');
    await page.waitForURL(/\/documents\/\d+\/edit\?ok=filed/);
    assert.match(await page.textContent(".flash"), /識別碼/);
    // Published: the code can no longer be changed.
    assert.equal(await page.getAttribute("#t-code", "readonly"), "");
    assert.match(await page.textContent(".file-list"), /會議紀錄\.csv/);
    await axe(page, "a published topic");
    await page.screenshot({ path: join(shots, "document-topic.png"), fullPage: true });
  } finally {
    await ctx.close();
  }

  const [cctx, colleague] = await as("clerk");
  try {
    await colleague.click('nav a[href="/documents"]');
    await colleague.waitForURL(/\/documents$/);
    await axe(colleague, "the document download area");
    await colleague.selectOption("#f-agency", { label: "民政局" });
    await colleague.fill("#f-number", "1150009876");
    await colleague.fill("#f-code", code);
    await colleague.click('form.form-grid button:has-text("查詢")');
    await colleague.waitForSelector("#found-h");
    assert.match(await colleague.textContent("main"), /南市民字第1150009876號/);
    const [download] = await Promise.all([colleague.waitForEvent("download"), colleague.click('button:has-text("下載 會議紀錄.csv")')]);
    assert.equal(download.suggestedFilename(), "會議紀錄.csv");
  } finally {
    await cctx.close();
  }

  // Another agency, signed out.
  const outside = await browser.newContext({ locale: "zh-TW", acceptDownloads: true });
  try {
    const p = await outside.newPage();
    await p.goto(`${demo.base}/filedownload`);
    await axe(p, "the public download page");
    await p.fill("#p-word", "南市民");
    await p.fill("#p-number", "1150009876");
    await p.fill("#p-code", code === "0000" ? "0001" : "0000");
    await p.click('button:has-text("查詢")');
    await p.waitForSelector(".error-box");
    assert.match(await p.textContent(".error-box"), /查無符合的公文附件/);
    assert.equal(await p.inputValue("#p-code"), "", "a miss leaves no code on the page");
    await axe(p, "a public lookup refused");
    await p.fill("#p-code", code);
    await p.click('button:has-text("查詢")');
    await p.waitForSelector("#found-h");
    assert.match(await p.textContent("#found-h"), /南市民字第1150009876號/);
    await axe(p, "a public lookup found");
    await p.screenshot({ path: join(shots, "filedownload.png"), fullPage: true });
    const [download] = await Promise.all([p.waitForEvent("download"), p.click('button:has-text("下載 會議紀錄.csv")')]);
    assert.equal(download.suggestedFilename(), "會議紀錄.csv");
  } finally {
    await outside.close();
  }
});
