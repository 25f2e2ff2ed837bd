import Foundation
import GRDB
import Model
#if canImport(Glibc)
import Glibc
#endif

/// What drillwatch remembers about one feed between fetches.
public struct FeedState: Sendable, Equatable, Codable {
    public var name: String
    public var url: String
    public var etag: String?
    public var lastModified: String?
    public var lastFetch: Date?
    public var lastSuccess: Date?
    public var lastStatus: Int?
    public var lastError: String?
    /// Consecutive failures; reset by a success.
    public var errorCount: Int = 0
    public var itemsSeen: Int = 0
    public var nextDue: Date?
    /// Where the feed said it moved (301/308), and how many fetches in a row said so.
    public var movedTo: String?
    public var movedCount = 0
    /// New items the last fetch delivered beyond the per-fetch cap (left for later fetches).
    public var capped = 0

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }
}


/// drillwatch's state in SQLite (WAL, versioned migrations): feeds with their validators and
/// health, every item seen, and the alert outbox. An alert enters the outbox in the same
/// transaction as its item, and leaves it only once its files are written: a crash at any
/// point loses no alert and writes none twice.
public final class SQLiteStore: StateStore {
    private let writer: any DatabaseWriter
    /// The database file, named in errors (nil in memory).
    private let path: String?

    /// How a command may use the state database.
    public enum Access: Sendable {
        /// Create it (and its folder) when missing, and bring its schema up to date: `scan`, `run`.
        case create
        /// Only an existing one, to change it: `feedback`.
        case existing
        /// Only an existing one, read: `status`, `digest`, `feedback list`. Takes no lock and
        /// never creates a file, so an administrator may look at a running service's state.
        case readOnly
    }

