import ArgumentParser
import Classifier
import LocalFiles
import Foundation
import Pipeline
import Settings

/// `drillwatch check-config`: validate the configuration and everything it points at.
struct CheckConfig: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration (keys, types, rules, feeds, corpus) without starting anything.",
        discussion: """
            Exit status: 0 when usable, 2 when not; every problem is listed with its line.

            Example:
              drillwatch check-config --config /etc/drillwatch/drillwatch.toml
            """)

    @OptionGroup var configuration: ConfigOption

    @Flag(help: "Print nothing when the configuration is usable (the daemon's reload check).")
    var quiet = false

    func execute() async throws {
        let (settings, classifier) = try configuration.settingsAndClassifier()
        // What `scan` and `run` would refuse, refused here too.
        if settings.feeds.isEmpty { throw CLIError(.configuration, "\(settings.file.lastPathComponent) configures no [[feeds]]") }
        for warning in settings.warnings { printError("\(warning)") }
        for problem in Self.localFeedProblems(settings) + Self.hookProblems(settings) { printError("\(problem)") }
        if quiet { return }
        print("\(settings.file.path): OK")
        print("  \(settings.feeds.count) feeds, \(settings.rules.count) rules, \(classifier.corpus.count) corpus documents")
        let state = settings.store.postgresURL.map { "\($0) (PostgreSQL)" } ?? settings.stateFolder.path
        print("  state in \(state), output in \(settings.outputFolder.path)")
    }

    /// A hook program that cannot run now: a warning, as a local feed's (it may be installed
    /// before the first alert), but every delivery would fail and be retried until it can.
    static func hookProblems(_ settings: Settings) -> [ConfigProblem] {
        guard let program = settings.hooks.command.first else { return [] }
        let problem = LocalFile.problem(atPath: program) ?? (access(program, X_OK) == 0 ? nil : "not executable by this user")
        return problem.map { problem in
            [ConfigProblem(file: settings.file.path, line: nil, keyPath: "hooks.command",
                           message: "\(program): \(problem); every alert's delivery to the hook would fail (and be retried) until it can run",
                           severity: .warning)]
        } ?? []
    }

    /// Local feeds whose path names no regular file now: a warning, not an error, as another
    /// program may write the file before the next scan (which fails that feed alone until then).
    static func localFeedProblems(_ settings: Settings) -> [ConfigProblem] {
        settings.feeds.compactMap { feed in
            guard feed.isLocalFile, let path = LocalFile.path(ofFileURL: feed.url), let problem = LocalFile.problem(atPath: path) else {
                return nil
            }
            return ConfigProblem(file: settings.file.path, line: nil, keyPath: "feed '\(feed.name)'",
                                 message: "\(path): \(problem); a local feed must be a regular file (it is read at every scan)",
                                 severity: .warning)
        }
    }
}
