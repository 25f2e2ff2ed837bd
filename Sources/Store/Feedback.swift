import Foundation
import GRDB
import Model

/// An analyst's judgement of one alert: right (it reports a China–Russia joint drill) or
/// wrong, with an optional note. One per alert; a later judgement replaces the earlier one.
public struct Feedback: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "feedback"

    public var alertID: String
    public var verdict: AnalystVerdict
    public var note: String?
    public var judged: Date

    public init(alertID: String, verdict: AnalystVerdict, note: String?, judged: Date = Date()) {
        self.alertID = alertID
        self.verdict = verdict
        self.note = note
        self.judged = judged
    }

    enum CodingKeys: String, CodingKey {
        case alertID = "alert_id", verdict, note, judged
    }

    // The state stores times as seconds since 1970 (REAL), as every other table does.
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
}

/// A judgement with the alert it judges, as the outbox holds it (nil when the payload no
/// longer decodes).
public struct JudgedAlert: Sendable, Equatable {
    public var feedback: Feedback
    public var alert: Judgement?

    public init(feedback: Feedback, alert: Judgement?) {
        self.feedback = feedback
        self.alert = alert
    }
}

/// What recording a judgement did.
public enum FeedbackOutcome: Sendable, Equatable {
    case recorded
    /// The alert had been judged before; this judgement replaced that one.
    case replaced(Feedback)
    /// No alert with this id is in the state database.
    case unknownAlert
}

extension SQLiteStore {
    static func createFeedbackTable(_ db: Database) throws {
        // No foreign key to the outbox: an analyst's judgement outlives the retention horizon
        // (prune keeps the outbox rows of judged alerts instead).
        try db.create(table: Feedback.databaseTableName) { t in
            t.primaryKey("alert_id", .text)
            t.column("verdict", .text).notNull().check { ["right", "wrong"].contains($0) }
            t.column("note", .text)
            t.column("judged", .double).notNull()
        }
    }

    /// Records a judgement, replacing an earlier one for the same alert, in one transaction.
    /// A plain SQLite write: it needs no state lock and waits (busy timeout) while a running
    /// daemon commits.
    public func record(_ feedback: Feedback) async throws(StoreError) -> FeedbackOutcome {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM outbox WHERE alert_id = ?", arguments: [feedback.alertID]) == true else {
                return .unknownAlert
            }
            let previous = try Feedback.fetchOne(db, key: feedback.alertID)
            try feedback.save(db)
            return previous.map(FeedbackOutcome.replaced) ?? .recorded
        }
    }

    /// The alert with this id as the outbox holds it, or nil (unknown, or unreadable).
    public func alert(id: String) async throws(StoreError) -> Judgement? {
        Self.judgement(try await read { db in try Data.fetchOne(db, sql: "SELECT payload FROM outbox WHERE alert_id = ?", arguments: [id]) })
    }

    /// Every judgement with its alert, oldest judgement first.
    public func judgedAlerts() async throws(StoreError) -> [JudgedAlert] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.*, o.payload FROM feedback f LEFT JOIN outbox o ON o.alert_id = f.alert_id
                ORDER BY f.judged, f.alert_id
                """).map { row in
                JudgedAlert(feedback: try Feedback(row: row),
                            alert: Self.judgement(row["payload"]))
            }
        }
    }

    /// The judgements of the alerts among `ids`, by alert id.
    public func feedback(for ids: [String]) async throws(StoreError) -> [String: Feedback] {
        guard !ids.isEmpty else { return [:] }
        return try await read { db in
            var found: [String: Feedback] = [:]
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min(ids.count, $0 + 500)]) }) {
                for feedback in try Feedback.fetchAll(db, keys: chunk) { found[feedback.alertID] = feedback }
            }
            return found
        }
    }
}
