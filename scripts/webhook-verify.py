"""A webhook receiver that verifies every delivery with the `standardwebhooks` package (an
independent implementation of the Standard Webhooks scheme), used by scripts/webhook-verify.sh.

    python webhook-verify.py PORT SECRET OUT_FILE

Answers 204 to a delivery that verifies and 401 to one that does not, and appends one JSON
line per delivery to OUT_FILE: {"verified": bool, "webhook_id": ..., "revision": ...}.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

port, secret, out_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
verifier = Webhook(secret)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = verifier.verify(body, headers)
            verified = True
        except WebhookVerificationError:
            payload, verified = json.loads(body or b"{}"), False
        with open(out_path, "a") as out:
            out.write(json.dumps({
                "verified": verified,
                "webhook_id": headers.get("webhook-id"),
                "revision": payload.get("revision"),
                "type": payload.get("type"),
            }) + "\n")
        self.send_response(204 if verified else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
