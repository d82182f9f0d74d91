// The home page in Chromium (issue 17; seed 004 第三節 壹 一 訊息介接,
// 三 各項公告, 貳 二 自訂儀表板編輯): a person sees what the city's other
// systems hold for them (the demo's simulator of 公文, 陳情, 差勤, 刷卡 and
// the city website's feeds); with the petition system down, its block
// alone says 暫時無法取得; the 3×3 dashboard is rearranged by keyboard,
// a block hidden, and the default restored. axe-core checks every page at
// desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startDemo, launch, shots, axe, PHONE, signedIn } from "./lib.mjs";

let demo, browser, sim;

before(async () => {
  demo = await startDemo(300);
  sim = demo.banner.match(/a simulator at (http:\/\/\S+?);/)[1];
  browser = await launch();
});

after(async () => {
  await browser?.close();
  demo?.stop();
});

const as = (login, viewport) => signedIn(browser, demo, login, viewport);
const card = (page, key) => page.locator(`.office-card[data-office="${key}"]`);

test("訊息介接: the person's documents, petitions, attendance, punches and the city's feeds", async () => {
  const [ctx, page] = await as("staff");
  try {
    await page.waitForSelector('.office-card[data-office="documents"] dl');
    for (const [key, words] of [
      ["documents", /待辦[\s\S]*逾期/],
      ["petitions", /待辦[\s\S]*逾期/],
      ["attendance", /待簽[\s\S]*送審[\s\S]*代理[\s\S]*異常/],
      ["punches", /本日刷卡/],
    ]) {
      await page.waitForSelector(`.office-card[data-office="${key}"][data-state="ready"]`);
      assert.match(await card(page, key).textContent(), words, key);
    }
    await page.waitForSelector(".feed li a");
    assert.match(await page.textContent("#home-feeds + .feeds"), /市府新聞[\s\S]*機關新聞[\s\S]*熱門活動[\s\S]*市府公告/);
    await page.screenshot({ path: join(shots, "home-office.png"), fullPage: true });
    await axe(page, "the home page with 訊息介接");
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "home-office-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test("one system down: its block says 暫時無法取得 and the others still show", async () => {
  const down = await fetch(`${sim}/sim/petitions/down`, { method: "POST" });
  assert.equal(down.status, 204);
  // Someone who has not opened the home page yet: nothing cached for them.
  const [ctx, page] = await as("stat_mgr");
  try {
    await page.waitForSelector('.office-card[data-office="petitions"][data-state="unavailable"]');
    assert.match(await card(page, "petitions").textContent(), /暫時無法取得/);
    await page.waitForSelector('.office-card[data-office="documents"][data-state="ready"]');
    assert.match(await card(page, "attendance").textContent(), /待簽/);
    await page.screenshot({ path: join(shots, "home-one-down.png"), fullPage: true });
    await axe(page, "the home page with one system down");
    // Back up: 重試 asks it again at once.
    await fetch(`${sim}/sim/petitions/up`, { method: "POST" });
    await card(page, "petitions").locator('button:has-text("重試")').click();
    await page.waitForSelector('.office-card[data-office="petitions"][data-state="ready"]');
    assert.match(await card(page, "petitions").textContent(), /待辦/);
  } finally {
    await fetch(`${sim}/sim/petitions/up`, { method: "POST" });
    await ctx.close();
  }
});

test("the 3×3 dashboard rearranged by keyboard, a block hidden, the default restored", async () => {
  const [ctx, page] = await as("staff");
  try {
    await page.click('a[href="/account/layout"]');
    await page.click('nav.tabs a[href="/account/layout?mode=grid"]');
    await page.waitForSelector('.layout-grid .layout-handle:not([hidden])');
    await axe(page, "the layout editor (grid)");
    const keys = async () => page.$$eval(".layout-item", (xs) => xs.map((x) => x.getAttribute("data-key")));
    assert.deepEqual((await keys()).slice(0, 3), ["mail", "documents", "petitions"]);
    // 公文系統 one cell right, then one row down: by the keyboard alone.
    await page.focus('.layout-item[data-key="documents"] .layout-handle');
    await page.keyboard.press("ArrowRight");
    assert.deepEqual((await keys()).slice(0, 3), ["mail", "petitions", "documents"]);
    await page.keyboard.press("ArrowDown");
    assert.equal((await keys())[5], "documents");
    assert.match(await page.textContent("#layout-said"), /公文系統 移至第 2 列第 3 欄/);
    assert.equal(await page.evaluate(() => document.activeElement.closest(".layout-item").dataset.key), "documents");
    // A phone's way: a place chosen in a block's select swaps it there.
    await page.selectOption('select[name="pos.apps"]', "1");
    assert.deepEqual((await keys())[0], "apps");
    await page.selectOption('select[name="pos.apps"]', "9");
    assert.deepEqual((await keys())[0], "mail");
    await page.uncheck('.layout-item[data-key="attendance"] input[type="checkbox"]');
    await page.screenshot({ path: join(shots, "home-layout-grid.png"), fullPage: true });
    await page.click('form.layout-form button[type="submit"]');
    await page.waitForURL(/ok=layout/);
    assert.match(await page.textContent(".flash"), /排版已儲存/);
    await page.waitForSelector(".home-grid");
    const cells = await page.$$eval(".home-grid > .home-cell", (xs) =>
      xs.map((x) => x.querySelector("[data-office]")?.getAttribute("data-office") ?? (x.classList.contains("empty") ? "-" : "other")),
    );
    // The demo has no mail server: the mail cell stays empty, as does the
    // hidden 差勤's; 公文 is in the sixth cell.
    assert.deepEqual(cells.slice(0, 6), ["-", "petitions", "other", "-", "punches", "documents"]);
    assert.equal(await card(page, "attendance").count(), 0);
    await page.screenshot({ path: join(shots, "home-grid.png"), fullPage: true });
    await axe(page, "the home page as a 3×3 dashboard");

    await page.goto(`${demo.base}/account/layout?mode=grid`);
    await page.click('button:has-text("恢復預設排版")');
    await page.waitForURL(/ok=layout-reset/);
    assert.deepEqual((await keys()).slice(0, 3), ["mail", "documents", "petitions"]);
    assert.ok(await page.isChecked('.layout-item[data-key="attendance"] input[type="checkbox"]'));
    await page.goto(`${demo.base}/`);
    await page.waitForSelector('.home-grid .office-card[data-office="attendance"]');
  } finally {
    await ctx.close();
  }
});

test("經典款: a block hidden by its tick, and two blocks in one place refused with a message", async () => {
  const [ctx, page] = await as("staff", PHONE);
  try {
    await page.goto(`${demo.base}/account/layout?mode=classic`);
    await page.uncheck('.layout-item[data-key="punches"] input[type="checkbox"]');
    // Two blocks given one place through the selects (a browser without
    // the script): refused, nothing saved.
    await page.evaluate(() => {
      document.querySelectorAll(".layout-pos").forEach((l) => l.classList.remove("sr-only"));
      document.querySelector('select[name="pos.documents"]').value = "1";
    });
    await page.click('form.layout-form button[type="submit"]');
    await page.waitForSelector("#layout-error");
    assert.match(await page.textContent("#layout-error"), /不能放在同一個位置/);
    await axe(page, "the layout editor with an error");
    await page.goto(`${demo.base}/account/layout?mode=classic`);
    await page.uncheck('.layout-item[data-key="punches"] input[type="checkbox"]');
    await page.click('form.layout-form button[type="submit"]');
    await page.waitForURL(/ok=layout/);
    await page.waitForSelector(".home-classic");
    assert.equal(await card(page, "punches").count(), 0);
    assert.equal(await card(page, "documents").count(), 1);
    await page.screenshot({ path: join(shots, "home-classic-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});
