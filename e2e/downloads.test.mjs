// 檔案下載區 in Chromium (issue 17; seed 004 §伍 三): 王小明 shares a file
// with his agency (refused first without its 使用說明), a colleague of
// another agency does not find it, the advanced search finds it for his
// own, he marks it 保留 and deletes it. axe-core checks every page, at
// desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startDemo, launch, shots, axe, PHONE, signedIn } from "./lib.mjs";

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
const CSV = Buffer.from("項目,金額\n交通費,1200\n");

test("share with the agency, unseen by another, found by the advanced search, kept, deleted", async () => {
  const [ctx, page] = await as("staff");
  try {
    await page.click('nav a[href="/downloads"]');
    await page.waitForURL(/\/downloads$/);
    await axe(page, "檔案下載區 (全府檔案)");
    await page.click('a:has-text("新增檔案")');
    await page.selectOption("#d-category", "forms");
    await page.check('input[name="scope"][value="agency"]');
    await page.setInputFiles("#d-files", { name: "出差報支單.csv", mimeType: "text/csv", buffer: CSV });
    await page.click('form[enctype] button[type="submit"]');
    await page.waitForSelector("#d-description-err:not(:empty)");
    assert.match(await page.textContent("#d-description-err"), /請填寫使用說明/);
    await axe(page, "新增檔案 with an error");
    await page.fill("#d-description", "民政局出差旅費報支單（E2E 範本）");
    await page.setInputFiles("#d-files", { name: "出差報支單.csv", mimeType: "text/csv", buffer: CSV });
    await page.click('form[enctype] button[type="submit"]');
    await page.waitForURL(/\/downloads\/\d+\?ok=shared/);
    assert.match(await page.textContent(".flash"), /檔案上傳成功/);
    assert.match(await page.textContent("dl.facts"), /本機關/);
    await axe(page, "the file's detail");
    const id = page.url().match(/downloads\/(\d+)/)[1];
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click('a[download]:has-text("出差報支單.csv")')]);
    assert.equal(dl.suggestedFilename(), "出差報支單.csv");

    // 本機關檔案 with the advanced search.
    await page.goto(`${demo.base}/downloads?tab=agency`);
    await page.click("details.advanced summary");
    await page.selectOption("#f-category", "forms");
    await page.fill("#f-q", "E2E");
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/category=forms/);
    assert.match(await page.textContent("table.records tbody"), /E2E 範本/);
    await page.screenshot({ path: join(shots, "downloads-search.png"), fullPage: true });

    // 我的檔案: 保留, then 刪除 (the confirmation is accepted).
    await page.click('nav.tabs a[href="/downloads?tab=mine"]');
    assert.equal(await page.locator(`#d-${id} .keep-state`).getAttribute("data-keep"), "false");
    await page.locator(`#d-${id} .keep-form button`).click();
    await page.waitForURL(/ok=kept/);
    assert.equal(await page.locator(`#d-${id} .keep-state`).getAttribute("data-keep"), "true");
    assert.match(await page.textContent(`#d-${id} .keep-form`), /已保留[\s\S]*取消保留/);
    await axe(page, "我的檔案");
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "downloads-mine-phone.png"), fullPage: true });

    // Another agency's person finds nothing of it.
    const [ctx2, other] = await as("edu_admin");
    try {
      await other.goto(`${demo.base}/downloads?tab=city&q=E2E`);
      assert.doesNotMatch(await other.textContent("table.records tbody"), /E2E 範本/);
      const r = await other.goto(`${demo.base}/downloads/${id}`);
      assert.equal(r.status(), 404);
    } finally {
      await ctx2.close();
    }

    await page.goto(`${demo.base}/downloads/${id}`);
    await page.click('button:has-text("刪除")');
    await page.waitForURL(/ok=deleted/);
    assert.doesNotMatch(await page.textContent("table.records tbody"), /E2E 範本/);
  } finally {
    await ctx.close();
  }
});
