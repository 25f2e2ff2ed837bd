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

    /// Read and written by hand, not through `Codable`: a scan saves every feed it fetched,
    /// and converting each property name to snake case for each row was a fifth of the CPU
    /// of a rescan in which every feed answered 304.
    public init(row: Row) {
        name = row["name"]
        url = row["url"]
        etag = row["etag"]
        lastModified = row["last_modified"]
        lastFetch = (row["last_fetch"] as Double?).map(Date.init(timeIntervalSince1970:))
        lastSuccess = (row["last_success"] as Double?).map(Date.init(timeIntervalSince1970:))
        lastStatus = row["last_status"]
        lastError = row["last_error"]
        errorCount = row["error_count"]
        itemsSeen = row["items_seen"]
        nextDue = (row["next_due"] as Double?).map(Date.init(timeIntervalSince1970:))
        movedTo = row["moved_to"]
        movedCount = row["moved_count"]
        capped = row["capped"]
    }

    public func encode(to container: inout PersistenceContainer) {
        for column in Self.columns { container[column.name] = column.value(self) }
    }

    /// The table's columns, each with its value: `encode(to:)` and `upsert(into:)` are written
    /// from this one list, so the two cannot disagree on a column.
    private static let columns: [(name: String, value: @Sendable (FeedState) -> (any DatabaseValueConvertible)?)] = [
        ("name", { $0.name }), ("url", { $0.url }), ("etag", { $0.etag }), ("last_modified", { $0.lastModified }),
        ("last_fetch", { $0.lastFetch?.timeIntervalSince1970 }), ("last_success", { $0.lastSuccess?.timeIntervalSince1970 }),
        ("last_status", { $0.lastStatus }), ("last_error", { $0.lastError }), ("error_count", { $0.errorCount }),
        ("items_seen", { $0.itemsSeen }), ("next_due", { $0.nextDue?.timeIntervalSince1970 }),
        ("moved_to", { $0.movedTo }), ("moved_count", { $0.movedCount }), ("capped", { $0.capped }),
    ]

    /// Inserted, or every column but the name overwritten: what GRDB's `upsert` does, with
    /// the statement prepared once per connection. `upsert` writes its SQL anew for every
    /// call, and a scan saves every feed it fetched: that was 16% of the CPU of a rescan in
    /// which all 2,000 feeds answered 304.
    private static let upsertSQL: String = {
        let names = columns.map(\.name)
        return "INSERT INTO feed (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", "))) "
            + "ON CONFLICT(name) DO UPDATE SET \(names.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", "))"
    }()

    func upsert(into db: Database) throws {
        let values: [(any DatabaseValueConvertible)?] = Self.columns.map { $0.value(self) }
        try db.cachedStatement(sql: Self.upsertSQL).execute(arguments: StatementArguments(values))
    }
}

/// One row of the item table: a judgement without its reasons (rules and similar documents
/// are kept for alerts only, in the outbox). Places and countries are JSON arrays.
package struct ItemRecord: StateRecord {
    package static let databaseTableName = "item"

    package var feed: String
    package var key: String
    package var firstSeen: Date
    package var published: Date?
    package var title: String
    package var link: String?
    package var verdict: Verdict.Kind
    package var score: Double
    package var story: String?
    /// Kept for relevant items only: a later copy of their story must be recognised. The
    /// text the item was judged on (for an item judged on its linked article, the article).
    package var text: String
    /// What the item shows when that is not `text`: the lede of its article (v11).
    package var summary: String?
    package var exercise: String?
    package var places: [String]
    package var countries: [String]
    package var duplicateOf: String?

    package init(_ judgement: Judgement) {
        feed = judgement.feed
        key = judgement.itemKey
        firstSeen = judgement.firstSeen
        published = judgement.published
        title = judgement.title
        link = judgement.link
        verdict = judgement.verdict
        score = judgement.score
        story = judgement.story
        let relevant = judgement.verdict.isRelevant
        text = relevant ? judgement.judgedText ?? judgement.summary : ""
        summary = relevant && judgement.judgedText != nil ? judgement.summary : nil
        exercise = judgement.facts.exercise
        places = judgement.facts.places
        countries = judgement.facts.countries
        duplicateOf = judgement.duplicateOf
    }

    /// A row as another database hands it over (PostgreSQL), field by field.
    package init(feed: String, key: String, firstSeen: Date, published: Date?, title: String, link: String?, verdict: Verdict.Kind,
                 score: Double, story: String?, text: String, summary: String?, exercise: String?, places: [String],
                 countries: [String], duplicateOf: String?) {
        self.feed = feed
        self.key = key
        self.firstSeen = firstSeen
        self.published = published
        self.title = title
        self.link = link
        self.verdict = verdict
        self.score = score
        self.story = story
        self.text = text
        self.summary = summary
        self.exercise = exercise
        self.places = places
        self.countries = countries
        self.duplicateOf = duplicateOf
    }

    /// Read by hand too: a scan's start-up reads back every relevant item of the story
    /// window to remember its stories (tens of thousands under load).
    package init(row: Row) throws {
        feed = row["feed"]
        key = row["key"]
        firstSeen = Date(timeIntervalSince1970: row["first_seen"])
        published = (row["published"] as Double?).map(Date.init(timeIntervalSince1970:))
        title = row["title"]
        link = row["link"]
        let verdictName: String = row["verdict"]
        guard let verdict = Verdict.Kind(rawValue: verdictName) else {
            throw StoreError(.corrupt, path: nil, "item \(key) of feed \(feed) has an unknown verdict '\(verdictName)'")
        }
        self.verdict = verdict
        score = row["score"]
        story = row["story"]
        text = row["text"]
        summary = row["summary"]
        exercise = row["exercise"]
        places = try Self.list(row["places"])
        countries = try Self.list(row["countries"])
        duplicateOf = row["duplicate_of"]
    }

    /// A JSON list column; NULL (a row older than v8's migration) is no list.
    package static func list(_ json: String?) throws -> [String] {
        guard let json, json != "[]" else { return [] }
        return try JSONDecoder().decode([String].self, from: Data(json.utf8))
    }

    /// By hand, as for `FeedState`: every new item of a scan is inserted.
    package func encode(to container: inout PersistenceContainer) throws {
        container["feed"] = feed
        container["key"] = key
        container["first_seen"] = firstSeen.timeIntervalSince1970
        container["published"] = published?.timeIntervalSince1970
        container["title"] = title
        container["link"] = link
        container["verdict"] = verdict.rawValue
        container["score"] = score
        container["story"] = story
        container["text"] = text
        container["summary"] = summary
        container["exercise"] = exercise
        container["places"] = try Self.json(places)
        container["countries"] = try Self.json(countries)
        container["duplicate_of"] = duplicateOf
    }

    /// A list as the JSON array `Codable` stored before (most items have none).
    package static func json(_ list: [String]) throws -> String {
        if list.isEmpty { return "[]" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(list), as: UTF8.self)
    }

    package var judgement: Judgement {
        var judgement = Judgement(feed: feed, itemKey: key, title: title, link: link, summary: summary ?? text, published: published,
                                  firstSeen: firstSeen, verdict: verdict, score: score, story: story, duplicateOf: duplicateOf,
                                  facts: EventFacts(exercise: exercise, places: places, countries: countries))
        if summary != nil { judgement.judgedText = text }
        return judgement
    }

    /// v11: the article an item was judged on is kept beside the lede it shows.
    static func addSummary(_ db: Database) throws {
        try db.alter(table: "item") { t in t.add(column: "summary", .text) }
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
