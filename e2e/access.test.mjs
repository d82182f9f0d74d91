// Seed 000's whole journey in Chromium (issue 14): a person asks for a
// member category, then an organisation, then an application role, each
// with the printed form "signed" (an image) and uploaded; the approver
// of each step signs it off in 待簽核表單; the sample application
// (examples/sample-rp, openid-client) then shows the role. axe-core checks
// every page at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { join } from "node:path";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { startDemo, launch, shots, axe, fillSignIn, sql, root, PHONE } from "./lib.mjs";

let demo, base, rp, browser;
const RP = "http://127.0.0.1:8081";

before(async () => {
  demo = await startDemo(300);
  base = demo.base;
  rp = spawn(process.execPath, [join(root, "examples", "sample-rp", "server.mjs")], {
    env: { ...process.env, ISSUER: base, PORT: "8081" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    let buf = "";
    rp.stdout.on("data", (d) => {
      buf += d;
      if (buf.includes("sample application on")) resolve();
    });
    rp.on("exit", (c) => reject(new Error(`sample application exited ${c}`)));
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  rp?.kill();
  demo?.stop();
});

async function as(login) {
  const ctx = await browser.newContext({ locale: "zh-TW", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/login`);
  await fillSignIn(page, demo.db, login);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  return [ctx, page];
}

// A "signed and scanned" form: the printed PDF rendered to PNG by poppler,
// as a scanner would hand it back.
function scanOf(pdf, name) {
  const dir = mkdtempSync(join(tmpdir(), "portico-scan-"));
  const file = join(dir, "form.pdf");
  writeFileSync(file, pdf);
  execFileSync("pdftoppm", ["-png", "-r", "50", "-singlefile", file, join(dir, name)]);
  return join(dir, `${name}.png`);
}

// 列印申請書: what the print button posts (the form as filled in, with
// print=form), sent from the page; the PDF comes back.
async function printForm(page) {
  const b64 = await page.evaluate(async () => {
    const f = document.querySelector('form[action="/access/ask"]');
    const fd = new FormData(f);
    fd.set("print", "form");
    const r = await fetch("/access/ask", { method: "POST", body: fd });
    if (r.headers.get("content-type") !== "application/pdf") throw new Error(`no PDF: ${r.status}`);
    const buf = new Uint8Array(await r.arrayBuffer());
    let s = "";
    for (const b of buf) s += String.fromCharCode(b);
    return btoa(s);
  });
  return Buffer.from(b64, "base64");
}

function pdfText(pdf) {
  const dir = mkdtempSync(join(tmpdir(), "portico-pdf-"));
  const file = join(dir, "f.pdf");
  writeFileSync(file, pdf);
  return execFileSync("pdftotext", ["-layout", file, "-"]).toString();
}

// A crowd person of 主計處 with no access yet.
function newcomer() {
  const row = JSON.parse(sql(demo.db, "select a.login, a.name from accounts a join org_units u on u.id = a.unit_id join org_units g on g.id = u.agency_id where g.name = '主計處' and a.state = 'active' and a.login not in ('stat_mgr', 'statistician') and not exists (select 1 from roles r where r.account_id = a.id) and not exists (select 1 from access_forms f where f.account_id = a.id) order by a.id limit 1"));
  assert.ok(row, "a person of 主計處");
  return { login: row[0], name: row[1] };
}

async function signOff(login, number, name) {
  const [ctx, page] = await as(login);
  try {
    await page.goto(`${base}/access/approvals`);
    await page.waitForSelector(`text=${number}`);
    await axe(page, `待簽核表單 (${login})`);
    await page.screenshot({ path: join(shots, `access-${name}-queue.png`), fullPage: true });
    // 檢視: the form with its attachment inline, then 同意.
    await page.click(`tr:has-text("${number}") a:has-text("檢視")`);
    await page.waitForSelector("img.scan");
    await axe(page, `表單 ${number}`);
    await page.screenshot({ path: join(shots, `access-${name}-form.png`), fullPage: true });
    await page.check("#fm-d-a");
    await page.fill("#fm-note", "資料齊全，同意");
    await page.click('button:has-text("送出")');
    await page.waitForSelector("text=已同意");
  } finally {
    await ctx.close();
  }
}

test("seed 000: category → organisation → role, each printed, signed, uploaded and signed off; the sample application shows the role", async () => {
  const who = newcomer();
  const [ctx, page] = await as(who.login);
  try {
    // 1. 個人會員類別維護: search 地方政府公務統計人員 among 未申請.
    await page.click('nav a:has-text("個人會員類別維護")');
    await page.selectOption("#ac-state", "open");
    await page.fill("#ac-q", "地方政府公務統計人員");
    await page.click('button:has-text("查詢")');
    await axe(page, "個人會員類別維護");
    await page.screenshot({ path: join(shots, "access-categories.png"), fullPage: true });
    await page.click('tr:has-text("stausr") a:has-text("申請加入")');
    await page.fill("#ask-purpose", "公務統計帳號申請");
    // 送出 without the signed form: said so, nothing filed.
    await page.click('button:has-text("送出")');
    assert.match(await page.textContent("#ask-form-file-err"), /列印申請書/);
    await axe(page, "會員類別申請");
    await page.screenshot({ path: join(shots, "access-ask.png"), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, "access-ask-phone.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    const pdf = await printForm(page);
    const text = pdfText(pdf);
    for (const label of ["會員類別申請表", "版本編號", "機密等級", "stausr", who.login, who.name, "申請單位主管", "簽章"]) {
      assert.ok(text.includes(label), `${label} in the printed form`);
    }
    await page.setInputFiles("#ask-form-file", scanOf(pdf, "member_type_application"));
    await page.click('button:has-text("送出")');
    await page.waitForSelector("text=申請已送出");
    const catNo = (await page.textContent("h2#fm-h")).match(/AAMT\d{3}-\d{10}/)[0];
    await axe(page, "送出的表單");
    await page.screenshot({ path: join(shots, "access-sent.png"), fullPage: true });

    // The next step waits until the category is approved.
    await page.click('nav a:has-text("個人組織維護")');
    await page.waitForSelector("text=請先申請會員類別");
    await signOff("admin", catNo, "category");

    // 2. 個人組織維護: search by OID-or-name, 預設身分, the signed form.
    await page.goto(`${base}/access/orgs?q=主計處`);
    await axe(page, "個人組織維護");
    await page.click('tr:has-text("主計處") a:has-text("申請加入")');
    await page.check('label:has-text("預設身分") >> xpath=preceding-sibling::input');
    await page.fill("#ask-purpose", "辦理主計處公務統計");
    const orgPdf = await printForm(page);
    assert.ok(pdfText(orgPdf).includes("預設身分"));
    await page.setInputFiles("#ask-form-file", scanOf(orgPdf, "org_application"));
    await page.click('button:has-text("送出")');
    await page.waitForSelector("text=申請已送出");
    const orgNo = (await page.textContent("h2#fm-h")).match(/AAOG\d{3}-\d{10}/)[0];
    await signOff("stat_mgr", orgNo, "org");
    await page.goto(`${base}/access/orgs`);
    await page.waitForSelector('section:has(h2:has-text("已加入的組織")) >> text=主計處');

    // 3. 應用系統角色維護: 範例應用系統 → 地方政府統計管理者, which needs the
    // supervisor's consent and the undertaking.
    await page.click('nav a:has-text("應用系統角色維護")');
    await axe(page, "應用系統角色維護");
    await page.click('tr:has-text("範例應用系統") a:has-text("申請角色")');
    await page.check('label:has-text("地方政府統計管理者") >> xpath=preceding-sibling::input');
    await page.fill("#ask-purpose", "業務需要");
    await axe(page, "角色申請");
    const rolePdf = await printForm(page);
    const roleText = pdfText(rolePdf);
    for (const label of ["應用系統角色申請表", "申請應用系統權限", "範例應用系統", "地方政府統計管理者", "注意事項", "系統實際使用者"]) {
      assert.ok(roleText.includes(label), `${label} in the role form`);
    }
    await page.setInputFiles("#ask-form-file", scanOf(rolePdf, "bccs_account_application"));
    await page.setInputFiles("#ask-und-file", scanOf(rolePdf, "undertaking"));
    await page.click('button:has-text("送出")');
    await page.waitForSelector("text=申請已送出");
    const roleNo = (await page.textContent("h2#fm-h")).match(/AARL\d{3}-\d{10}/)[0];
    // The sample application's manager signs it off.
    await signOff("stat_mgr", roleNo, "role");
    await page.goto(`${base}/access/roles`);
    await page.waitForSelector('section:has(h2:has-text("已申請")) >> text=地方政府統計管理者');
    await page.screenshot({ path: join(shots, "access-roles.png"), fullPage: true });

    // The sample application shows the role after single sign-on.
    await page.goto(`${RP}/login`);
    await page.waitForURL((u) => u.href.startsWith(RP) && !u.pathname.startsWith("/login") && !u.pathname.startsWith("/callback"));
    const roles = await page.textContent("#roles");
    assert.match(roles, /stat\.manager/);
    assert.match(await page.textContent("#organisations"), /主計處（預設身分）/);
    assert.match(await page.textContent("#categories"), /stausr/);
    await page.screenshot({ path: join(shots, "access-sample-app.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
  // 個人簽核記錄查詢: what stat_mgr decided, exportable.
  const [mctx, mpage] = await as("stat_mgr");
  try {
    await mpage.click('nav a:has-text("個人簽核記錄查詢")');
    await mpage.waitForSelector(`text=${who.name}`);
    await axe(mpage, "個人簽核記錄查詢");
    await mpage.screenshot({ path: join(shots, "access-decided.png"), fullPage: true });
  } finally {
    await mctx.close();
  }
});

test("the definitions: a system admin adds a category and an organisation; a manager adds a role", async () => {
  const [ctx, page] = await as("admin");
  try {
    await page.click('nav a:has-text("會員類別與組織管理")');
    await axe(page, "會員類別與組織管理");
    await page.click('summary:has-text("新增會員類別")');
    await page.fill("#nc-code", "1bad");
    await page.fill("#nc-name", "測試類別");
    await page.click('form[action="/admin/access/categories"] button:has-text("新增")');
    assert.match(await page.textContent("#nc-code-err"), /代碼為 2–20 個英文字母/);
    await page.fill("#nc-code", "gisusr");
    await page.click('form[action="/admin/access/categories"] button:has-text("新增")');
    await page.waitForSelector("text=已儲存");
    await page.waitForSelector("code:has-text('gisusr')");
    await page.click('summary:has-text("新增可加入的組織")');
    await page.fill("#no-name", "臺中市政府");
    await page.fill("#no-oid", "2.16.886.101.90007");
    await page.click('form[action="/admin/access/orgs"] button:has-text("新增")');
    await page.waitForSelector("text=已儲存");
    await page.screenshot({ path: join(shots, "access-admin.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
  const [mctx, mpage] = await as("stat_mgr");
  try {
    await mpage.click('nav a:has-text("應用系統角色管理")');
    await mpage.click('a:has-text("範例應用系統")');
    await axe(mpage, "應用系統角色管理");
    await mpage.click('summary:has-text("新增角色")');
    await mpage.fill("#nr-code", "stat.auditor");
    await mpage.fill("#nr-name", "統計稽核人員");
    await mpage.fill("#nr-schema", "audit_no|稽核編號|必填");
    await mpage.click('form[action$="/roles"] button:has-text("新增")');
    await mpage.waitForSelector("code:has-text('stat.auditor')");
    await mpage.screenshot({ path: join(shots, "access-app.png"), fullPage: true });
  } finally {
    await mctx.close();
  }
});
