import Foundation
import Locking
import Model
import Pipeline
import PostgresStore
import Reports
import Settings
import Store
import TestSupport
import Testing

/// Scans end to end: a loopback server whose feeds change between scans, the shipped rules and
/// corpus, a state database and alert files in a temporary folder.
@Suite struct Scans {
    /// Feed bodies the test server serves, changeable between scans.
    final class Feeds: Sendable {
        let bodies = Locked<[String: String]>([:])
        func set(_ path: String, _ body: String) { bodies.withLock { $0[path] = body } }
        func body(_ path: String) -> String? { bodies.withLock { $0[path] } }
    }

    static func rss(_ items: [(id: String, title: String, body: String)]) -> String {
        let entries = items.map { "<item><title>\($0.title)</title><link>https://news.example/\($0.id)</link><guid>\($0.id)</guid><pubDate>Mon, 02 Jun 2031 06:00:00 GMT</pubDate><description>\($0.body)</description></item>" }
        return "<rss version=\"2.0\"><channel><title>Test</title>\(entries.joined())</channel></rss>"
    }

    static func server(_ feeds: Feeds) throws -> TestServer {
        try TestServer { request in
            guard let body = feeds.body(request.path) else { return .response(status: 404, headers: [], body: []) }
            // The ETag is the body's hash: unchanged feeds get 304s.
            let etag = "\"\(String(body.hashValue, radix: 16))\""
            if request.headers["if-none-match"] == etag { return .response(status: 304, headers: [("ETag", etag)], body: []) }
            return .response(status: 200, headers: [("Content-Type", "application/rss+xml"), ("ETag", etag)], body: Array(body.utf8))
        }
    }

    /// The shipped rules and corpus, state and output under `folder`, and `feeds` served by
    /// `server` at `/<name>.xml`; `scan` adds lines to the `[scan]` table.
    static func settings(_ server: TestServer, folder: URL, feeds: [String] = ["wire", "desk"], scan: String = "") throws -> Settings {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/drillwatch.toml")
        let feedTables = feeds.map { "[[feeds]]\nname = \"\($0)\"\nurl = \"\(server.baseURL)/\($0).xml\"" }
        let source = """
            base = "\(shipped.path)"
            [paths]
            state = "\(folder.appendingPathComponent("state").path)"
            output = "\(folder.appendingPathComponent("output").path)"
            [scan]
            first_run_horizon_days = 36500
            \(scan)
            \(feedTables.joined(separator: "\n"))
            """
        return try Settings.parse(source, file: folder.appendingPathComponent("test.toml"))
    }

    /// One scan in a new scanner, as a new process would run it (stories come from the state).
    static func scan(_ settings: Settings, _ store: any StateStore, now: @escaping @Sendable () -> Date = { Date() }) async throws -> ScanSummary {
        try await FeedScanner(settings: settings, store: store, classifier: ClassifierLoader.classifier(settings), now: now).scan()
    }

    static func store(_ settings: Settings) throws -> any StateStore {
        try SQLiteStore.open(at: settings.stateFolder.appendingPathComponent("drillwatch.sqlite").path)
    }

    /// Where a scan keeps its state: the tests that matter for the crash-safety contract run on both.
    enum Backend: String, CaseIterable, Sendable { case sqlite, postgres }

    /// The state on `backend`, opened as `scan` opens it; nil (the test skips) without PostgreSQL.
    static func store(_ settings: Settings, on backend: Backend) async throws -> (any StateStore)? {
        switch backend {
        case .sqlite: return try store(settings)
        case .postgres:
            guard let server = PostgresServer.orSkip() else { return nil }
            return try await PostgresStore.open(url: try server.createDatabase(), password: nil, instance: .init(version: "test"))
        }
    }

    static func alertFiles(_ folder: URL) -> [URL] {
        let root = folder.appendingPathComponent("output/alerts")
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
    }

    static let drill = (id: "d1", title: "Chinese and Russian warships begin joint drills in the Sea of Japan",
                        body: "Destroyers of the Chinese and Russian navies began the Joint Sea-2031 exercise near Vladivostok, the defence ministries said.")
    static let copy = (id: "c9", title: "Russian, Chinese navies open Joint Sea-2031 drills near Vladivostok",
                       body: "Russian and Chinese destroyers started the Joint Sea-2031 naval exercise near Vladivostok in the Sea of Japan, the ministries said.")
    static let noise = (id: "n1", title: "Typhoon closes ports", body: "Ferries were cancelled along the coast.")
    static let patrol = (id: "p1", title: "Chinese and Russian bombers fly joint patrol over the East China Sea",
                         body: "Two Chinese and two Russian strategic bombers flew a joint air patrol, Japan's defence ministry said.")

