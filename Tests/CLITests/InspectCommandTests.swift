import Foundation
import Locking
import TestSupport
import Testing

/// `drillwatch inspect`, run as a user runs it: the built executable, its output and exit code.
@Suite struct InspectCommand {
    static let sample = """
        <rss version="2.0"><channel><title>Test feed</title><link>/home</link>
        <item><title>Joint patrol over the Sea of Japan</title><link>news/1</link><guid>g-1</guid>
        <pubDate>Tue, 30 Nov 2021 10:00:00 +0900</pubDate><description>&lt;p&gt;Bombers flew &amp;amp; landed.&lt;/p&gt;</description></item>
        </channel></rss>
        """

    @Test func jsonOutputUsesTheConformanceVocabulary() async throws {
        let path = try CLIRunner.temporaryFile(Self.sample)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLIRunner.run(["inspect", path, "--json", "--url", "https://example.com/feeds/rss.xml"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["bozo"] as? Bool == false)
        #expect(object["version"] as? String == "rss20")
        #expect(object["encoding"] as? String == "utf-8")
        let feed = try #require(object["feed"] as? [String: Any])
        #expect(feed["title"] as? String == "Test feed")
        #expect(feed["link"] as? String == "https://example.com/home")
        #expect(feed["updated"] is NSNull)
        let entry = try #require((object["entries"] as? [[String: Any]])?.first)
        #expect(entry["link"] as? String == "https://example.com/feeds/news/1")
        #expect(entry["id"] as? String == "g-1")
        #expect(entry["published"] as? String == "2021-11-30T01:00:00Z")
        #expect(entry["text"] as? String == "Bombers flew & landed.")
        #expect(entry["content"] is NSNull)
    }

    @Test func headerDecidesTheEncoding() async throws {
        // windows-1251 bytes without a declaration; the header says what they are.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("drillwatch-cli-\(UUID()).xml").path
        var bytes = Array("<rss version=\"2.0\"><channel><title>".utf8)
        bytes += [0xD3, 0xF7, 0xE5, 0xED, 0xE8, 0xFF]  // "Учения"
        bytes += Array("</title></channel></rss>".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLIRunner.run(["inspect", path, "--json", "--header", "Content-Type: application/rss+xml; charset=windows-1251"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\"title\":\"Учения\""))
        #expect(run.stdout.contains("\"encoding\":\"windows-1251\""))
    }

    @Test func tableOutputForAPerson() async throws {
        let path = try CLIRunner.temporaryFile(Self.sample)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLIRunner.run(["inspect", path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("Test feed  [rss20, utf-8]"))
        #expect(run.stdout.contains("1 item"))
        #expect(run.stdout.contains("2021-11-30T01:00:00Z Joint patrol over the Sea of Japan"))
    }

    @Test(arguments: [
        (["inspect", "/nonexistent/feed.xml"], "no such file"),
        (["inspect", "/"], "a folder, not a file"),
        (["inspect", "http://127.0.0.1:9/feed.xml"], "could not connect"),
        (["inspect", "ftp://example.com/feed"], "no such file"),
        (["inspect", "x", "--header", "no colon"], "must look like 'Name: value'"),
    ])
    func badInputGetsOneLineAndNonZeroExit(arguments: [String], message: String) async throws {
        let run = try await CLIRunner.run(arguments)
        #expect(run.status != 0)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
        #expect(run.stderr.split(separator: "\n").count <= 3)
    }

    @Test func notAFeedIsRefusedClearly() async throws {
        let path = try CLIRunner.temporaryFile("<html><body><p>Just a page</p></body></html>", suffix: ".html")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLIRunner.run(["inspect", path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("not an RSS, Atom or JSON feed (the document's root element is <html>: a web page, not a feed)"), "\(run.stderr)")
        // A compressed feed read as it is was "Document is empty".
        let compressed = FileManager.default.temporaryDirectory.appendingPathComponent("dw-\(UUID()).xml.gz").path
        defer { try? FileManager.default.removeItem(atPath: compressed) }
        try Data([0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00]).write(to: URL(fileURLWithPath: compressed))
        let gzip = try await CLIRunner.run(["inspect", compressed])
        #expect(gzip.status != 0 && gzip.stderr.contains("gzip-compressed data: decompress it first"), "\(gzip.stderr)")
    }

    @Test func everyRealWorldFileInspectsWithoutCrashing() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/conformance/real-world")
        guard let walker = FileManager.default.enumerator(atPath: root.path) else {
            print("skipped: ../shared/conformance is not present beside this checkout")
            return
        }
        var count = 0
        for case let name as String in walker where [".xml", ".rss", ".atom", ".json"].contains(where: name.hasSuffix)
            && !name.contains("expected/") {
            let run = try await CLIRunner.run(["inspect", "--json", root.appendingPathComponent(name).path])
            #expect(run.status == 0, "\(name): \(run.stderr)")
            count += 1
        }
        #expect(count >= 26)
    }
}
