import Foundation
import GRDB
import Model
import Store
import Testing

/// The feedback table: judgements, their replacement, and what they keep alive.
@Suite struct FeedbackStore {
    static let alert = Judgement(feed: "wire", item: Item(id: "d1", title: "Joint drill", text: "Chinese and Russian ships"),
                             verdict: Verdict(kind: .alert, score: 0.9), firstSeen: Date(timeIntervalSince1970: 1_000_000))

    /// A state database at `path` holding one written alert.
    static func store(at path: String) async throws -> any StateStore {
        let store = try SQLiteStore.open(at: path)
        try await store.commit(feed: FeedState(name: "wire", url: "https://news.example/wire.xml"),
                         items: [alert],
                         alerts: [alert])
        try await store.markWritten([alert.id], at: alert.firstSeen)
        return store
    }

    static func temporaryDatabase() -> (folder: URL, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-feedback-store-\(UUID())")
        return (folder, folder.appendingPathComponent("state/drillwatch.sqlite").path)
    }

    @Test func recordsReplacesAndRefusesUnknownAlerts() async throws {
        let (folder, path) = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await Self.store(at: path)
        let first = Feedback(alertID: Self.alert.id, verdict: .wrong, note: "old news", judged: Date(timeIntervalSince1970: 2_000_000))
        await #expect(try store.record(first) == .recorded)
        await #expect(try store.record(Feedback(alertID: Self.alert.id, verdict: .right, note: nil)) == .replaced(first))
        await #expect(try store.record(Feedback(alertID: "nope", verdict: .right, note: nil)) == .unknownAlert)
        let judged = try await store.judgedAlerts()
        #expect(judged.map(\.feedback.verdict) == [.right])
        #expect(judged.first?.alert == Self.alert)
    }

    /// Pruning forgets old written alerts, but not one an analyst judged: export needs it.
    @Test func pruneKeepsJudgedAlerts() async throws {
        let (folder, path) = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await Self.store(at: path)
        _ = try await store.record(Feedback(alertID: Self.alert.id, verdict: .right, note: nil))
        try await store.prune(before: Date())
        await #expect(try store.judgedAlerts().first?.alert == Self.alert)
    }

    /// Another connection holds the write lock (the daemon committing a scan) for a second:
    /// the judgement waits for it instead of failing with "database is locked".
    @Test func waitsForAnotherWriter() async throws {
        let (folder, path) = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await Self.store(at: path)
        let other = try DatabaseQueue(path: path)
        let holding = DispatchSemaphore(value: 0), released = DispatchSemaphore(value: 0)
        // A thread of its own: the blocking write must not hold a thread of the test pool.
        Thread {
            try? other.write { db in
                try db.execute(sql: "UPDATE feed SET items_seen = items_seen + 1")
                holding.signal()
                Thread.sleep(forTimeInterval: 1)
            }
            released.signal()
        }.start()
        holding.wait()
        let start = Date()
        await #expect(try store.record(Feedback(alertID: Self.alert.id, verdict: .wrong, note: nil)) == .recorded)
        #expect(Date().timeIntervalSince(start) > 0.5)
        released.wait()
    }
}
