import ArgumentParser
import Foundation
import Model
import Pipeline
import Reports
import SafeText
import Settings
import Store

/// `drillwatch feedback`: an analyst's judgement of alerts, kept in the state database.
struct FeedbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Judge an alert right or wrong; list or export the judgements.",
        discussion: """
            An alert's id is the name of its file, alerts/YYYY/MM/DD/<id>.json under the output \
            folder; `drillwatch status` lists the latest ones. A second judgement of an alert \
            replaces the first. Feedback is a small write to the state database: it works while \
            the daemon runs (it waits up to 10 s for the daemon's write to end).

            Examples:
              drillwatch feedback 3f2a9c0d1e4b5a67 --wrong --note "a Russia–Belarus drill"
              drillwatch feedback 3f2a9c0d1e4b5a67 --right --to-corpus
              drillwatch feedback list
              drillwatch feedback export --out feedback.jsonl
            """,
        subcommands: [Judge.self, List.self, Export.self],
        defaultSubcommand: Judge.self)

    struct Options: ParsableArguments {
        @OptionGroup var configuration: ConfigOption

        /// - Parameter use: `.change` to record a judgement, `.read` to list or export.
        func feedback(_ use: StateStores.Use) async throws -> AnalystFeedback {
            let settings = try configuration.settings()
            let store = try await wrapAsync { try await StateStores.open(settings, for: use) }
            return AnalystFeedback(settings: settings, store: store)
        }
    }

    struct Judge: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Record a judgement of one alert (the default subcommand).")
        @OptionGroup var options: Options
        @Argument(help: "The alert's id (its file name without .json).")
        var alertID: String
        @Flag var judgement: AnalystVerdict
        @Option(help: "Why: kept with the judgement and exported as the item's note.")
        var note: String?
        @Flag(name: .customLong("to-corpus"), help: "With --right: add the alert to the corpus as a reference document.")
        var toCorpus = false

        func validate() throws {
            if toCorpus && judgement != .right { throw ValidationError("--to-corpus goes with --right: only a right alert is a reference article") }
        }

        func execute() async throws {
            let feedback = try await options.feedback(.change)
            let outcome = try await wrapAsync { try await feedback.judge(alertID: alertID, verdict: judgement, note: note) }
            print(Self.describe(outcome, alertID: alertID, judgement: judgement))
            guard toCorpus else { return }
            switch try await wrapAsync({ try await feedback.addToCorpus(alertID: alertID) }) {
            case .added(let id): print("added \(id) to \(feedback.settings.corpusFolder.path)")
            case .alreadyPresent(let id): print("the corpus already has this article as \(id); nothing added")
            }
        }

        static func describe(_ outcome: FeedbackOutcome, alertID: String, judgement: AnalystVerdict) -> String {
            let id = Display.line(alertID)
            guard case .replaced(let earlier) = outcome else { return "alert \(id) judged \(judgement.rawValue)" }
            let note = earlier.note.map { " (\(Display.line($0)))" } ?? ""
            return "alert \(id) judged \(judgement.rawValue); this replaces the judgement \(earlier.verdict.rawValue)\(note) "
                + "of \(ISO8601DateFormatter().string(from: earlier.judged))"
        }
    }

    struct List: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "List the judgements, oldest first.")
        @OptionGroup var options: Options
        @Flag(help: "Print a JSON array of {alert_id, verdict, note, judged, title, feed, link}.")
        var json = false

        func execute() async throws {
            let judged = try await wrapAsync { try await options.feedback(.read).store.judgedAlerts() }
            if json {
                print(String(decoding: Self.json(judged), as: UTF8.self))
                return
            }
            let formatter = ISO8601DateFormatter()
            print("\(judged.count) judgement\(judged.count == 1 ? "" : "s")")
            for entry in judged {
                let note = entry.feedback.note.map { " — \(Display.line($0))" } ?? ""
                print("  \(entry.feedback.alertID)  \(entry.feedback.verdict.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))  "
                    + "\(formatter.string(from: entry.feedback.judged))  \(Display.line(entry.alert?.title ?? "(alert unreadable)"))\(note)")
            }
        }

        struct Entry: Encodable {
            var alert_id: String
            var verdict: String
            var note: String?
            var judged: Date
            var title: String?
            var feed: String?
            var link: String?
        }

        static func json(_ judged: [JudgedAlert]) -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let entries = judged.map {
                Entry(alert_id: $0.feedback.alertID, verdict: $0.feedback.verdict.rawValue, note: $0.feedback.note,
                      judged: $0.feedback.judged, title: $0.alert?.title, feed: $0.alert?.feed, link: $0.alert?.link)
            }
            return (try? encoder.encode(entries)) ?? Data("[]".utf8)
        }
    }

    struct Export: DrillwatchCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the judgements as labelled JSONL (the evaluation format: drillwatch eval reads it).")
        @OptionGroup var options: Options
        @Option(help: "The file to write (default, or -: standard output).")
        var out: String?

        func execute() async throws {
            let (records, unreadable) = try await wrapAsync { try await options.feedback(.read).export() }
            for id in unreadable {
                printError("warning: alert \(id): its stored JSON cannot be read; left out")
            }
            let data = LabelledRecord.jsonLines(records)
            // "-" is standard output, as `classify -` reads standard input: not a file named "-".
            guard let out, out != "-" else {
                FileHandle.standardOutput.write(data)
                return
            }
            try wrap { try AtomicFile.write(data, to: URL(fileURLWithPath: out)) }
            print("exported \(records.count) judged alert\(records.count == 1 ? "" : "s") to \(out)")
        }
    }
}

/// The judgement flags of `feedback`: `--right` or `--wrong`, exactly one.
extension AnalystVerdict: EnumerableFlag {
    public static func help(for value: AnalystVerdict) -> ArgumentHelp? {
        switch value {
        case .right: "The alert reports a China–Russia joint drill."
        case .wrong: "The alert does not (a false alarm)."
        }
    }
}
