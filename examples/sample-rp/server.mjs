// A sample relying application for Portico, written as a government
// application team would: a stock OpenID Connect client (panva's
// openid-client), the authorization code flow with PKCE, the claims the
// portal approved, third-party-initiated login from a portal tile, and
// RP-initiated logout. Nothing here knows Portico beyond its discovery URL,
// except one documented API: each land-registry query a person makes here
// is reported, with its case number, document number or reason, to
// `POST /api/v1/apps/usage` with a client-credentials token of scope
// `usage.report` (seed 002 §六 (三) 2), so the city audits it with the rest.
//
//   ISSUER=http://127.0.0.1:8080 CLIENT_ID=portico-sample \
//   CLIENT_SECRET=sample-secret-for-the-demo-only node server.mjs
import http from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import * as client from "openid-client";

const issuer = process.env.ISSUER || "http://127.0.0.1:8080";
const clientId = process.env.CLIENT_ID || "portico-sample";
const secret = process.env.CLIENT_SECRET || "sample-secret-for-the-demo-only";
const port = Number(process.env.PORT || 8081);
const self = `http://127.0.0.1:${port}`;
const redirectUri = `${self}/callback`;

const insecure = issuer.startsWith("http://") ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(new URL(issuer), clientId, secret, undefined, insecure);

// Sessions in memory: fine for a sample.
const sessions = new Map();
function session(req, res) {
  const m = (req.headers.cookie || "").match(/(?:^|;\s*)rp_sid=([a-f0-9]{32})/);
  let sid = m && sessions.has(m[1]) ? m[1] : null;
  if (!sid) {
    sid = randomBytes(16).toString("hex");
    sessions.set(sid, {});
    res.setHeader("set-cookie", `rp_sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
  }
  return sessions.get(sid);
}

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
function page(res, title, body, status = 200) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} | 範例應用系統</title>
<style>body{font-family:"Noto Sans CJK TC",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}a.button{display:inline-block;padding:.5rem 1rem;background:#0b5394;color:#fff;border-radius:4px;text-decoration:none}dt{font-weight:700}dd{margin:0 0 .5rem}</style></head>
<body><header><p>範例應用系統 Sample application</p></header><main><h1>${esc(title)}</h1>${body}</main></body></html>`);
}

// The usage API's token, from the client credentials grant, kept until a
// minute before it expires.
let usageToken = null;
async function usageBearer() {
  if (usageToken && usageToken.until > Date.now()) return usageToken.value;
  const t = await client.clientCredentialsGrant(config, { scope: "usage.report" });
  usageToken = { value: t.access_token, until: Date.now() + ((t.expires_in || 300) - 60) * 1000 };
  return usageToken.value;
}

// Reports one query. A record carries its own id, so a retry after a lost
// answer is recorded once; a real system would batch (up to 1,000).
async function reportUsage(record) {
  const body = JSON.stringify({ records: [record] });
  let last;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const r = await fetch(new URL("/api/v1/apps/usage", issuer), {
        method: "POST",
        headers: { authorization: `Bearer ${await usageBearer()}`, "content-type": "application/json" },
        body,
      });
      const answer = await r.json().catch(() => ({}));
      if (r.status === 401) usageToken = null;
      if (r.ok || r.status === 422) return { status: r.status, answer };
      last = new Error(`usage API answered ${r.status}`);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let buf = "";
    req.on("data", (d) => {
      buf += d;
      if (buf.length > 10_000) reject(new Error("form too large"));
    });
    req.on("end", () => resolve(new URLSearchParams(buf)));
    req.on("error", reject);
  });
}

const KINDS = [
  ["case", "案件號"],
  ["document", "公文號"],
  ["other", "查詢原因"],
];

function queryForm(f = {}, error = "") {
  const kind = f.kind || "document";
  return `<section aria-labelledby="q-h"><h2 id="q-h">查詢地籍資料</h2>
${error ? `<p role="alert" id="q-err">${esc(error)}</p>` : ""}
<form method="post" action="/query">
<p><label for="q-object">地號</label><br><input id="q-object" name="object" required maxlength="100" value="${esc(f.object)}" placeholder="例：安平區國平段 1021 地號"></p>
<fieldset><legend>查詢依據</legend>${KINDS.map(([v, l]) => `<label><input type="radio" name="reason_kind" value="${v}"${v === kind ? " checked" : ""}> ${l}</label>`).join(" ")}</fieldset>
<p><label for="q-reason">案件號、公文號或原因</label><br><input id="q-reason" name="reason" required maxlength="200" value="${esc(f.reason)}" placeholder="例：南市民字第 1150001 號"></p>
<p><button type="submit">查詢</button></p>
</form><p>依規定，每次查詢均記錄查詢依據，並送交公務入口網以備稽核。</p></section>`;
}

