import Foundation
import Locking
import Model
import Pipeline
import Settings
import Store
import TestSupport
import Testing

/// Per-feed headers, user agent and credentials; a credential never follows a redirect to
/// another origin.
@Suite struct FeedHeaders {
    static func config(_ folder: URL, url: String) throws -> Settings {
        let credentials = folder.appendingPathComponent("credentials")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        try "s3cret".write(to: credentials.appendingPathComponent("feed-password"), atomically: true, encoding: .utf8)
        try "KEY-123".write(to: credentials.appendingPathComponent("feed-key"), atomically: true, encoding: .utf8)
        let file = folder.appendingPathComponent("drillwatch.toml")
        try """
            [paths]
            state = "state"
            output = "output"
            [corpus]
            path = "\(SharedData.checkout.appendingPathComponent("config/corpus").path)"
            [[feeds]]
            name = "paywalled"
            url = "\(url)"
            user_agent = "drillwatch-test/1.0"
            username = "analyst"
            password = "credential:feed-password"
            headers = { "Accept-Language" = "ru", "X-Api-Key" = "credential:feed-key" }
            """.write(to: file, atomically: true, encoding: .utf8)
        return try Settings.load(file)
    }

    @Test func headersAgentAndCredentialsReachTheFeedAndOnlyItsOrigin() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-headers-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let seen = Locked<[TestServer.Request]>([])
        let other = try TestServer { request in
            seen.withLock { $0.append(request) }
            return .response(status: 200, headers: [], body: Array(Scans.rss([Scans.noise]).utf8))
        }
        defer { other.stop() }
        // The feed's server redirects once to another origin ("localhost", another port).
        let moved = other.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost") + "/moved.xml"
        let server = try TestServer { request in
            seen.withLock { $0.append(request) }
            return .response(status: 302, headers: [("Location", moved)], body: [])
        }
        defer { server.stop() }
        var settings = try Self.config(folder, url: server.baseURL + "/feed.xml")
        settings.scan.allowLocalRedirects = true
        let store = try SQLiteStore.open(at: settings.stateDatabase.path)
        _ = try await FeedScanner(settings: settings, store: store, classifier: ClassifierLoader.classifier(settings)).scan()

        let requests = seen.withLock { $0 }
        #expect(requests.count == 2)
        let first = try #require(requests.first)
        #expect(first.headers["user-agent"] == "drillwatch-test/1.0")
        #expect(first.headers["accept-language"] == "ru")
        #expect(first.headers["x-api-key"] == "KEY-123")
        #expect(first.headers["authorization"] == "Basic " + Data("analyst:s3cret".utf8).base64EncodedString())
        let second = try #require(requests.last)
        #expect(second.headers["accept-language"] == "ru")
        #expect(second.headers["x-api-key"] == nil && second.headers["authorization"] == nil)
    }

    @Test func aPasswordOrAKeyIsNeverWrittenInTheConfiguration() throws {
        let source = "[[feeds]]\nname = \"x\"\nurl = \"https://a.example/x.xml\"\nusername = \"u\"\npassword = \"plain\"\n"
        #expect(throws: ConfigError.self) { try Settings.parse(source, file: URL(fileURLWithPath: "/tmp/x.toml")) }
        let header = "[[feeds]]\nname = \"x\"\nurl = \"https://a.example/x.xml\"\nheaders = { \"X-Bad\" = \"a\\nb\" }\n"
        #expect(throws: ConfigError.self) { try Settings.parse(header, file: URL(fileURLWithPath: "/tmp/x.toml")) }
    }
}
