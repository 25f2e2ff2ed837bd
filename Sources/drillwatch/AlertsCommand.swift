import ArgumentParser
import Foundation
import Model
import Pipeline
import Reports
import SafeText
import Settings
import Store

/// `drillwatch alerts`: the alerts in the state, to list, read and search (read-only).
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List, show and search the alerts kept in the state.",
        discussion: """
            Reads the state without a lock and never creates it. An alert's id is the name of its \
            files (and what `drillwatch feedback` takes).

            Examples:
              drillwatch alerts list --since 2025-06-01 --exercise "Joint Sea"
              drillwatch alerts show 0e5ef11f1c46b3de
              drillwatch alerts search Vladivostok --json
            """,
        subcommands: [List.self, Show.self, Search.self],
        defaultSubcommand: List.self)

    struct Options: ParsableArguments {
        @OptionGroup var configuration: ConfigOption
        @Flag(help: "One JSON object per line (the alert file's schema) instead of a table.")
        var json = false

        func alerts(since: Date? = nil, limit: Int = 100_000) async throws -> [Judgement] {
            let settings = try configuration.settings()
            let store = try await wrapAsync { try await StateStores.open(settings, for: .read) }
            return try await wrapAsync { try await store.alerts(since: since, limit: limit) }
        }

        func print(_ alerts: [Judgement]) {
            if json {
                let encoder = JSONCoding.encoder()
                for alert in alerts { Swift.print(String(decoding: (try? encoder.encode(alert)) ?? Data(), as: UTF8.self)) }
                return
            }
            let formatter = ISO8601DateFormatter()
            for alert in alerts {
                let facts = alert.facts.headline
                Swift.print("\(alert.id)  \(formatter.string(from: alert.firstSeen))  \(String(format: "%.2f", alert.score))  "
                    + "\(Display.line(alert.feed))  \(Display.line(alert.title))" + (facts.isEmpty ? "" : "  [\(Display.line(facts))]"))
            }
            if alerts.isEmpty { Swift.print("no alerts") }
        }
    }

    struct List: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "The alerts, newest first.")
        @OptionGroup var options: Options
        @Option(help: "Only alerts first seen on or after this day (YYYY-MM-DD, UTC).")
        var since: String?
        @Option(help: "Only alerts naming this exercise (any part of its name, any case).")
        var exercise: String?
        @Option(help: "Only alerts from this feed.")
        var feed: String?
        @Option(help: "At most this many.")
        var limit = 50

        func validate() throws {
            if let since { try CalendarDayOption.validate(since) }
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func execute() async throws {
            let start = try since.map { day throws(CLIError) in try wrap { try DigestCalendar(timeZone: "UTC").bounds(of: day).0 } }
            let alerts = try await options.alerts(since: start).filter { alert in
                (exercise.map { alert.exercise?.localizedCaseInsensitiveContains($0) == true } ?? true)
                    && (feed.map { alert.feed == $0 } ?? true)
            }
            options.print(Array(alerts.prefix(limit)))
        }
    }

    struct Show: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "One alert, as its Markdown file (or JSON with --json).")
        @OptionGroup var options: Options
        @Argument(help: "The alert's id.")
        var id: String

        func execute() async throws {
            guard let alert = try await options.alerts().first(where: { $0.id == id }) else {
                throw CLIError("no alert \(id) in the state (drillwatch alerts list shows the ids)")
            }
            if options.json { options.print([alert]) } else { print(AlertFiles.markdown(alert), terminator: "") }
        }
    }

    struct Search: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Alerts whose title or text holds every word given (any case).")
        @OptionGroup var options: Options
        @Argument(help: "Words to look for.")
        var words: [String]

        func validate() throws {
            // An empty word is in every text: `search ''` listed every alert as matching.
            guard words.contains(where: { !$0.allSatisfy(\.isWhitespace) }) else { throw ValidationError("give at least one word to look for") }
        }

        func execute() async throws {
            let wanted = words.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            options.print(try await options.alerts().filter { alert in
                let text = (alert.title + "\n" + alert.summary + "\n" + (alert.exercise ?? "") + "\n" + alert.places.joined(separator: " ")).lowercased()
                return wanted.allSatisfy(text.contains)
            })
        }
    }
}

/// A day given on the command line, `YYYY-MM-DD`: checked before anything runs, so a day
/// that is not one (2026-13-01, "yesterday") is a command-line error (status 64, with the
/// usage) like any other wrong option, not a failure of the work.
enum CalendarDayOption {
    static func validate(_ day: String) throws {
        do { _ = try DigestCalendar(timeZone: "UTC").bounds(of: day) } catch { throw ValidationError(error.description) }
    }
}
