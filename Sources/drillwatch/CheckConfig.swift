import ArgumentParser
import Foundation
import Pipeline

/// `drillwatch check-config`: validate the configuration and everything it points at.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration (keys, types, rules, feeds, corpus) without starting anything.",
        discussion: """
            Exit status: 0 when usable, 2 when not; every problem is listed with its line.

            Example:
              drillwatch check-config --config /etc/drillwatch/drillwatch.toml
            """)

    @Option(name: .long, help: "The configuration file.")
    var config: String?

    @Flag(help: "Print nothing when the configuration is usable (the daemon's reload check).")
    var quiet = false

    func run() async throws {
        do {
            let settings = try ClassifierLoader.settings(config)
            let classifier = try ClassifierLoader.classifier(settings)
            for warning in settings.warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }
            if quiet { return }
            print("\(settings.file.path): OK")
            print("  \(settings.feeds.count) feeds, \(settings.rules.count) rules, \(classifier.corpus.count) corpus documents")
            print("  state in \(settings.stateFolder.path), output in \(settings.outputFolder.path)")
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
