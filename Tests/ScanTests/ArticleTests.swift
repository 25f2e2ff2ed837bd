import Curl
import Foundation
import Locking
import Model
@testable import Pipeline
import Settings
import Store
import TestSupport
import Testing

/// Headline-only feeds: the scan reads the article behind an item's link, on loopback servers.
@Suite struct LinkedArticles {
    static let headline = (id: "h1", title: "Navies begin a week of exercises", body: "More to follow.")

    static func articlePage(_ title: String) -> [UInt8] {
        Array("""
            <html lang="en"><head><title>\(title)</title></head><body>
            <nav><a href="/">Home</a> <a href="/world">World</a></nav>
            <article><h1>\(title)</h1>
            <p>The navies of China and Russia began the Joint Sea-2031 joint naval exercise near Vladivostok on Monday, the Chinese and Russian defence ministries said, with destroyers, a submarine and naval aircraft taking part.</p>
            <p>The drill in the Sea of Japan will practise anti-submarine warfare and air defence, and will be followed by a joint naval patrol in the western Pacific, the ministries said in a joint statement.</p>
            </article><footer>© Wire</footer></body></html>
            """.utf8)
    }

    /// A feed of headlines at /wire.xml linking to /articles/<id>, pages from `pages`, and a
    /// robots.txt (404 when nil).
    static func server(items: [(id: String, title: String, body: String)], robots: String? = nil,
                       pages: @escaping @Sendable (String) -> TestServer.Reply) throws -> TestServer {
        let base = Locked<String>("")
        let server = try TestServer { request in
            switch request.path {
            case "/wire.xml":
                let entries = items.map {
                    "<item><title>\($0.title)</title><link>\(base.withLock { $0 })/articles/\($0.id)</link><guid>\($0.id)</guid>"
                        + "<pubDate>Mon, 02 Jun 2031 06:00:00 GMT</pubDate><description>\($0.body)</description></item>"
                }
                return .response(status: 200, headers: [("Content-Type", "application/rss+xml")],
                                 body: Array("<rss version=\"2.0\"><channel><title>Wire</title>\(entries.joined())</channel></rss>".utf8))
            case "/robots.txt":
                guard let robots else { return .response(status: 404, headers: [], body: []) }
                return .response(status: 200, headers: [("Content-Type", "text/plain")], body: Array(robots.utf8))
            default:
                return pages(request.path)
            }
        }
        base.withLock { $0 = server.baseURL }
        return server
    }

    static func scan(_ server: TestServer, folder: URL, articles: String = "") async throws -> (ScanSummary, any StateStore) {
        let settings = try Scans.settings(server, folder: folder, feeds: ["wire"], scan: "[articles]\n\(articles)")
        let store = try Scans.store(settings)
        return (try await Scans.scan(settings, store), store)
    }

