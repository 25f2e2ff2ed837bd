#!/usr/bin/env python3
"""Loopback feed server for scripts/soak: FEEDS feeds whose items change every minute.

Each feed holds the last 20 minutes of items (one per minute, GUID f<feed>-<minute>); about one
item in twelve reports a China-Russia drill, so alerts and duplicates keep coming. ETag and
Last-Modified follow the minute, so an unchanged feed answers 304. Binds 127.0.0.1 only and
stops by itself after --lifetime seconds.
"""
import argparse, email.utils, http.server, threading, time

SEAS = ["Sea of Japan", "East China Sea", "Sea of Okhotsk", "Yellow Sea", "Baltic Sea"]
NOISE = ["Port traffic rises in {sea}", "Ferry timetable changes near {sea}", "Fishing quotas debated for {sea}",
         "Storm warning issued for {sea}", "Shipyard opens new dock by {sea}"]


def item(feed, minute):
    sea = SEAS[(feed + minute) % len(SEAS)]
    if (feed * 7 + minute) % 12 == 0:
        title = f"Chinese and Russian warships begin joint naval drills in the {sea} (report {minute % 97})"
        body = (f"Destroyers and frigates of the Chinese and Russian navies started a joint exercise in the {sea}, "
                f"the defence ministries said; drill {minute % 13} includes air defence and anti-submarine training.")
    else:
        title = NOISE[(feed + minute) % len(NOISE)].format(sea=sea) + f" ({feed}-{minute})"
        body = f"Local officials said the change in the {sea} area takes effect next week. Update {minute}."
    date = email.utils.formatdate(minute * 60, usegmt=True)
    return (f"<item><title>{title}</title><link>https://soak.example/{feed}/{minute}</link>"
            f"<guid isPermaLink=\"false\">f{feed}-{minute}</guid><pubDate>{date}</pubDate>"
            f"<description>{body}</description></item>")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            feed = int(self.path.strip("/").split(".")[0])
        except ValueError:
            self.send_error(404)
            return
        minute = int(time.time() // 60)
        etag = f'"{feed}-{minute}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        items = "".join(item(feed, m) for m in range(minute, minute - 20, -1))
        body = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Soak {feed}</title>"
                f"<link>https://soak.example/{feed}</link><ttl>1</ttl>{items}</channel></rss>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(minute * 60, usegmt=True))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: 32 clients connecting at once overflow it, the
    # kernel drops their SYNs, and each waits a second or more to retry — seconds of idle
    # time in the scans this server is used to measure.
    request_queue_size = 1024
    daemon_threads = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lifetime", type=float, default=3900)
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
