import ArgumentParser
import Foundation
import LocalFiles
import Pipeline
import PostgresStore
import Reports
import Store

/// `drillwatch store`: the state database itself — its schema, and moving it to PostgreSQL.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Bring the state's schema up to date, or copy a SQLite state into PostgreSQL.",
        discussion: """
            The state is SQLite in the state folder unless [store] url (or DRILLWATCH_STORE_URL) \
            names a PostgreSQL database; its password comes from [store] password = \
            "credential:NAME", else from PGPASSFILE or ~/.pgpass, as for psql.

            Examples:
              drillwatch store migrate --config /etc/drillwatch/drillwatch.toml
              drillwatch store copy --from sqlite:/var/lib/drillwatch/state/drillwatch.sqlite \\
                  --to postgresql://drillwatch@db.example:5432/drillwatch
            """,
        subcommands: [Migrate.self, Copy.self])

    struct Migrate: DrillwatchCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the schema's migrations not yet applied (once each, under a lock; safe beside running instances).")
        @OptionGroup var configuration: ConfigOption

        func execute() async throws {
            let settings = try configuration.settings()
            guard let url = settings.store.postgresURL else {
                _ = try wrap { try SQLiteStore.open(at: settings.stateDatabase.path) }
                print("state \(settings.stateDatabase.path): schema up to date (SQLite)")
                return
            }
            let (target, applied) = try await wrapAsync { try await PostgresStore.migrate(url: url, password: settings.store.password) }
            print("state \(target): schema up to date" + (applied.isEmpty ? " (nothing to apply)" : ""))
            for name in applied { print("  applied \(name)") }
        }
    }

    struct Copy: DrillwatchCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a SQLite state into a PostgreSQL one (rows already there are kept; run it again after an interruption).")
        @OptionGroup var configuration: ConfigOption

        @Option(help: ArgumentHelp("The SQLite state: sqlite:PATH or PATH.", discussion: "Default: the configuration's state database."))
        var from: String?

        @Option(help: ArgumentHelp("The PostgreSQL database: postgresql://USER@HOST:PORT/DATABASE.",
                                   discussion: "Default: the configuration's [store] url."))
        var to: String?

        func execute() async throws {
            let settings = try configuration.settings()
            let source = from.map { $0.hasPrefix("sqlite:") ? String($0.dropFirst("sqlite:".count)) : $0 } ?? settings.stateDatabase.path
            guard let url = to ?? settings.store.postgresURL else {
                throw CLIError(.configuration, "no PostgreSQL database to copy to: pass --to postgresql://… or set [store] url")
            }
            guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
                throw CLIError("--to must be a PostgreSQL URL, postgresql://USER@HOST:PORT/DATABASE")
            }
            // Nothing may write the source while it is read: a scan or the service would hold
            // the state folder's lock.
            do { try StateLock.acquire(stateFolder: URL(fileURLWithPath: source).deletingLastPathComponent()) } catch let held as StateLock.Held {
                throw CLIError(.busy, "\(held)")
            }
            // A pipe given as the source would block SQLite's first read for ever (a missing
            // file has the store's own message).
            if FileManager.default.fileExists(atPath: source), let problem = LocalFile.problem(atPath: source) {
                throw CLIError("\(source): \(problem)")
            }
            let sqlite = try wrap { try SQLiteStore.open(at: source, access: .readOnly) }
            let postgres: PostgresStore
            do {
                postgres = try await PostgresStore.open(url: url, password: settings.store.password, access: .create)
            } catch where error.kind == .busy {
                throw CLIError(.busy, error.description)
            } catch {
                throw CLIError(error.description)
            }
            print("copying \(source) into \(postgres.target)")
            let tables = try await wrapAsync {
                try await StateCopy.copy(from: sqlite, to: postgres) { table in
                    print("  \(table.name): \(table.read) rows read, \(table.inserted) inserted"
                        + (table.read > table.inserted ? " (\(table.read - table.inserted) were there already)" : ""))
                }
            }
            print("done: \(tables.map(\.inserted).reduce(0, +)) rows inserted")
            // The configuration's output folder now belongs to the state it moved to.
            OutputClaim.handOver(settings.outputFolder, from: source, to: url)
        }
    }
}
