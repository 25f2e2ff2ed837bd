import CLibPQ
import Foundation
import Store

/// One connection to PostgreSQL, through libpq: the only owner of its `PGconn`.
///
/// Not thread-safe, and not meant to be: `PostgresStore` confines each connection to its own
/// serial queue. libpq calls block, so they never run on Swift's cooperative threads.
///
/// `@unchecked Sendable` only so that it can be handed to that queue's blocks: its owner uses
/// it in blocks on one serial `DispatchQueue` and nowhere else (the store's connection in
/// `PostgresStore.open` and `perform`; the story lock's in `StoryLock`, on a queue of its own),
/// so no two threads ever touch one handle at once, and libpq allows a connection to move
/// between threads when calls on it do not overlap.
///
/// Why libpq rather than a Swift driver: it is PostgreSQL's reference client, so the `[store]
/// url` means what it means to `psql` (`sslmode`, `sslrootcert`, `host=/run/postgresql`,
/// `service=`), and the password can come from `PGPASSFILE` or `~/.pgpass` as for every other
/// PostgreSQL tool; it is a Debian package, so there is nothing to build.
final class PGConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// The server named for a person: the URL without its password.
    let target: String

    /// Connects, or throws what libpq said. `password`, when given, outranks the URL's own and
    /// `PGPASSFILE`. `timeout` bounds connecting, in seconds.
    init(url: String, password: String?, applicationName: String = "drillwatch", timeout: Int = 10) throws(StoreError) {
        target = PGConnection.redacted(url)
        // A server that vanishes without closing the connection (a host powered off, a
        // partition) must not hang a query for the operating system's 15 minutes of
        // retransmissions: TCP keepalives after 30 s idle, and a 60 s bound on unacknowledged
        // data. They come before `dbname`, so the URL's own values win.
        var keywords = ["keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "dbname", "fallback_application_name", "connect_timeout"]
        var values = ["1", "30", "10", "3", "60000", url, applicationName, String(timeout)]
        if let password {
            keywords.append("password")
            values.append(password)
        }
        // `expand_dbname`: the URL in `dbname` is read as a connection string, as psql reads it;
        // later keywords (the password) override what it says.
        let connection = withCStrings(keywords) { keywords in
            withCStrings(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else { throw StoreError(.unreachable, path: target, "cannot allocate a PostgreSQL connection") }
        handle = connection
        guard PQstatus(handle) == CONNECTION_OK else {
            // Every property is set, so `deinit` runs and frees the handle.
            let message = lastError
            throw StoreError(Self.kind(ofConnectionFailure: message), path: target, message)
        }
        // Notices ("relation already exists, skipping") are not for the user's terminal.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        try configureSession()
    }

    /// How long a statement waits for another session's lock before it fails as busy (and is
    /// retried by its caller): a conflicting insert waits for the other transaction to end, and
    /// one that never ends must not stall this instance for good. Set by a statement rather
    /// than the startup `options`, which connection poolers refuse.
    static let lockTimeout = "2min"

    private func configureSession() throws(StoreError) {
        try execute("SET lock_timeout = '\(Self.lockTimeout)'")
    }

    deinit { PQfinish(handle) }

    var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server process serving this connection (as `pg_locks.pid` names it).
    var backendPID: Int32 { PQbackendPID(handle) }

    /// Connects again with the same parameters (after the server restarted, or the network
    /// dropped); false while the server cannot be reached.
    func reconnect() -> Bool {
        PQreset(handle)
        return isOpen && (try? configureSession()) != nil
    }

    /// libpq's last message for this connection, on one line.
    private var lastError: String { Self.oneLine(String(cString: PQerrorMessage(handle))) }

    /// A libpq message (lines, some indented with tabs) as one line.
    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: "; ")
    }

    /// Runs one statement with `$1…` parameters, sent apart from the SQL (never spliced in).
    @discardableResult
    func execute(_ sql: String, _ parameters: [any PGParameter] = []) throws(StoreError) -> PGResult {
        let texts = parameters.map(\.pgText)
        let result: OpaquePointer? = withOptionalCStrings(texts) { pointers in
            PQexecParams(handle, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
        }
        guard let result else {
            throw StoreError(isOpen ? .other : .unreachable, path: target, lastError)
        }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorMessage(result).map { Self.oneLine(String(cString: $0)) } ?? lastError
            PQclear(result)
            throw StoreError(isOpen ? Self.kind(ofSQLState: sqlState) : .unreachable, path: target,
                             message.isEmpty ? lastError : message)
        }
        return PGResult(result)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isOpen { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: - Errors

    /// What a failed connection attempt means for the user.
    static func kind(ofConnectionFailure message: String) -> StoreError.Kind {
        let lower = message.lowercased()
        if lower.contains("authentication") || lower.contains("password") || lower.contains("pg_hba.conf")
            || lower.contains("permission denied") || (lower.contains("role") && lower.contains("does not exist")) {
            return .refused
        }
        if lower.contains("database") && lower.contains("does not exist") { return .cannotOpen }
        return .unreachable
    }

    /// A statement's failure by its SQLSTATE class (PostgreSQL's appendix A).
    static func kind(ofSQLState state: String?) -> StoreError.Kind {
        guard let state else { return .other }
        switch state {
        case "53100": return .full                      // disk_full
        case "40001", "40P01", "55P03": return .busy    // serialization, deadlock, lock not available
        case "25006": return .readOnly                  // read_only_sql_transaction (a standby)
        case "42501": return .refused                   // insufficient_privilege
        default: break
        }
        switch state.prefix(2) {
        case "08", "57": return .unreachable            // connection exception, operator intervention
        case "28": return .refused                      // invalid authorization
        case "53": return .full                         // insufficient resources
        case "58": return .io                           // system error
        case "XX": return .corrupt                      // internal error (data corrupted)
        default: return .other
        }
    }

    /// The URL without its password, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url.range(of: "@", range: scheme.upperBound..<url.endIndex) else {
            return url.replacingOccurrences(of: #"password=[^&\s]*"#, with: "password=…", options: .regularExpression)
        }
        let userInfo = url[scheme.upperBound..<at.lowerBound]
        let user = userInfo.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let rest = String(url[at.upperBound...])
            .replacingOccurrences(of: #"password=[^&\s]*"#, with: "password=…", options: .regularExpression)
        return String(url[..<scheme.upperBound]) + user + (userInfo.contains(":") ? ":…" : "") + "@" + rest
    }
}

/// A query's rows: the only owner of its `PGresult`. Values are read as text (libpq's text
/// format), by column name.
final class PGResult {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    var count: Int { Int(PQntuples(handle)) }
    /// Rows a command touched (`INSERT … ON CONFLICT DO NOTHING` counts only what it inserted).
    var affected: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    func column(_ name: String) -> Int32 { PQfnumber(handle, name) }

    func string(_ row: Int, _ column: String) -> String? {
        let index = self.column(column)
        guard index >= 0, PQgetisnull(handle, Int32(row), index) == 0 else { return nil }
        return String(cString: PQgetvalue(handle, Int32(row), index))
    }

    func int(_ row: Int, _ column: String) -> Int? { string(row, column).flatMap { Int($0) } }
    func double(_ row: Int, _ column: String) -> Double? { string(row, column).flatMap { Double($0) } }
    func date(_ row: Int, _ column: String) -> Date? { double(row, column).map(Date.init(timeIntervalSince1970:)) }

    /// Every value of one column, NULLs left out.
    func strings(_ column: String) -> [String] { (0..<count).compactMap { string($0, column) } }
}

/// A value sent as a statement parameter, in PostgreSQL's text form (nil is NULL).
protocol PGParameter {
    var pgText: String? { get }
}

extension String: PGParameter { var pgText: String? { self } }
extension Int: PGParameter { var pgText: String? { String(self) } }
extension Int32: PGParameter { var pgText: String? { String(self) } }
extension Int64: PGParameter { var pgText: String? { String(self) } }
extension Double: PGParameter { var pgText: String? { "\(self)" } }
extension Bool: PGParameter { var pgText: String? { self ? "true" : "false" } }
/// Times are kept as seconds since 1970, as in the SQLite state (a copy keeps them exactly).
extension Date: PGParameter { var pgText: String? { "\(timeIntervalSince1970)" } }
extension Optional: PGParameter where Wrapped: PGParameter { var pgText: String? { self?.pgText } }

/// A list sent as one array parameter (`= ANY($1::text[])`, `unnest($1::float8[])`): one
/// statement however long it is. Elements are given in their text form, nil as NULL; the cast
/// in the statement gives the element type.
struct PGArray: PGParameter {
    let values: [String?]
    init(_ values: [String?]) { self.values = values }

    var pgText: String? {
        "{" + values.map { value in
            guard let value else { return "NULL" }
            return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}

/// A list of strings as one `text[]` parameter.
struct PGTextArray: PGParameter {
    let values: [String]
    init(_ values: [String]) { self.values = values }
    var pgText: String? { PGArray(values).pgText }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings + [nil]) { body($0) }
}

/// The strings as C strings for the duration of `body`; nil stays a null pointer.
private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    // An empty list still needs a valid pointer (libpq reads none of it).
    let pointers = copies.isEmpty ? [nil] : copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
