import ArgumentParser
import Foundation
import Model
import Pipeline
import SafeText
import Settings
import Store

/// `drillwatch status`: each feed's health, from the state database.
struct Status: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each feed's health: last fetch, HTTP status, items, errors, next due.",
        discussion: """
            Example:
              drillwatch status --config /etc/drillwatch/drillwatch.toml
            """)

    @OptionGroup var configuration: ConfigOption

    @Flag(help: "Print one JSON object (feeds, deliveries, latest alerts, instances) for scripts and monitoring.")
    var json = false

    func execute() async throws {
        let settings = try configuration.settings()
        // Read-only: no lock, no file created; a running service's state can be looked at.
        let store: (any StateStore)?
        do { store = try await StateStores.open(settings, for: .read) } catch where error.kind == .missing {
            store = nil
        } catch {
            throw CLIError(error.description)
        }
        var states: [String: FeedState] = [:]
        if let store {
            for state in try await wrapAsync({ try await store.feedStates() }) { states[state.name] = state }  // name is the key
        }
        let holder = StateLock.holder(stateFolder: settings.stateFolder)
        // One reading of the state for both forms: the text is a view of the report.
        let report = try await StatusReport.gather(settings, store: store, states: states, daemon: holder)
        if json {
            print(String(decoding: try wrap { () throws(CLIError) in try report.encoded() }, as: UTF8.self))
            return
        }
        if settings.store.postgresURL != nil { print("state: \(report.state) (PostgreSQL)") }
        print(holder.map { "daemon: running (pid \($0)) on \(settings.stateFolder.path)" } ?? "daemon: not running on \(settings.stateFolder.path)")
        print(FeedStatusTable.render(settings.feeds.map(\.name), states: states, now: Date()))
        guard report.stateExists else {
            print("\nno state yet in \(StateStores.name(settings)): nothing was scanned with this configuration (drillwatch scan)")
            return
        }
        printInstances(report.instances)
        printLatestAlerts(report.latestAlerts)
        if let deliveries = report.deliveries, deliveries.pending + deliveries.givenUp > 0 {
            print("\ndeliveries: \(deliveries.pending) pending (\(deliveries.retrying) retrying), \(deliveries.givenUp) given up")
            if let error = deliveries.lastError { print("    last error: \(Display.line(error))") }
        }
    }

    /// The instances sharing a PostgreSQL state: which are alive (a heartbeat within two
    /// lease periods), and the feeds each holds.
    private func printInstances(_ instances: [StatusReport.Instance]) {
        let now = Date()
        guard !instances.isEmpty else { return }
        let formatter = ISO8601DateFormatter()
        print("\ninstances sharing the state")
        // Instances stopped over an hour ago are history (kept a week in the database).
        for instance in instances where instance.stopped.map({ now.timeIntervalSince($0) < 3600 }) ?? true {
            let state = if let stopped = instance.stopped { "stopped \(formatter.string(from: stopped))" }
                else if now.timeIntervalSince(instance.heartbeat) > 300 { "silent since \(formatter.string(from: instance.heartbeat)) (dead?)" }
                else { "alive, heartbeat \(Int(now.timeIntervalSince(instance.heartbeat))) s ago, \(instance.feedsHeld) feeds held" }
            print("  \(Display.line(instance.host)) pid \(instance.pid)  started \(formatter.string(from: instance.started))  \(state)"
                + "  [\(instance.id.prefix(8)), \(Display.line(instance.version))]")
        }
    }

    /// The newest alerts with their ids and any analyst judgement: what `drillwatch feedback`
    /// takes.
    private func printLatestAlerts(_ alerts: [StatusReport.Alert]) {
        guard !alerts.isEmpty else { return }
        let formatter = ISO8601DateFormatter()
        print("\nlatest alerts (judge one: drillwatch feedback ID --right|--wrong)")
        for alert in alerts {
            let judged = alert.judged.map { "  [judged \($0.rawValue)]" } ?? ""
            print("  \(alert.id)  \(formatter.string(from: alert.firstSeen))  \(Display.line(alert.title))\(judged)")
        }
    }
}

