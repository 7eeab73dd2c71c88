"""HTTPS served by the server itself (MHD with GnuTLS): site.xml names a
certificate and key; the session cookie is then Secure and HSTS is sent."""
import http.client
import os
import shutil
import ssl
import subprocess

from webtest import Checks, Server, Site

t = Checks()
if not shutil.which("openssl"):
    print("# skip: no openssl to make a test certificate")
    raise SystemExit(77)
site = Site()
site.user("marie")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-keyout", os.path.join(site.dir, "key.pem"),
                "-out", os.path.join(site.dir, "cert.pem")], check=True, capture_output=True)
site.setting("web.tls-certificate", "cert.pem")
site.setting("web.tls-key", "key.pem")

srv = Server(site)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx, timeout=30)
conn.request("POST", "/api/v1/session", body='{"login":"marie","password":"correct-horse"}',
             headers={"Content-Type": "application/json"})
r = conn.getresponse()
body = r.read()
t.check(r.status == 200, "login over HTTPS", body)
t.check("Secure" in (r.getheader("Set-Cookie") or ""), "the session cookie is Secure",
        r.getheader("Set-Cookie"))
t.check((r.getheader("Strict-Transport-Security") or "").startswith("max-age="), "HSTS is sent")
conn.close()
plain = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
try:
    plain.request("GET", "/login")
    got = plain.getresponse().status
except Exception:
    got = None
t.check(got != 200, "plain HTTP is not answered on the TLS port", got)
t.check(srv.stop() == 0, "the TLS server stops cleanly")
t.finish()
