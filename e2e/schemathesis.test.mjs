// Schemathesis (PyPI) fuzzes the whole JSON API against a real `portico
// demo`, as a system admin and as an agency admin: no 5xx, every status,
// content type and body as openapi.json says. Signing out everywhere is
// left out (it would end the fuzzer's own session).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { startDemo, captchaAnswer, PASSWORD } from "./lib.mjs";

let demo;

before(async () => {
  demo = await startDemo(200);
});

after(() => demo?.stop());

/// Signs `login` in as a browser would; the session cookie and the CSRF
/// token the API's writes need.
async function signIn(login) {
  const page = await (await fetch(`${demo.base}/login`)).text();
  const id = page.match(/name="captcha_id" value="([^"]+)"/)[1];
  const body = new URLSearchParams({ login, password: PASSWORD, captcha_id: id, captcha: captchaAnswer(demo.db, id), next: "/" });
  const r = await fetch(`${demo.base}/login`, { method: "POST", body, redirect: "manual", headers: { origin: demo.base } });
  assert.equal(r.status, 303, `${login} signs in`);
  const cookie = r.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const account = await (await fetch(`${demo.base}/account`, { headers: { cookie } })).text();
  const csrf = account.match(/name="csrf-token" content="([^"]+)"/)[1];
  return { cookie, csrf };
}

// The agency admin first: the system admin's run may disable or change any
// account, the agency admin's included.
for (const login of ["civil_admin", "admin"]) {
  test(`schemathesis as ${login}: no 5xx and every response as documented`, { timeout: 20 * 60 * 1000 }, async () => {
    const { cookie, csrf } = await signIn(login);
    const args = [
      "run", `${demo.base}/api/v1/openapi.json`,
      "--url", `${demo.base}/api/v1`,
      "-H", `Cookie: ${cookie}`,
      "-H", `X-CSRF-Token: ${csrf}`,
      "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
      "--exclude-path", "/me/sign-out-everywhere",
      "--exclude-path", "/me/password",
      "--phases", "examples,coverage,fuzzing",
      "--max-examples", process.env.SCHEMATHESIS_EXAMPLES || "25",
      "--workers", "2",
      "--suppress-health-check", "all",
      // Nothing kept between runs: every run starts from the document.
      "--generation-database", "none",
    ];
    // Through python3, so the interpreter the test command installed into
    // is the one that runs (no reliance on a `st` script on PATH).
    // Run in the demo's own folder: schemathesis keeps a cache where it
    // runs, and it is removed with the demo.
    const r = spawnSync("python3", ["-m", "schemathesis.cli", ...args], { cwd: demo.data, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } });
    const out = `${r.stdout}\n${r.stderr}`;
    if (process.env.SCHEMATHESIS_SHOW) console.log(out.slice(-6000));
    assert.equal(r.status, 0, out.slice(-20000));
  });
}
