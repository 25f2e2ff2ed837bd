import Foundation
import Store

/// The state's tables in PostgreSQL: the same tables and columns as the SQLite state (so that
/// `drillwatch store copy` moves rows column by column, and a reader of one knows the other),
/// times as seconds since 1970.
///
/// Migrations are versioned and run once each, in one transaction under an advisory lock:
/// instances starting together wait for the first, then find nothing left to do.
enum PostgresSchema {
    struct Migration {
        let version: Int
        let name: String
        let statements: [String]
    }

    /// The key of the advisory lock migrations run under (any fixed 64-bit number unlikely to
    /// be used by another program on the same database: "drillwat" in ASCII).
    static let migrationLock: Int64 = 0x6472_696C_6C77_6174
    /// The key of the lock under which story decisions are made (see `PostgresStore`):
    /// "drillsty".
    static let storyLock: Int64 = 0x6472_696C_6C73_7479

    static let migrations: [Migration] = [
        Migration(version: 1, name: "feeds, items, outbox, deliveries, digests, feedback, articles", statements: [
            """
            CREATE TABLE feed (
                name text PRIMARY KEY, url text NOT NULL, etag text, last_modified text,
                last_fetch double precision, last_success double precision, last_status integer, last_error text,
                error_count bigint NOT NULL DEFAULT 0, items_seen bigint NOT NULL DEFAULT 0, next_due double precision,
                moved_to text, moved_count bigint NOT NULL DEFAULT 0, capped bigint NOT NULL DEFAULT 0,
                leased_by text, lease_until double precision)
            """,
            """
            CREATE TABLE item (
                feed text NOT NULL, key text NOT NULL, first_seen double precision NOT NULL, published double precision,
                title text NOT NULL, link text, verdict text NOT NULL, score double precision NOT NULL, story text,
                text text NOT NULL DEFAULT '', summary text, exercise text, places text, countries text NOT NULL DEFAULT '[]',
                duplicate_of text, seq bigserial NOT NULL, PRIMARY KEY (feed, key))
            """,
            "CREATE INDEX item_first_seen ON item (first_seen)",
            "CREATE INDEX item_relevant_seq ON item (seq) WHERE verdict IN ('alert', 'duplicate')",
            "CREATE INDEX item_feed_link ON item (feed, link)",
            """
            CREATE TABLE outbox (
                alert_id text PRIMARY KEY, payload text NOT NULL, created double precision NOT NULL,
                written double precision, story text, claimed_by text, claim_until double precision)
            """,
            "CREATE INDEX outbox_story ON outbox (story)",
            "CREATE INDEX outbox_pending ON outbox (created) WHERE written IS NULL",
            "CREATE TABLE digest (day text PRIMARY KEY, written double precision NOT NULL)",
            """
            CREATE TABLE delivery (
                alert_id text NOT NULL, channel text NOT NULL, created double precision NOT NULL,
                attempts bigint NOT NULL DEFAULT 0, next_attempt double precision NOT NULL,
                delivered double precision, expired double precision, last_error text, claim_until double precision,
                PRIMARY KEY (alert_id, channel))
            """,
            "CREATE INDEX delivery_due ON delivery (delivered, expired, next_attempt)",
            """
            CREATE TABLE feedback (
                alert_id text PRIMARY KEY, verdict text NOT NULL CHECK (verdict IN ('right', 'wrong')), note text,
                judged double precision NOT NULL)
            """,
            """
            CREATE TABLE article (
                url text PRIMARY KEY, fetched double precision NOT NULL, status text NOT NULL, etag text,
                last_modified text, title text, text text NOT NULL DEFAULT '', published double precision)
            """,
            "CREATE INDEX article_fetched ON article (fetched)",
            """
            CREATE TABLE instance (
                id text PRIMARY KEY, host text NOT NULL, pid bigint NOT NULL, started double precision NOT NULL,
                heartbeat double precision NOT NULL, version text NOT NULL, stopped double precision)
            """,
            "CREATE TABLE digest_claim (day text PRIMARY KEY, claimed_by text NOT NULL, claim_until double precision NOT NULL)",
        ]),
    ]

    /// The tables in the order a copy fills them (the instances and claims of a running
    /// cluster are not state to copy).
    static let tables = ["feed", "item", "outbox", "delivery", "digest", "feedback", "article"]

    static var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// The versions already applied (none on a new database).
    static func appliedVersions(_ connection: PGConnection) throws(StoreError) -> Set<Int> {
        let exists = try connection.execute("SELECT to_regclass('drillwatch_migration') IS NOT NULL AS present")
        guard exists.string(0, "present") == "t" else { return [] }
        return Set(try connection.execute("SELECT version FROM drillwatch_migration").strings("version").compactMap { Int($0) })
    }

    /// Applies the migrations not yet applied; returns their names.
    @discardableResult
    static func migrate(_ connection: PGConnection) throws(StoreError) -> [String] {
        try connection.transaction { () throws(StoreError) -> [String] in
            // Another instance's migration may take a while on a large state: wait for it.
            try connection.execute("SET LOCAL lock_timeout = '30min'")
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [migrationLock])
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS drillwatch_migration (
                    version integer PRIMARY KEY, name text NOT NULL, applied double precision NOT NULL)
                """)
            let applied = try appliedVersions(connection)
            if let newer = applied.max(), newer > latestVersion {
                throw StoreError(.other, path: connection.target,
                                 "the database's schema (version \(newer)) was written by a newer drillwatch; upgrade this one")
            }
            var names: [String] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements { try connection.execute(statement) }
                try connection.execute("INSERT INTO drillwatch_migration (version, name, applied) VALUES ($1, $2, $3)",
                                       [migration.version, migration.name, Date()])
                names.append("v\(migration.version): \(migration.name)")
            }
            return names
        }
    }
}
