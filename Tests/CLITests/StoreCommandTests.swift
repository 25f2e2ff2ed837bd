import Foundation
import TestSupport
import Testing

/// `drillwatch store` and the commands on a PostgreSQL state, run as an administrator runs
/// them: the demo scanned into SQLite, copied across, then used from PostgreSQL.
@Suite struct StoreCommands {
    @Test func aScannedStateMovesToPostgreSQLAndGoesOnThere() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-store-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try ClassifyCommands.writeDemoConfig(in: folder).path
        #expect(try await CLIRunner.run(["scan", "--config", sqlite]).status == 0)

        let url = try server.createDatabase()
        let copy = try await CLIRunner.run(["store", "copy", "--config", sqlite, "--to", url])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(copy.stdout.contains("item: 5 rows read, 5 inserted"))
        #expect(try await CLIRunner.run(["store", "copy", "--config", sqlite, "--to", url]).stdout.contains("done: 0 rows inserted"))

        // The same configuration with [store] url: the state is the copied one.
        let postgres = folder.appendingPathComponent("postgres.toml")
        try (String(contentsOfFile: sqlite, encoding: .utf8) + "\n[store]\nurl = \"\(url)\"\n")
            .write(to: postgres, atomically: true, encoding: .utf8)
        let status = try await CLIRunner.run(["status", "--config", postgres.path])
        #expect(status.status == 0)
        #expect(status.stdout.contains("(PostgreSQL)") && status.stdout.contains("Chinese and Russian warships begin joint drills"))
        #expect(try await CLIRunner.run(["alerts", "list", "--config", postgres.path]).stdout.split(separator: "\n").count == 1)
        let again = try await CLIRunner.run(["scan", "--config", postgres.path])
        #expect(again.status == 0 && again.stdout.contains("0 new items"), "\(again.stdout)\(again.stderr)")
        #expect(try await CLIRunner.run(["store", "migrate", "--config", postgres.path]).stdout.contains("nothing to apply"))
    }

    @Test func aDatabaseThatIsNotThereIsSaidSoWithWhatToDo() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-store-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try ClassifyCommands.writeDemoConfig(in: folder, "[store]\nurl = \"\(server.socketURL(database: "absent"))\"\n")
        let scan = try await CLIRunner.run(["scan", "--config", config.path])
        #expect(scan.status == 1)
        #expect(scan.stderr.contains("database \"absent\" does not exist") && scan.stderr.contains("createdb"), "\(scan.stderr)")
        let status = try await CLIRunner.run(["status", "--config", config.path])
        #expect(status.status == 1 && status.stderr.contains("createdb"))
    }
}
