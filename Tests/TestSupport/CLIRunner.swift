import Foundation
import Locking

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

    /// Runs the executable with `arguments` (in `directory`, feeding `stdin`), and waits.
    public static func run(_ arguments: [String], stdin: String? = nil, directory: URL? = nil) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Standard error is drained on its own thread: a child that fills the stderr pipe
        // (64 KiB) while this thread waits for stdout's end would otherwise never finish.
        let stderrData = Locked(Data())
        let drained = DispatchSemaphore(value: 0)
        Thread {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            stderrData.withLock { $0 = data }
            drained.signal()
        }.start()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        let stderr = stderrData.withLock { $0 }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    public static func temporaryFile(_ contents: String, suffix: String = ".xml") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("drillwatch-cli-\(UUID())\(suffix)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
