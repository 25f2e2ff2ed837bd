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
    func anUnreadableConfigurationIsStatusTwoEverywhere(_ command: [String]) throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("dw-none-\(UUID()).toml").path
        let run = try CLIRunner.run(command + ["--config", missing], stdin: "")
        #expect(run.status == 2, "\(command): \(run.status) \(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: "), "\(command): \(run.stderr)")
        #expect(run.stderr.contains(missing))
    }

    @Test func withoutConfigOutsideACheckoutTheErrorSaysHowToNameOne() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("dw-empty-\(UUID())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let run = try CLIRunner.run(["status"], directory: empty)
        #expect(run.status == 2)
        #expect(run.stderr.contains("--config"), "\(run.stderr)")
    }

    @Test func aWrongCommandLineIsStatus64() throws {
        let run = try CLIRunner.run(["scan", "--no-such-option"])
        #expect(run.status == 64, "\(run.status) \(run.stderr)")
        // A log level that does not exist is refused, not replaced by "info" in silence.
        let level = try CLIRunner.run(["run", "--log-level", "loud"])
        #expect(level.status == 64, "\(level.status) \(level.stderr)")
        #expect(level.stderr.contains("critical"))
    }
}
