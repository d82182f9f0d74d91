"""A real SMTP server (aiosmtpd) for the two-node suite: each message is
stored in a maildir when, and only when, the server answers 250 to it.

    python3 smtp_sink.py PORT MAILDIR

MAILDIR/delay, when present, holds the seconds the server takes over each
message before answering: a slow mail server, so a node can be killed
while it holds messages mid-delivery. A client that goes away before the
answer has not delivered its message (it was never told 250), so nothing
is stored for it, as RFC 5321 §6.1 reads: the sender keeps responsibility
until the reply.
"""
import asyncio
import mailbox
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)
        self.box = mailbox.Maildir(os.path.join(root, "box"), create=True)

    def delay(self):
        try:
            with open(os.path.join(self.root, "delay")) as f:
                return float(f.read().strip() or 0)
        except FileNotFoundError:
            return 0.0

    async def handle_DATA(self, server, session, envelope):
        d = self.delay()
        if d > 0:
            await asyncio.sleep(d)
        t = server.transport
        if t is None or t.is_closing():
            return "451 the client went away"
        self.box.add(envelope.original_content or envelope.content)
        return "250 OK"


def main():
    port, root = int(sys.argv[1]), sys.argv[2]
    c = Controller(Sink(root), hostname="127.0.0.1", port=port)
    c.start()
    print(f"smtp sink on 127.0.0.1:{port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        c.stop()


if __name__ == "__main__":
    main()
