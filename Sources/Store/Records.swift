import Foundation
import GRDB
import Model

/// The state's tables as GRDB records: each column named once, in its property, and mapped
/// by GRDB (snake_case columns, times as seconds since 1970 as every table keeps them).
protocol StateRecord: Codable, FetchableRecord, PersistableRecord {}

extension StateRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
}

extension FeedState: StateRecord {
    public static let databaseTableName = "feed"

    /// Written by hand, not through `Codable`: a scan saves every feed it fetched, and
    /// converting each property name to snake case for each row was a fifth of the CPU of a
    /// rescan in which every feed answered 304. Reading still goes through `Codable`.
    public func encode(to container: inout PersistenceContainer) {
        container["name"] = name
        container["url"] = url
        container["etag"] = etag
        container["last_modified"] = lastModified
        container["last_fetch"] = lastFetch?.timeIntervalSince1970
        container["last_success"] = lastSuccess?.timeIntervalSince1970
        container["last_status"] = lastStatus
        container["last_error"] = lastError
        container["error_count"] = errorCount
        container["items_seen"] = itemsSeen
        container["next_due"] = nextDue?.timeIntervalSince1970
        container["moved_to"] = movedTo
        container["moved_count"] = movedCount
        container["capped"] = capped
    }
}

/// One row of the item table: a judgement without its reasons (rules and similar documents
/// are kept for alerts only, in the outbox). Places and countries are JSON arrays.
struct ItemRecord: StateRecord {
    static let databaseTableName = "item"

    var feed: String
    var key: String
    var firstSeen: Date
    var published: Date?
    var title: String
    var link: String?
    var verdict: Verdict.Kind
    var score: Double
    var story: String?
    /// Kept for relevant items only: a later copy of their story must be recognised.
    var text: String
    var exercise: String?
    var places: [String]
    var countries: [String]
    var duplicateOf: String?

    init(_ judgement: Judgement) {
        feed = judgement.feed
        key = judgement.itemKey
        firstSeen = judgement.firstSeen
        published = judgement.published
        title = judgement.title
        link = judgement.link
        verdict = judgement.verdict
        score = judgement.score
        story = judgement.story
        text = judgement.verdict.isRelevant ? judgement.summary : ""
        exercise = judgement.facts.exercise
        places = judgement.facts.places
        countries = judgement.facts.countries
        duplicateOf = judgement.duplicateOf
    }

    var judgement: Judgement {
        Judgement(feed: feed, itemKey: key, title: title, link: link, summary: text, published: published, firstSeen: firstSeen,
                  verdict: verdict, score: score, story: story, duplicateOf: duplicateOf,
                  facts: EventFacts(exercise: exercise, places: places, countries: countries))
    }

    /// v8: places were one text joined with " · "; now a JSON array, beside the countries and
    /// the story's first item, so that an item read back is the judgement that was stored.
    static func migrateToRecords(_ db: Database) throws {
        try db.alter(table: "item") { t in
            t.add(column: "countries", .text).notNull().defaults(to: "[]")
            t.add(column: "duplicate_of", .text)
        }
        let joined = try Row.fetchAll(db, sql: "SELECT rowid, places FROM item")
        for row in joined {
            let text: String? = row["places"]
            let places = text.map { $0.components(separatedBy: " · ").filter { !$0.isEmpty } } ?? []
            let json = String(decoding: try JSONEncoder().encode(places), as: UTF8.self)
            try db.execute(sql: "UPDATE item SET places = ? WHERE rowid = ?", arguments: [json, row["rowid"]])
        }
    }
}
