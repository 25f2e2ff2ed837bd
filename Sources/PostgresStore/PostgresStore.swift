import Dispatch
import Foundation
import Locking
import Model
import Store

/// drillwatch's state in PostgreSQL, behind the same interface and the same crash-safety
/// contract as `SQLiteStore` (see `StateStore`): a feed's state, its new items and their alerts
/// are committed in one transaction; items are inserted once (`ON CONFLICT DO NOTHING`), so a
/// commit replayed after a crash or a lost connection changes nothing.
///
/// One connection, confined to a serial queue: libpq blocks, and a scan's commits are
/// serialised anyway. A connection found broken is re-established before the next operation;
/// the operation that found it broken fails with `.unreachable` and its caller's loop (the
/// next scan, the delivery worker's next round) tries again — committed work is never redone
/// differently, since every write is idempotent or a single transaction.
///
/// Several instances share one database. Each writing process registers as an `Instance` and
/// keeps a heartbeat; what two of them must not both do is claimed in the database:
/// - a feed is leased (`claimFeeds`: `FOR UPDATE SKIP LOCKED`, `leased_by`, `lease_until`)
///   from its claim to the commit of its fetch, which moves its next due time on — so no other
///   instance fetches it inside its interval; a live instance renews its leases, a dead one's
///   run out after one lease period and another takes the feeds;
/// - story decisions are made under one advisory lock (`beginStoryDecisions`): the instance
///   holding it first learns the stories the others stored, then judges and commits, so two
///   copies of one story judged at the same moment by two instances raise one alert;
/// - pending alerts, due deliveries and a day's digest are claimed for a while by the
///   instance that handles them (a claim outlives no crash by more than its duration).
public final class PostgresStore: StateStore {
    /// How the store may be used, as for `SQLiteStore.Access`.
    public enum Access: Sendable {
        /// Bring the schema up to date, and write.
        case create
        /// Write to an existing, up-to-date schema.
        case existing
        /// Read only; never changes the schema.
        case readOnly
    }

    /// A process that writes to the shared state (`scan`, `run`).
    public struct Instance: Sendable {
        public var id: String
        public var host: String
        public var pid: Int
        public var version: String
        /// How long a feed lease lasts without renewal: how soon the feeds of an instance that
        /// died are taken over. The heartbeat renews leases four times per period.
        public var lease: TimeInterval

        public init(id: String = UUID().uuidString.lowercased(), host: String = ProcessInfo.processInfo.hostName,
                    pid: Int = Int(ProcessInfo.processInfo.processIdentifier), version: String, lease: TimeInterval = 120) {
            self.id = id
            self.host = host
            self.pid = pid
            self.version = version
            self.lease = lease
        }
    }

    private let queue: DispatchQueue
    /// Touched only on `queue`.
    private let connection: PGConnection
    /// The writing process this store stands for; nil for readers.
    public let instance: Instance?
    /// The URL without its password.
    public let target: String
    /// Renews this instance's heartbeat and leases while the store lives.
    private let heartbeat = Locked<Task<Void, Never>?>(nil)
    /// The story lock is waited for on a connection of its own (`StoryLock`), so that the
    /// wait does not hold up this instance's other work on `connection`.
    private let stories: StoryLock

    /// How long pending alerts, deliveries and a digest stay claimed by the instance that took
    /// them: longer than writing files or one delivery attempt can take.
    static let claimDuration: TimeInterval = 900
    /// SQLite's query for the items a restart remembers, with PostgreSQL's `$n` parameters.
    private static let relevantItemsSQL = SQLiteStore.relevantItemsSQL.replacingOccurrences(of: "?", with: "$")

