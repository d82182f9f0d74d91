// Seed 004 §捌 一 and §玖 六 in Chromium (issue 16): a person reports a
// fault with a photo, the vendor answers, the person returns it, the vendor
// answers again and the person rates it; the type's keeper reads the
// statistics chart and exports the period; an agency admin adds a type.
// axe-core checks every page, at desktop and phone width.
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

// A 1×1 PNG, as a phone's photo would be in miniature.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);
const FAULT = "三樓影印機卡紙，面板顯示 E-204";

async function vendorReplies(result) {
  const [ctx, page] = await as("vendor");
  try {
    await page.click('nav a[href="/repairs/work"]');
    await page.waitForURL(/\/repairs\/work$/);
    await axe(page, "repair work");
    await page.locator("tbody tr", { hasText: FAULT }).locator('a:has-text("回報處理狀況")').click();
    await page.waitForURL(/\/repairs\/\d+$/);
    await page.click('button:has-text("回報處理完成")');
    await page.waitForSelector("#rp-result-err:not(:empty)");
    assert.match(await page.textContent("#rp-result-err"), /請寫出處理結果/);
    assert.match(await page.textContent("#rp-category-err"), /請選擇分類/);
    await axe(page, "a reply with errors");
    await page.fill("#rp-result", result);
    await page.selectOption("#rp-category", "一般操作問題");
    await page.click('button:has-text("回報處理完成")');
    await page.waitForURL(/ok=replied/);
    assert.match(await page.textContent(".steps"), new RegExp(result));
  } finally {
    await ctx.close();
  }
}

test("a fault is reported with a photo, answered, returned, answered and rated", async () => {
  const [ctx, page] = await as("staff");
  try {
    await page.click('nav a[href="/repairs"]');
    await page.waitForURL(/\/repairs$/);
    await axe(page, "repair types to report on");
    await page.locator("tbody tr", { hasText: "公文管理系統維修" }).locator('a:has-text("詳細")').click();
    await page.waitForURL(/\/repairs\/types\/\d+$/);
    await axe(page, "a repair type");
    await page.click('a:has-text("新增報修")');
    await page.waitForURL(/\/new$/);
    await page.click('button:has-text("送出")');
    await page.waitForSelector("#r-location-err:not(:empty)");
    assert.match(await page.textContent("#r-fault-err"), /請寫出故障原因/);
    await axe(page, "a report with errors");
    await page.selectOption("#r-location", "永華市政中心");
    // Only the chosen place's floors are offered.
    assert.equal(await page.locator('#r-floor optgroup[data-place="府外公文用"]').isHidden(), true);
    await page.selectOption("#r-floor", { label: "永華市政中心 3 樓" });
    await page.fill("#r-fault", FAULT);
    await page.fill("#r-phone", "06-2991111");
    await page.fill("#r-ext", "8123");
    await page.setInputFiles("#r-photos", { name: "printer.png", mimeType: "image/png", buffer: PNG });
    await page.screenshot({ path: join(shots, "repair-new.png"), fullPage: true });
    await page.click('button:has-text("送出")');
    await page.waitForURL(/\/repairs\/\d+\?ok=reported/);
    assert.match(await page.textContent(".flash"), /報修已送出/);
    const photo = await page.locator(".photos img").evaluate((i) => i.naturalWidth);
    assert.equal(photo, 1);
    await axe(page, "a report just made");
  } finally {
    await ctx.close();
  }
  await vendorReplies("已清除卡紙並更換滾輪");
  const [rctx, reporter] = await as("staff");
  try {
    await reporter.click('nav a[href="/repairs"]');
    await reporter.click('nav.tabs a:has-text("我的維修")');
    await reporter.waitForURL(/\/repairs\/mine$/);
    await axe(reporter, "my repairs");
    await reporter.locator("tbody tr", { hasText: FAULT }).locator('a:has-text("評分或退回")').click();
    await reporter.click('button:has-text("退回")');
    await reporter.waitForSelector("#rb-reason-err:not(:empty)");
    assert.match(await reporter.textContent("#rb-reason-err"), /退回原因/);
    await reporter.fill("#rb-reason", "仍然卡紙");
    await reporter.click('section[aria-labelledby="rb-h"] button:has-text("退回")');
    await reporter.waitForURL(/ok=returned/);
    assert.match(await reporter.textContent("main"), /退回 1 次/);
  } finally {
    await rctx.close();
  }
  await vendorReplies("已更換進紙器");
  const [pctx, phone] = await as("staff", PHONE);
  try {
    await phone.goto(`${demo.base}/repairs/mine`);
    await phone.locator("tbody tr", { hasText: FAULT }).locator('a:has-text("評分或退回")').click();
    await phone.check("#rt-4");
    await phone.fill("#rt-note", "第二次就修好了");
    await phone.click('button:has-text("確認")');
    await phone.waitForURL(/ok=rated/);
    assert.match(await phone.textContent(".steps"), /4 分（滿分 5 分），備註：第二次就修好了/);
    assert.match(await phone.textContent("main"), /已評分/);
    await axe(phone, "a rated report at phone width");
    await phone.screenshot({ path: join(shots, "repair-rated-phone.png"), fullPage: true });
  } finally {
    await pctx.close();
  }
});