/// The feeds' table of `status`: columns as wide as their content, overdue feeds marked.
enum FeedStatusTable {
    static func render(_ feeds: [String], states: [String: FeedState], now: Date) -> String {
        let formatter = ISO8601DateFormatter()
        let header = ["feed", "last fetch", "status", "items", "errors", "next due"]
        var rows: [[String]] = []
        var notes: [Int: [String]] = [:]
        for name in feeds {
            guard let state = states[name] else {
                rows.append([Display.line(name), "never fetched", "-", "-", "-", "-"])
                continue
            }
            let next = state.nextDue.map { formatter.string(from: $0) + ($0 < now ? " (overdue)" : "") } ?? "-"
            rows.append([Display.line(name), state.lastFetch.map(formatter.string) ?? "-",
                         state.lastStatus.map(String.init) ?? (state.lastError == nil ? "-" : "error"),
                         "\(state.itemsSeen)", "\(state.errorCount)", next])
            var lines: [String] = []
            if let error = state.lastError { lines.append("last error: \(Display.line(error))") }
            if state.capped > 0 { lines.append("capped: \(state.capped) new items beyond the per-fetch cap left for later fetches") }
            notes[rows.count - 1] = lines
        }
        let table = TextColumns.lines([header] + rows, rightAligned: [3, 4])
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var out = [table[0]]
        for (index, line) in table.dropFirst().enumerated() {
            out.append(line)
            out += (notes[index] ?? []).map { "    " + $0 }
        }
        return out.joined(separator: "\n")
    }
}

/// `status --json`: what `status` prints, as one object a script or a monitoring check reads
/// (snake_case keys, ISO 8601 dates, as the alert files). Text from feeds and servers is
/// given as it is (JSON escapes it); URLs and errors with their credentials masked, as
/// everywhere drillwatch shows them.
struct StatusReport: Encodable {
    struct Daemon: Encodable {
        var running: Bool
        var pid: Int32?
    }

    struct Feed: Encodable {
        var name: String
        var url: String
        var paused: Bool
        var fetched: Bool
        var lastFetch: Date?
        var lastSuccess: Date?
        var httpStatus: Int?
        var items: Int?
        var errors: Int?
        var lastError: String?
        var nextDue: Date?
        var overdue: Bool
        var capped: Int?
    }

    struct Deliveries: Encodable {
        var pending: Int
        var retrying: Int
        var givenUp: Int
        var lastError: String?
    }

    struct Alert: Encodable {
        var id: String
        var firstSeen: Date
        var title: String
        var judged: AnalystVerdict?
    }

    struct Instance: Encodable {
        var id: String
        var host: String
        var pid: Int
        var version: String
        var started: Date
        var heartbeat: Date
        var stopped: Date?
        var feedsHeld: Int
    }

    var state: String
    /// False before the first scan: there is no state to read yet.
    var stateExists: Bool
    var daemon: Daemon
    var feeds: [Feed]
    var deliveries: Deliveries?
    var latestAlerts: [Alert]
    var instances: [Instance]

    static func gather(_ settings: Settings, store: (any StateStore)?, states: [String: FeedState], daemon: Int32?) async throws(CLIError) -> StatusReport {
        let now = Date()
        let feeds = settings.feeds.map { feed in
            let state = states[feed.name]
            return Feed(name: feed.name, url: Redaction.url(feed.url), paused: feed.paused, fetched: state?.lastFetch != nil,
                        lastFetch: state?.lastFetch, lastSuccess: state?.lastSuccess, httpStatus: state?.lastStatus,
                        items: state?.itemsSeen, errors: state?.errorCount, lastError: state?.lastError.map(Redaction.urls(in:)),
                        nextDue: state?.nextDue, overdue: state?.nextDue.map { $0 < now } ?? false, capped: state?.capped)
        }
        var report = StatusReport(state: settings.store.postgresURL.map(Redaction.url) ?? settings.stateFolder.path, stateExists: store != nil,
                                  daemon: Daemon(running: daemon != nil, pid: daemon), feeds: feeds, deliveries: nil,
                                  latestAlerts: [], instances: [])
        guard let store else { return report }
        // As the text's: a state that cannot say what is pending is an error, not an empty list.
        let counts = try await wrapAsync { try await store.deliveryCounts() }
        report.deliveries = Deliveries(pending: counts.pending, retrying: counts.retrying, givenUp: counts.expired,
                                       lastError: counts.lastError.map(Redaction.urls(in:)))
        if let alerts = try? await store.latestAlerts(limit: 10) {
            let judgements = (try? await store.feedback(for: alerts.map(\.id))) ?? [:]
            report.latestAlerts = alerts.map { Alert(id: $0.id, firstSeen: $0.firstSeen, title: $0.title, judged: judgements[$0.id]?.verdict) }
        }
        report.instances = ((try? await store.instances(at: now)) ?? []).map { instance in
            Instance(id: instance.id, host: instance.host, pid: instance.pid, version: instance.version, started: instance.started,
                     heartbeat: instance.heartbeat, stopped: instance.stopped, feedsHeld: instance.leases)
        }
        return report
    }

    func encoded() throws(CLIError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do { return try encoder.encode(self) } catch { throw CLIError("cannot encode the status: \(error)") }
    }
}
