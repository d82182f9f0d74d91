"""The morning storm: staff arriving at work sign in at random moments within
a minute, then each opens an application several times by single sign-on.

    PORTICO_DB=/path/to/portico.db locust -f bench/storm/locustfile.py \
        --host http://127.0.0.1:PORT --headless --users 100 --spawn-rate 100

Every simulated person (one Locust user) does exactly this, once:

1. waits until a random moment within STORM_WINDOW seconds (60) of the
   start of the test: all users are spawned at once and draw their own
   delay, so arrivals are uniformly random over the window rather than
   Locust's evenly spaced spawn;
2. GET /login, reads the hidden captcha_id, reads the captcha's answer from
   the demo's database as a person reads the picture (the shipped binary
   has no back door; scripts/bench-home and e2e/lib.mjs do the same);
3. POST /login with its own seeded demo account ("sign-in");
4. STORM_FLOWS times (5): an authorization-code flow with PKCE S256 for the
   demo's sample client, GET /oauth2/authorize with the session cookie,
   not following the redirect to the application ("authorize"), then
   POST /oauth2/token with the client's secret ("token");
5. stops. When the last person has stopped, the test ends (so --run-time
   is only a safety net).

With STORM_LOOP=1 each user instead starts over at step 2 until
STORM_WINDOW seconds have passed, as the next person (the next unused demo
account, a new session): a closed loop that keeps the server saturated, for
measuring capacity rather than a morning. A new account each time, because
one account that signs in and opens an application flat out meets the
per-account token limit (oauth_account_per_minute, 120) within seconds,
which no person does.

Each user sends from its own loopback address (127.1.x.y; the demo counts
all of 127.0.0.0/8 as the government network), as people sit at their own
desks. From one address (STORM_ONE_ADDRESS=1, what plain Locust does) the
per-application limit on the token endpoint, counted per calling address
(oauth_client_per_minute, 6000 a minute), stops the closed loop at 100 code
flows a second with 429s, and would hide a faster server. A morning (the
default) makes 500 token calls and meets no limit either way.

PORTICO_DB may also be a PostgreSQL URL (postgres://…, read with psycopg
from PyPI): the database of several `portico serve` nodes
(scripts/bench-cluster).

Environment: PORTICO_DB (required), STORM_WINDOW, STORM_FLOWS, STORM_SEED
(the arrivals and the accounts drawn; the same seed gives the same
morning), STORM_LOOP, STORM_LOG (a file that gets one line per request:
name, start as Unix time, milliseconds, 1 or 0 for success), STORM_THINK
(seconds between one person's flows, 0), STORM_ONE_ADDRESS.
"""
import base64
import hashlib
import os
import random
import re
import secrets
import sqlite3
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import gevent
from locust import HttpUser, events, task
from locust.clients import LocustHttpAdapter
from locust.exception import StopUser

DB = os.environ.get("PORTICO_DB", "")
WINDOW = float(os.environ.get("STORM_WINDOW", "60"))
FLOWS = int(os.environ.get("STORM_FLOWS", "5"))
SEED = os.environ.get("STORM_SEED", "2026")
LOOP = os.environ.get("STORM_LOOP", "") not in ("", "0")
THINK = float(os.environ.get("STORM_THINK", "0"))
LOG = os.environ.get("STORM_LOG", "")
ONE_ADDRESS = os.environ.get("STORM_ONE_ADDRESS", "") not in ("", "0")

# The demo's fixed credentials (crates/app/src/demo.rs).
PASSWORD = "Portico#2026"
CLIENT_ID = "portico-sample"
CLIENT_SECRET = "sample-secret-for-the-demo-only"
CALLBACK = "http://127.0.0.1:8081/callback"
SESSION_COOKIE = "portico_session"

# The demo's crowd is named <romanised surname><index, 5 digits> (chen00042);
# the named accounts (staff, expiring, locked_user…) are left out, so no one
# is locked, disabled, expiring or an administrator. Of the crowd only those
# that can sign in straight away: active, with a password, not locked, no
# forced change, the password well inside its 90 days, and no role.
ACCOUNTS_SQL = """
select login from accounts
where state = 'active' and password_hash is not null
  and must_change_password = 0 and locked_until is null and failed_count = 0
  and password_changed_at > ?
  and login glob '[a-z]*[0-9][0-9][0-9][0-9][0-9]'
  and id not in (select account_id from roles)
order by id
"""


def is_pg():
    return DB.startswith(("postgres://", "postgresql://"))

rng = random.Random(SEED)
state = {"logins": [], "next": 0, "started": None, "finished": 0, "users": 0}
log_lines = []


_pg = None


def query(sql, *args):
    """One row or all rows from the demo's database, on a connection of its
    own that is closed at once: the server writes the same file, and a read
    should hold no snapshot open. On PostgreSQL one autocommit connection,
    kept: each statement is its own snapshot there."""
    global _pg
    if is_pg():
        import psycopg

        if _pg is None:
            _pg = psycopg.connect(DB, autocommit=True)
        sql = sql.replace("?", "%s").replace("login glob '[a-z]*[0-9][0-9][0-9][0-9][0-9]'", "login ~ '^[a-z]+[0-9]{5}$'")
        return _pg.execute(sql, args).fetchall()
    c = sqlite3.connect(DB, timeout=10)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--portico-db", default=DB, help="the demo's portico.db (or PORTICO_DB)")


