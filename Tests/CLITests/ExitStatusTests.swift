import Foundation
import TestSupport
import Testing

/// Every command reports a failure one way (`Error: …` on standard error) with one set of
/// exit statuses (see `drillwatch --help`).
@Suite struct ExitStatus {
    static let commands: [[String]] = [
        ["scan"], ["status"], ["digest"], ["check-config"], ["corpus", "list"], ["feedback", "list"],
        ["classify", "-"], ["eval", "/dev/null"], ["train", "/dev/null", "--out", "/dev/null"],
    ]

    @Test(arguments: commands)
    func anUnreadableConfigurationIsStatusTwoEverywhere(_ command: [String]) async throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("dw-none-\(UUID()).toml").path
        let run = try await CLIRunner.run(command + ["--config", missing], stdin: "")
        #expect(run.status == 2, "\(command): \(run.status) \(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: "), "\(command): \(run.stderr)")
        #expect(run.stderr.contains(missing))
    }

    /// The commands that build the classifier compile the rules once, in it, and read the
    /// configuration again only when that fails: the report must still be the whole one, every
    /// broken rule with its line, and nothing scanned or written.
    @Test(arguments: [["scan"], ["check-config"], ["classify", "-"]])
    func everyBrokenRuleIsReportedWithItsLine(_ command: [String]) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-rules-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try ClassifyCommands.writeDemoConfig(in: folder, """
            [[rules]]
            name = "broken-one"
            query = "drill AND ("
            weight = 1

            [[rules]]
            name = "broken-two"
            query = "NEAR/3 ships"
            weight = 1

            """)
        let lines = try String(contentsOf: config, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let queryLines = lines.indices.filter { lines[$0].hasPrefix("query = ") }.map { $0 + 1 }
        let run = try await CLIRunner.run(command + ["--config", config.path], stdin: "")
        #expect(run.status == 2, "\(command): \(run.status) \(run.stderr)")
        #expect(run.stderr.contains("drillwatch.toml:\(queryLines[0]): error: rules[0].query: rule 'broken-one'"), "\(run.stderr)")
        #expect(run.stderr.contains("drillwatch.toml:\(queryLines[1]): error: rules[1].query: rule 'broken-two'"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("state").path))
    }

    @Test func withoutConfigOutsideACheckoutTheErrorSaysHowToNameOne() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("dw-empty-\(UUID())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let run = try await CLIRunner.run(["status"], directory: empty)
        #expect(run.status == 2)
        #expect(run.stderr.contains("--config"), "\(run.stderr)")
    }

    @Test func aWrongCommandLineIsStatus64() async throws {
        let run = try await CLIRunner.run(["scan", "--no-such-option"])
        #expect(run.status == 64, "\(run.status) \(run.stderr)")
        // A log level that does not exist is refused, not replaced by "info" in silence.
        let level = try await CLIRunner.run(["run", "--log-level", "loud"])
        #expect(level.status == 64, "\(level.status) \(level.stderr)")
        #expect(level.stderr.contains("critical"))
    }
}

/// Commands that only read never create a state database, and find the same state from any
/// working directory.
@Suite struct ReadOnlyCommands {
    /// A configuration in a new folder over the shipped one, with the demo's feed files under
    /// the names given (each name with a file of `config/demo/feeds/`), nothing stored yet.
    static func configuration(_ feeds: [(name: String, file: String)], scan: String = "") throws -> (folder: URL, config: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-paths-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("drillwatch.toml")
        let tables = feeds.map { feed in
            let path = SharedData.checkout.appendingPathComponent("config/demo/feeds/\(feed.file)").path
            return "[[feeds]]\nname = \"\(feed.name)\"\nurl = \"\(path)\"\n"
        }
        try """
            base = "\(SharedData.checkout.appendingPathComponent("config/drillwatch.toml").path)"
            [scan]
            first_run_horizon_days = 36500
            \(scan)
            \(tables.joined())
            """.write(to: config, atomically: true, encoding: .utf8)
        return (folder, config)
    }