async function startLogin(req, res, s, url) {
  // Third-party-initiated login (OpenID Connect Core §4): a portal tile
  // sends iss, target_link_uri and login_hint; only our issuer is trusted.
  const iss = url.searchParams.get("iss");
  if (iss && iss !== config.serverMetadata().issuer) return page(res, "無法登入", "<p>登入來源不是信任的公務入口網。</p>", 400);
  s.verifier = client.randomPKCECodeVerifier();
  s.state = client.randomState();
  s.nonce = client.randomNonce();
  const params = {
    redirect_uri: redirectUri,
    scope: "openid profile email",
    code_challenge: await client.calculatePKCECodeChallenge(s.verifier),
    code_challenge_method: "S256",
    state: s.state,
    nonce: s.nonce,
  };
  const hint = url.searchParams.get("login_hint");
  if (hint) params.login_hint = hint;
  res.writeHead(302, { location: client.buildAuthorizationUrl(config, params).href });
  res.end();
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, self);
  const s = session(req, res);
  try {
    if (url.pathname === "/login") return await startLogin(req, res, s, url);
    if (url.pathname === "/callback") {
      const tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: s.verifier,
        expectedState: s.state,
        expectedNonce: s.nonce,
      });
      const claims = tokens.claims();
      s.idToken = tokens.id_token;
      s.claims = claims;
      s.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      res.writeHead(302, { location: "/" });
      return res.end();
    }
    if (url.pathname === "/logout") {
      const to = client.buildEndSessionUrl(config, {
        id_token_hint: s.idToken || "",
        post_logout_redirect_uri: `${self}/`,
        state: "signed-out",
      });
      s.idToken = null;
      s.claims = null;
      res.writeHead(302, { location: to.href });
      return res.end();
    }
    if (url.pathname === "/query" && req.method === "POST") {
      if (!s.claims) return page(res, "請先登入", `<p><a class="button" href="/login">以公務入口網登入</a></p>`, 401);
      const form = await readForm(req);
      const f = { object: (form.get("object") || "").trim(), kind: form.get("reason_kind") || "", reason: (form.get("reason") || "").trim() };
      if (!f.object || f.reason.length < 2) {
        return page(res, "查詢地籍資料", queryForm(f, "請輸入地號，以及案件號、公文號或查詢原因。"), 422);
      }
      const { status, answer } = await reportUsage({
        time: new Date().toISOString(),
        login: (s.userinfo || {}).preferred_username || s.claims.preferred_username,
        action: "查詢地籍資料",
        object: f.object,
        reason: f.reason,
        reason_kind: f.kind,
        id: randomUUID(),
      });
      if (status !== 201) {
        const why = (answer.fields || []).map((x) => x.message?.zh).filter(Boolean).join("；") || answer.message?.zh || "公務入口網未接受這筆紀錄";
        return page(res, "查詢地籍資料", queryForm(f, why), 422);
      }
      return page(res, "查詢地籍資料", `<p role="status" id="q-done">已查詢「${esc(f.object)}」，並已將查詢紀錄送交公務入口網（紀錄序號 ${esc(answer.last_seq)}）。</p><p><a href="/">返回</a></p>`);
    }
    if (url.pathname === "/") {
      if (!s.claims) {
        const note = url.searchParams.get("state") === "signed-out" ? "<p role=\"status\">您已登出。</p>" : "";
        return page(res, "歡迎使用", `${note}<p>請以公務帳號登入。</p><p><a class="button" href="/login">以公務入口網登入</a></p>`);
      }
      const u = s.userinfo || {};
      return page(res, `${u.name || s.claims.name}，您好`, `<dl>
<dt>帳號</dt><dd id="login">${esc(u.preferred_username)}</dd>
<dt>機關</dt><dd id="agency">${esc(u.agency)}（${esc(u.agency_oid)}）</dd>
<dt>單位</dt><dd id="unit">${esc(u.unit)}</dd>
<dt>職稱</dt><dd>${esc(u.title)}</dd>
<dt>公務信箱</dt><dd>${esc(u.email)}</dd>
<dt>本系統角色 (roles)</dt><dd id="roles">${(s.claims.roles || []).length ? (s.claims.roles || []).map(esc).join("、") : "（無）"}</dd>
<dt>所屬組織</dt><dd id="organisations">${(u.organisations || []).map((o) => esc(o.name) + (o.title ? "（" + esc(o.title) + "）" : "")).join("、") || "（無）"}</dd>
<dt>會員類別</dt><dd id="categories">${(u.member_categories || []).map(esc).join("、") || "（無）"}</dd>
<dt>識別碼 (sub)</dt><dd id="sub">${esc(s.claims.sub)}</dd></dl>
${queryForm()}
<p><a class="button" href="/logout">登出</a></p>`);
    }
    page(res, "找不到頁面", "<p>找不到這個頁面。</p>", 404);
  } catch (e) {
    page(res, "登入失敗", `<p>${esc(e.message)}</p><p><a href="/">返回</a></p>`, 400);
  }
});

server.listen(port, "127.0.0.1", () => console.log(`sample application on ${self} (issuer ${issuer})`));
