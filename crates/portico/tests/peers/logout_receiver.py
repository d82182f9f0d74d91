"""A relying party's back-channel logout endpoint, validated by a stock
OpenID library (idpyoidc, the Python RP library of the OpenID Foundation's
identity python project), never by Portico's own code.

    python3 logout_receiver.py PORT ISSUER CLIENT_ID [FAIL_FIRST]

Each POST to /logout is checked as OpenID Connect Back-Channel Logout 1.0
§2.6 asks: the signature against the issuer's published keys, iss, aud,
iat, the event, sid or sub, no nonce. One JSON line per request goes to
stdout ({"ok": true, "sid", "sub", "typ", "alg", "exp", "iat"} or
{"ok": false, "error"}), written before the answer, so a caller that has
its answer can read the line. The first FAIL_FIRST requests are answered
503 without a look, as an application that is down would.
"""
import json
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptojwt.key_jar import KeyJar
from idpyoidc.message.oidc.session import BackChannelLogoutRequest

port, issuer, client_id = int(sys.argv[1]), sys.argv[2], sys.argv[3]
fail_first = int(sys.argv[4]) if len(sys.argv) > 4 else 0
seen = 0


def say(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        seen += 1
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
        if seen <= fail_first:
            say({"ok": False, "error": "down", "attempt": seen})
            return self.answer(503)
        try:
            jwks = json.load(urllib.request.urlopen(issuer + "/oauth2/jwks", timeout=10))
            keys = KeyJar()
            keys.import_jwks(jwks, issuer)
            req = BackChannelLogoutRequest().from_urlencoded(body)
            # The tests' clock runs ahead of this process's (they move it
            # past timeouts), so iat may lie up to two hours ahead.
            req.verify(keyjar=keys, iss=issuer, aud=client_id, skew=7200)
            token = req["__verified_logout_token"]
            say({
                "ok": True,
                "sid": token.get("sid"),
                "sub": token.get("sub"),
                "typ": token.jws_header.get("typ"),
                "alg": token.jws_header.get("alg"),
                "iat": token.get("iat"),
                "exp": token.get("exp"),
                "content_type": self.headers.get("content-type"),
            })
            self.answer(200)
        except Exception as e:  # the library's refusal, whatever its kind
            say({"ok": False, "error": f"{type(e).__name__}: {e}"})
            self.answer(400)

    def answer(self, status):
        self.send_response(status)
        self.send_header("cache-control", "no-store")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
say({"ready": True, "port": server.server_address[1]})
server.serve_forever()
