import Curl
import Foundation
import Model
import Reports
import Settings

/// Runs the configured hooks for an alert whose files are written: a command (an argument
/// vector, never a shell) with the alert JSON on standard input and a time limit, and a
/// webhook POST of the same JSON with retries. A failing hook is reported, never fatal: the
/// alert files exist before any hook runs.
public struct Hooks: Sendable {
    public let settings: HookSettings

    public init(settings: HookSettings) {
        self.settings = settings
    }

    public var isEmpty: Bool { settings.command.isEmpty && settings.webhook == nil }

    /// Runs every hook for `alert`; returns the problems met.
    public func run(for alert: Alert) async -> [String] {
        let json = AlertFiles.json(alert)
        var problems: [String] = []
        if !settings.command.isEmpty, let problem = runCommand(json) { problems.append(problem) }
        if let url = settings.webhook, let problem = await post(json, to: url) { problems.append(problem) }
        return problems.map { "alert \(alert.id): \($0)" }
    }

    private func runCommand(_ json: Data) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: settings.command[0])
        process.arguments = Array(settings.command.dropFirst())
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            return "hook \(settings.command[0]) could not be started (\(error.localizedDescription))"
        }
        // A hook that exits without reading its input must not kill drillwatch with SIGPIPE:
        // ignored, the write fails with EPIPE instead (as servers usually arrange).
        signal(SIGPIPE, SIG_IGN)
        // The JSON may exceed the pipe buffer: write it from another thread while this one waits.
        let writer = input.fileHandleForWriting
        DispatchQueue.global().async {
            try? writer.write(contentsOf: json)
            try? writer.close()
        }
        let deadline = Date().addingTimeInterval(settings.commandTimeoutSeconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            Thread.sleep(forTimeInterval: 0.5)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return "hook \(settings.command[0]) ran longer than \(Int(settings.commandTimeoutSeconds)) s and was stopped"
        }
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : "hook \(settings.command[0]) exited with status \(process.terminationStatus)"
    }

    private func post(_ json: Data, to url: String) async -> String? {
        let client = HTTPClient(policy: FetchPolicy(totalTimeout: .seconds(20)))
        let request = HTTPRequest(url: url, headers: [HTTPHeader(name: "Content-Type", value: "application/json")], body: Array(json))
        var last = ""
        for attempt in 0...settings.webhookRetries {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(500 * (1 << min(attempt, 6)))) }
            do {
                let response = try await client.fetch(request)
                if response.isSuccess { return nil }
                last = "webhook answered \(response.status)"
                if (400..<500).contains(response.status) && response.status != 429 { break }  // will not get better
            } catch {
                last = "webhook: \(error.description)"
            }
        }
        return last
    }
}
