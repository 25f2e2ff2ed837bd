import Foundation
import Curl
import PostgresStore
import Settings
import Store

/// Opens the state the configuration names: SQLite in the state folder (the default), or
/// PostgreSQL at `[store] url`. Every command opens it here, so each sees the same state.
public enum StateStores {
    /// What a command does with the state.
    public enum Use: Sendable {
        /// `scan`, `run`: brings the schema up to date and writes (the caller holds the state
        /// folder's lock); in PostgreSQL, as one of the instances that share the state.
        case write
        /// `feedback`: writes to an existing state, beside a running writer.
        case change
        /// `status`, `alerts`, `digest`: reads; never creates or changes anything.
        case read
        /// `scan --dry-run`: reads the state when there is one, else an empty one in memory.
        case dryRun
    }

    public static func open(_ settings: Settings, for use: Use) async throws(StoreError) -> any StateStore {
        guard let url = settings.store.postgresURL else {
            let path = settings.stateDatabase.path
            switch use {
            case .write: return try SQLiteStore.open(at: path)
            case .change: return try SQLiteStore.open(at: path, access: .existing)
            case .read: return try SQLiteStore.open(at: path, access: .readOnly)
            case .dryRun:
                return FileManager.default.fileExists(atPath: path) ? try SQLiteStore.open(at: path, access: .readOnly) : try SQLiteStore.inMemory()
            }
        }
        let password = settings.store.password
        switch use {
        case .write:
            return try await PostgresStore.open(url: url, password: password, access: .create,
                                                instance: PostgresStore.Instance(version: DrillwatchVersion.string),
                                                applicationName: instanceName)
        case .change: return try await PostgresStore.open(url: url, password: password, access: .existing)
        case .read: return try await PostgresStore.open(url: url, password: password, access: .readOnly)
        case .dryRun:
            do {
                return try await PostgresStore.open(url: url, password: password, access: .readOnly)
            } catch where error.kind == .missing {
                return try SQLiteStore.inMemory()
            }
        }
    }

    /// How this process names itself to PostgreSQL (`pg_stat_activity`), for the database's
    /// administrator.
    static var instanceName: String {
        String("drillwatch on \(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier)".prefix(63))
    }

    /// The state named for a person and for the output folder's claim: the database file, or
    /// the PostgreSQL URL (it holds no password: the settings refuse one).
    public static func name(_ settings: Settings) -> String {
        settings.store.postgresURL ?? settings.stateDatabase.path
    }
}