    @Test func statusFromElsewhereReadsTheStateAndCreatesNothing() async throws {
        let (folder, config) = try Self.configuration([("demo", "drills-demo.xml")], scan: "retention_days = 0")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("var/state/drillwatch.sqlite")

        // Before any scan: status says so, and leaves no file behind.
        let before = try await CLIRunner.run(["status", "--config", config.path], directory: FileManager.default.temporaryDirectory)
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.contains("never fetched") && before.stdout.contains("no state yet"))
        let beforeJSON = try await CLIRunner.run(["status", "--json", "--config", config.path])
        let empty = try #require(try JSONSerialization.jsonObject(with: Data(beforeJSON.stdout.utf8)) as? [String: Any], "\(beforeJSON.stdout)")
        #expect(empty["state_exists"] as? Bool == false && (empty["feeds"] as? [[String: Any]])?.first?["fetched"] as? Bool == false)
        #expect(!FileManager.default.fileExists(atPath: database.path))
        let digest = try await CLIRunner.run(["digest", "--config", config.path])
        #expect(digest.status == 1 && digest.stderr.contains("drillwatch scan"), "\(digest.stderr)")
        #expect(!FileManager.default.fileExists(atPath: database.path))

        // A scan from one directory, status from another: the same state, beside the file.
        let scan = try await CLIRunner.run(["scan", "--config", config.path], directory: folder)
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(FileManager.default.fileExists(atPath: database.path))
        let after = try await CLIRunner.run(["status", "--config", config.path], directory: URL(fileURLWithPath: "/"))
        #expect(after.stdout.contains("demo") && !after.stdout.contains("never fetched"), "\(after.stdout)")
        #expect(after.stdout.contains("daemon: not running"))
        // The same for a script: one JSON object.
        let json = try await CLIRunner.run(["status", "--json", "--config", config.path])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        let feeds = try #require(report["feeds"] as? [[String: Any]])
        #expect(report["state_exists"] as? Bool == true && (report["daemon"] as? [String: Any])?["running"] as? Bool == false)
        #expect(feeds.contains { $0["fetched"] as? Bool == true && $0["http_status"] as? Int == 200 && $0["last_fetch"] is String }, "\(feeds)")
        #expect((report["latest_alerts"] as? [[String: Any]])?.isEmpty == false)

        // The alerts in the state: listed, searched, shown, as a table or JSON.
        let list = try await CLIRunner.run(["alerts", "list", "--config", config.path, "--json"])
        let alerts = list.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(alerts.count >= 1, "\(list.stdout) \(list.stderr)")
        let id = try #require(alerts.first?["id"] as? String)
        let search = try await CLIRunner.run(["alerts", "search", "vladivostok", "--config", config.path])
        #expect(search.status == 0 && search.stdout.contains("Vladivostok"), "\(search.stdout)")
        let none = try await CLIRunner.run(["alerts", "search", "no-such-word-anywhere", "--config", config.path])
        #expect(none.stdout.contains("no alerts"))
        let show = try await CLIRunner.run(["alerts", "show", id, "--config", config.path])
        #expect(show.status == 0 && show.stdout.hasPrefix("# "))
        let missing = try await CLIRunner.run(["alerts", "show", "0000000000000000", "--config", config.path])
        #expect(missing.status == 1 && missing.stderr.contains("alerts list"))

