// Seed 004 §捌 三 and §玖 三–五 in Chromium (issue 16): 民政局's staff
// find a free car by time, ask for it with a driver free for the whole
// span, and its custodian approves; an agency admin adds a driver and a
// car that goes with them; a person subscribes to their bookings as a
// calendar. axe-core checks every page, at desktop and phone width.
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

// A weekday two weeks ahead, clear of the demo's requests.
function weekdayAhead() {
  const d = new Date(Date.now() + 15 * 86400000);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

test("staff book a car with a driver by time, and its custodian approves", async () => {
  const day = weekdayAhead();
  const [ctx, page] = await as("staff");
  try {
    await page.click('nav a[href="/cars"]');
    await page.waitForURL(/\/cars$/);
    await axe(page, "cars");
    await page.fill("#t-date", day);
    await page.selectOption("#t-from", "13");
    await page.selectOption("#t-until", "16");
    await page.click('section[aria-labelledby="by-time-h"] button[type="submit"]');
    await page.waitForURL(/date=/);
    assert.match(await page.textContent("main"), /可借用的公務車共 \d+ 輛/);
    await page.click('section[aria-labelledby="by-time-h"] a:has-text("ABC-1234")');
    await page.waitForURL(/\/cars\/\d+\?/);
    await axe(page, "a car's week");
    await page.check("#r-wd-y");
    await page.selectOption("#r-driver", { label: "陳建宏（職業小型車）" });
    await page.fill("#r-phone", "06-2991111");
    await page.fill("#r-purpose", "社區巡迴服務");
    await page.fill("#r-people", "9");
    await page.fill("#r-dest", "七股區公所");
    await page.click('button:has-text("確定申請")');
    await page.waitForSelector("#r-people-err:not(:empty)");
    assert.match(await page.textContent("#r-people-err"), /乘客人數上限 4 人/);
    assert.equal(await page.inputValue("#r-dest"), "七股區公所");
    await axe(page, "a car's request with an error");
    await page.screenshot({ path: join(shots, "car-request-error.png"), fullPage: true });
    await page.fill("#r-people", "3");
    await page.click('button:has-text("確定申請")');
    await page.waitForURL(/\/bookings\?kind=car&ok=requested/);
    assert.match(await page.textContent("table.records"), /陳建宏/);
    await axe(page, "my car bookings");
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "car-bookings-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
  const [kctx, keeper] = await as("clerk");
  try {
    await keeper.click('nav a[href="/items/car-requests"]');
    await keeper.waitForURL(/\/items\/car-requests$/);
    await axe(keeper, "car requests");
    await keeper.screenshot({ path: join(shots, "car-requests.png"), fullPage: true });
    const row = keeper.locator("tbody tr", { hasText: "七股區公所" });
    await row.locator('input[name="ids"]').check();
    await keeper.click('button[value="approve"]');
    await keeper.waitForURL(/ok=approved/);
    assert.match(await keeper.textContent(".flash"), /已核准 1 筆申請/);
  } finally {
    await kctx.close();
  }
});

test("an agency admin adds a driver and a car that goes with them", async () => {
  const [ctx, page] = await as("civil_admin");
  try {
    await page.click('nav a[href="/items/drivers"]');
    await page.waitForURL(/\/items\/drivers$/);
    await axe(page, "drivers I manage");
    await page.click('a:has-text("新增司機")');
    await page.fill("#v-location", "永華市政中心");
    await page.fill("#v-name", "黃國華");
    await page.selectOption("#v-licence", "職業小型車");
    await page.fill("#v-phone", "0922-111-333");
    await page.fill("#v-custodian", "clerk");
    await axe(page, "add a driver");
    await page.click('button:has-text("儲存")');
    await page.waitForURL(/\/items\/drivers\/\d+\?ok=created/);
    assert.match(await page.textContent(".flash"), /司機已新增/);
    await axe(page, "a managed driver");
    await page.click('nav a[href="/items/cars"]');
    await page.click('a:has-text("新增公務車")');
    await page.waitForURL(/\/items\/cars\/new$/);
    await page.fill("#v-location", "永華市政中心");
    await page.selectOption("#v-type", "休旅車");
    await page.fill("#v-plate", "bxe-5566");
    await page.fill("#v-passengers", "6");
    await page.fill("#v-brand", "三菱");
    await page.fill("#v-year", "2023");
    await page.fill("#v-displacement", "2400");
    await page.fill("#v-number", "CIV-007");
    await page.check('label:has-text("黃國華") >> xpath=preceding-sibling::input');
    await page.fill("#v-custodian", "clerk");
    await axe(page, "add a car");
    await page.click('#info button:has-text("儲存")');
    await page.waitForURL(/\/items\/cars\/\d+\?ok=created/);
    assert.match(await page.textContent("h1"), /BXE-5566/);
    // A photo of it, as its keeper adds one.
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      "base64",
    );
    await page.setInputFiles("#p-files", { name: "car.png", mimeType: "image/png", buffer: png });
    await page.click('#photos button:has-text("上傳照片")');
    await page.waitForURL(/ok=photos/);
    assert.equal(await page.locator("#photos img").count(), 1);
    // The 指定機關 list can be filtered by name (the box shows with script).
    await page.fill('input[data-filter-for="v-agencies"]', "教育");
    assert.ok((await page.locator("#v-agencies option:visible").count()) >= 1);
    await axe(page, "a kept car");
    await page.screenshot({ path: join(shots, "car-kept.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test("a person subscribes to their bookings and the feed is a calendar", async () => {
  const [ctx, page] = await as("staff");
  try {
    await page.click('nav a[href="/calendars"]');
    await page.waitForURL(/\/calendars$/);
    await axe(page, "calendar feeds");
    await page.click('button:has-text("建立「我的借用」訂閱網址")');
    await page.waitForSelector("#new-url");
    const url = await page.inputValue("#new-url");
    assert.match(url, /\/calendar\/[0-9a-f]{48}\.ics$/);
    await axe(page, "a new calendar feed");
    const r = await fetch(`${base}${new URL(url).pathname}`);
    assert.equal(r.status, 200);
    const ics = await r.text();
    assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
    assert.match(ics, /SUMMARY:第一會議室：戶政業務協調會議/);
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "calendars-phone.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
});