    /// Opens the database at `path`. Another process holding a lock (a backup, `sqlite3` at a
    /// prompt) is waited for up to `busyTimeout` seconds.
    public static func open(at path: String, access: Access = .create, busyTimeout: Double = 10) throws(StoreError) -> SQLiteStore {
        if access != .create && !FileManager.default.fileExists(atPath: path) {
            throw StoreError(.missing, path: path, "no state database yet")
        }
        do {
            if access == .create { try StatePermissions.prepare(database: path) }
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.readonly = access == .readOnly
            return try SQLiteStore(writer: DatabasePool(path: path, configuration: configuration), path: path, migrate: access != .readOnly)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path, doing: "cannot open the state database")
        }
    }

    /// A private in-memory database, for tests and dry runs.
    public static func inMemory() throws(StoreError) -> SQLiteStore {
        do { return try SQLiteStore(writer: DatabaseQueue(), path: nil) } catch let error as StoreError { throw error } catch {
            throw StoreError(error, path: nil, doing: "cannot create an in-memory database")
        }
    }

    private init(writer: any DatabaseWriter, path: String?, migrate: Bool = true) throws {
        self.writer = writer
        self.path = path
        if migrate {
            try Self.migrator.migrate(writer)
        } else if try !writer.read({ try Self.migrator.hasCompletedMigrations($0) }) {
            throw StoreError(.outdated, path: path, "the state database was written by an older drillwatch")
        }
    }

    /// The schema's versions, applied in order once each (GRDB records which ran).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: feeds, items, outbox", migrate: migrateV1)
        migrator.registerMigration("v2: event facts of items", migrate: migrateV2)
        migrator.registerMigration("v3: digests written", migrate: migrateV3)
        migrator.registerMigration("v4: permanent redirects", migrate: migrateV4)
        migrator.registerMigration("v5: items by link", migrate: migrateV5)
        migrator.registerMigration("v6: delivery outbox, capped fetches", migrate: migrateV6)
        migrator.registerMigration("v7: feedback", migrate: createFeedbackTable)
        migrator.registerMigration("v8: items as records", migrate: ItemRecord.migrateToRecords)
        migrator.registerMigration("v9: the story of each alert", migrate: migrateV9)
        migrator.registerMigration("v10: articles read from items' links", migrate: CachedArticle.createTable)
        migrator.registerMigration("v11: the text an item was judged on beside its summary", migrate: ItemRecord.addSummary)
        return migrator
    }

    /// v9: the outbox names each alert's story, so the digest can tell a story that alerted
    /// from one recorded without an alert (an old item on a first fetch, and its copies).
    private static func migrateV9(_ db: Database) throws {
        try db.alter(table: "outbox") { t in t.add(column: "story", .text) }
        for row in try Row.fetchAll(db, sql: "SELECT alert_id, payload FROM outbox") {
            guard let story = judgement(row["payload"])?.story else { continue }
            try db.execute(sql: "UPDATE outbox SET story = ? WHERE alert_id = ?", arguments: [story, row["alert_id"] as String])
        }
        try db.create(index: "outbox_story", on: "outbox", columns: ["story"])
    }

    /// v1: feeds, items, outbox.
    private static func migrateV1(_ db: Database) throws {
        try db.create(table: "feed") { t in
            t.primaryKey("name", .text)
            t.column("url", .text).notNull()
            t.column("etag", .text)
            t.column("last_modified", .text)
            t.column("last_fetch", .double)
            t.column("last_success", .double)
            t.column("last_status", .integer)
            t.column("last_error", .text)
            t.column("error_count", .integer).notNull().defaults(to: 0)
            t.column("items_seen", .integer).notNull().defaults(to: 0)
            t.column("next_due", .double)
        }
        try db.create(table: "item") { t in
            t.column("feed", .text).notNull()
            t.column("key", .text).notNull()
            t.column("first_seen", .double).notNull()
            t.column("published", .double)
            t.column("title", .text).notNull()
            t.column("link", .text)
            t.column("verdict", .text).notNull()
            t.column("score", .double).notNull()
            t.column("story", .text)
            t.column("text", .text).notNull().defaults(to: "")
            t.primaryKey(["feed", "key"])
        }
        try db.create(index: "item_first_seen", on: "item", columns: ["first_seen"])
        try db.create(table: "outbox") { t in
            t.primaryKey("alert_id", .text)
            t.column("payload", .blob).notNull()
            t.column("created", .double).notNull()
            t.column("written", .double)
        }
    }

    /// v2: event facts of items.
    private static func migrateV2(_ db: Database) throws {
        try db.alter(table: "item") { t in
            t.add(column: "exercise", .text)
            t.add(column: "places", .text)
        }
    }

    /// v3: digests written.
    private static func migrateV3(_ db: Database) throws {
        try db.create(table: "digest") { t in
            t.primaryKey("day", .text)
            t.column("written", .double).notNull()
        }
    }

    /// v4: permanent redirects.
    private static func migrateV4(_ db: Database) throws {
        try db.alter(table: "feed") { t in
            t.add(column: "moved_to", .text)
            t.add(column: "moved_count", .integer).notNull().defaults(to: 0)
        }
    }

    /// v5: items by link.
    private static func migrateV5(_ db: Database) throws {
        try db.create(index: "item_feed_link", on: "item", columns: ["feed", "link"])
    }

    /// v6: delivery outbox, capped fetches.
    private static func migrateV6(_ db: Database) throws {
        // One row per (alert, channel), created with the mark that the alert's files are
        // written, deleted never by delivery: `delivered` or `expired` ends it.
        try db.create(table: "delivery") { t in
            t.column("alert_id", .text).notNull()
            t.column("channel", .text).notNull()
            t.column("created", .double).notNull()
            t.column("attempts", .integer).notNull().defaults(to: 0)
            t.column("next_attempt", .double).notNull()
            t.column("delivered", .double)
            t.column("expired", .double)
            t.column("last_error", .text)
            t.primaryKey(["alert_id", "channel"])
        }
        try db.create(index: "delivery_due", on: "delivery", columns: ["delivered", "expired", "next_attempt"])
        try db.alter(table: "feed") { t in
            t.add(column: "capped", .integer).notNull().defaults(to: 0)
        }
    }

    // MARK: - Digests

    /// The latest day whose digest was written by the schedule, `YYYY-MM-DD`.
    public func lastDigestDay() async throws(StoreError) -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT day FROM digest ORDER BY day DESC LIMIT 1") }
    }

    public func markDigestWritten(day: String, at date: Date = Date()) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO digest (day, written) VALUES (?, ?)", arguments: [day, date.timeIntervalSince1970])
        }
    }

    // MARK: - Feeds

    public func feedState(_ name: String) async throws(StoreError) -> FeedState? {
        try await read { db in try FeedState.fetchOne(db, key: name) }
    }

    public func feedStates() async throws(StoreError) -> [FeedState] {
        try await read { db in try FeedState.order(Column("name")).fetchAll(db) }
    }

    // MARK: - Items

    /// The keys among `keys` already seen in `feed`.
    ///
    /// The keys go in as one JSON array, so the statement is the same whatever their number and
    /// is prepared once per connection: a scan asks this of every feed it fetched, and writing
    /// and preparing an `IN (?, ?, …)` of the feed's length each time was 2.5% of the CPU of a
    /// scan of 10,000 feeds.
    public func knownKeys(feed: String, among keys: [String]) async throws(StoreError) -> Set<String> {
        guard !keys.isEmpty else { return [] }
        let list = try Self.jsonArray(keys)
        return try await read { db in
            let statement = try db.cachedStatement(sql: "SELECT key FROM item WHERE feed = ? AND key IN (SELECT value FROM json_each(?))")
            return try Set(String.fetchCursor(statement, arguments: [feed, list]))
        }
    }

    /// The (link, title) pairs among `pairs` already stored for `feed`, under any key. A feed
    /// that mints a new GUID for the same item on every fetch is recognised by these.
    public func knownLinksAndTitles(feed: String, among pairs: [(link: String, title: String)]) async throws(StoreError) -> Set<LinkAndTitle> {
        guard !pairs.isEmpty else { return [] }
        let wanted = Set(pairs.map { LinkAndTitle(link: $0.link, title: $0.title) })
        let links = try Self.jsonArray(Array(Set(pairs.map(\.link))))
        return try await read { db in
            let statement = try db.cachedStatement(sql: "SELECT link, title FROM item WHERE feed = ? AND link IN (SELECT value FROM json_each(?))")
            var known = Set<LinkAndTitle>()
            for row in try Row.fetchAll(statement, arguments: [feed, links]) {
                let pair = LinkAndTitle(link: row["link"], title: row["title"])
                if wanted.contains(pair) { known.insert(pair) }
            }
            return known
        }
    }

    /// Strings as a JSON array, for `json_each`.
    private static func jsonArray(_ strings: [String]) throws(StoreError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
        } catch {
            throw StoreError(.other, path: nil, "cannot write \(strings.count) keys as JSON (\(error))")
        }
    }

    /// Records one fetch of a feed in one transaction: its new state, its new items, and the
    /// alerts they raised. Items already present are left alone (and their alerts not queued
    /// again), so a repeated commit after a crash changes nothing.
    public func commit(_ batch: [FeedCommit]) async throws(StoreError) {
        guard !batch.isEmpty else { return }
        try await write { db in
            let encoder = JSONCoding.encoder()
            for part in batch {
                try part.feed.upsert(into: db)
                var inserted = Set<String>()
                for item in part.items {
                    // An item is stored once: a key seen again (a race with another scanner, a
                    // replayed batch) keeps its first judgement.
                    try ItemRecord(item).insert(db, onConflict: .ignore)
                    if db.changesCount > 0 { inserted.insert(item.itemKey) }
                }
                for alert in part.alerts where inserted.contains(alert.itemKey) {
                    try db.execute(sql: "INSERT OR IGNORE INTO outbox (alert_id, payload, created, story) VALUES (?, ?, ?, ?)",
                                   arguments: [alert.id, try encoder.encode(alert), alert.firstSeen.timeIntervalSince1970, alert.story])
                }
            }
        }
    }

    /// Items first seen in [from, to), oldest first, optionally only those with these verdicts.
    public func items(firstSeenFrom from: Date, to: Date, verdicts: [Verdict.Kind]? = nil) async throws(StoreError) -> [Judgement] {
        try await read { db in
            var request = ItemRecord.filter(Column("first_seen") >= from.timeIntervalSince1970 && Column("first_seen") < to.timeIntervalSince1970)
            if let verdicts, !verdicts.isEmpty { request = request.filter(verdicts.map(\.rawValue).contains(Column("verdict"))) }
            return try request.order(Column("first_seen"), Column("feed"), Column("key")).fetchAll(db).map(\.judgement)
        }
    }

    /// How many items each feed delivered for the first time in [from, to).
    public func newItemCounts(from: Date, to: Date) async throws(StoreError) -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT feed, COUNT(*) AS n FROM item WHERE first_seen >= ? AND first_seen < ? GROUP BY feed",
                                        arguments: [from.timeIntervalSince1970, to.timeIntervalSince1970]) {
                counts[row["feed"]] = row["n"]
            }
            return counts
        }
    }

    /// Relevant items (alerts and duplicates) first seen since `date`, oldest first: the
    /// stories a new process must remember so that tomorrow's copy is still a duplicate.
    public func relevantItems(since date: Date, latest: Int) async throws(StoreError) -> [Judgement] {
        try await read { db in
            try ItemRecord.fetchAll(db, sql: Self.relevantItemsSQL, arguments: [date.timeIntervalSince1970, latest]).map(\.judgement)
        }
    }

    /// The newest relevant items, and the alerts that began their stories. The same text
    /// serves SQLite and PostgreSQL (`?` is written `$n` there).
    package static let relevantItemsSQL = """
        WITH recent AS (
            SELECT feed, key, story FROM item
            WHERE verdict IN ('alert', 'duplicate') AND first_seen >= ?1 ORDER BY first_seen DESC LIMIT ?2)
        SELECT * FROM item
        WHERE verdict IN ('alert', 'duplicate') AND first_seen >= ?1
          AND ((feed, key) IN (SELECT feed, key FROM recent) OR (verdict = 'alert' AND story IN (SELECT story FROM recent)))
        ORDER BY first_seen, feed, key
        """

    /// Forgets items first seen before `date`, and written outbox entries older than it
    /// (except those an analyst judged: `feedback export` is built from them).
    /// Returns how many items were removed. Callers must not alert on items published before
    /// the same date, or a pruned item that a feed still carries would alert again.
    @discardableResult
    public func prune(before date: Date) async throws(StoreError) -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM item WHERE first_seen < ?", arguments: [date.timeIntervalSince1970])
            let removed = db.changesCount
            try db.execute(sql: """
                DELETE FROM outbox WHERE written IS NOT NULL AND created < ? AND alert_id NOT IN (SELECT alert_id FROM feedback)
                """, arguments: [date.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM delivery WHERE alert_id NOT IN (SELECT alert_id FROM outbox)")
            try db.execute(sql: "DELETE FROM article WHERE fetched < ?", arguments: [date.timeIntervalSince1970])
            return removed
        }
    }

    // MARK: - Outbox

    /// Alerts whose files are not yet known to be written, oldest first, and the ids of rows
    /// that no longer decode (written by a newer version, or damaged): reported, never dropped
    /// in silence, and left in the outbox for a version that can read them.
    public func pendingAlerts() async throws(StoreError) -> (alerts: [Judgement], unreadable: [String]) {
        try await read { db in
            var alerts: [Judgement] = [], unreadable: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT alert_id, payload FROM outbox WHERE written IS NULL ORDER BY created, alert_id") {
                if let alert = Self.judgement(row["payload"]) { alerts.append(alert) } else { unreadable.append(row["alert_id"]) }
            }
            return (alerts, unreadable)
        }
    }

    static func judgement(_ payload: Data?) -> Judgement? { OutboxPayload.judgement(payload) }

    /// The stories among `stories` that raised an alert (at any time).
    public func alertedStories(among stories: [String]) async throws(StoreError) -> Set<String> {
        guard !stories.isEmpty else { return [] }
        return try await read { db in
            var found = Set<String>()
            for chunk in stride(from: 0, to: stories.count, by: 500).map({ Array(stories[$0..<min(stories.count, $0 + 500)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                found.formUnion(try String.fetchAll(db, sql: "SELECT DISTINCT story FROM outbox WHERE story IN (\(marks))",
                                                    arguments: StatementArguments(chunk)))
            }
            return found
        }
    }

    /// The newest alerts whose files are written, newest first (for the Atom feed of alerts).
    public func latestAlerts(limit: Int) async throws(StoreError) -> [Judgement] {
        try await alerts(since: nil, limit: limit)
    }

    /// Alerts whose files are written, newest first, first seen since `since` when given.
    public func alerts(since: Date?, limit: Int) async throws(StoreError) -> [Judgement] {
        try await read { db in
            try Data.fetchAll(db, sql: """
                SELECT payload FROM outbox WHERE written IS NOT NULL AND created >= ? ORDER BY created DESC, alert_id LIMIT ?
                """, arguments: [since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude, limit]).compactMap(Self.judgement)
        }
    }

    /// Marks alerts' files written and, in the same transaction, queues one delivery per
    /// channel for each: a crash between the two cannot lose a notification.
    public func markWritten(_ ids: [String], at date: Date = Date(), deliverTo channels: [DeliveryChannel] = []) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await write { db in
            for id in ids {
                try db.execute(sql: "UPDATE outbox SET written = ? WHERE alert_id = ?", arguments: [date.timeIntervalSince1970, id])
                for channel in channels {
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO delivery (alert_id, channel, created, next_attempt) VALUES (?, ?, ?, ?)
                        """, arguments: [id, channel.rawValue, date.timeIntervalSince1970, date.timeIntervalSince1970])
                }
            }
        }
    }

    // MARK: - Deliveries

    /// Deliveries due at `date` (not delivered, not expired, their retry time reached), oldest
    /// first. A row whose alert cannot be decoded is expired with the reason, not skipped.
    public func dueDeliveries(at date: Date, limit: Int = 100) async throws(StoreError) -> [PendingDelivery] {
        // A read: the daemon asks every few seconds, and an idle one should not write.
        let (due, unreadable) = try await read { db in
            var due: [PendingDelivery] = []
            var unreadable: [(id: String, channel: String)] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT d.alert_id, d.channel, d.attempts, d.created, o.payload FROM delivery d
                LEFT JOIN outbox o ON o.alert_id = d.alert_id
                WHERE d.delivered IS NULL AND d.expired IS NULL AND d.next_attempt <= ?
                ORDER BY d.created, d.alert_id, d.channel LIMIT ?
                """, arguments: [date.timeIntervalSince1970, limit]) {
                let id: String = row["alert_id"]
                let channelName: String = row["channel"]
                guard let channel = DeliveryChannel(rawValue: channelName), let alert = Self.judgement(row["payload"]) else {
                    unreadable.append((id, channelName))
                    continue
                }
                due.append(PendingDelivery(alert: alert, channel: channel, attempts: row["attempts"],
                                           created: Date(timeIntervalSince1970: row["created"])))
            }
            return (due, unreadable)
        }
        if !unreadable.isEmpty {
            try await write { db in
                for (id, channel) in unreadable {
                    try db.execute(sql: "UPDATE delivery SET expired = ?, last_error = ? WHERE alert_id = ? AND channel = ?",
                                   arguments: [date.timeIntervalSince1970, "the alert or the channel '\(channel)' cannot be read", id, channel])
                }
            }
        }
        return due
    }

    /// Records one attempt's result.
    public func record(_ result: DeliveryResult, for delivery: PendingDelivery, at date: Date) async throws(StoreError) {
        try await write { db in
            switch result {
            case .delivered:
                try db.execute(sql: """
                    UPDATE delivery SET delivered = ?, attempts = attempts + 1 WHERE alert_id = ? AND channel = ?
                    """, arguments: [date.timeIntervalSince1970, delivery.alert.id, delivery.channel.rawValue])
            case .failed(let error, let retryAt):
                try db.execute(sql: """
                    UPDATE delivery SET attempts = attempts + 1, last_error = ?, next_attempt = ?, expired = ?
                    WHERE alert_id = ? AND channel = ?
                    """, arguments: [error, (retryAt ?? date).timeIntervalSince1970, retryAt == nil ? date.timeIntervalSince1970 : nil,
                                     delivery.alert.id, delivery.channel.rawValue])
            }
        }
    }

    /// How many deliveries are pending, retrying and expired, with the latest error.
    public func deliveryCounts() async throws(StoreError) -> DeliveryCounts {
        try await read { db in
            var counts = DeliveryCounts()
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) FILTER (WHERE delivered IS NULL AND expired IS NULL) AS pending,
                       COUNT(*) FILTER (WHERE delivered IS NULL AND expired IS NULL AND attempts > 0) AS retrying,
                       COUNT(*) FILTER (WHERE expired IS NOT NULL) AS expired
                FROM delivery
                """)
            counts.pending = row?["pending"] ?? 0
            counts.retrying = row?["retrying"] ?? 0
            counts.expired = row?["expired"] ?? 0
            counts.lastError = try String.fetchOne(db, sql: """
                SELECT last_error FROM delivery WHERE delivered IS NULL AND last_error IS NOT NULL
                ORDER BY next_attempt DESC LIMIT 1
                """)
            return counts
        }
    }

    // MARK: - Access

    // GRDB's async access: the work runs on GRDB's own queues (a pool of readers, one
    // writer), never on the caller's thread, so a scan's tasks are not blocked by the disk.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do { return try await writer.read(body) } catch { throw StoreError(error, path: path) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do { return try await writer.write(body) } catch { throw StoreError(error, path: path) }
    }
}

/// The state holds feed URLs (credentials among them, for some) and everything read: it is
/// created private — folders 0700, the database 0600 (SQLite gives its -wal and -shm files
/// the database's mode) — whatever the umask. Existing folders are left as their owner set them.
public enum StatePermissions {
    public static func prepare(database path: String) throws {
        try createPrivateFolder((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            fchmod(fd, 0o600)  // the mode passed to open is masked by the umask; this is not
            close(fd)
        } else if errno != EEXIST {
            throw StoreError(.cannotOpen, path: path, "cannot create the state database (\(String(cString: strerror(errno))))")
        }
    }

    /// Creates `folder` and any missing parents with mode 0700.
    public static func createPrivateFolder(_ folder: String) throws {
        guard !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) else { return }
        try createPrivateFolder((folder as NSString).deletingLastPathComponent)
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw StoreError(.cannotOpen, path: folder, "cannot create the folder (\(String(cString: strerror(errno))))")
        }
        chmod(folder, 0o700)
    }
}

extension SQLiteStore {
    /// One page of a table's rows, every value as text (NULL as nil, a BLOB as its UTF-8
    /// text), after the row `after` (SQLite's rowid) in rowid order: `drillwatch store copy`
    /// reads the state this way, a page at a time, whatever its size. `table` must be one of
    /// the state's own tables.
    package func page(of table: String, after: Int64, limit: Int) async throws(StoreError) -> (columns: [String], rows: [[String?]], last: Int64?) {
        try await read { db in
            guard try db.tableExists(table) else { return ([], [], nil) }
            let columns = try db.columns(in: table).map(\.name)
            let quoted = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            var rows: [[String?]] = []
            var last: Int64?
            for row in try Row.fetchAll(db, sql: "SELECT rowid AS drillwatch_rowid, \(quoted) FROM \"\(table)\" WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                        arguments: [after, limit]) {
                last = row["drillwatch_rowid"]
                rows.append(columns.indices.map { index in
                    switch (row[index + 1] as DatabaseValue).storage {
                    case .null: nil
                    case .int64(let number): String(number)
                    case .double(let number): "\(number)"
                    case .string(let text): text
                    case .blob(let data): String(decoding: data, as: UTF8.self)
                    }
                })
            }
            return (columns, rows, last)
        }
    }
}
