import Foundation
import Model
import Pipeline
import Reports
import Settings
import Store
import TestSupport
import Testing

/// The digest reports what alerted; a dry run reports what a real scan would do.
@Suite struct DigestAndDryRun {
    static func folder() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("dw-digest-\(UUID())") }

    static func rss(_ items: [(id: String, title: String, body: String, date: String)]) -> String {
        let entries = items.map { "<item><title>\($0.title)</title><link>https://news.example/\($0.id)</link><guid>\($0.id)</guid><pubDate>\($0.date)</pubDate><description>\($0.body)</description></item>" }
        return "<rss version=\"2.0\"><channel><title>Test</title>\(entries.joined())</channel></rss>"
    }

    @Test func anOldItemOfAFirstFetchIsNotANewStory() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Scans.Feeds()
        // The patrol is a month old on the feed's first fetch: recorded, no alert.
        feeds.set("/wire.xml", Self.rss([(Scans.patrol.id, Scans.patrol.title, Scans.patrol.body, "Mon, 05 May 2031 06:00:00 GMT"),
                                         (Scans.drill.id, Scans.drill.title, Scans.drill.body, "Mon, 02 Jun 2031 06:00:00 GMT")]))
        feeds.set("/desk.xml", Self.rss([]))
        let server = try Scans.server(feeds)
        defer { server.stop() }
        var settings = try Scans.settings(server, folder: folder)
        settings.scan.firstRunHorizonDays = 2
        let store = try Scans.store(settings)
        let now = Date(timeIntervalSince1970: 1_938_153_600)  // 2031-06-02 08:00 UTC
        let summary = try await Scans.scan(settings, store, now: { now })
        #expect(summary.outcomes.first?.alerts == 1)
        let builder = DigestBuilder(settings: settings, store: store)
        let digest = try await builder.build(day: "2031-06-02", generated: now)
        #expect(digest.storyCount == 1, "\(digest.groups.flatMap(\.stories).map(\.title))")
        let story = try #require(digest.groups.first?.stories.first)
        #expect(story.title == Scans.drill.title)
        #expect(story.lede?.hasPrefix("Destroyers of the Chinese and Russian navies") == true)
        #expect(story.published != nil)
        // What set it apart, beyond a score of 1.00: its strongest rules, in its own words.
        #expect(story.reasons.first?.hasPrefix("drill-with-china-and-russia: ") == true, "\(story.reasons)")
        let file = try #require(story.alertFile)
        #expect(FileManager.default.fileExists(atPath: settings.outputFolder.appendingPathComponent("digests").appendingPathComponent(file).standardizedFileURL.path))
    }

    @Test func daysThatAreNotInTheCalendarAreRefused() async throws {
        let settings = try Settings.parse("", file: URL(fileURLWithPath: "/tmp/x.toml"))
        let builder = DigestBuilder(settings: settings, store: try SQLiteStore.inMemory())
        for day in ["2026-13-01", "2026-02-30", "26-11-28", "2026-1-5", "2026-01-05x"] {
            #expect(throws: PipelineError.self, "\(day)") { try builder.bounds(of: day) }
        }
        #expect(throws: Never.self) { try builder.bounds(of: "2024-02-29") }
    }

    @Test func aDryRunReportsWhatTheRealScanThenDoes() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Scans.Feeds()
        feeds.set("/wire.xml", Scans.rss([Scans.drill, Scans.noise]))
        feeds.set("/desk.xml", Scans.rss([]))
        let server = try Scans.server(feeds)
        defer { server.stop() }
        let settings = try Scans.settings(server, folder: folder)
        let store = try Scans.store(settings)
        _ = try await Scans.scan(settings, store)

        feeds.set("/wire.xml", Scans.rss([Scans.patrol, Scans.drill, Scans.noise]))
        feeds.set("/desk.xml", Scans.rss([Scans.copy]))
        let dry = try await FeedScanner(settings: settings, store: store, classifier: ClassifierLoader.classifier(settings)).scan(dryRun: true)
        #expect(try await store.pendingAlerts().alerts.isEmpty)
        #expect(Scans.alertFiles(folder).count == 1)
        let real = try await Scans.scan(settings, store)
        #expect(dry.outcomes.map(\.newItems) == real.outcomes.map(\.newItems))
        #expect(dry.outcomes.map(\.alerts) == real.outcomes.map(\.alerts))
        #expect(dry.outcomes.map(\.duplicates) == real.outcomes.map(\.duplicates))
        #expect(real.outcomes.map(\.newItems) == [1, 1])
    }

    @Test func aPausedFeedIsNotFetchedUnlessNamed() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Scans.Feeds()
        feeds.set("/wire.xml", Scans.rss([Scans.drill]))
        feeds.set("/desk.xml", Scans.rss([]))
        let server = try Scans.server(feeds)
        defer { server.stop() }
        var settings = try Scans.settings(server, folder: folder)
        settings.feeds[0].paused = true
        let store = try Scans.store(settings)
        let summary = try await Scans.scan(settings, store)
        #expect(summary.outcomes.map(\.feed) == ["desk"])
        let named = try await FeedScanner(settings: settings, store: store, classifier: ClassifierLoader.classifier(settings)).scan(feed: "wire")
        #expect(named.outcomes.map(\.feed) == ["wire"])
    }
}
