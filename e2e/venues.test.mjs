// Seed 004 §捌 二 and §玖 二 in Chromium (issue 16, first part): 民政局's
// staff look for a free room by time and by venue, ask for it, and its
// custodian approves the request from the queue. axe-core checks every
// page at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
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

// A weekday at least a week ahead.
function weekdayAhead() {
  const d = new Date(Date.now() + 8 * 86400000);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

test("staff find a free room by time, ask for it by the week's grid, and the custodian approves", async () => {
  const day = weekdayAhead();
  const [ctx, page] = await as("staff");
  try {
    await page.click('nav a[href="/venues"]');
    await page.waitForURL(/\/venues$/);
    await axe(page, "venues");
    await page.fill("#t-date", day);
    await page.selectOption("#t-from", "13");
    await page.selectOption("#t-until", "15");
    await page.click('section[aria-labelledby="by-time-h"] button[type="submit"]');
    await page.waitForURL(/date=/);
    assert.match(await page.textContent("main"), /可借用的場地共 \d+ 處/);
    await axe(page, "venues free by time");
    await page.screenshot({ path: join(shots, "venues-by-time.png"), fullPage: true });
    await page.click('section[aria-labelledby="by-time-h"] a:has-text("第一會議室")');
    await page.waitForURL(/\/venues\/\d+\?/);
    await axe(page, "a venue's week");
    await page.screenshot({ path: join(shots, "venue-week.png"), fullPage: true });
    // Too many people first: refused by field, what was typed kept.
    await page.fill("#r-phone", "06-2991111");
    await page.fill("#r-people", "99");
    await page.fill("#r-host", "王小明");
    await page.fill("#r-purpose", "跨局處協調會議");
    await page.click('button:has-text("送出申請")');
    await page.waitForSelector("#r-people-err:not(:empty)");
    assert.match(await page.textContent("#r-people-err"), /超過場地容納人數/);
    assert.equal(await page.inputValue("#r-purpose"), "跨局處協調會議");
    await axe(page, "a venue's request with an error");
    await page.fill("#r-people", "12");
    await page.click('button:has-text("送出申請")');
    await page.waitForURL(/\/bookings\?ok=requested/);
    assert.match(await page.textContent(".flash"), /申請已送出/);
    assert.match(await page.textContent("table.records"), /跨局處協調會議/);
    await axe(page, "my bookings");
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "bookings-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
  const [kctx, keeper] = await as("unit_admin");
  try {
    await keeper.click('nav a[href="/items/venue-requests"]');
    await keeper.waitForURL(/\/items\/venue-requests$/);
    await axe(keeper, "venue requests");
    await keeper.screenshot({ path: join(shots, "venue-requests.png"), fullPage: true });
    const row = keeper.locator("tbody tr", { hasText: "跨局處協調會議" });
    await row.locator('input[name="ids"]').check();
    await keeper.click('button[value="approve"]');
    await keeper.waitForURL(/ok=approved/);
    assert.match(await keeper.textContent(".flash"), /已核准 1 筆申請/);
  } finally {
    await kctx.close();
  }
});

test("an agency admin adds a venue with its custodians, and its pages read", async () => {
  const [ctx, page] = await as("civil_admin");
  try {
    await page.click('nav a[href="/items/venues"]');
    await page.waitForURL(/\/items\/venues$/);
    await axe(page, "venues I keep");
    await page.click('a:has-text("新增場地")');
    await page.waitForURL(/\/items\/venues\/new$/);
    await axe(page, "add a venue");
    await page.fill("#v-location", "永華市政中心");
    await page.fill("#v-floor", "11樓");
    await page.fill("#v-name", "第二會議室");
    await page.fill("#v-capacity", "20");
    await page.fill("#v-custodian", "staff");
    await page.click('button:has-text("儲存")');
    await page.waitForURL(/\/items\/venues\/\d+\?ok=created/);
    assert.match(await page.textContent(".flash"), /場地已新增/);
    await page.fill("#k-to", "clerk");
    await page.selectOption("#k-pos", "2");
    await page.fill("#k-reason", "協助保管會議室");
    await page.click('#keepers button:has-text("確定")');
    await page.waitForURL(/ok=custodian/);
    assert.match(await page.textContent("#keepers"), /協助保管會議室/);
    await axe(page, "a kept venue");
    await page.screenshot({ path: join(shots, "venue-kept.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test("a custodian adds a photo to the room and staff see it on its week", async () => {
  // A 2×1 PNG, small as a thumbnail can be.
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwMDAAAALBgH/eCJiOAAAAABJRU5ErkJggg==",
    "base64",
  );
  const [ctx, page] = await as("unit_admin");
  try {
    await page.click('nav a[href="/items/venues"]');
    await page.locator("tbody tr", { hasText: "第一會議室" }).locator('a:has-text("編輯")').click();
    await page.waitForURL(/\/items\/venues\/\d+$/);
    assert.equal(await page.locator("#photos img").count(), 1, "the demo's photo");
    await page.setInputFiles("#p-files", { name: "room.png", mimeType: "image/png", buffer: png });
    await page.click('#photos button:has-text("上傳照片")');
    await page.waitForURL(/ok=photos/);
    assert.match(await page.textContent(".flash"), /照片已上傳/);
    assert.equal(await page.locator("#photos img").count(), 2);
    await axe(page, "a kept venue with photos");
    // A text file named .png is refused by what it is.
    await page.setInputFiles("#p-files", { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("just text") });
    await page.click('#photos button:has-text("上傳照片")');
    await page.waitForSelector("#p-files-err:not(:empty)");
    assert.match(await page.textContent("#p-files-err"), /不是 JPEG 或 PNG/);
  } finally {
    await ctx.close();
  }
  const [sctx, staff] = await as("staff", PHONE);
  try {
    await staff.goto(`${demo.base}/venues`);
    await staff.locator('a:has-text("第一會議室")').first().click();
    await staff.waitForURL(/\/venues\/\d+/);
    // Each photo is loaded lazily: brought into view, it loads.
    for (const img of await staff.locator(".photos img").all()) {
      await img.scrollIntoViewIfNeeded();
      await img.evaluate((i) => (i.complete && i.naturalWidth > 0) || new Promise((ok) => i.addEventListener("load", ok, { once: true })));
    }
    const widths = await staff.locator(".photos img").evaluateAll((is) => is.map((i) => i.naturalWidth));
    assert.deepEqual(widths, [480, 2]);
    // The week's grid scrolls within its box; the page itself is phone wide.
    assert.equal(await staff.evaluate(() => document.documentElement.scrollWidth), PHONE.width);
    await axe(staff, "a venue's week with photos at phone width");
    await staff.screenshot({ path: join(shots, "venue-photos-phone.png"), fullPage: true });
  } finally {
    await sctx.close();
  }
});