    @Test(arguments: Backend.allCases)
    func scansAlertOncePerStory(on backend: Backend) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-scan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Feeds()
        feeds.set("/wire.xml", Self.rss([Self.drill, Self.noise]))
        feeds.set("/desk.xml", Self.rss([]))
        let server = try Self.server(feeds)
        defer { server.stop() }
        let settings = try Self.settings(server, folder: folder)
        guard let store = try await Self.store(settings, on: backend) else { return }

        // First scan: one alert.
        var summary = try await Self.scan(settings, store)
        #expect(summary.outcomes.map(\.status) == [.fetched, .fetched])
        #expect(summary.outcomes.map(\.alerts) == [1, 0])
        #expect(Self.alertFiles(folder).count == 1)

        // Nothing changed: 304s and no new alert.
        summary = try await Self.scan(settings, store)
        #expect(summary.outcomes.map(\.status) == [.notModified, .notModified])
        #expect(Self.alertFiles(folder).count == 1)

        // A syndicated copy on the other feed (in a new process: stories come from the state),
        // and a new story on the first feed.
        feeds.set("/desk.xml", Self.rss([Self.copy]))
        feeds.set("/wire.xml", Self.rss([Self.patrol, Self.drill, Self.noise]))
        summary = try await Self.scan(settings, store)
        #expect(summary.outcomes.map(\.newItems) == [1, 1])
        #expect(summary.outcomes.map(\.alerts) == [1, 0])
        #expect(summary.outcomes.map(\.duplicates) == [0, 1])
        let files = Self.alertFiles(folder)
        #expect(files.count == 2)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let alerts = try files.map { try decoder.decode(Judgement.self, from: Data(contentsOf: $0)) }
        #expect(Set(alerts.map(\.itemKey)) == ["id:d1", "id:p1"])
        #expect(alerts.allSatisfy { $0.schema == 1 && $0.verdict == .alert })
        await #expect(try store.pendingAlerts().alerts.isEmpty)

