import Foundation

/// Runs the built `drillwatch` executable as a user runs it: its output and exit status.
public enum CLIRunner {
    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static let executable: URL = {
        // The test bundle sits in the build folder next to the executables.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("drillwatch")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("drillwatch")
    }()

    /// Runs the executable with `arguments` (in `directory`, feeding `stdin`), and waits at
    /// most `timeout` seconds (a hung child is killed and its run says so in `stderr`),
    /// suspending while it runs (see `Subprocess.run`).
    public static func run(_ arguments: [String], stdin: String? = nil, directory: URL? = nil,
                           timeout: TimeInterval = 300) async throws -> Run {
        let run = try await Subprocess.run(executable, arguments, stdin: stdin, directory: directory, timeout: timeout)
        let stderr = run.timedOut ? run.stderr + "\n[killed: still running after \(Int(timeout)) s]" : run.stderr
        return Run(status: run.status, stdout: run.stdout, stderr: stderr)
    }

    public static func temporaryFile(_ contents: String, suffix: String = ".xml") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("drillwatch-cli-\(UUID())\(suffix)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