    static func folder() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("dw-articles-\(UUID())") }

    static func articleRequests(_ server: TestServer) -> [String] {
        server.requests.map(\.path).filter { $0.hasPrefix("/articles/") }
    }

    @Test func aHeadlineBecomesAnAlertOnItsArticle() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try Self.server(items: [Self.headline]) { _ in
            .response(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Self.articlePage(Self.headline.title))
        }
        defer { server.stop() }
        let (summary, store) = try await Self.scan(server, folder: folder)
        #expect(summary.articles.read == 1)
        let alerts = try await store.latestAlerts(limit: 10)
        let alert = try #require(alerts.first, "the article, not the headline, makes it an alert")
        #expect(alerts.count == 1)
        #expect(alert.fromArticle == true)
        #expect(alert.summary.hasPrefix("The navies of China and Russia began the Joint Sea-2031"))
        #expect(alert.exercise == "Joint Sea-2031")
        #expect(!alert.summary.contains("Home"))
        #expect(Scans.alertFiles(folder).count == 1)

        // The state keeps the article it was judged on beside the lede it shows, so that the
        // next process (a new `scan`) remembers the story as it was judged.
        let stored = try #require(try await store.relevantItems(since: .distantPast, latest: 100).first)
        #expect(stored.summary == alert.summary)
        #expect(stored.judgedText?.contains("joint naval patrol in the western Pacific") == true)
        #expect(try await store.items(firstSeenFrom: .distantPast, to: .distantFuture).first?.summary == alert.summary)
        // A second outlet's headline over the same report, in a new process: the same story.
        let second = try Self.server(items: [(id: "h2", title: "Exercises begin at sea", body: "Details soon.")]) { _ in
            .response(status: 200, headers: [("Content-Type", "text/html")], body: Self.articlePage("Exercises begin at sea"))
        }
        defer { second.stop() }
        var settings = try Scans.settings(second, folder: folder, feeds: ["wire"])
        settings.feeds[0].name = "desk"
        let summary2 = try await Scans.scan(settings, store)
        #expect(summary2.outcomes.first?.duplicates == 1 && summary2.outcomes.first?.alerts == 0, "\(String(describing: summary2.outcomes.first))")
    }

    @Test func robotsTxtIsObeyed() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try Self.server(items: [Self.headline], robots: "User-agent: *\nDisallow: /articles/\n") { _ in
            .response(status: 200, headers: [("Content-Type", "text/html")], body: Self.articlePage(Self.headline.title))
        }
        defer { server.stop() }
        let (summary, store) = try await Self.scan(server, folder: folder)
        #expect(summary.articles.disallowed == 1)
        #expect(Self.articleRequests(server).isEmpty)
        #expect(try await store.latestAlerts(limit: 10).isEmpty, "judged on the headline alone")
        #expect(summary.outcomes.first?.newItems == 1)

        // A group for drillwatch's own product token outranks `*`.
        let robots = Robots("User-agent: *\nDisallow: /\n\nUser-agent: drillwatch\nAllow: /articles/\nDisallow: /private\n", token: "drillwatch")
        #expect(robots.allows("/articles/1") && !robots.allows("/private/x") && robots.allows("/other"))
        let patterns = Robots("User-agent: *\nDisallow: /*.pdf$\nDisallow: /news/\nAllow: /news/open", token: "drillwatch")
        #expect(!patterns.allows("/a/b.pdf") && patterns.allows("/a/b.pdf?x") && !patterns.allows("/news/x") && patterns.allows("/news/open/1"))
    }

    @Test func anArticleThatFailsLeavesTheItemJudgedOnce() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try Self.server(items: [Scans.drill]) { _ in .response(status: 500, headers: [], body: []) }
        defer { server.stop() }
        let (summary, store) = try await Self.scan(server, folder: folder, articles: "policy = \"always\"")
        #expect(summary.articles.failed == 1)
        let alerts = try await store.latestAlerts(limit: 10)
        #expect(alerts.count == 1, "judged on what the feed gave")
        #expect(alerts.first?.fromArticle == nil)
        // The next scan neither judges it again nor asks for its article again.
        let (again, _) = try await Self.scan(server, folder: folder, articles: "policy = \"always\"")
        #expect(again.outcomes.first?.newItems == 0)
        #expect(Self.articleRequests(server).count == 1)
    }

    /// A feed's articles hold back the judging of every later feed, so they get one deadline
    /// together (`timeout_seconds` from the first), not one each: 40 pages that never finish
    /// take two seconds of the scan, not forty times two over four at a time.
    @Test func aFeedsArticlesShareOneDeadline() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let items = (0..<40).map { (id: "s\($0)", title: "Navies exercise, part \($0)", body: "More to follow.") }
        let server = try Self.server(items: items) { _ in .stall(firstBytes: Array("<html><body><p>".utf8), seconds: 5) }
        defer { server.stop() }
        let (summary, _) = try await Self.scan(server, folder: folder, articles: "policy = \"always\"\nper_host_per_minute = 100\ntimeout_seconds = 2")
        #expect(summary.outcomes.first?.newItems == items.count, "every item judged, on the feed's text")
        let counts = summary.articles
        #expect(counts.read == 0 && counts.failed + counts.late == items.count, "\(counts)")
        // Four were asked for at first; four more only if their fetches timed out before the
        // deadline was noticed (the two fall on the same second); none after it.
        #expect(Self.articleRequests(server).count <= 8, "\(Self.articleRequests(server).count)")
        #expect(counts.late >= items.count - 8)
    }

    /// The wait for a host's `robots.txt`, which many feeds' articles share, ends for a waiter
    /// cancelled at its deadline while the others still get the rules.
    @Test func aCancelledWaiterLeavesTheSharedTask() async throws {
        // The shared task ends when cancelled itself (the test does so below), else in a minute:
        // a waiter that did not leave at its own cancellation would get 7, not nil.
        let shared = Task<Int, Never> {
            try? await Task.sleep(for: .seconds(60))
            return 7
        }
        let cancelled = Task { await shared.valueUnlessCancelled() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
        let waiter = Task { await shared.valueUnlessCancelled() }
        shared.cancel()
        #expect(await waiter.value == 7)
        let late = Task { await shared.valueUnlessCancelled() }
        #expect(await late.value == 7, "a task that has ended gives its value")
    }

    @Test func thePerHostLimitHolds() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let items = (1...8).map { (id: "h\($0)", title: "Headline number \($0)", body: "More to follow.") }
        let server = try Self.server(items: items) { _ in
            .response(status: 200, headers: [("Content-Type", "text/html")], body: Self.articlePage("A page"))
        }
        defer { server.stop() }
        let (summary, _) = try await Self.scan(server, folder: folder, articles: "per_host_per_minute = 3")
        #expect(Self.articleRequests(server).count == 3)
        #expect(summary.articles.read == 3 && summary.articles.overLimit == 5)
        #expect(summary.outcomes.first?.newItems == 8, "items past the limit are judged all the same")
    }

    @Test func anArticleIsReadOnceAndThenFromTheCache() async throws {
        let store = try SQLiteStore.inMemory()
        let server = try TestServer { request in
            request.path == "/robots.txt" ? .response(status: 404, headers: [], body: [])
                : .response(status: 200, headers: [("Content-Type", "text/html"), ("ETag", "\"a1\"")], body: Self.articlePage("Page"))
        }
        defer { server.stop() }
        var settings = ArticleSettings()
        settings.cacheHours = 0  // always revalidate: the second read is a conditional GET
        let clock = Locked(Date(timeIntervalSince1970: 2_000_000_000))
        let reader = ArticleReader(settings: settings, client: HTTPClient(), userAgent: "drillwatch/test", store: store,
                                   now: { clock.withLock { $0 } })
        let (first, firstCounts) = await reader.article(at: server.baseURL + "/a", mayReachLocal: true)
        #expect(firstCounts.read == 1 && first?.lede.hasPrefix("The navies") == true)
        clock.withLock { $0 += 120 }
        let (second, _) = await reader.article(at: server.baseURL + "/a", mayReachLocal: true)
        #expect(second?.body == first?.body)
        #expect(server.requests.last?.headers["if-none-match"] == "\"a1\"", "asked with the page's validator")
        #expect(server.requests.last?.headers["accept"]?.hasPrefix("text/html") == true, "asked for a page, not a feed")
    }

    /// A server standing in for one on the internet sends the article fetch to a server
    /// playing the local network: refused, and the inside server sees nothing.
    @Test func aRedirectIntoTheLocalNetworkIsRefused() async throws {
        let inside = try TestServer { _ in .response(status: 200, headers: [("Content-Type", "text/html")], body: Self.articlePage("Inside")) }
        defer { inside.stop() }
        let insidePort = Int(inside.port)
        let outside = try TestServer { request in
            request.path == "/robots.txt" ? .response(status: 404, headers: [], body: [])
                : .response(status: 302, headers: [("Location", inside.baseURL + "/admin")], body: [])
        }
        defer { outside.stop() }
        let client = HTTPClient(policy: FetchPolicy(isLocalAddress: { $0.port == insidePort }))
        let reader = ArticleReader(settings: ArticleSettings(), client: client, userAgent: "drillwatch/test", store: try SQLiteStore.inMemory())
        let (text, counts) = await reader.article(at: outside.baseURL + "/story", mayReachLocal: false)
        #expect(text == nil && counts.failed == 1)
        #expect(inside.requests.isEmpty)
        // A link straight into the local network, from a feed on the internet, is refused too.
        let (direct, directCounts) = await reader.article(at: inside.baseURL + "/admin", mayReachLocal: false)
        #expect(direct == nil && directCounts.failed == 1, "its robots.txt is refused: the host cannot be reached")
        #expect(inside.requests.isEmpty)
        #expect(ArticleReader.isOnLocalNetwork("http://127.0.0.1:8080/feed") && ArticleReader.isOnLocalNetwork("http://localhost/x"))
        #expect(!ArticleReader.isOnLocalNetwork("https://tass.com/rss") && !ArticleReader.isOnLocalNetwork("http://10.example.com/"))
    }

    /// Items whose links lead to everything a web server should not send: each article ends
    /// in bounded time (or is read harmlessly), every item is judged, the honest one alerts.
    @Test func hostileArticlePagesAreBoundedAndTheItemsJudged() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bomb = try HostileFeeds.gzipBomb()
        // The trickle last: it takes the whole 6 s, and a feed's articles share one deadline
        // (with 3 s, the honest page was once not read in time: the whole suite running while
        // another build took both cores).
        let hostile = ["endless", "bomb", "huge", "loop", "to-file", "deep", "links", "binary", "trickle"]
        let items = [Self.headline] + hostile.map { (id: $0, title: "Headline \($0)", body: "More to follow.") }
        let server = try Self.server(items: items) { path in
            let html: @Sendable (String) -> TestServer.Reply = { .response(status: 200, headers: [("Content-Type", "text/html")], body: Array($0.utf8)) }
            switch path {
            case "/articles/h1": return .response(status: 200, headers: [("Content-Type", "text/html")], body: Self.articlePage(Self.headline.title))
            case "/articles/endless": return .endless(chunk: Array(String(repeating: "<p>more words, ", count: 1000).utf8))
            case "/articles/trickle": return .trickle(interval: 2)
            case "/articles/bomb": return .response(status: 200, headers: [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], body: bomb)
            case "/articles/huge": return html("<p>" + String(repeating: "word ", count: 1_300_000) + "</p>")
            case "/articles/loop": return .response(status: 302, headers: [("Location", "/articles/loop?again")], body: [])
            case "/articles/to-file": return .response(status: 301, headers: [("Location", "file:///etc/passwd")], body: [])
            case "/articles/deep": return html(String(repeating: "<div>", count: 5_000) + "deep" + String(repeating: "</div>", count: 5_000))
            case "/articles/links": return html(String(repeating: "<a href=\"/x\">link</a> ", count: 30_000))
            case "/articles/binary": return .response(status: 200, headers: [("Content-Type", "text/html")], body: (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
            default: return .response(status: 302, headers: [("Location", "/articles/loop")], body: [])
            }
        }
        defer { server.stop() }
        let started = ContinuousClock.now
        let (summary, store) = try await Self.scan(server, folder: folder, articles: "policy = \"always\"\nper_host_per_minute = 100\ntimeout_seconds = 6")
        // The trickle is cut at 6 s: about 7 s here, 10 s alone under AddressSanitizer. The
        // bound catches a hang, not slowness: with the whole suite running under a sanitizer on
        // two cores, the scan waited for the other tests 328 s (ThreadSanitizer) and 507 s
        // (AddressSanitizer), though it needed 10.
        #expect(ContinuousClock.now - started < .seconds(Sanitizer.isActive ? 1_800 : 300))
        #expect(summary.outcomes.first?.newItems == items.count, "every item judged")
        // Each page read, refused or empty, or cut by the feed's deadline (a slow machine, a
        // sanitizer, reaches it before the last pages are asked for).
        let counts = summary.articles
        #expect(counts.read >= 1 && counts.failed >= 1, "\(counts)")
        #expect(counts.read + counts.failed + counts.empty + counts.needsJavaScript + counts.late == items.count, "\(counts)")
        let alerts = try await store.latestAlerts(limit: 10)
        #expect(alerts.count == 1 && alerts.first?.fromArticle == true)
        #expect(!server.requests.contains { $0.path.contains("passwd") })
    }

    @Test func robotsTxtIsReadOnceADay() async throws {
        let server = try TestServer { request in
            request.path == "/robots.txt" ? .response(status: 200, headers: [("Content-Type", "text/plain")], body: Array("User-agent: *\nDisallow: /private/\n".utf8))
                : .response(status: 200, headers: [("Content-Type", "text/html")], body: Self.articlePage("Page"))
        }
        defer { server.stop() }
        var settings = ArticleSettings()
        settings.cacheHours = 0
        let clock = Locked(Date(timeIntervalSince1970: 2_000_000_000))
        let reader = ArticleReader(settings: settings, client: HTTPClient(), userAgent: "drillwatch/test", store: try SQLiteStore.inMemory(),
                                   now: { clock.withLock { $0 } })
        func robotsRequests() -> Int { server.requests.filter { $0.path == "/robots.txt" }.count }
        _ = await reader.article(at: server.baseURL + "/a", mayReachLocal: true)
        clock.withLock { $0 += 3600 }
        let (_, refused) = await reader.article(at: server.baseURL + "/private/b", mayReachLocal: true)
        #expect(refused.disallowed == 1)
        #expect(robotsRequests() == 1, "kept from one read to the next")
        clock.withLock { $0 += 24 * 3600 }
        _ = await reader.article(at: server.baseURL + "/c", mayReachLocal: true)
        #expect(robotsRequests() == 2, "asked again after a day")
    }

    @Test func aLinkToAFileThatIsNoPageIsNotRead() async throws {
        let server = try TestServer { request in
            request.path == "/robots.txt" ? .response(status: 404, headers: [], body: [])
                : .response(status: 200, headers: [("Content-Type", "application/pdf")], body: Array("%PDF-1.7 The navies of China and Russia".utf8))
        }
        defer { server.stop() }
        let reader = ArticleReader(settings: ArticleSettings(), client: HTTPClient(), userAgent: "drillwatch/test", store: try SQLiteStore.inMemory())
        let (text, counts) = await reader.article(at: server.baseURL + "/report.pdf", mayReachLocal: true)
        #expect(text == nil && counts.empty == 1)
    }

    @Test func aJavaScriptRedirectorIsRememberedAndNotRetried() async throws {
        let store = try SQLiteStore.inMemory()
        let server = try TestServer { request in
            request.path == "/robots.txt" ? .response(status: 404, headers: [], body: [])
                : .response(status: 200, headers: [("Content-Type", "text/html")],
                            body: Array("<html><body><script>window.location.replace('https://x.example/a')</script>Opening…</body></html>".utf8))
        }
        defer { server.stop() }
        let reader = ArticleReader(settings: ArticleSettings(), client: HTTPClient(), userAgent: "drillwatch/test", store: store)
        let (_, counts) = await reader.article(at: server.baseURL + "/rss/articles/abc", mayReachLocal: true)
        #expect(counts.needsJavaScript == 1)
        let (_, again) = await reader.article(at: server.baseURL + "/rss/articles/abc", mayReachLocal: true)
        #expect(again.needsJavaScript == 1)
        #expect(server.requests.filter { $0.path.hasPrefix("/rss/") }.count == 1, "not fetched again")
    }
}
