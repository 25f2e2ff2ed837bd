import Foundation
@testable import Pipeline
import Settings
import Testing

/// Feeds changed in the configuration file itself: comments and layout kept, every change
/// checked before it is written; OPML in and out.
@Suite struct FeedFileEdits {
    static let source = """
        # Our feeds — keep this comment.
        [scan]
        first_run_horizon_days = 2   # a comment after a value

        [[feeds]]
        name = "wire"
        url = "https://news.example/wire.xml"
        # the desk's own feed
        [[feeds]]
        name = "desk"
        url = "https://news.example/desk.xml"
        interval_minutes = 30

        [digest]
        time = "07:00"

        """

    static func file() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-feedfile-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("drillwatch.toml")
        try source.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func addPauseResumeAndRemoveKeepEverythingElse() throws {
        let url = try Self.file()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        var file = try FeedFile(file: url)
        file.add(name: "tass", url: "https://tass.com/rss/v2.xml", intervalMinutes: 30, tags: ["ru"])
        try file.setPaused(true, name: "desk")
        var settings = try file.save(checkingRules: nil)
        #expect(settings.feeds.map(\.name) == ["wire", "desk", "tass"])
        #expect(settings.feeds.map(\.paused) == [false, true, false])
        #expect(settings.digest.minuteOfDay == 7 * 60)

        file = try FeedFile(file: url)
        try file.setPaused(false, name: "desk")
        try file.remove(name: "tass")
        settings = try file.save(checkingRules: nil)
        #expect(settings.feeds.map(\.name) == ["wire", "desk"])
        // Back to the original, byte for byte: comments, blank lines and the later table.
        #expect(try String(contentsOf: url, encoding: .utf8) == Self.source)
    }

    @Test func aFeedsSubTableGoesWithItsFeed() throws {
        let url = try Self.file()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        var file = try FeedFile(file: url)
        file.add(name: "keyed", url: "https://keyed.example/feed.xml")
        try (file.text + "[feeds.headers]\nAccept-Language = \"ru\"\n").write(to: url, atomically: true, encoding: .utf8)
        file = try FeedFile(file: url)
        try file.setPaused(true, name: "keyed")
        #expect(try file.save(checkingRules: nil).feeds.last?.paused == true)
        file = try FeedFile(file: url)
        try file.remove(name: "keyed")
        let settings = try file.save(checkingRules: nil)
        // The header went with its feed, not to the feed before it.
        #expect(settings.feeds.map(\.name) == ["wire", "desk"])
        #expect(settings.feeds.allSatisfy { $0.headers.isEmpty })
        #expect(try String(contentsOf: url, encoding: .utf8) == Self.source)
    }

    @Test func aChangeThatWouldNotLoadIsNotWritten() throws {
        let url = try Self.file()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        var file = try FeedFile(file: url)
        file.add(name: "wire", url: "https://other.example/x.xml")  // a second "wire"
        #expect(throws: FeedFile.EditError.self) { try file.save(checkingRules: nil) }
        #expect(try String(contentsOf: url, encoding: .utf8) == Self.source)
        #expect(throws: FeedFile.EditError.self) { try file.remove(name: "nope") }
    }

    /// An interval is written as given and checked by the loader: NaN and infinity trapped when
    /// converted to an integer for the file, and 7.5 minutes became 7.
    @Test func intervalsAreWrittenAsGivenAndCheckedOnLoad() throws {
        let url = try Self.file()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        for bad in [Double.nan, .infinity, 0.5] {
            var file = try FeedFile(file: url)
            file.add(name: "odd", url: "https://odd.example/feed.xml", intervalMinutes: bad)
            #expect(throws: FeedFile.EditError.self) { try file.save(checkingRules: nil) }
        }
        var file = try FeedFile(file: url)
        file.add(name: "odd", url: "https://odd.example/feed.xml", intervalMinutes: 7.5)
        #expect(try file.save(checkingRules: nil).feeds.last?.intervalMinutes == 7.5)
    }

    @Test func opmlRoundTrip() throws {
        var feeds = [FeedSettings(name: "wire & co", url: "https://news.example/wire.xml?x=1&y=2"),
                     FeedSettings(name: "desk", url: "https://news.example/desk.xml")]
        feeds.append({ var local = FeedSettings(name: "local", url: "file:///tmp/x.xml"); local.isLocalFile = true; return local }())
        let document = OPML.document(feeds, title: "drillwatch feeds")
        let outlines = OPML.outlines(Array(document.utf8))
        #expect(outlines == [OPML.Outline(title: "wire & co", url: "https://news.example/wire.xml?x=1&y=2"),
                             OPML.Outline(title: "desk", url: "https://news.example/desk.xml")])
        // Nested outlines, text or title, outlines without a feed skipped.
        let reader = """
            <?xml version="1.0"?><opml version="1.0"><body><outline text="News"><outline text="A" xmlUrl="https://a.example/rss"/>\
            <outline title="B" text="b" type="rss" xmlUrl="https://b.example/atom"/></outline><outline text="folder"/></body></opml>
            """
        #expect(OPML.outlines(Array(reader.utf8)).map(\.title) == ["A", "B"])
    }
}
