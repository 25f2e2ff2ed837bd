import ArgumentParser
import Classifier
import Foundation
import Model
import Pipeline
import Reports
import SafeText
import Settings
import Store

/// `drillwatch scan`: one pass over the feeds, now.
struct Scan: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch every configured feed once, classify new items, write alert files.",
        discussion: """
            Exit status: 0 when every feed was read, 1 when some failed, 2 when the configuration \
            is unusable, 75 when another drillwatch (a running daemon, another scan) holds the \
            state. Hook and webhook deliveries run after the scan, within the delivery budget; \
            failed ones stay queued and are retried by the next scan or the daemon.

            Examples:
              drillwatch scan
              drillwatch scan --config config/demo.toml
              drillwatch scan --feed tass --dry-run
            """)

    @OptionGroup var configuration: ConfigOption

    @Option(name: .long, help: "Scan only this feed.")
    var feed: String?

    @Flag(help: "Fetch and classify, but store nothing and write no file.")
    var dryRun = false

    func execute() async throws {
        let (settings, classifier) = try configuration.settingsAndClassifier()
        for warning in settings.warnings { printError("\(warning)") }
        if settings.feeds.isEmpty { throw CLIError(.configuration, "\(settings.file.lastPathComponent) configures no [[feeds]]") }
        if !dryRun {
            do { try StateLock.acquire(stateFolder: settings.stateFolder) } catch let held as StateLock.Held {
                throw CLIError(.busy, "\(held)")
            }
        }
        let statePath = StateStores.name(settings)
        // A dry run reads the state (so it reports what a real scan would find new) and
        // writes nothing: the database read-only, or an empty one in memory before any scan.
        let store: any StateStore
        do { store = try await StateStores.open(settings, for: dryRun ? .dryRun : .write) } catch where error.kind == .busy {
            throw CLIError(.busy, error.description)
        } catch {
            throw CLIError(error.description)
        }
        let scanner = FeedScanner(settings: settings, store: store, classifier: classifier)
        if !dryRun, let warning = OutputClaim.claim(settings.outputFolder, statePath: statePath) { printError("warning: \(warning)") }

        let started = ContinuousClock.now
        let summary: ScanSummary
        do { summary = try await scanner.scan(feed: feed, dryRun: dryRun) } catch {
            await store.close()
            throw CLIError(error.isConfiguration ? .configuration : .failure, error.description)
        }
        print(ScanTable.render(summary, outputFolder: settings.outputFolder, dryRun: dryRun))
        for error in summary.writeErrors { printError("error: \(error) (the alert stays pending; the next scan retries)") }
        if !dryRun {
            await deliver(settings, store)
            await writeMetrics(summary, took: ContinuousClock.now - started, settings, store)
        }
        await store.close()
        if summary.failedFeeds > 0 || !summary.writeErrors.isEmpty {
            let files = summary.writeErrors.isEmpty ? "" : "; \(summary.writeErrors.count) alert files not written"
            throw CLIError("\(summary.failedFeeds) of \(summary.outcomes.count) feeds failed\(files)")
        }
    }

    /// This scan's numbers in the Prometheus textfile (node_exporter's textfile collector).
    private func writeMetrics(_ summary: ScanSummary, took elapsed: Duration, _ settings: Settings, _ store: any StateStore) async {
        do { try await ScanMetrics().record(summary, took: elapsed, store: store, textfile: settings.metrics.textfile) } catch {
            printError("warning: metrics: \(error)")
        }
    }

    /// Hook and webhook deliveries due, within the delivery budget; failures stay queued.
    private func deliver(_ settings: Settings, _ store: any StateStore) async {
        let report = await DeliveryWorker(settings: settings.hooks, store: store).deliverDue()
        for failure in report.failures {
            let next = failure.willRetry ? "retried later" : "given up"
            printError("warning: alert \(failure.alertID): \(failure.channel.rawValue) delivery failed (\(next); the alert files are written): \(Display.line(failure.error))")
        }
        for error in report.stateErrors { printError("error: deliveries: \(Display.line(error)) (they stay queued)") }
        if report.deferred > 0 { printError("note: \(report.deferred) deliveries left for the next pass (delivery budget spent)") }
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
        lines += TextColumns.lines([header] + rows, rightAligned: [2, 3, 4, 5, 6])
        let fetched = summary.outcomes.filter { $0.status == .fetched }.count
        let notModified = summary.outcomes.filter { $0.status == .notModified }.count
        let alerts = summary.outcomes.reduce(0) { $0 + $1.alerts }
        let duplicates = summary.outcomes.reduce(0) { $0 + $1.duplicates }
        let newItems = summary.outcomes.reduce(0) { $0 + $1.newItems }
        lines.append("")
        lines.append("\(counted(summary.outcomes.count, "feed")): \(fetched) fetched, \(notModified) not modified, \(summary.failedFeeds) failed; "
            + "\(counted(newItems, "new item")), \(counted(alerts, "alert")), \(counted(duplicates, "duplicate"))")
        if summary.heldElsewhere > 0 {
            lines.append("\(counted(summary.heldElsewhere, "feed")) left to the other instances sharing the state (they hold them)")
        }
        let articles = summary.articles
        if !articles.isEmpty {
            let parts = [
                (articles.read, "read"), (articles.cached, "from the cache"), (articles.failed, "failed"),
                (articles.disallowed, "refused by robots.txt"), (articles.overLimit, "over the per-host limit"),
                (articles.needsJavaScript, "need JavaScript"), (articles.empty, "without text"),
                (articles.late, "too late (timeout_seconds)"),
            ].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
            lines.append("linked articles: " + parts.joined(separator: ", "))
        }
        for outcome in summary.outcomes {
            if case .failed(let message) = outcome.status { lines.append("  \(Display.line(outcome.feed)): \(Display.line(message))") }
            if outcome.capped > 0 {
                lines.append("  \(Display.line(outcome.feed)): \(outcome.capped) more new items beyond the per-fetch cap, left for later fetches")
            }
        }
        if dryRun {
            lines.append("dry run: nothing stored, no file written")
        } else if summary.alertFilesWritten > 0 {
            lines.append("\(counted(summary.alertFilesWritten, "alert")) written under \(outputFolder.appendingPathComponent("alerts").path)")
        }
        return lines.joined(separator: "\n")
    }
}
