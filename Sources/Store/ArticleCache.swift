import Foundation
import GRDB

/// An article read from an item's link, kept so that the next scan (or another feed linking
/// the same page) does not fetch it again, and asks with its validators when it does.
public struct CachedArticle: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "article"

    /// What the last attempt came to.
    public enum Status: String, Sendable, Codable, DatabaseValueConvertible {
        case read
        /// The page is a redirector that needs JavaScript (some news-search links): not retried.
        case needsJavaScript = "needs-javascript"
        /// Fetched, but with no article text in it.
        case empty
    }

    public var url: String
    public var fetched: Date
    public var status: Status
    public var etag: String?
    public var lastModified: String?
    public var title: String?
    public var text: String
    public var published: Date?

    public init(url: String, fetched: Date, status: Status, etag: String? = nil, lastModified: String? = nil,
                title: String? = nil, text: String = "", published: Date? = nil) {
        self.url = url
        self.fetched = fetched
        self.status = status
        self.etag = etag
        self.lastModified = lastModified
        self.title = title
        self.text = text
        self.published = published
    }

    enum CodingKeys: String, CodingKey {
        case url, fetched, status, etag, title, text, published
        case lastModified = "last_modified"
    }

    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }

    /// v10: the article cache.
    static func createTable(_ db: Database) throws {
        try db.create(table: "article") { t in
            t.primaryKey("url", .text)
            t.column("fetched", .double).notNull()
            t.column("status", .text).notNull()
            t.column("etag", .text)
            t.column("last_modified", .text)
            t.column("title", .text)
            t.column("text", .text).notNull().defaults(to: "")
            t.column("published", .double)
        }
        try db.create(index: "article_fetched", on: "article", columns: ["fetched"])
    }
}

extension SQLiteStore {
    public func cachedArticle(url: String) async throws(StoreError) -> CachedArticle? {
        // Prepared once per connection: a scan asks for the link of every new headline-only item,
        // and preparing the query each time was 4% of the CPU of a scan of 10,000 feeds.
        try await read { db in
            try CachedArticle.fetchOne(db.cachedStatement(sql: "SELECT * FROM article WHERE url = ?"), arguments: [url])
        }
    }

    public func save(_ article: CachedArticle) async throws(StoreError) {
        try await write { db in try article.save(db) }
    }
}
