import ArgumentParser
import Classifier
import Foundation
import Pipeline
import SafeText
import Settings

/// `drillwatch feeds`: the configured feeds, listed and changed in the configuration file
/// itself (its comments and layout kept; every change checked before it is written).
struct FeedsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feeds",
        abstract: "List, add, remove, pause and resume feeds; import and export OPML.",
        discussion: """
            Changes edit the configuration file in place — its comments and layout stay — and are \
            written only when the edited file loads. A running daemon picks them up on reload \
            (systemctl reload drillwatch).

            Examples:
              drillwatch feeds list
              drillwatch feeds add tass-en https://tass.com/rss/v2.xml --interval 30
              drillwatch feeds pause tass-en
              drillwatch feeds import subscriptions.opml
              drillwatch feeds export > drillwatch.opml
            """,
        subcommands: [List.self, Add.self, Remove.self, Pause.self, Resume.self, Import.self, Export.self],
        defaultSubcommand: List.self)

    /// The configuration file to edit (the one `--config` names, not a base it includes), and
    /// the feeds it configures now (base files' included), read once.
    static func file(_ configuration: ConfigOption) throws(CLIError) -> (FeedFile, [FeedSettings]) {
        let settings = try configuration.settings()
        do { return (try FeedFile(file: settings.file), settings.feeds) } catch { throw CLIError(.configuration, error.description) }
    }

    static func save(_ file: FeedFile, _ done: String) throws(CLIError) {
        do { _ = try file.save(checkingRules: Classifier.ruleProblems) } catch { throw CLIError(.configuration, error.description) }
        print("\(done) in \(file.file.path)")
    }

    /// Edits the named feed's block with `edit`, then saves (checked) and says `done`.
    static func change(_ configuration: ConfigOption, _ done: String, _ edit: (inout FeedFile) throws(FeedFile.EditError) -> Void) throws(CLIError) {
        var (file, _) = try Self.file(configuration)
        do { try edit(&file) } catch { throw CLIError(.configuration, error.description) }
        try save(file, done)
    }

    struct List: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "The configured feeds.")
        @OptionGroup var configuration: ConfigOption

        func execute() async throws {
            let feeds = try configuration.settings().feeds
            let width = feeds.map(\.name.count).max() ?? 4
            for feed in feeds {
                let flags = (feed.paused ? "  [paused]" : "") + (feed.tags.isEmpty ? "" : "  tags: " + feed.tags.joined(separator: ", "))
                print("\(Display.line(feed.name).padding(toLength: width, withPad: " ", startingAt: 0))  every \(Int(feed.intervalMinutes)) min  "
                    + "\(Display.line(Redaction.url(feed.url)))\(flags)")
            }
            if feeds.isEmpty { print("no feeds") }
        }
    }

    struct Add: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Add a feed.")
        @OptionGroup var configuration: ConfigOption
        @Argument(help: "A unique name, used in alerts and logs.")
        var name: String
        @Argument(help: "An http(s) URL, or a local file path.")
        var url: String
        @Option(help: "Minutes between fetches.")
        var interval: Double?
        @Option(help: "Free labels, comma-separated.")
        var tags: String?

        /// A wrong argument is the command line's fault (exit 64, with the usage), said before
        /// the configuration is read: the same checks the configuration's loader makes.
        func validate() throws {
            if let problem = FeedSettings.nameProblem(name) { throw ValidationError("<name> \(problem)") }
            // A `credential:NAME` address is resolved, and checked, when the edited file loads.
            if Credentials.reference(url) == nil, let problem = FeedSettings.addressProblem(url) {
                throw ValidationError("<url>: \(problem)")
            }
            if let interval, !FeedSettings.intervalRange.contains(interval) {
                throw ValidationError("--interval must be from 1 to 10080 minutes (a week), not \(String(format: "%g", interval))")
            }
        }

        func execute() async throws {
            var (file, feeds) = try FeedsCommand.file(configuration)
            if feeds.contains(where: { $0.name == name || $0.url == url }) {
                throw CLIError(.configuration, FeedFile.EditError.duplicate(name).description)
            }
            file.add(name: name, url: url, intervalMinutes: interval, tags: tags.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [])
            try FeedsCommand.save(file, "feed \(name) added")
        }
    }

    struct Remove: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a feed (its state and alerts are kept).")
        @OptionGroup var configuration: ConfigOption
        @Argument var name: String

        func execute() async throws {
            try FeedsCommand.change(configuration, "feed \(name) removed") { (file: inout FeedFile) throws(FeedFile.EditError) in try file.remove(name: name) }
        }
    }

    struct Pause: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Stop fetching a feed until it is resumed.")
        @OptionGroup var configuration: ConfigOption
        @Argument var name: String

        func execute() async throws {
            try FeedsCommand.change(configuration, "feed \(name) paused") { (file: inout FeedFile) throws(FeedFile.EditError) in try file.setPaused(true, name: name) }
        }
    }

    struct Resume: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch a paused feed again.")
        @OptionGroup var configuration: ConfigOption
        @Argument var name: String

        func execute() async throws {
            try FeedsCommand.change(configuration, "feed \(name) resumed") { (file: inout FeedFile) throws(FeedFile.EditError) in try file.setPaused(false, name: name) }
        }
    }

    struct Import: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Add the feeds of an OPML file (those not configured yet).")
        @OptionGroup var configuration: ConfigOption
        @Argument(help: "An OPML file, as feed readers export it.")
        var opml: String

        func execute() async throws {
            let data = try CLIError.readFile(opml)
            var (file, existing) = try FeedsCommand.file(configuration)
            var names = Set(existing.map(\.name)), urls = Set(existing.map(\.url))
            var added = 0
            for outline in OPML.outlines(Array(data)) where !urls.contains(outline.url) {
                // A feed reader's list holds web feeds. Another kind of address (a local path,
                // file:, javascript:) would make the whole import fail to load, or have a list
                // someone shared point drillwatch at this machine's files: left out, and said.
                guard let scheme = URL(string: outline.url)?.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
                    printError("warning: \(opml): '\(outline.title)' left out: \(Redaction.url(outline.url)) is not an http(s) URL")
                    continue
                }
                var name = CorpusStore.slug(outline.title)
                var counter = 2
                while names.contains(name) { name = "\(CorpusStore.slug(outline.title))-\(counter)"; counter += 1 }
                file.add(name: name, url: outline.url)
                names.insert(name)
                urls.insert(outline.url)
                added += 1
            }
            guard added > 0 else { print("nothing to import: every feed of \(opml) is configured already"); return }
            try FeedsCommand.save(file, "\(added) feed\(added == 1 ? "" : "s") imported")
        }
    }

    struct Export: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "The feeds as OPML 2.0 on standard output (local files left out).")
        @OptionGroup var configuration: ConfigOption

        func execute() async throws {
            let feeds = try configuration.settings().feeds
            print(OPML.document(feeds, title: "drillwatch feeds"), terminator: "")
            // The list is for sharing: what it leaves out or masks is said, not silently lost.
            for feed in feeds {
                if feed.isLocalFile {
                    printError("warning: feed '\(Display.line(feed.name))' left out: a local file is no URL another reader can fetch")
                } else if Redaction.url(feed.url) != feed.url {
                    printError("warning: feed '\(Display.line(feed.name))': its URL holds a credential, written as *** (give it to the reader that imports the list)")
                }
            }
        }
    }
}
