import ArgumentParser
import Foundation
import Pipeline
import Reports
import SafeText
import Settings
import Store

/// `drillwatch scan`: one pass over the feeds, now.
struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch every configured feed once, classify new items, write alert files.",
        discussion: """
            Exit status: 0 when every feed was read, 1 when some failed, 2 when the configuration
            is unusable, 75 when another drillwatch (a running daemon, another scan) holds the
            state. Hook and webhook deliveries run after the scan, within the delivery budget;
            failed ones stay queued and are retried by the next scan or the daemon.

            Examples:
              drillwatch scan
              drillwatch scan --config config/demo.toml
              drillwatch scan --feed tass --dry-run
            """)

    @Option(name: .long, help: "The configuration file.")
    var config: String?

    @Option(name: .long, help: "Scan only this feed.")
    var feed: String?

    @Flag(help: "Fetch and classify, but store nothing and write no file.")
    var dryRun = false

    func run() async throws {
        let settings: Settings
        let store: Store
        let scanner: FeedScanner
        do {
            settings = try ClassifierLoader.settings(config)
            for warning in settings.warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }
            let classifier = try ClassifierLoader.classifier(settings)
            if !dryRun {
                do { try StateLock.acquire(stateFolder: settings.stateFolder) } catch let held as StateLock.Held {
                    FileHandle.standardError.write(Data("Error: \(held)\n".utf8))
                    throw ExitCode(Self.stateBusy)
                }
            }
            let statePath = settings.stateDatabase.path
            store = dryRun ? try Store.inMemory() : try Store.open(at: statePath)
            scanner = try FeedScanner(settings: settings, store: store, classifier: classifier)
            if !dryRun, let warning = OutputClaim.claim(settings.outputFolder, statePath: statePath) {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("Error: \(Display.line("\(error)"))\n".utf8))
            throw ExitCode(2)
        }
        if settings.feeds.isEmpty {
            FileHandle.standardError.write(Data("Error: \(settings.file.lastPathComponent) configures no [[feeds]]\n".utf8))
            throw ExitCode(2)
        }
        let summary: ScanSummary
        do { summary = try await scanner.scan(feed: feed, dryRun: dryRun) } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(error.isConfiguration ? 2 : 1)
        }
        print(ScanTable.render(summary, outputFolder: settings.outputFolder, dryRun: dryRun))
        for error in summary.writeErrors {
            FileHandle.standardError.write(Data("error: \(error) (the alert stays pending; the next scan retries)\n".utf8))
        }
        if !dryRun {
            let report = await DeliveryWorker(settings: settings.hooks, store: store).deliverDue()
            for failure in report.failures {
                let next = failure.willRetry ? "retried later" : "given up"
                FileHandle.standardError.write(Data(
                    "warning: alert \(failure.alertID): \(failure.channel.rawValue) delivery failed (\(next); the alert files are written): \(Display.line(failure.error))\n".utf8))
            }
            for error in report.stateErrors {
                FileHandle.standardError.write(Data("error: deliveries: \(Display.line(error)) (they stay queued)\n".utf8))
            }
            if report.deferred > 0 {
                FileHandle.standardError.write(Data("note: \(report.deferred) deliveries left for the next pass (delivery budget spent)\n".utf8))
            }
        }
        if summary.failedFeeds > 0 || !summary.writeErrors.isEmpty { throw ExitCode(1) }
    }

    /// EX_TEMPFAIL: another drillwatch holds the state; trying later will work.
    static let stateBusy: Int32 = 75
}

extension PipelineError {
    var isConfiguration: Bool {
        if case .configuration = self { return true }
        return false
    }
}

/// The scan summary for a person.
enum ScanTable {
    static func render(_ summary: ScanSummary, outputFolder: URL, dryRun: Bool) -> String {
        var lines: [String] = []
        let header = ["feed", "status", "items", "new", "alerts", "duplicates", "review"]
        var rows: [[String]] = []
        for outcome in summary.outcomes {
            let status: String = switch outcome.status {
            case .fetched: "fetched"
            case .notModified: "not modified"
            case .failed: "FAILED"
            }
            rows.append([Display.line(outcome.feed), status, "\(outcome.items)", "\(outcome.newItems)", "\(outcome.alerts)",
                         "\(outcome.duplicates)", "\(outcome.reviews)"])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index < 2 ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  ")
        }
        lines.append(line(header))
        rows.forEach { lines.append(line($0)) }
        let fetched = summary.outcomes.filter { $0.status == .fetched }.count
        let notModified = summary.outcomes.filter { $0.status == .notModified }.count
        let alerts = summary.outcomes.reduce(0) { $0 + $1.alerts }
        let duplicates = summary.outcomes.reduce(0) { $0 + $1.duplicates }
        let newItems = summary.outcomes.reduce(0) { $0 + $1.newItems }
        lines.append("")
        lines.append("\(summary.outcomes.count) feeds: \(fetched) fetched, \(notModified) not modified, \(summary.failedFeeds) failed; "
            + "\(newItems) new items, \(alerts) alerts, \(duplicates) duplicates")
        for outcome in summary.outcomes {
            if case .failed(let message) = outcome.status { lines.append("  \(Display.line(outcome.feed)): \(Display.line(message))") }
            if outcome.capped > 0 {
                lines.append("  \(Display.line(outcome.feed)): \(outcome.capped) more new items beyond the per-fetch cap, left for later fetches")
            }
        }
        if dryRun {
            lines.append("dry run: nothing stored, no file written")
        } else if summary.alertFilesWritten > 0 {
            lines.append("\(summary.alertFilesWritten) alert\(summary.alertFilesWritten == 1 ? "" : "s") written under \(outputFolder.appendingPathComponent("alerts").path)")
        }
        return lines.joined(separator: "\n")
    }
}