test("the type's keeper reads the statistics chart and exports the period", async () => {
  const [ctx, page] = await as("admin");
  try {
    await page.click('nav a[href="/items/repairs"]');
    await page.waitForURL(/\/items\/repairs$/);
    await axe(page, "repair types I keep");
    await page.locator("tbody tr", { hasText: "公文管理系統維修" }).locator('a:has-text("處理狀況")').click();
    await page.waitForURL(/\/status$/);
    const chart = page.locator('#per-h ~ .chart-box svg[role="img"]');
    assert.equal(await chart.locator("title").first().textContent(), "報修案量及處理狀況");
    assert.ok((await chart.locator("rect").count()) > 3, "the chart draws bars");
    assert.match(await page.textContent('section[aria-labelledby="unit-h"]'), /民政局/);
    await axe(page, "a repair type's statistics");
    await page.screenshot({ path: join(shots, "repair-status.png"), fullPage: true });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click('a:has-text("Excel (xlsx)")'),
    ]);
    assert.match(download.suggestedFilename(), /^報修處理狀況-公文管理系統維修-.*\.xlsx$/);
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "repair-status-phone.png"), fullPage: true });
    await axe(page, "a repair type's statistics at phone width");
  } finally {
    await ctx.close();
  }
});

test("an agency admin adds a repair type with its places and staff", async () => {
  const [ctx, page] = await as("civil_admin");
  try {
    await page.click('nav a[href="/items/repairs"]');
    await page.click('a:has-text("新增報修類型")');
    await page.waitForURL(/\/items\/repairs\/new$/);
    await page.fill("#v-name", "公務電話故障");
    await page.fill("#v-places", "永華市政中心");
    await page.fill("#v-staff", "vendor, nobody_here");
    await page.fill("#v-custodian", "clerk");
    await page.click('button:has-text("儲存")');
    await page.waitForSelector("#v-places-err:not(:empty)");
    assert.match(await page.textContent("#v-places-err"), /缺少樓層/);
    assert.match(await page.textContent("#v-staff-err"), /nobody_here/);
    await axe(page, "a repair type with errors");
    await page.fill("#v-places", "永華市政中心：1-12\n民治市政中心：B1, 1-5");
    await page.fill("#v-categories", "話機\n線路");
    await page.fill("#v-staff", "vendor");
    await page.click('button:has-text("儲存")');
    await page.waitForURL(/\/items\/repairs\/\d+\?ok=created/);
    assert.match(await page.textContent(".flash"), /報修類型已新增/);
    assert.equal(await page.inputValue("#v-places"), "永華市政中心：1-12\n民治市政中心：B1, 1-5");
    await axe(page, "a kept repair type");
    await page.screenshot({ path: join(shots, "repair-type.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});
