import Foundation
import PostgresStore
import Store

/// `drillwatch store copy`: moves a SQLite state into PostgreSQL, table by table, a page of
/// rows at a time (memory stays flat however large the state). Rows already in the target
/// are left alone, so a copy interrupted part-way is simply run again.
public enum StateCopy {
    /// Rows read and inserted per transaction.
    static let pageSize = 1_000

    public struct Table: Sendable, Equatable {
        public var name: String
        public var read = 0
        public var inserted = 0
    }

    public static func copy(from source: SQLiteStore, to target: PostgresStore,
                            progress: (Table) -> Void = { _ in }) async throws(StoreError) -> [Table] {
        var tables: [Table] = []
        for name in PostgresStore.tables {
            var table = Table(name: name)
            var after: Int64 = 0
            while true {
                let page = try await source.page(of: name, after: after, limit: pageSize)
                guard let last = page.last else { break }
                table.read += page.rows.count
                table.inserted += try await target.insert(into: name, columns: page.columns, rows: page.rows)
                after = last
            }
            progress(table)
            tables.append(table)
        }
        return tables
    }
}