        // The day's digest lists the Joint Sea story with both sources, and the patrol.
        let builder = DigestBuilder(settings: settings, store: store)
        let digest = try await builder.build(day: builder.day(containing: Date()))
        #expect(digest.storyCount == 2)
        let jointSea = try #require(digest.groups.first { $0.exercise == "Joint Sea-2031" }?.stories.first)
        #expect(Set(jointSea.sources.map(\.feed)) == ["wire", "desk"])
        #expect(digest.headline == "2 new stories, all 2 feeds healthy")
        let digests = try builder.write(digest)
        let html = try String(contentsOf: digests.appendingPathComponent("\(digest.date).html"), encoding: .utf8)
        #expect(html.contains("Joint Sea-2031"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: digests.appendingPathComponent("\(digest.date).json")))
        #expect((json as? [String: Any])?["schema"] as? Int == 2)
    }

    @Test func digestEscapesFeedText() {
        let hostile = Digest.Source(feed: "<b>feed</b>", title: "<script>alert(1)</script> & \"quotes\"",
                                    link: "javascript:alert(1)", published: nil, firstSeen: Date(), score: 0.9)
        let story = Digest.Story(id: "s", title: "<img src=x onerror=alert(1)>", exercise: nil, places: nil, score: 0.9,
                                 firstSeen: Date(), lastSeen: Date(), sources: [hostile])
        let digest = Digest(date: "2031-01-01", timeZone: "UTC", generated: Date(), stories: [story], possiblyRelated: [hostile], feeds: [])
        let html = DigestRenderer.html(digest)
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("javascript:"))
        #expect(html.contains("&lt;script&gt;"))
        let markdown = DigestRenderer.markdown(digest)
        #expect(!markdown.contains("<script>"))
        #expect(!markdown.contains("javascript:"))
        #expect(digest.headline == "1 new story, all 0 feeds healthy")
    }

    @Test func unwritableOutputKeepsAlertsPending() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-scan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Feeds()
        feeds.set("/wire.xml", Self.rss([Self.drill]))
        feeds.set("/desk.xml", Self.rss([]))
        let server = try Self.server(feeds)
        defer { server.stop() }
        let settings = try Self.settings(server, folder: folder)
        let store = try Self.store(settings)
        // The output folder is a file: nothing can be written below it.
        try Data().write(to: folder.appendingPathComponent("output"))

        let summary = try await Self.scan(settings, store)
        #expect(summary.outcomes.first?.alerts == 1)
        #expect(summary.alertFilesWritten == 0)
        #expect(!summary.writeErrors.isEmpty)
        await #expect(try store.pendingAlerts().alerts.count == 1)

        // Space returns: the next scan writes the pending alert, once.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("output"))
        let next = try await Self.scan(settings, store)
        #expect(next.alertFilesWritten == 1)
        #expect(Self.alertFiles(folder).count == 1)
        await #expect(try store.pendingAlerts().alerts.isEmpty)
    }

    @Test func failingFeedIsReportedAndOthersGoOn() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-scan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Feeds()
        feeds.set("/wire.xml", Self.rss([Self.drill]))
        let server = try Self.server(feeds)   // /desk.xml answers 404
        defer { server.stop() }
        let settings = try Self.settings(server, folder: folder)
        let store = try Self.store(settings)
        let summary = try await Self.scan(settings, store)
        #expect(summary.failedFeeds == 1)
        #expect(summary.outcomes.first?.alerts == 1)
        let desk = try await #require(try store.feedState("desk"))
        #expect(desk.errorCount == 1)
        #expect(desk.lastStatus == 404)
        #expect(desk.lastError?.contains("404") == true)
    }

    @Test func repeatedPermanentRedirectMovesTheFeed() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-scan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Feeds()
        feeds.set("/new.xml", Self.rss([Self.noise]))
        feeds.set("/desk.xml", Self.rss([]))
        let server = try TestServer { request in
            if request.path == "/wire.xml" { return .response(status: 301, headers: [("Location", "/new.xml")], body: []) }
            guard let body = feeds.body(request.path) else { return .response(status: 404, headers: [], body: []) }
            return .response(status: 200, headers: [], body: Array(body.utf8))
        }
        defer { server.stop() }
        let settings = try Self.settings(server, folder: folder)
        let store = try Self.store(settings)
        for _ in 0..<3 {
            _ = try await Self.scan(settings, store)
        }
        let wire = try await #require(try store.feedState("wire"))
        #expect(wire.movedTo == server.baseURL + "/new.xml")
        #expect(wire.movedCount == 2)
        // Two redirected fetches, then straight to the new address.
        #expect(server.requests.filter { $0.path == "/wire.xml" }.count == 2)
        #expect(server.requests.filter { $0.path == "/new.xml" }.count == 3)
    }

    @Test(arguments: Backend.allCases)
    func retentionForgetsOldItemsWithoutRealerting(on backend: Backend) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-scan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Feeds()
        feeds.set("/wire.xml", Self.rss([Self.drill]))
        feeds.set("/desk.xml", Self.rss([]))
        let server = try Self.server(feeds)
        defer { server.stop() }
        var settings = try Self.settings(server, folder: folder)
        settings.scan.retentionDays = 30
        guard let store = try await Self.store(settings, on: backend) else { return }
        // The drill item is dated 2031-06-02; a scan "in 2031-06" alerts, one a year later prunes it.
        let june = Date(timeIntervalSince1970: 1_937_000_000)  // 2031-05-21
        let first = try await Self.scan(settings, store, now: { june.addingTimeInterval(14 * 86400) })
        #expect(first.outcomes.first?.alerts == 1)
        let later = june.addingTimeInterval(400 * 86400)
        feeds.set("/wire.xml", Self.rss([Self.drill, Self.noise]))  // changed: fetched again
        let second = try await Self.scan(settings, store, now: { later })
        #expect(second.outcomes.first?.newItems == 1)
        #expect(second.outcomes.first?.alerts == 0)
        // That scan pruned the drill item (first seen over 30 days before). When the feed
        // changes again, the item is new to the database — but too old to alert again.
        feeds.set("/wire.xml", Self.rss([Self.noise, Self.drill]))
        let third = try await Self.scan(settings, store, now: { later.addingTimeInterval(60) })
        #expect(third.outcomes.first?.newItems == 1)
        #expect(third.outcomes.first?.alerts == 0)
        #expect(Self.alertFiles(folder).count == 1)
    }

    /// A feed's dates that cannot be true: year 9999 is taken as the fetch's time (in the story
    /// memory it made every other story look older than the window, to be forgotten), and year
    /// 1 as no date (before the retention horizon, the item would never have alerted).
    @Test func implausibleDatesAreNotTakenAtTheirWord() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-scan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Feeds()
        let items = [("Fri, 31 Dec 9999 23:59:59 GMT", Self.drill),
                     ("Mon, 01 Jan 0001 00:00:00 GMT", (id: "p1", title: "Chinese and Russian bombers fly a joint air patrol over the East China Sea",
                                                        body: "Two Chinese and two Russian strategic bombers flew a joint patrol over the East China Sea, Japan's defence ministry said."))]
        let entries = items.map { "<item><title>\($1.title)</title><link>https://news.example/\($1.id)</link><guid>\($1.id)</guid><pubDate>\($0)</pubDate><description>\($1.body)</description></item>" }
        feeds.set("/wire.xml", "<rss version=\"2.0\"><channel><title>Test</title>\(entries.joined())</channel></rss>")
        feeds.set("/desk.xml", Self.rss([]))
        let server = try Self.server(feeds)
        defer { server.stop() }
        var settings = try Self.settings(server, folder: folder)
        settings.scan.retentionDays = 30
        let store = try Self.store(settings)
        let now = Date(timeIntervalSince1970: 1_937_000_000)
        let summary = try await Self.scan(settings, store, now: { now })
        #expect(summary.outcomes.first?.alerts == 2)
        let published = try Self.alertFiles(folder).filter { $0.pathExtension == "json" }.map { file in
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
            return (object?["title"] as? String ?? "", object?["published"] as? String)
        }
        #expect(Set(published.map(\.1)) == [ISO8601DateFormatter().string(from: now), nil], "\(published)")
        #expect(Item.plausibleDate(now.addingTimeInterval(3600), fetchedAt: now) == now.addingTimeInterval(3600))
    }

    @Test func alertIdsCannotEscapeTheFolder() {
        let id = Judgement.id(feed: "wire", itemKey: "id:../../etc/passwd")
        #expect(id.count == 16 && id.allSatisfy(\.isHexDigit))
        #expect(Judgement.id(feed: "wire", itemKey: "x") == Judgement.id(feed: "wire", itemKey: "x"))
        #expect(Judgement.id(feed: "wire", itemKey: "x") != Judgement.id(feed: "desk", itemKey: "x"))
    }

    /// An analyst reads why an item alerted in its file, as `classify --explain` shows it: the
    /// score against its threshold, the features for and against, the corpus articles by their
    /// headlines. The explanation survives the outbox's JSON; an alert stored before it was
    /// kept still reads.
    @Test func alertFilesExplainTheScore() throws {
        var verdict = Verdict(kind: .alert, score: 0.93,
                              rules: [RuleHit(name: "joint-patrol", effect: .raise, weight: 0.61, matched: ["joint", "patrol"]),
                                      RuleHit(name: "headline-drill", effect: .raise, weight: -0.02, matched: ["drills"])],
                              similar: [SimilarDocument(document: "004_a871", title: "China to hold *Joint Sea* 2025", score: 0.2, terms: ["Vladivostok"])],
                              story: "story-1")
        verdict.bias = -2.98
        verdict.alertThreshold = 0.6
        verdict.contributions = [Verdict.Contribution(feature: "fact:exercise", logOdds: 3.17),
                                 Verdict.Contribution(feature: "rule:no-china", logOdds: -1.43)]
        let item = Item(id: "id:1", title: "Chinese and Russian bombers patrol", text: "A joint patrol.")
        let alert = Judgement(feed: "wire", item: item, verdict: verdict, firstSeen: Date(timeIntervalSince1970: 1_900_000_000))
        let markdown = AlertFiles.markdown(alert)
        #expect(markdown.contains("Score 0.93, alert from 0.60: log-odds -2.98 before any feature, then:"), "\(markdown)")
        #expect(markdown.contains("- for: `fact:exercise` +3.17\n- against: `rule:no-china` -1.43"))
        #expect(markdown.contains("- rule `headline-drill` (0.0): drills"))
        #expect(markdown.contains("- “China to hold \\*Joint Sea\\* 2025” (`004_a871`, 0.20): Vladivostok"), "\(markdown)")
        #expect(markdown.hasSuffix("Story `story-1`.\n"))

        let decoded = try JSONCoding.decoder().decode(Judgement.self, from: JSONCoding.encoder().encode(alert))
        #expect(decoded == alert)
        #expect(decoded.explanation?.contributions.first?.logOdds == 3.17)
        var old = try #require(try JSONSerialization.jsonObject(with: JSONCoding.encoder().encode(alert)) as? [String: Any])
        old["explanation"] = nil
        let before = try JSONCoding.decoder().decode(Judgement.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(before.explanation == nil)
        #expect(!AlertFiles.markdown(before).contains("Score 0.93"))
        #expect(AlertFiles.markdown(before).contains("- rule `joint-patrol` (+0.6): joint, patrol"))
    }

    @Test func markdownIsInert() {
        let text = Markup.markdown("<script>alert(1)</script> [click](javascript:x) ![img](http://x/y.png) **bold**")
        #expect(!text.contains("<script>"))
        #expect(!text.contains("](javascript"))
        #expect(text.contains("\\[click\\]"))
    }
}
