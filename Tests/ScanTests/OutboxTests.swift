import Foundation
import GRDB
import Model
@testable import Store
import Testing

/// The outbox holds judgements as JSON: one encoding (ISO 8601 dates), rows of the earlier
/// encoding still read, and a row that cannot be read reported rather than dropped.
@Suite struct Outbox {
    static let firstSeen = Date(timeIntervalSince1970: 1_900_000_000)

    static func judgement(_ key: String) -> Judgement {
        Judgement(feed: "wire", item: Item(id: key, title: "Joint drill \(key)", text: "Chinese and Russian ships"),
                  verdict: Verdict(kind: .alert, score: 0.9, rules: [RuleHit(name: "r", effect: .raise, weight: 1, matched: ["ships"])]),
                  firstSeen: firstSeen)
    }

    @Test func aJudgementRoundTripsThroughTheOutboxWithItsTypes() async throws {
        let store = try SQLiteStore.inMemory()
        let alert = Self.judgement("a1")
        try await store.commit(feed: FeedState(name: "wire", url: "https://news.example/wire.xml"),
                         items: [alert],
                         alerts: [alert])
        let pending = try await store.pendingAlerts()
        #expect(pending.alerts == [alert])
        #expect(pending.unreadable.isEmpty)
        #expect(pending.alerts.first?.rules.first?.effect == .raise)
    }

    @Test func rowsOfTheEarlierEncodingReadAndUnreadableOnesAreReported() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-outbox-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("drillwatch.sqlite").path
        let store = try SQLiteStore.open(at: path)
        // Before the one encoding, the outbox kept dates as seconds since 1970.
        let epoch = JSONEncoder()
        epoch.dateEncodingStrategy = .secondsSince1970
        let old = Self.judgement("old")
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO outbox (alert_id, payload, created) VALUES (?, ?, ?)",
                           arguments: [old.id, try epoch.encode(old), 1])
            try db.execute(sql: "INSERT INTO outbox (alert_id, payload, created) VALUES (?, ?, ?)",
                           arguments: ["damaged", Data("{\"schema\": 1, \"id\":".utf8), 2])
        }
        let pending = try await store.pendingAlerts()
        #expect(pending.alerts == [old])
        #expect(pending.unreadable == ["damaged"])
    }
}

/// A state written by the version before items were records opens with its items whole.
@Suite struct ItemRecordMigration {
    @Test func placesJoinedWithADotBecomeAnArray() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-migrate-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("drillwatch.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v7: feedback")
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO item (feed, key, first_seen, title, verdict, score, text, exercise, places)
                VALUES ('wire', 'd1', 1900000000, 'Joint drill', 'alert', 0.9, 'ships', 'Joint Sea-2031', 'Sea of Japan · Vladivostok'),
                       ('wire', 'n1', 1900000001, 'Typhoon', 'ignore', 0.01, '', NULL, NULL)
                """)
        }
        try queue.close()
        let store = try SQLiteStore.open(at: path)
        let items = try await store.items(firstSeenFrom: Date(timeIntervalSince1970: 0), to: Date(timeIntervalSince1970: 2_000_000_000))
        #expect(items.map(\.facts.places) == [["Sea of Japan", "Vladivostok"], []])
        #expect(items.map(\.verdict) == [.alert, .ignore])
        #expect(items.first?.facts.exercise == "Joint Sea-2031")
        await #expect(try store.items(firstSeenFrom: Date(timeIntervalSince1970: 0), to: Date(timeIntervalSince1970: 2_000_000_000),
                                verdicts: [.alert]).map(\.itemKey) == ["d1"])
    }
}

/// Store errors keep what SQLite said and say what to do.
@Suite struct StoreErrors {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-store-error-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aFileThatIsNotADatabaseIsCorrupt() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("drillwatch.sqlite").path
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try SQLiteStore.open(at: path)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.kind == .corrupt && error.resultCode == 26 && error.description.contains("move it aside")
        }
    }

    @Test func aDatabaseLockedByAnotherConnectionIsBusy() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("drillwatch.sqlite").path
        let store = try SQLiteStore.open(at: path, busyTimeout: 0.1)
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true  // the point: a lock held across accesses
        let other = try DatabaseQueue(path: path, configuration: unsafe)
        try other.inDatabase { db in try db.execute(sql: "BEGIN EXCLUSIVE") }
        defer { try? other.inDatabase { db in try db.execute(sql: "ROLLBACK") } }
        await #expect {
            try await store.markDigestWritten(day: "2031-06-02")
        } throws: { error in
            (error as? StoreError)?.kind == .busy
        }
    }
}
