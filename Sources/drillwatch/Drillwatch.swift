import ArgumentParser
import Curl

/// The `drillwatch` command line: each subcommand turns its arguments into one call.
@main
struct Drillwatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drillwatch",
        abstract: "Watch news feeds for China–Russia joint military drills.",
        version: DrillwatchVersion.string,
        subcommands: [Scan.self, Run.self, DigestCommand.self, Status.self, CheckConfig.self, Inspect.self, Classify.self, Eval.self,
                      Train.self, Corpus.self, FeedbackCommand.self])
}