@events.test_start.add_listener
def _(environment, **_kw):
    global DB
    DB = environment.parsed_options.portico_db if environment.parsed_options else DB
    if not DB or not (is_pg() or os.path.exists(DB)):
        raise SystemExit("PORTICO_DB (or --portico-db) must name the demo's portico.db")
    cutoff_ms = int((time.time() - 80 * 86400) * 1000)
    logins = [r[0] for r in query(ACCOUNTS_SQL, cutoff_ms)]
    rng.shuffle(logins)
    state["logins"] = logins
    state["started"] = time.time()
    state["users"] = environment.parsed_options.num_users if environment.parsed_options else 0
    if state["users"] > len(logins):
        raise SystemExit(f"{state['users']} users but only {len(logins)} demo accounts can sign in")
    print(f"storm: {len(logins)} demo accounts can sign in; {state['users']} people, window {WINDOW:.0f} s,"
          f" {FLOWS} flows each{', closed loop' if LOOP else ''}, seed {SEED}", flush=True)


@events.request.add_listener
def _(name, start_time, response_time, exception, **_kw):
    if LOG:
        log_lines.append(f"{name}\t{start_time:.6f}\t{response_time:.3f}\t{0 if exception else 1}\n")


@events.test_stop.add_listener
def _(**_kw):
    if LOG:
        with open(LOG, "w") as f:
            f.writelines(log_lines)


class FromAddress(LocustHttpAdapter):
    """Connections from one local address: a person's own desk."""

    def __init__(self, address):
        self.address = address
        super().__init__(pool_manager=None)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class Person(HttpUser):
    # The one task runs once; pacing comes from the arrival delay.
    wait_time = staticmethod(lambda: 0)

    def next_person(self):
        # Past the end of the accounts (a long closed loop) they come round
        # again, a minute or more after their last turn.
        i = state["next"]
        state["next"] += 1
        self.login = state["logins"][i % len(state["logins"])]

    def on_start(self):
        desk = state["next"]
        if not ONE_ADDRESS:
            self.client.mount("http://", FromAddress(f"127.1.{desk // 250}.{desk % 250 + 1}"))
        self.next_person()
        # Drawn in spawn order from the seeded generator: the same morning
        # every run with the same seed and user count.
        self.arrival = rng.uniform(0, WINDOW)
        gevent.sleep(max(0.0, state["started"] + self.arrival - time.time()))

    def finish(self):
        state["finished"] += 1
        if state["finished"] >= state["users"]:
            # Off this greenlet: quitting kills the users, this one too.
            gevent.spawn_later(0.5, self.environment.runner.quit)
        raise StopUser()

    @task
    def morning(self):
        while True:
            cookie = self.sign_in()
            if cookie:
                for _ in range(FLOWS):
                    if not self.code_flow(cookie):
                        break
                    if THINK:
                        gevent.sleep(THINK)
            if not (LOOP and cookie and time.time() < state["started"] + WINDOW):
                self.finish()
            self.next_person()

    def sign_in(self):
        """The sign-in page and form; the session cookie, or None."""
        with self.client.get("/login", name="login page", catch_response=True) as r:
            m = re.search(r'name="captcha_id" value="([^"]+)"', r.text or "")
            if r.status_code != 200 or not m:
                r.failure(f"no captcha on the sign-in page (HTTP {r.status_code})")
                return None
            cid = m.group(1)
            rows = query("select answer from captchas where id=?", cid)
            if not rows:
                r.failure("the captcha is not in the database")
                return None
        form = {"login": self.login, "password": PASSWORD, "captcha_id": cid, "captcha": rows[0][0], "next": "/"}
        # The cookie is Secure; a browser sends it to 127.0.0.1 over http,
        # requests does not, so it is carried by hand (e2e/authlib_client.py).
        with self.client.post("/login", data=form, name="sign-in", allow_redirects=False, catch_response=True) as r:
            set_cookie = r.headers.get("set-cookie", "")
            where = r.headers.get("location", "")
            if r.status_code != 303 or not set_cookie.startswith(SESSION_COOKIE + "="):
                err = re.search(r'id="login-error">([^<]*)<', r.text or "")
                r.failure(f"HTTP {r.status_code}: {err.group(1) if err else 'no session'}")
                return None
            if where != "/":
                r.failure(f"sent to {where} instead of /")
                return None
            return set_cookie.split(";")[0]

    def code_flow(self, cookie):
        """One application opened by single sign-on; whether it worked."""
        verifier, challenge = pkce()
        st = secrets.token_urlsafe(16)
        q = urlencode(
            {
                "client_id": CLIENT_ID,
                "redirect_uri": CALLBACK,
                "response_type": "code",
                "scope": "openid profile",
                "state": st,
                "nonce": secrets.token_urlsafe(16),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        with self.client.get(
            f"/oauth2/authorize?{q}", name="authorize", headers={"Cookie": cookie}, allow_redirects=False, catch_response=True
        ) as r:
            loc = r.headers.get("location", "")
            got = parse_qs(urlsplit(loc).query)
            if r.status_code not in (302, 303) or not loc.startswith(CALLBACK) or "code" not in got:
                r.failure(f"HTTP {r.status_code}, to {loc[:120]!r}")
                return False
            if got.get("state") != [st]:
                r.failure("state does not match")
                return False
            code = got["code"][0]
        # The application's back end: no cookie, its own credentials.
        with self.client.post(
            "/oauth2/token",
            name="token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier},
            auth=(CLIENT_ID, CLIENT_SECRET),
            catch_response=True,
        ) as r:
            body = {}
            try:
                body = r.json()
            except ValueError:
                pass
            if r.status_code != 200 or "access_token" not in body or "id_token" not in body:
                r.failure(f"HTTP {r.status_code}: {body.get('error', '')} {body.get('error_description', '')}")
                return False
        return True