        // A wrong value is a wrong command line (64, with the usage), as a wrong option is: an
        // empty word listed every alert, a day that is none failed as if the work had.
        for (arguments, message) in [(["alerts", "search", "", " "], "give at least one word"),
                                     (["alerts", "list", "--since", "2026-13-01"], "not a day of the calendar"),
                                     (["alerts", "list", "--limit", "0"], "at least 1"),
                                     (["digest", "--date", "yesterday"], "not a day of the calendar")] {
            let wrong = try await CLIRunner.run(arguments + ["--config", config.path])
            #expect(wrong.status == 64 && wrong.stderr.contains(message) && wrong.stderr.contains("Usage:"), "\(arguments): \(wrong.stderr)")
        }
    }

    /// The scan's and status's tables: each column as wide as its widest cell, names and words
    /// padded on the right, counts on the left, whatever the names' scripts.
    @Test func scanAndStatusTablesLineUpTheirColumns() async throws {
        let name = "учения-и-演习-a-longer-name"
        let (folder, config) = try Self.configuration([("a", "drills-demo.xml"), (name, "asia-desk.xml")])
        defer { try? FileManager.default.removeItem(at: folder) }
        let scan = try await CLIRunner.run(["scan", "--config", config.path], directory: folder)
        #expect(scan.status == 0, "\(scan.stderr)")
        let rows = scan.stdout.split(separator: "\n").map(String.init).prefix(3)
        try #require(rows.count == 3 && rows[0].hasPrefix("feed "), "\(scan.stdout)")
        // "status" starts, and the last count ends, at the same character in every row.
        let statusColumn = try #require(rows[0].range(of: "status")).lowerBound.utf16Offset(in: rows[0])
        #expect(rows.allSatisfy { $0.count == rows[0].count }, "\(rows)")
        #expect(String(Array(rows[2]).prefix(name.count + 2)) == name + "  ", "\(rows)")
        #expect(rows.allSatisfy { Array($0)[statusColumn - 1] == " " && Array($0)[statusColumn] != " " }, "\(rows)")
        #expect(rows.allSatisfy { $0.last != " " }, "counts padded on the left: \(rows)")

        let status = try await CLIRunner.run(["status", "--config", config.path], directory: folder)
        let table = status.stdout.split(separator: "\n").map(String.init).drop { !$0.hasPrefix("feed ") }.prefix(3)
        try #require(table.count == 3, "\(status.stdout)")
        let fetchColumn = try #require(table.first!.range(of: "last fetch")).lowerBound.utf16Offset(in: table.first!)
        #expect(table.allSatisfy { Array($0)[fetchColumn] != " " && Array($0)[fetchColumn - 1] == " " }, "\(table)")
    }
}

/// Validation gaps a new user hit: each problem with its line, and no configuration that
/// `check-config` passes and `scan` refuses.
@Suite struct ValidationGaps {
    @Test func aTypoInAnArrayOfTablesHasItsLineAndNoFeedsIsRefusedByCheckConfig() async throws {
        let config = try CLIRunner.temporaryFile("""
            base = "\(SharedData.checkout.appendingPathComponent("config/drillwatch.toml").path)"

            [[feed]]
            name = "x"
            url = "https://news.example/x.xml"
            """, suffix: ".toml")
        defer { try? FileManager.default.removeItem(atPath: config) }
        let run = try await CLIRunner.run(["check-config", "--config", config])
        #expect(run.status == 2)
        #expect(run.stderr.contains(":3: error: feed: unknown setting (did you mean 'feeds'?)"), "\(run.stderr)")

        let empty = try CLIRunner.temporaryFile("base = \"\(SharedData.checkout.appendingPathComponent("config/drillwatch.toml").path)\"\n", suffix: ".toml")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let none = try await CLIRunner.run(["check-config", "--config", empty])
        #expect(none.status == 2 && none.stderr.contains("configures no [[feeds]]"), "\(none.stderr)")
    }
}

/// A corpus path that does not exist is reported with its line, beside the other problems.
@Suite struct CorpusPathProblem {
    @Test func aMissingCorpusFolderHasItsLine() async throws {
        let config = try CLIRunner.temporaryFile("""
            [corpus]
            path = "no-such-folder"
            [scan]
            timeout_second = 5
            """, suffix: ".toml")
        defer { try? FileManager.default.removeItem(atPath: config) }
        let run = try await CLIRunner.run(["check-config", "--config", config])
        #expect(run.status == 2)
        #expect(run.stderr.contains(":2: error: corpus.path:") && run.stderr.contains("no-such-folder"), "\(run.stderr)")
        #expect(run.stderr.contains("timeout_second"))
    }
}
