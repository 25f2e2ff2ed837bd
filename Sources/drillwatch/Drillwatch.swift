import ArgumentParser
import Curl
import Pipeline

/// The `drillwatch` command line: each subcommand turns its arguments into one call.
@main
struct Drillwatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drillwatch",
        abstract: "Watch news feeds for China–Russia joint military drills.",
        discussion: """
            Exit status, the same for every command: 0 done; 1 the work failed (a feed, a file, \
            the state database); 2 the configuration is unusable; 64 the command line is wrong; \
            75 another drillwatch holds the state (try again later). Errors are printed on \
            standard error as "Error: …".
            """,
        version: DrillwatchVersion.string,
        subcommands: [Scan.self, Run.self, DigestCommand.self, Status.self, CheckConfig.self, Inspect.self, Extract.self, Classify.self, Eval.self,
                      Train.self, Corpus.self, FeedbackCommand.self, AlertsCommand.self, FeedsCommand.self, StoreCommand.self])

    static func main() async {
        Allocator.configureForFeeds()
        await main(nil)
    }
}
