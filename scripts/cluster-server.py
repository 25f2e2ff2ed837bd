#!/usr/bin/env python3
"""Loopback feed server for scripts/cluster: FEEDS feeds, each with a new item every minute.

Every minute one new drill story is told by three feeds at once (syndicated copies, GUID
st<story>-c<copy>); every other new item is local news. Stories differ in series, sea, ships
and wording, so the classifier keeps them apart; copies of one story differ only in the order of
their sentences. Each feed keeps its last 20 minutes of items; ETags follow the minute, so an
unchanged feed answers 304. After --freeze-after seconds no new minute starts (the feeds stay
as they are), so the cluster can settle before it is checked.

Every request is logged to --log as "unix_time feed status user_agent"; --meta says when the
stories started and froze. Binds 127.0.0.1 only and stops by itself after --lifetime seconds.
"""
import argparse, email.utils, http.server, json, threading, time

SEAS = ["Sea of Japan", "East China Sea", "Sea of Okhotsk", "Yellow Sea", "Baltic Sea", "Arabian Sea",
        "Bering Sea", "South China Sea", "Gulf of Oman", "Mediterranean Sea", "Philippine Sea", "Barents Sea"]
SERIES = ["Joint Sea", "Northern/Interaction", "Maritime Security Belt", "Ocean", "Vostok", "Mosi"]
SHIPS = ["destroyers", "frigates", "corvettes", "submarines", "landing ships", "supply vessels"]
PORTS = ["Vladivostok", "Qingdao", "Zhanjiang", "Kaliningrad", "Sevastopol", "Ningbo", "Petropavlovsk", "Sanya",
         "Novorossiysk", "Dalian", "Baltiysk", "Shanghai"]
NOISE = ["Port traffic rises in {sea}", "Ferry timetable changes near {sea}", "Fishing quotas debated for {sea}",
         "Storm warning issued for {sea}", "Shipyard opens new dock by {sea}", "Tourist season starts on {sea} coast"]
COPIES = 3


def story_feeds(story, feeds):
    """The feeds that tell a story: three, spread over the set."""
    first = (story * 37) % feeds
    return [(first + k * (feeds // COPIES)) % feeds for k in range(COPIES)]


def story_text(story, copy):
    sea, series = SEAS[story % len(SEAS)], SERIES[story % len(SERIES)]
    ships, port = SHIPS[story % len(SHIPS)], PORTS[(story * 5) % len(PORTS)]
    year = 2030 + story
    name = f"{series}-{year}"
    sentences = [
        f"The Chinese and Russian navies began {name} in the {sea} on day {story}.",
        f"{story % 7 + 4} {ships} sailed from {port} for the exercise, the defence ministries said.",
        f"Crews will practise {['air defence', 'anti-submarine warfare', 'convoy escort', 'search and rescue'][story % 4]} "
        f"over {story % 5 + 3} days.",
    ]
    order = [sentences[(i + copy) % 3] for i in range(3)]
    title = [f"China and Russia start {name} drills in the {sea}",
             f"Russian and Chinese navies open {name} in the {sea}",
             f"{name}: Chinese, Russian {ships} exercise in the {sea}"][copy]
    return title, " ".join(order)


class State:
    def __init__(self, feeds, freeze_after):
        self.feeds = feeds
        self.start_minute = int(time.time() // 60)
        self.freeze_minute = int((time.time() + freeze_after) // 60) if freeze_after else None
        # story -> (minute, feeds): story n starts at start_minute + n.
        self.lock = threading.Lock()

    def minute(self):
        now = int(time.time() // 60)
        return min(now, self.freeze_minute) if self.freeze_minute is not None else now

    def story_at(self, minute):
        return minute - self.start_minute if minute >= self.start_minute else None

    def item(self, feed, minute):
        story = self.story_at(minute)
        date = email.utils.formatdate(minute * 60, usegmt=True)
        if story is not None and feed in story_feeds(story, self.feeds):
            copy = story_feeds(story, self.feeds).index(feed)
            title, body = story_text(story, copy)
            guid = f"st{story}-c{copy}"
        else:
            sea = SEAS[(feed + minute) % len(SEAS)]
            title = NOISE[(feed + minute) % len(NOISE)].format(sea=sea) + f" ({feed}-{minute})"
            body = f"Local officials said the change in the {sea} area takes effect next week. Update {minute}."
            guid = f"f{feed}-{minute}"
        return (f"<item><title>{title}</title><link>https://cluster.example/{guid}</link>"
                f"<guid isPermaLink=\"false\">{guid}</guid><pubDate>{date}</pubDate>"
                f"<description>{body}</description></item>")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--lifetime", type=float, default=1800)
    parser.add_argument("--freeze-after", type=float, default=0)
    parser.add_argument("--log", required=True)
    parser.add_argument("--meta", required=True, help="where the first minute and the frozen one are written (JSON)")
    options = parser.parse_args()
    state = State(options.feeds, options.freeze_after)
    with open(options.meta, "w") as out:
        json.dump({"feeds": options.feeds, "start_minute": state.start_minute, "freeze_minute": state.freeze_minute,
                   "copies": COPIES}, out)
    log = open(options.log, "a", buffering=1)
    log_lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            try:
                feed = int(self.path.strip("/").split(".")[0])
            except ValueError:
                self.send_error(404)
                return
            minute = state.minute()
            etag = f'"{feed}-{minute}"'
            agent = self.headers.get("User-Agent", "-").replace(" ", "_")
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                status = 304
            else:
                items = "".join(state.item(feed, m) for m in range(minute, minute - 20, -1))
                body = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Cluster {feed}</title>"
                        f"<link>https://cluster.example/{feed}</link>{items}</channel></rss>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                status = 200
            with log_lock:
                log.write(f"{time.time():.3f} {feed} {status} {agent}\n")

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

        def handle_error(self, request, client_address):
            pass  # a client killed mid-response (the test kills one) is not the server's error

    server = Server(("127.0.0.1", options.port), Handler)
    threading.Timer(options.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
