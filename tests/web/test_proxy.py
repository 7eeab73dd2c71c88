"""IPv6 and reverse proxies against running servers: the server listens on
an IPv6 literal ([::1]:PORT); X-Forwarded-For and X-Forwarded-Proto are
believed only from site.xml's web.trusted-proxies, and then drive the
intake rate limit, login throttling, the audit trail's client address and
the Secure cookie flag; from anybody else they are ignored. Bad listen
addresses and proxy lists are refused with a clear message."""
import subprocess

from webtest import FR, Checks, Client, Server, Site

t = Checks()


def set_proxies(site, value):
    site.setting("web.trusted-proxies", value)


def refer(client, xff):
    return client.form("/refer", {"referrer_name": "S", "referrer_contact": "c",
                                  "person_name": "P", "situation": "s"}, csrf=False) \
        if xff is None else client.request(
            "POST", "/refer", raw=b"referrer_name=S&referrer_contact=c&person_name=P&situation=s",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Forwarded-For": xff})


# ---- behind a trusted proxy, on IPv6 ----
site = Site()
site.user("admin", role="admin")
site.user("marie", team="Namur")
set_proxies(site, "::1, 10.0.0.0/8")
srv = Server(site, host="::1")
t.check(srv.port > 0, "the server listens on the IPv6 literal [::1]")
anon = Client(srv)
t.check(anon.request("GET", "/refer").status == 200, "pages answer over IPv6")

codes = [refer(anon, "198.51.100.7").status for _ in range(6)]
t.check(codes[:5] == [201] * 5 and codes[5] == 429,
        "the intake limit counts the client named by the trusted proxy", codes)
r = refer(anon, "198.51.100.8")
t.check(r.status == 201, "another client behind the same proxy is not limited", r.status)
r = refer(anon, "192.0.2.1, 10.1.2.3")
t.check(r.status == 201, "the right-most untrusted address is the client (chained proxies)",
        r.status)
codes = [refer(anon, "garbage, 198.51.100.7").status for _ in range(1)]
t.check(codes == [429], "garbage on the left of X-Forwarded-For is ignored", codes)

c = Client(srv)
r = c.request("POST", "/api/v1/session", body={"login": "marie", "password": "correct-horse"},
              headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
cookie = r.header("Set-Cookie") or ""
t.check(r.status == 200 and "Secure" in cookie,
        "X-Forwarded-Proto: https from a trusted proxy makes the cookie Secure", cookie)
r = Client(srv).request("POST", "/api/v1/session",
                        body={"login": "marie", "password": "correct-horse"})
t.check("Secure" not in (r.header("Set-Cookie") or ""), "without it, no Secure flag")

# login throttling by the forwarded address
bad = Client(srv)
codes = [bad.request("POST", "/api/v1/session", body={"login": f"nobody{i}", "password": "x"},
                     headers={"X-Forwarded-For": "203.0.113.66"}).status for i in range(21)]
t.check(codes[-1] == 429, "login throttling counts the forwarded client's address", codes[-3:])
r = Client(srv).request("POST", "/api/v1/session",
                        body={"login": "marie", "password": "correct-horse"},
                        headers={"X-Forwarded-For": "203.0.113.67"})
t.check(r.status == 200, "another client behind the proxy can still log in", r.status)

adm = Client(srv)
adm.login("admin")
entries = adm.api("GET", "/audit?limit=500").json()
details = " ".join(str(e.get("detail")) for e in entries if e["action"] in ("login", "login-failed"))
t.check("203.0.113.9" in details and "203.0.113.66" in details,
        "the audit trail records the forwarded client's address", details[:300])
t.check(srv.stop() == 0, "the IPv6 server stops cleanly")

# ---- no trusted proxy: the headers are ignored ----
site2 = Site()
site2.user("marie", team="Namur")
srv2 = Server(site2)
anon = Client(srv2)
codes = [refer(anon, f"198.51.100.{i}").status for i in range(6)]
t.check(codes[5] == 429, "from an untrusted peer, X-Forwarded-For cannot dodge the limit", codes)
r = Client(srv2).request("POST", "/api/v1/session",
                         body={"login": "marie", "password": "correct-horse"},
                         headers={"X-Forwarded-Proto": "https"})
t.check(r.status == 200 and "Secure" not in (r.header("Set-Cookie") or ""),
        "from an untrusted peer, X-Forwarded-Proto is ignored", r.header("Set-Cookie"))
t.check(srv2.stop() == 0, "the server stops cleanly")

# ---- bad configuration ----
set_proxies(site2, "10.0.0.0/8 proxy.example")
p = subprocess.run([FR, "serve", "--listen", "127.0.0.1:0"], env=site2.env, capture_output=True,
                   text=True, timeout=60)
t.check(p.returncode != 0 and "web.trusted-proxies" in p.stderr and "proxy.example" in p.stderr,
        "a bad trusted proxy is refused, naming the setting and the entry", p.stderr)
for listen in ["[::1", "[::1]:99999", "::zz", "localhost:8080"]:
    p = subprocess.run([FR, "serve", "--listen", listen], env=site.env, capture_output=True,
                       text=True, timeout=60)
    t.check(p.returncode != 0 and "--listen" in p.stderr and "Traceback" not in p.stderr,
            f"--listen {listen!r} is refused with a clear message", p.stderr)
t.finish()
