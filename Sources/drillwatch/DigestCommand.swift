import ArgumentParser
import Foundation
import Pipeline
import Store

/// `drillwatch digest`: write (or rewrite) one day's digest now.
struct DigestCommand: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Write the digest of one day (default: today, in the digest's time zone).",
        discussion: """
            Writes digests/YYYY-MM-DD.md, .html and .json under the output folder, replacing \
            any earlier version of that day's digest.

            Examples:
              drillwatch digest
              drillwatch digest --date 2025-06-02 --config config/demo.toml
            """)

    @OptionGroup var configuration: ConfigOption

    @Option(name: .long, help: "The day, YYYY-MM-DD.")
    var date: String?

    func validate() throws {
        if let date { try CalendarDayOption.validate(date) }
    }

    func execute() async throws {
        let settings = try configuration.settings()
        let calendar = DigestCalendar(timeZone: settings.digest.timeZone)
        let day = date ?? calendar.day(containing: Date())
        _ = try wrap { try calendar.bounds(of: day) }  // a day of the calendar, before anything is opened
        let store = try await wrapAsync { try await StateStores.open(settings, for: .read) }
        let builder = DigestBuilder(settings: settings, store: store)
        let digest = try await wrapAsync { try await builder.build(day: day) }
        let folder = try wrap { try builder.write(digest) }
        print("digest \(day): \(digest.headline)")
        print("written to \(folder.appendingPathComponent(day).path).{md,html,json}")
    }
}