    /// Connects to `url` (`postgresql://user@host:port/db?sslmode=…`). `password`, when given,
    /// outranks `PGPASSFILE`. A writer passes its `instance`, which is registered and kept alive.
    public static func open(url: String, password: String?, access: Access = .create, instance: Instance? = nil,
                            applicationName: String = "drillwatch") async throws(StoreError) -> PostgresStore {
        let queue = DispatchQueue(label: "drillwatch.postgres")
        let result: Result<PostgresStore, StoreError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(StoreError) -> PostgresStore in
                    let connection = try PGConnection(url: url, password: password, applicationName: applicationName)
                    switch access {
                    case .create:
                        try PostgresSchema.migrate(connection)
                    case .existing, .readOnly:
                        let applied = try PostgresSchema.appliedVersions(connection)
                        if applied.isEmpty {
                            throw StoreError(.missing, path: connection.target, "the database holds no drillwatch state yet")
                        }
                        guard Set(PostgresSchema.migrations.map(\.version)).isSubset(of: applied) else {
                            throw StoreError(.outdated, path: connection.target, "the database's schema is older than this drillwatch")
                        }
                    }
                    if let instance { try Self.register(instance, connection) }
                    let store = PostgresStore(queue: queue, connection: connection, instance: instance,
                                              stories: StoryLock(url: url, password: password, applicationName: applicationName))
                    // Started on the thread that made the store, before it is handed over: the
                    // hand-over (a continuation) is a barrier ThreadSanitizer cannot see, and it
                    // reported the heartbeat's first touch of the new store as a race.
                    store.startHeartbeat()
                    return store
                })
            }
        }
        return try result.get()
    }

    private init(queue: DispatchQueue, connection: PGConnection, instance: Instance?, stories: StoryLock) {
        self.queue = queue
        self.connection = connection
        self.instance = instance
        self.target = connection.target
        self.stories = stories
    }

    deinit { heartbeat.withLock { $0?.cancel() } }

    /// Connects, applies the migrations not yet applied (under the migration lock, so beside
    /// running instances too), and disconnects; returns the server and the migrations applied.
    public static func migrate(url: String, password: String?) async throws(StoreError) -> (target: String, applied: [String]) {
        let result: Result<(String, [String]), StoreError> = await withCheckedContinuation { continuation in
            DispatchQueue(label: "drillwatch.postgres.migrate").async {
                continuation.resume(returning: Result { () throws(StoreError) -> (String, [String]) in
                    let connection = try PGConnection(url: url, password: password)
                    return (connection.target, try PostgresSchema.migrate(connection))
                })
            }
        }
        return try result.get()
    }

    // MARK: - Instances

    private static func register(_ instance: Instance, _ connection: PGConnection) throws(StoreError) {
        let now = Date()
        try connection.execute("""
            INSERT INTO instance (id, host, pid, started, heartbeat, version) VALUES ($1, $2, $3, $4, $4, $5)
            ON CONFLICT (id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat, stopped = NULL
            """, [instance.id, instance.host, instance.pid, now, instance.version])
        // Instances gone for a week are history.
        try connection.execute("DELETE FROM instance WHERE heartbeat < $1", [now.addingTimeInterval(-7 * 86400)])
    }

    /// Every quarter lease: the heartbeat, and this instance's leases pushed on. A failure
    /// (the server away) is retried at the next beat; meanwhile leases may run out, and the
    /// feeds go to another instance — the price of a partition, which the next claim settles.
    private func startHeartbeat() {
        guard let instance else { return }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(instance.lease / 4))
                guard let self, !Task.isCancelled else { return }
                let now = Date()
                _ = try? await self.perform { connection throws(StoreError) -> Void in
                    try connection.execute("UPDATE instance SET heartbeat = $1 WHERE id = $2", [now, instance.id])
                    try connection.execute("UPDATE feed SET lease_until = $1 WHERE leased_by = $2",
                                           [now.addingTimeInterval(instance.lease), instance.id])
                }
            }
        }
        heartbeat.withLock { $0 = task }
    }

    /// Marks this instance stopped and gives its leases back (a clean shutdown; an instance
    /// that dies leaves them to run out).
    public func close() async {
        heartbeat.withLock { $0?.cancel() }
        guard let instance else { return }
        let now = Date()
        _ = try? await perform { connection throws(StoreError) -> Void in
            try connection.execute("UPDATE feed SET leased_by = NULL, lease_until = NULL WHERE leased_by = $1", [instance.id])
            try connection.execute("UPDATE instance SET stopped = $1, heartbeat = $1 WHERE id = $2", [now, instance.id])
        }
    }

    public func instances(at date: Date) async throws(StoreError) -> [InstanceStatus] {
        try await perform { connection throws(StoreError) in
            let rows = try connection.execute("""
                SELECT i.*, (SELECT count(*) FROM feed f WHERE f.leased_by = i.id AND f.lease_until >= $1) AS leases
                FROM instance i ORDER BY i.started, i.id
                """, [date])
            return (0..<rows.count).map { row in
                InstanceStatus(id: rows.string(row, "id") ?? "", host: rows.string(row, "host") ?? "", pid: rows.int(row, "pid") ?? 0,
                               version: rows.string(row, "version") ?? "", started: rows.date(row, "started") ?? date,
                               heartbeat: rows.date(row, "heartbeat") ?? date, stopped: rows.date(row, "stopped"),
                               leases: rows.int(row, "leases") ?? 0)
            }
        }
    }

    // MARK: - Access

    /// Runs `body` with the connection on the store's queue, reconnecting first when the
    /// connection was found broken.
    private func perform<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws(StoreError) -> T) async throws(StoreError) -> T {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            queue.async { [connection] in
                continuation.resume(returning: Result { () throws(StoreError) -> T in
                    if !connection.isOpen {
                        guard connection.reconnect() else {
                            throw StoreError(.unreachable, path: connection.target, "the connection to PostgreSQL is lost and cannot be made again yet")
                        }
                    }
                    return try body(connection)
                })
            }
        }
        return try result.get()
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws(StoreError) -> T) async throws(StoreError) -> T {
        try await perform { connection throws(StoreError) in try connection.transaction { () throws(StoreError) in try body(connection) } }
    }

    // MARK: - Copying a state

    /// The state's tables, in the order a copy fills them.
    package static var tables: [String] { PostgresSchema.tables }

    /// Inserts rows given as text into one of the state's tables, skipping rows whose key is
    /// there already (a copy run twice inserts nothing twice), in one transaction; returns how
    /// many were inserted. Columns the table does not have are an error, not dropped.
    package func insert(into table: String, columns: [String], rows: [[String?]]) async throws(StoreError) -> Int {
        guard PostgresSchema.tables.contains(table) else {
            throw StoreError(.other, path: target, "\(table) is not a table of the state")
        }
        guard !rows.isEmpty else { return 0 }
        return try await write { connection throws(StoreError) in
            let known = Set(try connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
                [table]).strings("column_name"))
            if let unknown = columns.first(where: { !known.contains($0) }) {
                throw StoreError(.other, path: connection.target, "the state's table \(table) has no column \(unknown)")
            }
            let names = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            let marks = columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
            let sql = "INSERT INTO \(table) (\(names)) VALUES (\(marks)) ON CONFLICT DO NOTHING"
            var inserted = 0
            for row in rows { inserted += try connection.execute(sql, row).affected }
            return inserted
        }
    }

    /// How many rows a table holds.
    package func count(_ table: String) async throws(StoreError) -> Int {
        guard PostgresSchema.tables.contains(table) else { return 0 }
        return try await perform { connection throws(StoreError) in
            try connection.execute("SELECT COUNT(*) AS n FROM \(table)").int(0, "n") ?? 0
        }
    }

    // MARK: - Feeds

    public func feedState(_ name: String) async throws(StoreError) -> FeedState? {
        try await perform { connection throws(StoreError) in
            let rows = try connection.execute("SELECT * FROM feed WHERE name = $1", [name])
            return rows.count > 0 ? Self.feedState(rows, 0) : nil
        }
    }

    public func feedStates() async throws(StoreError) -> [FeedState] {
        try await perform { connection throws(StoreError) in
            let rows = try connection.execute("SELECT * FROM feed ORDER BY name")
            return (0..<rows.count).map { Self.feedState(rows, $0) }
        }
    }

    private static func feedState(_ rows: PGResult, _ row: Int) -> FeedState {
        var state = FeedState(name: rows.string(row, "name") ?? "", url: rows.string(row, "url") ?? "")
        state.etag = rows.string(row, "etag")
        state.lastModified = rows.string(row, "last_modified")
        state.lastFetch = rows.date(row, "last_fetch")
        state.lastSuccess = rows.date(row, "last_success")
        state.lastStatus = rows.int(row, "last_status")
        state.lastError = rows.string(row, "last_error")
        state.errorCount = rows.int(row, "error_count") ?? 0
        state.itemsSeen = rows.int(row, "items_seen") ?? 0
        state.nextDue = rows.date(row, "next_due")
        state.movedTo = rows.string(row, "moved_to")
        state.movedCount = rows.int(row, "moved_count") ?? 0
        state.capped = rows.int(row, "capped") ?? 0
        return state
    }

    /// Saves a feed's state after its fetch, ending this instance's lease on it (a lease another
    /// instance took meanwhile stays its own).
    private static func save(_ state: FeedState, _ connection: PGConnection, instance: String?) throws(StoreError) {
        try connection.execute("""
            INSERT INTO feed (name, url, etag, last_modified, last_fetch, last_success, last_status, last_error, error_count,
                              items_seen, next_due, moved_to, moved_count, capped)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,
                last_fetch = EXCLUDED.last_fetch, last_success = EXCLUDED.last_success, last_status = EXCLUDED.last_status,
                last_error = EXCLUDED.last_error, error_count = EXCLUDED.error_count, items_seen = EXCLUDED.items_seen,
                next_due = EXCLUDED.next_due, moved_to = EXCLUDED.moved_to, moved_count = EXCLUDED.moved_count,
                capped = EXCLUDED.capped,
                leased_by = CASE WHEN feed.leased_by = $15 THEN NULL ELSE feed.leased_by END,
                lease_until = CASE WHEN feed.leased_by = $15 THEN NULL ELSE feed.lease_until END
            """, [state.name, state.url, state.etag, state.lastModified, state.lastFetch, state.lastSuccess, state.lastStatus,
                  state.lastError, state.errorCount, state.itemsSeen, state.nextDue, state.movedTo, state.movedCount, state.capped,
                  instance])
    }

    public func claimFeeds(_ feeds: [FeedState], dueOnly: Bool, at date: Date) async throws(StoreError) -> Set<String>? {
        guard let instance else { return nil }
        guard !feeds.isEmpty else { return [] }
        return try await write { connection throws(StoreError) in
            // A feed never fetched has no row to lock yet.
            try connection.execute("""
                INSERT INTO feed (name, url) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING
                """, [PGTextArray(feeds.map(\.name)), PGTextArray(feeds.map(\.url))])
            return Set(try connection.execute("""
                UPDATE feed SET leased_by = $2, lease_until = $3
                WHERE name IN (SELECT name FROM feed WHERE name = ANY($1::text[])
                               AND (NOT $5::boolean OR next_due IS NULL OR next_due <= $4)
                               AND (leased_by IS NULL OR lease_until < $4 OR leased_by = $2)
                               FOR UPDATE SKIP LOCKED)
                RETURNING name
                """, [PGTextArray(feeds.map(\.name)), instance.id, date.addingTimeInterval(instance.lease), date, dueOnly])
                .strings("name"))
        }
    }

    // MARK: - Stories

    public func beginStoryDecisions(after watermark: Int64?, window: Date, latest: Int) async throws(StoreError) -> StoryUpdate? {
        guard instance != nil else { return nil }
        try await stories.take()
        do {
            return try await perform { [target] connection throws(StoreError) in
                let latest = try connection.execute("SELECT coalesce(max(seq), 0) AS seq FROM item").int(0, "seq") ?? 0
                let rows = if let watermark {
                    try connection.execute("""
                        SELECT * FROM item WHERE seq > $1 AND verdict IN ('alert', 'duplicate') ORDER BY seq
                        """, [watermark])
                } else {
                    try connection.execute(Self.relevantItemsSQL, [window, latest])
                }
                return StoryUpdate(items: try Self.items(rows, target), watermark: Int64(latest))
            }
        } catch {
            await stories.release()
            throw error
        }
    }

    public func endStoryDecisions() async throws(StoreError) -> Int64? {
        guard instance != nil else { return nil }
        // The lock goes whatever the answer: kept after a failed read, it would be held by
        // this instance's lock connection (taken again: twice) and stall every other instance.
        let latest: Int64
        do {
            latest = try await perform { connection throws(StoreError) -> Int64 in
                Int64(try connection.execute("SELECT coalesce(max(seq), 0) AS seq FROM item").int(0, "seq") ?? 0)
            }
        } catch {
            await stories.release()
            throw error
        }
        await stories.release()
        return latest
    }

    // MARK: - Items

    public func knownKeys(feed: String, among keys: [String]) async throws(StoreError) -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try await perform { connection throws(StoreError) in
            Set(try connection.execute("SELECT key FROM item WHERE feed = $1 AND key = ANY($2::text[])",
                                       [feed, PGTextArray(keys)]).strings("key"))
        }
    }

    public func knownLinksAndTitles(feed: String, among pairs: [(link: String, title: String)]) async throws(StoreError) -> Set<LinkAndTitle> {
        guard !pairs.isEmpty else { return [] }
        let wanted = Set(pairs.map { LinkAndTitle(link: $0.link, title: $0.title) })
        let links = Array(Set(pairs.map(\.link)))
        return try await perform { connection throws(StoreError) in
            let rows = try connection.execute("SELECT link, title FROM item WHERE feed = $1 AND link = ANY($2::text[])",
                                              [feed, PGTextArray(links)])
            return Set((0..<rows.count).compactMap { row in
                let pair = LinkAndTitle(link: rows.string(row, "link") ?? "", title: rows.string(row, "title") ?? "")
                return wanted.contains(pair) ? pair : nil
            })
        }
    }

    public func commit(_ batch: [FeedCommit]) async throws(StoreError) {
        guard !batch.isEmpty else { return }
        let instance = instance?.id
        let holder = stories.holder
        try await write { connection throws(StoreError) in
            // Decisions made under the story lock commit under it, or not at all: the lock's
            // connection may have been lost (and the lock with it) since it was taken.
            if let holder, try connection.execute("""
                SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1
                  AND (classid::bigint << 32) | objid::bigint = $2
                """, [holder, PostgresSchema.storyLock]).count == 0 {
                throw StoreError(.unreachable, path: connection.target,
                                 "the connection holding the story lock was lost while stories were decided; they are judged again")
            }
            let encoder = JSONCoding.encoder()
            for part in batch {
                try Self.save(part.feed, connection, instance: instance)
                // An item is stored once: a key seen again (another instance, a replayed batch)
                // keeps its first judgement, and its alert is not queued again.
                let inserted = try Self.insert(part.items.map(ItemRecord.init), connection)
                for alert in part.alerts where inserted.contains(alert.itemKey) {
                    let payload: Data
                    do { payload = try encoder.encode(alert) } catch {
                        throw StoreError(.other, path: connection.target, "cannot encode alert \(alert.id): \(error)")
                    }
                    try connection.execute("""
                        INSERT INTO outbox (alert_id, payload, created, story) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
                        """, [alert.id, String(decoding: payload, as: UTF8.self), alert.firstSeen, alert.story])
                }
            }
        }
    }

    /// Inserts an item unless its key is stored; true when it was inserted.
    /// Inserts a feed's new items in one statement (one round trip, not one per item), each
    /// unless its key is stored; returns the keys inserted.
    private static func insert(_ records: [ItemRecord], _ connection: PGConnection) throws(StoreError) -> Set<String> {
        guard !records.isEmpty else { return [] }
        let places: [String], countries: [String]
        do {
            places = try records.map { try ItemRecord.json($0.places) }
            countries = try records.map { try ItemRecord.json($0.countries) }
        } catch {
            throw StoreError(.other, path: connection.target, "cannot encode the items of \(records[0].feed): \(error)")
        }
        func column(_ values: [(any PGParameter)?]) -> PGArray { PGArray(values.map { $0?.pgText }) }
        return Set(try connection.execute("""
            INSERT INTO item (feed, key, first_seen, published, title, link, verdict, score, story, text, summary, exercise,
                              places, countries, duplicate_of)
            SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::text[], $6::text[], $7::text[],
                                 $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
            ON CONFLICT DO NOTHING RETURNING key
            """, [column(records.map(\.feed)), column(records.map(\.key)), column(records.map(\.firstSeen)),
                  column(records.map(\.published)), column(records.map(\.title)), column(records.map(\.link)),
                  column(records.map(\.verdict.rawValue)), column(records.map(\.score)), column(records.map(\.story)),
                  column(records.map(\.text)), column(records.map(\.summary)), column(records.map(\.exercise)),
                  column(places), column(countries), column(records.map(\.duplicateOf))]).strings("key"))
    }

    private static func items(_ rows: PGResult, _ target: String) throws(StoreError) -> [Judgement] {
        var judgements: [Judgement] = []
        for row in 0..<rows.count {
            let key = rows.string(row, "key") ?? "", feed = rows.string(row, "feed") ?? ""
            let verdictName = rows.string(row, "verdict") ?? ""
            guard let verdict = Verdict.Kind(rawValue: verdictName) else {
                throw StoreError(.corrupt, path: target, "item \(key) of feed \(feed) has an unknown verdict '\(verdictName)'")
            }
            let places: [String], countries: [String]
            do {
                places = try ItemRecord.list(rows.string(row, "places"))
                countries = try ItemRecord.list(rows.string(row, "countries"))
            } catch {
                throw StoreError(.corrupt, path: target, "item \(key) of feed \(feed) has unreadable places or countries")
            }
            // The record says what the row means (which text was judged, which is shown).
            judgements.append(ItemRecord(
                feed: feed, key: key, firstSeen: rows.date(row, "first_seen") ?? Date(timeIntervalSince1970: 0),
                published: rows.date(row, "published"), title: rows.string(row, "title") ?? "", link: rows.string(row, "link"),
                verdict: verdict, score: rows.double(row, "score") ?? 0, story: rows.string(row, "story"),
                text: rows.string(row, "text") ?? "", summary: rows.string(row, "summary"), exercise: rows.string(row, "exercise"),
                places: places, countries: countries, duplicateOf: rows.string(row, "duplicate_of")).judgement)
        }
        return judgements
    }

    public func items(firstSeenFrom from: Date, to: Date, verdicts: [Verdict.Kind]?) async throws(StoreError) -> [Judgement] {
        try await perform { [target] connection throws(StoreError) in
            let kinds = verdicts.flatMap { $0.isEmpty ? nil : $0.map(\.rawValue) }
            let rows = try connection.execute("""
                SELECT * FROM item WHERE first_seen >= $1 AND first_seen < $2 AND ($3::text[] IS NULL OR verdict = ANY($3::text[]))
                ORDER BY first_seen, feed, key
                """, [from, to, kinds.map(PGTextArray.init)])
            return try Self.items(rows, target)
        }
    }

    public func newItemCounts(from: Date, to: Date) async throws(StoreError) -> [String: Int] {
        try await perform { connection throws(StoreError) in
            let rows = try connection.execute("""
                SELECT feed, COUNT(*) AS n FROM item WHERE first_seen >= $1 AND first_seen < $2 GROUP BY feed
                """, [from, to])
            var counts: [String: Int] = [:]
            for row in 0..<rows.count { counts[rows.string(row, "feed") ?? ""] = rows.int(row, "n") ?? 0 }
            return counts
        }
    }

    public func relevantItems(since date: Date, latest: Int) async throws(StoreError) -> [Judgement] {
        try await perform { [target] connection throws(StoreError) in
            let rows = try connection.execute(Self.relevantItemsSQL, [date, latest])
            return try Self.items(rows, target)
        }
    }

    @discardableResult
    public func prune(before date: Date) async throws(StoreError) -> Int {
        try await write { connection throws(StoreError) in
            let removed = try connection.execute("DELETE FROM item WHERE first_seen < $1", [date]).affected
            try connection.execute("""
                DELETE FROM outbox WHERE written IS NOT NULL AND created < $1 AND alert_id NOT IN (SELECT alert_id FROM feedback)
                """, [date])
            try connection.execute("DELETE FROM delivery WHERE alert_id NOT IN (SELECT alert_id FROM outbox)")
            try connection.execute("DELETE FROM article WHERE fetched < $1", [date])
            return removed
        }
    }

    // MARK: - Outbox

    public func pendingAlerts() async throws(StoreError) -> (alerts: [Judgement], unreadable: [String]) {
        try await perform { connection throws(StoreError) in
            let rows = try connection.execute("SELECT alert_id, payload FROM outbox WHERE written IS NULL ORDER BY created, alert_id")
            var alerts: [Judgement] = [], unreadable: [String] = []
            for row in 0..<rows.count {
                if let alert = Self.judgement(rows.string(row, "payload")) { alerts.append(alert) } else {
                    unreadable.append(rows.string(row, "alert_id") ?? "")
                }
            }
            return (alerts, unreadable)
        }
    }

    public func claimPendingAlerts(at date: Date) async throws(StoreError) -> (alerts: [Judgement], unreadable: [String]) {
        guard let instance else { return try await pendingAlerts() }
        return try await write { connection throws(StoreError) in
            let rows = try connection.execute("""
                UPDATE outbox SET claimed_by = $1, claim_until = $2
                WHERE alert_id IN (SELECT alert_id FROM outbox WHERE written IS NULL
                                   AND (claimed_by IS NULL OR claim_until < $3 OR claimed_by = $1) FOR UPDATE SKIP LOCKED)
                RETURNING alert_id, payload, created
                """, [instance.id, date.addingTimeInterval(Self.claimDuration), date])
            let order = (0..<rows.count).sorted {
                (rows.double($0, "created") ?? 0, rows.string($0, "alert_id") ?? "") < (rows.double($1, "created") ?? 0, rows.string($1, "alert_id") ?? "")
            }
            var alerts: [Judgement] = [], unreadable: [String] = []
            for row in order {
                if let alert = Self.judgement(rows.string(row, "payload")) { alerts.append(alert) } else {
                    unreadable.append(rows.string(row, "alert_id") ?? "")
                }
            }
            return (alerts, unreadable)
        }
    }

    public func claimDigest(day: String, at date: Date) async throws(StoreError) -> Bool {
        guard let instance else { return true }
        return try await write { connection throws(StoreError) in
            guard try connection.execute("SELECT 1 FROM digest WHERE day = $1", [day]).count == 0 else { return false }
            return try connection.execute("""
                INSERT INTO digest_claim (day, claimed_by, claim_until) VALUES ($1, $2, $3)
                ON CONFLICT (day) DO UPDATE SET claimed_by = EXCLUDED.claimed_by, claim_until = EXCLUDED.claim_until
                WHERE digest_claim.claim_until < $4 OR digest_claim.claimed_by = EXCLUDED.claimed_by
                RETURNING day
                """, [day, instance.id, date.addingTimeInterval(Self.claimDuration), date]).count == 1
        }
    }

    private static func judgement(_ payload: String?) -> Judgement? {
        OutboxPayload.judgement(payload.map { Data($0.utf8) })
    }

    public func latestAlerts(limit: Int) async throws(StoreError) -> [Judgement] {
        try await alerts(since: nil, limit: limit)
    }

    public func alerts(since: Date?, limit: Int) async throws(StoreError) -> [Judgement] {
        try await perform { connection throws(StoreError) in
            try connection.execute("""
                SELECT payload FROM outbox WHERE written IS NOT NULL AND ($1::double precision IS NULL OR created >= $1)
                ORDER BY created DESC, alert_id LIMIT $2
                """, [since, limit]).strings("payload").compactMap { Self.judgement($0) }
        }
    }

    public func alertedStories(among stories: [String]) async throws(StoreError) -> Set<String> {
        guard !stories.isEmpty else { return [] }
        return try await perform { connection throws(StoreError) in
            Set(try connection.execute("SELECT DISTINCT story FROM outbox WHERE story = ANY($1::text[])",
                                       [PGTextArray(stories)]).strings("story"))
        }
    }

    public func markWritten(_ ids: [String], at date: Date, deliverTo channels: [DeliveryChannel]) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await write { connection throws(StoreError) in
            try connection.execute("UPDATE outbox SET written = $1 WHERE alert_id = ANY($2::text[])", [date, PGTextArray(ids)])
            for channel in channels {
                try connection.execute("""
                    INSERT INTO delivery (alert_id, channel, created, next_attempt)
                    SELECT id, $2, $3, $3 FROM unnest($1::text[]) AS id ON CONFLICT DO NOTHING
                    """, [PGTextArray(ids), channel.rawValue, date])
            }
        }
    }

    // MARK: - Deliveries

    /// Due deliveries, claimed by this instance until they are recorded, given back or the
    /// claim runs out: two instances never attempt one delivery at the same time. (A store
    /// opened without an instance claims nothing, as a state of one process needs.)
    public func dueDeliveries(at date: Date, limit: Int) async throws(StoreError) -> [PendingDelivery] {
        let claims = instance != nil
        return try await write { connection throws(StoreError) in
            let rows = claims ? try connection.execute("""
                WITH due AS (
                    SELECT alert_id, channel FROM delivery
                    WHERE delivered IS NULL AND expired IS NULL AND next_attempt <= $1 AND (claim_until IS NULL OR claim_until < $1)
                    ORDER BY created, alert_id, channel LIMIT $2 FOR UPDATE SKIP LOCKED)
                UPDATE delivery d SET claim_until = $3 FROM due WHERE d.alert_id = due.alert_id AND d.channel = due.channel
                RETURNING d.alert_id, d.channel, d.attempts, d.created, (SELECT payload FROM outbox o WHERE o.alert_id = d.alert_id) AS payload
                """, [date, limit, date.addingTimeInterval(Self.claimDuration)]) : try connection.execute("""
                SELECT d.alert_id, d.channel, d.attempts, d.created, o.payload FROM delivery d
                LEFT JOIN outbox o ON o.alert_id = d.alert_id
                WHERE d.delivered IS NULL AND d.expired IS NULL AND d.next_attempt <= $1
                ORDER BY d.created, d.alert_id, d.channel LIMIT $2
                """, [date, limit])
            var due: [PendingDelivery] = []
            let order = (0..<rows.count).sorted {
                (rows.double($0, "created") ?? 0, rows.string($0, "alert_id") ?? "", rows.string($0, "channel") ?? "")
                    < (rows.double($1, "created") ?? 0, rows.string($1, "alert_id") ?? "", rows.string($1, "channel") ?? "")
            }
            for row in order {
                let id = rows.string(row, "alert_id") ?? "", channelName = rows.string(row, "channel") ?? ""
                guard let channel = DeliveryChannel(rawValue: channelName), let alert = Self.judgement(rows.string(row, "payload")) else {
                    // A row that cannot be read is expired with the reason, not skipped for ever.
                    try connection.execute("UPDATE delivery SET expired = $1, last_error = $2 WHERE alert_id = $3 AND channel = $4",
                                           [date, "the alert or the channel '\(channelName)' cannot be read", id, channelName])
                    continue
                }
                due.append(PendingDelivery(alert: alert, channel: channel, attempts: rows.int(row, "attempts") ?? 0,
                                           created: rows.date(row, "created") ?? date))
            }
            return due
        }
    }

    public func release(_ deliveries: [PendingDelivery]) async throws(StoreError) {
        guard !deliveries.isEmpty else { return }
        try await perform { connection throws(StoreError) -> Void in
            try connection.execute("""
                UPDATE delivery d SET claim_until = NULL FROM unnest($1::text[], $2::text[]) AS r(alert_id, channel)
                WHERE d.alert_id = r.alert_id AND d.channel = r.channel
                """, [PGTextArray(deliveries.map(\.alert.id)), PGTextArray(deliveries.map(\.channel.rawValue))])
        }
    }

    public func record(_ result: DeliveryResult, for delivery: PendingDelivery, at date: Date) async throws(StoreError) {
        let id = delivery.alert.id, channel = delivery.channel.rawValue
        try await perform { connection throws(StoreError) -> Void in
            switch result {
            case .delivered:
                try connection.execute("""
                    UPDATE delivery SET delivered = $1, attempts = attempts + 1, claim_until = NULL WHERE alert_id = $2 AND channel = $3
                    """, [date, id, channel])
            case .failed(let error, let retryAt):
                try connection.execute("""
                    UPDATE delivery SET attempts = attempts + 1, last_error = $1, next_attempt = $2, expired = $3, claim_until = NULL
                    WHERE alert_id = $4 AND channel = $5
                    """, [error, retryAt ?? date, retryAt == nil ? date : nil, id, channel])
            }
        }
    }

    public func deliveryCounts() async throws(StoreError) -> DeliveryCounts {
        try await perform { connection throws(StoreError) in
            let rows = try connection.execute("""
                SELECT COUNT(*) FILTER (WHERE delivered IS NULL AND expired IS NULL) AS pending,
                       COUNT(*) FILTER (WHERE delivered IS NULL AND expired IS NULL AND attempts > 0) AS retrying,
                       COUNT(*) FILTER (WHERE expired IS NOT NULL) AS expired
                FROM delivery
                """)
            var counts = DeliveryCounts()
            counts.pending = rows.int(0, "pending") ?? 0
            counts.retrying = rows.int(0, "retrying") ?? 0
            counts.expired = rows.int(0, "expired") ?? 0
            let latest = try connection.execute("""
                SELECT last_error FROM delivery WHERE delivered IS NULL AND last_error IS NOT NULL ORDER BY next_attempt DESC LIMIT 1
                """)
            counts.lastError = latest.count > 0 ? latest.string(0, "last_error") : nil
            return counts
        }
    }

    // MARK: - Articles

    public func cachedArticle(url: String) async throws(StoreError) -> CachedArticle? {
        try await perform { connection throws(StoreError) in
            let rows = try connection.execute("SELECT * FROM article WHERE url = $1", [url])
            guard rows.count > 0, let status = rows.string(0, "status").flatMap(CachedArticle.Status.init(rawValue:)) else { return nil }
            return CachedArticle(url: url, fetched: rows.date(0, "fetched") ?? Date(timeIntervalSince1970: 0), status: status,
                                 etag: rows.string(0, "etag"), lastModified: rows.string(0, "last_modified"),
                                 title: rows.string(0, "title"), text: rows.string(0, "text") ?? "", published: rows.date(0, "published"))
        }
    }

    public func save(_ article: CachedArticle) async throws(StoreError) {
        try await perform { connection throws(StoreError) -> Void in
            try connection.execute("""
                INSERT INTO article (url, fetched, status, etag, last_modified, title, text, published)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (url) DO UPDATE SET fetched = EXCLUDED.fetched, status = EXCLUDED.status, etag = EXCLUDED.etag,
                    last_modified = EXCLUDED.last_modified, title = EXCLUDED.title, text = EXCLUDED.text, published = EXCLUDED.published
                """, [article.url, article.fetched, article.status.rawValue, article.etag, article.lastModified, article.title,
                      article.text, article.published])
        }
    }

    // MARK: - Digests

    public func lastDigestDay() async throws(StoreError) -> String? {
        try await perform { connection throws(StoreError) in
            try connection.execute("SELECT day FROM digest ORDER BY day DESC LIMIT 1").strings("day").first
        }
    }

    public func markDigestWritten(day: String, at date: Date) async throws(StoreError) {
        try await perform { connection throws(StoreError) -> Void in
            try connection.execute("""
                INSERT INTO digest (day, written) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET written = EXCLUDED.written
                """, [day, date])
        }
    }

    // MARK: - Feedback

    public func record(_ feedback: Feedback) async throws(StoreError) -> FeedbackOutcome {
        try await write { connection throws(StoreError) in
            guard try connection.execute("SELECT 1 FROM outbox WHERE alert_id = $1", [feedback.alertID]).count > 0 else {
                return .unknownAlert
            }
            let previous = try Self.feedback(connection.execute("SELECT * FROM feedback WHERE alert_id = $1", [feedback.alertID])).first
            try connection.execute("""
                INSERT INTO feedback (alert_id, verdict, note, judged) VALUES ($1, $2, $3, $4)
                ON CONFLICT (alert_id) DO UPDATE SET verdict = EXCLUDED.verdict, note = EXCLUDED.note, judged = EXCLUDED.judged
                """, [feedback.alertID, feedback.verdict.rawValue, feedback.note, feedback.judged])
            return previous.map(FeedbackOutcome.replaced) ?? .recorded
        }
    }

    private static func feedback(_ rows: PGResult) -> [Feedback] {
        (0..<rows.count).compactMap { feedback(rows, $0) }
    }

    /// A row's judgement; nil when its verdict is not one drillwatch knows (the table's CHECK
    /// keeps such rows out).
    private static func feedback(_ rows: PGResult, _ row: Int) -> Feedback? {
        guard let id = rows.string(row, "alert_id"),
              let verdict = rows.string(row, "verdict").flatMap(AnalystVerdict.init(rawValue:)) else { return nil }
        return Feedback(alertID: id, verdict: verdict, note: rows.string(row, "note"),
                        judged: rows.date(row, "judged") ?? Date(timeIntervalSince1970: 0))
    }

    public func alert(id: String) async throws(StoreError) -> Judgement? {
        try await perform { connection throws(StoreError) in
            Self.judgement(try connection.execute("SELECT payload FROM outbox WHERE alert_id = $1", [id]).strings("payload").first)
        }
    }

    public func judgedAlerts() async throws(StoreError) -> [JudgedAlert] {
        try await perform { connection throws(StoreError) in
            let rows = try connection.execute("""
                SELECT f.*, o.payload FROM feedback f LEFT JOIN outbox o ON o.alert_id = f.alert_id ORDER BY f.judged, f.alert_id
                """)
            return (0..<rows.count).compactMap { row in
                Self.feedback(rows, row).map { JudgedAlert(feedback: $0, alert: Self.judgement(rows.string(row, "payload"))) }
            }
        }
    }

    public func feedback(for ids: [String]) async throws(StoreError) -> [String: Feedback] {
        guard !ids.isEmpty else { return [:] }
        return try await perform { connection throws(StoreError) in
            let found = Self.feedback(try connection.execute("SELECT * FROM feedback WHERE alert_id = ANY($1::text[])", [PGTextArray(ids)]))
            return Dictionary(found.map { ($0.alertID, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }
}

/// The lock under which an instance decides stories, waited for on a connection of its own
/// (made when first needed): a blocking `pg_advisory_lock` is first come, first served, and
/// does not hold up the instance's fetches, which read through the store's connection.
final class StoryLock: Sendable {
    private let url: String
    private let password: String?
    private let applicationName: String
    private let queue = DispatchQueue(label: "drillwatch.postgres.stories")
    /// Touched only on `queue`.
    private let connection = Locked<PGConnection?>(nil)
    /// The server process holding the lock for this instance, while it is held.
    private let held = Locked<Int32?>(nil)

    init(url: String, password: String?, applicationName: String) {
        self.url = url
        self.password = password
        self.applicationName = applicationName
    }

    var holder: Int32? { held.withLock { $0 } }

    /// Waits for the lock (at most ten minutes: `lock_timeout`).
    func take() async throws(StoreError) {
        let result: Result<Void, StoreError> = await withCheckedContinuation { continuation in
            queue.async { [self] in
                continuation.resume(returning: Result { () throws(StoreError) in
                    let lock = try self.openConnection()
                    try lock.execute("SELECT pg_advisory_lock($1)", [PostgresSchema.storyLock])
                    held.withLock { $0 = lock.backendPID }
                })
            }
        }
        try result.get()
    }

    /// Lets the lock go; a connection lost meanwhile has let it go already.
    func release() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                if held.withLock({ $0 }) != nil, let lock = connection.withLock({ $0 }), lock.isOpen {
                    _ = try? lock.execute("SELECT pg_advisory_unlock($1)", [PostgresSchema.storyLock])
                }
                held.withLock { $0 = nil }
                continuation.resume()
            }
        }
    }

    private func openConnection() throws(StoreError) -> PGConnection {
        if let existing = connection.withLock({ $0 }) {
            if existing.isOpen { return existing }
            if existing.reconnect() {
                try existing.execute("SET lock_timeout = '10min'")
                return existing
            }
        }
        let made = try PGConnection(url: url, password: password, applicationName: applicationName + " (stories)")
        try made.execute("SET lock_timeout = '10min'")
        connection.withLock { $0 = made }
        return made
    }
}
