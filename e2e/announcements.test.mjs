// Seed 004 §肆 二 and §伍 一 in Chromium (issue 17): 王小明 (`staff`, 民政局)
// schedules an announcement for 本機關 a minute ahead; it waits in his
// 預約發布 tab, then appears in 公告專區 at its time for his colleague and
// never for 教育局; the colleague comments, the author replies; a post with
// markup and an attachment comes out cleaned; a scheduled time in the past
// is told. axe-core checks every page, at desktop and phone width.
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

/// A Taipei time as a datetime-local input takes it.
function taipei(ms) {
  const t = new Date(ms + 8 * 3600 * 1000).toISOString();
  return t.slice(0, 16);
}

const TITLE = "民政局 12 月份公文研習通知";

test("a scheduled post appears at its time for its agency only, and is discussed", async () => {
  const [ctx, page] = await as("staff");
  try {
    await page.click('nav a[href="/announcements/mine"]');
    await page.waitForURL(/\/announcements\/mine$/);
    await axe(page, "my announcements");
    await page.click('a:has-text("發布新公告")');
    await page.waitForURL(/\/announcements\/new$/);
    // Nothing filled: every fault at once.
    await page.check('input[name="release"][value="at"]');
    await page.click('button[data-submit]');
    await page.waitForSelector("#a-title-err:not(:empty)");
    assert.match(await page.textContent("#a-title-err"), /請輸入公告標題/);
    assert.match(await page.textContent("#a-body-err"), /請輸入公告內容/);
    assert.match(await page.textContent("#a-release-err"), /請輸入預約發布時間/);
    await axe(page, "a post with errors");
    // A time already past is told as such.
    await page.fill("#a-title", TITLE);
    await page.locator(".rte-area").click();
    await page.keyboard.type("研習訂於下週三下午舉行，請準時出席。");
    await page.check('input[name="reach"][value="agency"]');
    await page.fill("#a-at", taipei(Date.now() - 3600 * 1000));
    await page.click('button[data-submit]');
    await page.waitForSelector("#a-release-err:not(:empty)");
    assert.match(await page.textContent("#a-release-err"), /已經過了/);
    // The editor kept what was typed.
    assert.match(await page.textContent(".rte-area"), /研習訂於下週三/);
    // The next whole minute at least 20 seconds away.
    const now = Date.now();
    let at = Math.ceil(now / 60000) * 60000;
    if (at - now < 20000) at += 60000;
    await page.fill("#a-at", taipei(at));
    await page.screenshot({ path: join(shots, "announcement-new.png"), fullPage: true });
    await page.click('button[data-submit]');
    await page.waitForURL(/\/announcements\/\d+\?ok=scheduled/);
    const url = page.url().replace(/\?.*$/, "");
    assert.match(await page.textContent(".post-meta"), /預約發布/);
    await axe(page, "a scheduled post");
    await page.goto(`${demo.base}/announcements/mine?status=scheduled`);
    assert.match(await page.textContent("tbody"), new RegExp(TITLE));
    await page.goto(`${demo.base}/announcements/mine?status=published`);
    assert.doesNotMatch(await page.textContent("tbody"), new RegExp(TITLE));

    // Before its time, a colleague of the same agency does not see it.
    const [cctx, colleague] = await as("clerk");
    const [ectx, edu] = await as("edu_admin");
    try {
      await colleague.goto(`${demo.base}/announcements`);
      assert.doesNotMatch(await colleague.textContent(".posts"), new RegExp(TITLE));
      assert.equal((await colleague.goto(url)).status(), 404);
      // At its time it appears: the page is read again until it does.
      const deadline = at + 30000;
      let seen = false;
      while (!seen && Date.now() < deadline) {
        await colleague.goto(`${demo.base}/announcements`);
        seen = (await colleague.textContent(".posts")).includes(TITLE);
        if (!seen) await colleague.waitForTimeout(1000);
      }
      assert.ok(seen, "the post appears at its time");
      assert.ok(Date.now() >= at - 1000, "not before its time");
      await axe(colleague, "the announcements");
      // 教育局 never sees a 民政局 本機關 post.
      await edu.goto(`${demo.base}/announcements?q=${encodeURIComponent("公文研習")}`);
      assert.doesNotMatch(await edu.textContent(".posts"), new RegExp(TITLE));
      assert.equal((await edu.goto(url)).status(), 404);

      // The colleague searches, opens it and comments.
      await colleague.fill("#a-q", "公文研習");
      await colleague.check('input[name="reach"][value="agency"]');
      await colleague.click('form.filters button:has-text("查詢")');
      await colleague.locator(".posts a", { hasText: TITLE }).click();
      await colleague.waitForURL(/\/announcements\/\d+$/);
      assert.match(await colleague.textContent(".post-meta"), /點閱數 1/);
      await colleague.click('button:has-text("確定留言")');
      await colleague.waitForSelector("#comment-err:not(:empty)");
      assert.match(await colleague.textContent("#comment-err"), /請輸入留言內容/);
      await colleague.fill("#comment-text", "請問研習可以線上參加嗎？<script>alert(1)</script>");
      await colleague.click('button:has-text("確定留言")');
      await colleague.waitForURL(/ok=commented/);
      const comments = await colleague.textContent(".comment-list");
      assert.match(comments, /請問研習可以線上參加嗎？/);
      assert.doesNotMatch(comments, /script/);
      await axe(colleague, "a post with a comment");
    } finally {
      await cctx.close();
      await ectx.close();
    }

    // The author replies.
    await page.goto(url);
    await page.click('summary:has-text("回覆")');
    await page.fill('textarea[name="text"][id^="reply-"]', "可以，會後提供錄影連結。");
    await page.click('.reply-box button:has-text("確定")');
    await page.waitForURL(/ok=replied/);
    assert.match(await page.textContent(".comment-reply"), /會後提供錄影連結/);
    await page.screenshot({ path: join(shots, "announcement-post.png"), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "announcement-post-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test("markup is cleaned, an attachment is kept and downloaded, and the post is taken down", async () => {
  const [ctx, page] = await as("staff");
  try {
    await page.goto(`${demo.base}/announcements/new`);
    await page.fill("#a-title", "<b>辦公室</b>消毒通知");
    // Markup no editor button makes, as a pasted page would bring it.
    await page.evaluate(() => {
      document.querySelector(".rte-area").innerHTML =
        '<p onclick="x()">週五下午消毒<img src=x></p><a href="javascript:void(0)">詳情</a><iframe src="about:blank"></iframe>';
    });
    await page.check('input[name="reach"][value="city"]');
    await page.check('input[name="release"][value="now"]');
    await page.setInputFiles("#a-attachments", { name: "消毒區域.csv", mimeType: "text/csv", buffer: Buffer.from("樓層,時間\n3F,14:00\n") });
    await page.click('button[data-submit]');
    await page.waitForURL(/ok=posted/);
    assert.equal(await page.textContent("h1 .agency-tag"), "民政局");
    assert.match(await page.textContent("h1"), /辦公室消毒通知/);
    const body = await page.innerHTML(".post-body");
    assert.doesNotMatch(body, /onclick|javascript|<img|<iframe/);
    assert.match(body, /週五下午消毒/);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('.file-list a:has-text("消毒區域.csv")')]);
    assert.equal(download.suggestedFilename(), "消毒區域.csv");
    // An executable is refused by its content, whatever its name.
    await page.click('a:has-text("編輯")');
    await page.waitForURL(/\/edit$/);
    await axe(page, "editing a post");
    await page.setInputFiles("#a-attachments", { name: "說明.pdf", mimeType: "application/pdf", buffer: Buffer.from("MZ\x90\x00\x03\x00\x00\x00") });
    await page.click('button[data-submit]');
    await page.waitForSelector("#a-att-err:not(:empty)");
    assert.match(await page.textContent("#a-att-err"), /「說明.pdf」的內容不是可收的檔案類型/);
    await page.goto(`${demo.base}/announcements/mine`);
    await page.locator("tbody tr", { hasText: "辦公室消毒通知" }).locator('button:has-text("下架")').click();
    await page.waitForURL(/ok=taken-down/);
    await page.goto(`${demo.base}/announcements/mine?status=unpublished`);
    assert.match(await page.textContent("tbody"), /辦公室消毒通知/);
    await page.screenshot({ path: join(shots, "announcements-mine.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});
