import Foundation
import Locking
import Model
import Pipeline
import Settings
import Store
import TestSupport
import Testing

/// The webhook's chat presets, each against a loopback receiver standing in for the chat's API.
@Suite struct ChatPresets {
    static let token = "123456789:AAE-secret-telegram-token"

    /// A receiver that keeps every request and answers `status`.
    static func receiver(_ requests: Locked<[TestServer.Request]>, status: Int = 200) throws -> TestServer {
        try TestServer { request in
            requests.withLock { $0.append(request) }
            return .response(status: status, headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
        }
    }

    /// A store with one written alert whose webhook delivery is due.
    static func store(channel: DeliveryChannel = .webhook) async throws -> (any StateStore, Judgement) {
        let store = try SQLiteStore.inMemory()
        let item = Item(id: "d1", title: "Chinese & Russian warships <begin> Joint Sea-2031", text: "Destroyers of both navies.",
                        link: "https://news.example/d1")
        let verdict = Verdict(kind: .alert, score: 0.97,
                              rules: [RuleHit(name: "named-bilateral-exercise", effect: .raise, weight: 0.5, matched: ["Joint Sea"]),
                                      RuleHit(name: "chinese-and-russian-forces", effect: .raise, weight: 1.3, matched: ["Chinese", "Russian", "<warships>"])],
                              similar: [SimilarDocument(document: "004", title: "China to hold Joint Sea 2025", score: 0.31, terms: [])],
                              story: "story-1",
                              facts: EventFacts(exercise: "Joint Sea-2031", places: ["Sea of Japan"], countries: ["China", "Russia"]))
        let alert = Judgement(feed: "wire", item: item, verdict: verdict, firstSeen: Date())
        try await store.commit(feed: FeedState(name: "wire", url: "https://news.example/wire.xml"), items: [alert], alerts: [alert])
        try await store.markWritten([alert.id], at: Date(), deliverTo: [channel])
        return (store, alert)
    }

    static func json(_ request: TestServer.Request) throws -> [String: String] {
        try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String])
    }

    @Test func slackAndMattermostGetText() async throws {
        let requests = Locked<[TestServer.Request]>([])
        let server = try Self.receiver(requests)
        defer { server.stop() }
        let (store, _) = try await Self.store()
        var hooks = HookSettings()
        hooks.webhook = server.baseURL + "/hooks/abc"
        hooks.webhookFormat = .slack
        let report = await DeliveryWorker(settings: hooks, store: store).deliverDue()
        #expect(report.delivered == 1)
        let request = try #require(requests.withLock { $0.first })
        #expect(request.method == "POST" && request.path == "/hooks/abc")
        let text = try #require(try Self.json(request)["text"])
        #expect(text.contains("Chinese &amp; Russian warships &lt;begin&gt; Joint Sea-2031"))
        #expect(text.contains("Joint Sea-2031 · Sea of Japan · wire · score 0.97"))
        #expect(text.contains("https://news.example/d1"))
    }

    @Test func matrixIsAnIdempotentPutWithItsToken() async throws {
        let requests = Locked<[TestServer.Request]>([])
        let server = try Self.receiver(requests)
        defer { server.stop() }
        let (store, alert) = try await Self.store()
        var hooks = HookSettings()
        hooks.webhook = server.baseURL + "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message"
        hooks.webhookFormat = .matrix
        hooks.matrixToken = "syt_secret"
        let report = await DeliveryWorker(settings: hooks, store: store).deliverDue()
        #expect(report.delivered == 1, "\(report.failures)")
        let request = try #require(requests.withLock { $0.first })
        #expect(request.method == "PUT")
        #expect(request.path == "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/drillwatch-\(alert.id)")
        #expect(request.headers["authorization"] == "Bearer syt_secret")
        let body = try Self.json(request)
        #expect(body["msgtype"] == "m.text" && body["format"] == "org.matrix.custom.html")
        #expect(body["formatted_body"]?.contains("&lt;begin&gt;") == true)
        #expect(body["body"]?.contains("<begin>") == true)
    }

    @Test func telegramGetsItsChatAndTheTokenNeverShows() async throws {
        let requests = Locked<[TestServer.Request]>([])
        let server = try Self.receiver(requests, status: 401)
        defer { server.stop() }
        let (store, _) = try await Self.store()
        var hooks = HookSettings()
        hooks.webhook = server.baseURL + "/bot\(Self.token)/sendMessage"
        hooks.webhookFormat = .telegram
        hooks.telegramChatID = "-100123"
        let report = await DeliveryWorker(settings: hooks, store: store).deliverDue()
        let request = try #require(requests.withLock { $0.first })
        #expect(request.method == "POST")
        let body = try Self.json(request)
        #expect(body["chat_id"] == "-100123" && body["text"]?.contains("Joint Sea-2031") == true)
        // A refused token is given up (a 4xx) and reported without the token.
        let failure = try #require(report.failures.first)
        #expect(!failure.willRetry)
        #expect(!failure.error.contains("AAE-secret"), "\(failure.error)")
        let counts = try await store.deliveryCounts()
        #expect(!(counts.lastError ?? "").contains("AAE-secret"))
    }

    @Test func presetsAreCheckedInTheConfiguration() throws {
        #expect(throws: ConfigError.self) { try Settings.parse("[hooks]\nwebhook = \"https://api.telegram.org/botX/sendMessage\"\nwebhook_format = \"telegram\"\n", file: URL(fileURLWithPath: "/tmp/x.toml")) }
        #expect(throws: ConfigError.self) { try Settings.parse("[hooks]\nwebhook = \"https://m.example/send\"\nwebhook_format = \"matrix\"\n", file: URL(fileURLWithPath: "/tmp/x.toml")) }
        #expect(throws: ConfigError.self) { try Settings.parse("[hooks]\nwebhook_format = \"discord\"\n", file: URL(fileURLWithPath: "/tmp/x.toml")) }
        let ok = try Settings.parse("[hooks]\nwebhook = \"https://chat.example/hooks/x\"\nwebhook_format = \"slack\"\n", file: URL(fileURLWithPath: "/tmp/x.toml"))
        #expect(ok.hooks.webhookFormat == .slack)
    }
}
