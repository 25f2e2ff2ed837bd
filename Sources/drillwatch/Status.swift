import ArgumentParser
import Foundation
import Pipeline
import SafeText
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

    func execute() async throws {
        let settings = try configuration.settings()
        let store = try wrap { try SQLiteStore.open(at: settings.stateDatabase.path) }
        let states = Dictionary(try await wrapAsync { try await store.feedStates() }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let formatter = ISO8601DateFormatter()
        print("feed".padding(toLength: 24, withPad: " ", startingAt: 0) + "last fetch             status  items  errors  next due")
        for feed in settings.feeds {
            guard let state = states[feed.name] else {
                print(feed.name.padding(toLength: 24, withPad: " ", startingAt: 0) + "never fetched")
                continue
            }
            let last = state.lastFetch.map(formatter.string) ?? "-"
            let status = state.lastStatus.map(String.init) ?? (state.lastError == nil ? "-" : "error")
            let next = state.nextDue.map(formatter.string) ?? "-"
            print(feed.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + last.padding(toLength: 23, withPad: " ", startingAt: 0)
                + status.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(format: "%5d  %6d  ", state.itemsSeen, state.errorCount) + next)
            if let error = state.lastError { print("    last error: \(Display.line(error))") }
            if state.capped > 0 { print("    capped: \(state.capped) new items beyond the per-fetch cap left for later fetches") }
        }
        await printLatestAlerts(store)
        let deliveries = try await wrapAsync { try await store.deliveryCounts() }
        if deliveries.pending + deliveries.expired > 0 {
            print("\ndeliveries: \(deliveries.pending) pending (\(deliveries.retrying) retrying), \(deliveries.expired) given up")
            if let error = deliveries.lastError { print("    last error: \(Display.line(error))") }
        }
    }

    /// The newest alerts with their ids and any analyst judgement: what `drillwatch feedback`
    /// takes.
    private func printLatestAlerts(_ store: any StateStore) async {
        guard let alerts = try? await store.latestAlerts(limit: 10), !alerts.isEmpty else { return }
        let judgements = (try? await store.feedback(for: alerts.map(\.id))) ?? [:]
        let formatter = ISO8601DateFormatter()
        print("\nlatest alerts (judge one: drillwatch feedback ID --right|--wrong)")
        for alert in alerts {
            let judged = judgements[alert.id].map { "  [judged \($0.verdict.rawValue)]" } ?? ""
            print("  \(alert.id)  \(formatter.string(from: alert.firstSeen))  \(Display.line(alert.title))\(judged)")
        }
    }
}
