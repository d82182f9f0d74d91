// The portal's own content in Chromium (issue 17; seed 004 §壹 二 首頁橫幅,
// §伍 二 常見問題, §伍 六 外部連結, 表 2 訊息管理): the system admin adds a
// banner (refused without its text alternative), a notice for everyone
// that the sign-in page shows, a question the FAQ finds, and a link the
// application list offers; the home page shows them. axe-core checks every
// page, at desktop and phone width.
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

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

test("the system admin publishes a banner, a notice, a question and a link", async () => {
  const [ctx, page] = await as("admin");
  try {
    await page.click('nav a[href="/admin/banners"]');
    await page.waitForURL(/\/admin\/banners$/);
    await axe(page, "home banners");
    await page.fill("#b-title", "防災宣導");
    await page.setInputFiles("#b-image", { name: "防災.png", mimeType: "image/png", buffer: PNG });
    await page.click('form[enctype] button:has-text("儲存")');
    await page.waitForSelector("#b-alt-err:not(:empty)");
    assert.match(await page.textContent("#b-alt-err"), /請輸入替代文字/);
    await axe(page, "a banner with errors");
    await page.fill("#b-alt", "防災宣導：地震時趴下、掩護、穩住");
    await page.setInputFiles("#b-image", { name: "防災.png", mimeType: "image/png", buffer: PNG });
    await page.click('form[enctype] button:has-text("儲存")');
    await page.waitForURL(/ok=saved/);
    assert.match(await page.textContent("table"), /防災宣導/);

    await page.click('nav a[href="/admin/notices"]');
    await page.waitForURL(/\/admin\/notices$/);
    await axe(page, "notices");
    await page.fill("#n-title", "12 月 20 日起新版入口網上線");
    await page.fill("#n-body", "舊版網址將自動轉到新版。");
    await page.check('input[name="audience"][value="all"]');
    await page.click('form.form-grid button:has-text("儲存")');
    await page.waitForURL(/ok=saved/);

    await page.click('nav a[href="/admin/faq"]');
    await page.waitForURL(/\/admin\/faq$/);
    await axe(page, "the FAQ's console");
    await page.fill("#q-category", "公告與檔案");
    await page.fill("#q-question", "公告可以附加多少檔案？");
    await page.fill("#q-answer", "每則公告至多 10 個附件與 10 張圖片。");
    await page.click('form.form-grid button:has-text("儲存")');
    await page.waitForURL(/ok=saved/);

    await page.click('nav a[href="/admin/links"]');
    await page.waitForURL(/\/admin\/links$/);
    await axe(page, "home applications");
    await page.fill("#l-name", "差勤系統");
    await page.fill("#l-url", "javascript:alert(1)");
    await page.click('form.form-grid button:has-text("儲存")');
    await page.waitForSelector("#l-url-err:not(:empty)");
    assert.match(await page.textContent("#l-url-err"), /https:\/\//);
    await page.fill("#l-url", "https://attendance.example.tainan.gov.tw/");
    await page.fill("#l-icon", "🕘");
    await page.check('input[name="on_home"]');
    await page.click('form.form-grid button:has-text("儲存")');
    await page.waitForURL(/ok=saved/);
  } finally {
    await ctx.close();
  }

  // A visitor reads the notice on the sign-in page.
  const visitor = await browser.newContext({ locale: "zh-TW" });
  try {
    const p = await visitor.newPage();
    await p.goto(`${demo.base}/login`);
    assert.match(await p.textContent("main"), /12 月 20 日起新版入口網上線/);
    await axe(p, "the sign-in page with notices");
  } finally {
    await visitor.close();
  }

  const [sctx, staff] = await as("staff");
  try {
    assert.match(await staff.textContent("main"), /12 月 20 日起新版入口網上線/);
    // The banner carries its text alternative (no link: nothing more).
    assert.equal(await staff.getAttribute('.banners img[alt^="防災宣導"]', "alt"), "防災宣導：地震時趴下、掩護、穩住");
    assert.match(await staff.textContent(".tiles:last-of-type"), /差勤系統/);
    await axe(staff, "the home page");
    await staff.screenshot({ path: join(shots, "home-content.png"), fullPage: true });
    await staff.setViewportSize(PHONE);
    await staff.screenshot({ path: join(shots, "home-content-phone.png"), fullPage: true });
    await staff.setViewportSize({ width: 1280, height: 900 });
    await staff.click('nav a[href="/faq"]');
    await staff.waitForURL(/\/faq$/);
    await axe(staff, "the FAQ");
    await staff.fill("#faq-q", "附件");
    await staff.click('form[role="search"] button');
    await staff.waitForURL(/q=/);
    assert.match(await staff.textContent("main"), /公告可以附加多少檔案？/);
    assert.match(await staff.textContent("details.faq[open]"), /至多 10 個附件/);
    await staff.click('nav a[href="/links"]');
    await staff.waitForURL(/\/links$/);
    await axe(staff, "the application list");
    assert.match(await staff.textContent("main"), /薪資暨所得資料查詢系統/);
  } finally {
    await sctx.close();
  }
});
