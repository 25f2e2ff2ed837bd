import Foundation
import Model
import Pipeline
import Reports
import Settings
import Store
import TestSupport
import Testing

/// What a user reads, byte for byte: the alert files (JSON, Markdown), `alerts.xml` and the
/// digest (Markdown, HTML, JSON) of a fixed scan at a fixed time, against files in `Golden/`.
/// A change to any output shows here as a diff to review; when it is meant, regenerate with
/// `DRILLWATCH_UPDATE_GOLDEN=1 swift test --filter GoldenOutputs` and commit the files.
@Suite struct GoldenOutputs {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    /// 2031-06-02 08:00 UTC, two hours after the items' publication.
    static let now = Date(timeIntervalSince1970: 1_938_153_600)

    @Test func outputsOfAFixedScanEqualTheGoldenFiles() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-golden-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Scans.Feeds()
        feeds.set("/wire.xml", Scans.rss([Scans.patrol, Scans.drill, Scans.noise]))
        feeds.set("/desk.xml", Scans.rss([Scans.copy]))
        let server = try Scans.server(feeds)
        defer { server.stop() }
        let settings = try Scans.settings(server, folder: folder)
        let store = try Scans.store(settings)
        _ = try await Scans.scan(settings, store, now: { Self.now })
        let builder = DigestBuilder(settings: settings, store: store)
        try await builder.write(builder.build(day: "2031-06-02", generated: Self.now))

        let output = folder.appendingPathComponent("output")
        var produced: [String: String] = [:]
        let walker = try #require(FileManager.default.enumerator(at: output, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let relative = String(url.path.dropFirst(output.path.count + 1))
            guard !relative.hasPrefix(".") else { continue }  // the output folder's owner mark
            // The server's port and the temporary folder change from run to run.
            produced[relative.replacingOccurrences(of: "/", with: "__")] = try String(contentsOf: url, encoding: .utf8)
                .replacingOccurrences(of: server.baseURL, with: "http://127.0.0.1:PORT")
                .replacingOccurrences(of: folder.path, with: "/TMP")
        }
        #expect(produced.count == 8, "\(produced.keys.sorted())")

        if ProcessInfo.processInfo.environment["DRILLWATCH_UPDATE_GOLDEN"] != nil {
            try? FileManager.default.removeItem(at: Self.golden)
            try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
            for (name, text) in produced { try Data(text.utf8).write(to: Self.golden.appendingPathComponent(name)) }
            return
        }
        let expected = try FileManager.default.contentsOfDirectory(atPath: Self.golden.path).sorted()
        #expect(produced.keys.sorted() == expected)
        for name in expected {
            let want = try String(contentsOf: Self.golden.appendingPathComponent(name), encoding: .utf8)
            #expect(produced[name] == want, "\(name) differs from Golden/\(name)")
        }
    }
}
