#!/usr/bin/env python3
"""Loopback server of hostile feeds for scripts/hostile (the tests use their own, in Swift).

Routes: /honest.xml, /endless.xml, /trickle.xml (a byte every 2 s), /bomb.xml (64 MiB of
zeros gzipped), /loop.xml, /to-file.xml, /deep.xml
(10,000 nested elements), /laughs.xml, /xxe.xml (entities at a local file and at this server:
/xxe-probe must never be requested), /huge-title.xml (50 MB title), /long-title.xml (2 MB title,
5 MB text), /bad-bytes.xml (invalid UTF-8 and NULs), /rekeyed.xml (new GUIDs every request),
/cdata-control.xml (a backspace inside the first item's CDATA, then a drill report),
/flood.xml (10,000 new items every request), /three-drills.xml (three drill reports, for hooks), /json-controls.json (a JSON Feed whose title
carries ESC, CSI, OSC and a bidi override), /escape-location.xml (a redirect whose Location
holds terminal escapes), /secret.xml (500, asked for with a password and an API key).
Binds 127.0.0.1 only; stops by itself after --lifetime seconds. Requests are logged to stdout.
(A redirect into the local network cannot be shown here: on loopback, the origin is local too.
HTTPClientTests checks that guard with a loopback server standing in for a public one.)
"""
import argparse, gzip, http.server, itertools, threading, time

counter = itertools.count()
RSS = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'
HONEST = ('<item><guid>honest-1</guid><title>Chinese and Russian warships begin joint drills in the Sea of Japan</title>'
          '<link>https://honest.example/1</link><description>Destroyers of the Chinese and Russian navies began the '
          'Joint Sea exercise near Vladivostok, the defence ministries said.</description></item>')


def laughs():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>&lol9;</title>'
            '<item><guid>laugh</guid><title>Laugh &lol9;</title></item></channel></rss>').encode()


def body_for(path, port):
    if path == "/honest.xml":
        return RSS.format(title="Honest", items=HONEST).encode()
    if path == "/deep.xml":
        return RSS.format(title="Deep", items="<item><guid>deep</guid><title>Deep</title><description>"
                          + "<div>" * 10000 + "deep" + "</div>" * 10000 + "</description></item>").encode()
    if path == "/laughs.xml":
        return laughs()
    if path == "/xxe.xml":
        return (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY file SYSTEM "file:///etc/passwd">'
                f'<!ENTITY web SYSTEM "http://127.0.0.1:{port}/xxe-probe"><!ENTITY % dtd SYSTEM "http://127.0.0.1:{port}/xxe-dtd"> %dtd;]>'
                '<rss version="2.0"><channel><title>XXE</title><item><guid>xxe</guid><title>File &file; web &web;</title></item>'
                '</channel></rss>').encode()
    if path == "/huge-title.xml":
        return RSS.format(title="Huge", items="<item><guid>huge</guid><title>" + "A" * (50 * 1024 * 1024) + "</title></item>").encode()
    if path == "/long-title.xml":
        return RSS.format(title="Long", items="<item><guid>long</guid><title>" + "B" * (2 * 1024 * 1024)
                          + "</title><description>" + "word " * 1000000 + "</description></item>").encode()
    if path == "/bad-bytes.xml":
        return (b'<rss version="2.0"><channel><title>Bad</title><item><guid>bad</guid><title>Bro\xff\xfe\xc3\x00\x28\xe2\x82ken'
                b'</title><description>NUL\x00here\xed\xa0\x80</description></item></channel></rss>')
    if path == "/three-drills.xml":
        stories = [("Chinese and Russian warships begin Joint Sea-2031 drills in the Sea of Japan",
                    "Destroyers of the Chinese and Russian navies began the Joint Sea-2031 exercise near Vladivostok."),
                   ("Chinese and Russian bombers fly a joint air patrol over the East China Sea",
                    "Two Chinese and two Russian strategic bombers flew a joint patrol, Japan's defence ministry said."),
                   ("Russian and Chinese troops hold Northern/Interaction-2031 exercise in Inner Mongolia",
                    "Ground forces of Russia and China began the Northern/Interaction-2031 drills at a training range.")]
        return RSS.format(title="Three", items="".join(
            f"<item><guid>three-{i}</guid><title>{t}</title><link>https://three.example/{i}</link>"
            f"<description>{d}</description></item>" for i, (t, d) in enumerate(stories))).encode()
    if path == "/cdata-control.xml":
        return RSS.format(title="CDATA", items='<item><guid>weather</guid><title>Weather</title>'
                          '<description><![CDATA[<p>Sunny\x08 skies</p>]]></description></item>'
                          + HONEST.replace("honest-1", "cdata-2")).encode()
    if path == "/flood.xml":
        n = next(counter)
        return RSS.format(title="Flood", items="".join(
            f"<item><guid>flood-{n}-{i}</guid><title>Item {n}-{i}</title></item>" for i in range(10000))).encode()
    if path == "/json-controls.json":
        import json
        return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Controls \x1b[31m",
                           "items": [{"id": "j1", "title": "Chinese and Russian warships hold joint drills \x1b]0;pwned\x07\x9b2J "
                                      "\u202eexe.tropper", "content_text": "The navies of China and Russia began joint "
                                      "naval exercises near Vladivostok.\u2028level=error"}]}).encode()
    if path == "/rekeyed.xml":
        n = next(counter)
        items = "".join(f"<item><guid>{n}-{i}</guid><title>Story {i}</title><link>https://rekeyed.example/{i}</link>"
                        f"<description>Harbour works continue, report {i}.</description></item>" for i in range(20))
        return RSS.format(title="Rekeyed", items=items).encode()
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)

    def do_GET(self):
        print(self.path, flush=True)
        port = self.server.server_address[1]
        redirects = {"/loop.xml": "/loop.xml?again", "/loop.xml?again": "/loop.xml", "/to-file.xml": "file:///etc/passwd",
                     "/escape-location.xml": "ftp://evil.example/\x1b[2J\x1b]0;owned\x07"}
        if self.path.startswith("/secret.xml"):
            self.send_error(500)
            return
        if self.path in redirects:
            self.send_response(302)
            self.send_header("Location", redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/bomb.xml":
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(self.bomb)))
            self.end_headers()
            try:
                self.wfile.write(self.bomb)
            except OSError:
                pass
            return
        if self.path in ("/endless.xml", "/trickle.xml"):
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"<item><title>x</title></item>" * 2000
            try:
                self.wfile.write(b"<rss><channel>")
                while True:
                    if self.path == "/endless.xml":
                        self.wfile.write(chunk)
                    else:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(2)
            except OSError:
                return
        body = body_for(self.path, port)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up on a hostile body: that is the point

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients abort hostile transfers on purpose


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifetime", type=float, default=900)
    args = parser.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
