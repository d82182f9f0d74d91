"""Authlib (PyPI) against a running `portico demo`, with the RS256 client.

    python3 e2e/authlib_client.py http://127.0.0.1:PORT path/to/portico.db

Signs in at the portal over HTTP (the captcha read from the demo's
database), then runs the authorization code flow with PKCE through
Authlib's OAuth2Session, verifies the ID token with the published JWKS,
calls userinfo, refreshes, introspects, revokes and logs out.
"""
import re
import sqlite3
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.security import generate_token
from authlib.jose import JsonWebKey, jwt

base, db = sys.argv[1], sys.argv[2]
CLIENT_ID = "portico-sample-rs256"
SECRET = "sample-secret-for-the-demo-only"
CALLBACK = "http://127.0.0.1:8081/callback"


def portal_session(login):
    s = requests.Session()
    page = s.get(f"{base}/login").text
    cid = re.search(r'name="captcha_id" value="([^"]+)"', page).group(1)
    answer = sqlite3.connect(db).execute("select answer from captchas where id=?", (cid,)).fetchone()[0]
    r = s.post(f"{base}/login", data={"login": login, "password": "Portico#2026", "captcha_id": cid, "captcha": answer, "next": "/"}, allow_redirects=False)
    assert r.status_code == 303, r.status_code
    # The session cookie is Secure; a browser sends it to 127.0.0.1 over
    # http, requests does not, so it goes in by hand.
    s.headers["Cookie"] = r.headers["set-cookie"].split(";")[0]
    return s


meta = requests.get(f"{base}/.well-known/openid-configuration").json()
assert meta["issuer"] == base
jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())

browser = portal_session("edu_admin")
oauth = OAuth2Session(CLIENT_ID, SECRET, scope="openid profile", redirect_uri=CALLBACK, code_challenge_method="S256")
verifier = generate_token(48)
nonce = generate_token(16)
url, state = oauth.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
r = browser.get(url, allow_redirects=False)
assert r.status_code == 303, r.status_code
location = r.headers["location"]
assert location.startswith(CALLBACK), location

token = oauth.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)
header = token["id_token"].split(".")[0]
claims = jwt.decode(token["id_token"], jwks, claims_options={"iss": {"essential": True, "value": base}, "aud": {"essential": True, "value": CLIENT_ID}, "nonce": {"essential": True, "value": nonce}})
claims.validate()
assert claims.header["alg"] == "RS256", claims.header
assert claims["preferred_username"] == "edu_admin", claims
assert claims["agency"] == "教育局", claims
assert "email" not in claims, "only the approved claims"

info = oauth.get(meta["userinfo_endpoint"]).json()
assert info["sub"] == claims["sub"] and info["name"] == claims["name"], info

old_refresh = token["refresh_token"]
new = oauth.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
assert new["refresh_token"] != old_refresh

intro = oauth.introspect_token(meta["introspection_endpoint"], token=new["access_token"]).json()
assert intro["active"] is True and intro["client_id"] == CLIENT_ID, intro

oauth.revoke_token(meta["revocation_endpoint"], token=new["refresh_token"], token_type_hint="refresh_token")
intro = oauth.introspect_token(meta["introspection_endpoint"], token=new["refresh_token"]).json()
assert intro["active"] is False, intro

# Wrong secret: invalid_client.
bad = OAuth2Session(CLIENT_ID, "wrong", scope="openid")
r = bad.post(meta["token_endpoint"], data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "wrong"))
assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text

# RP-initiated logout.
r = browser.get(meta["end_session_endpoint"], params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:8081/", "state": "x"}, allow_redirects=False)
assert r.headers["location"] == "http://127.0.0.1:8081/?state=x", r.headers
assert browser.get(f"{base}/account", allow_redirects=False).status_code == 303
print("authlib: ok")
