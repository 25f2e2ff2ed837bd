import Foundation
import Prometheus
import Reports
import Store

/// The numbers an operator graphs and alerts on, in Prometheus's text format (swift-prometheus):
/// fetches by outcome, new items, alerts, duplicates and reviews (counters since the process
/// started), feeds failing now, deliveries pending, each scan's duration (a histogram) and the
/// time of the last scan that completed. One instance per process; `record` after each scan.
public final class ScanMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let fetched, notModified, failed: Counter
    private let newItems, alerts, duplicates, reviews: Counter
    private let feedsFailing, deliveriesPending, lastScan: Gauge
    private let duration: DurationHistogram
    /// Linked articles of headline-only items, by outcome (`ArticleCounts`).
    private let articles: [(any KeyPath<ArticleCounts, Int> & Sendable, Counter)]

    public init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "drillwatch", metricName: metric, unitName: unit, helpText: help)
        }
        let fetches = name("fetches", "total", "Feed fetches by outcome.")
        fetched = registry.makeCounter(descriptor: fetches, labels: [("outcome", "fetched")])
        notModified = registry.makeCounter(descriptor: fetches, labels: [("outcome", "not_modified")])
        failed = registry.makeCounter(descriptor: fetches, labels: [("outcome", "failed")])
        newItems = registry.makeCounter(descriptor: name("items_new", "total", "Items seen for the first time."))
        alerts = registry.makeCounter(descriptor: name("alerts", "total", "Alerts raised."))
        duplicates = registry.makeCounter(descriptor: name("duplicates", "total", "Reports of a story already alerted."))
        reviews = registry.makeCounter(descriptor: name("reviews", "total", "Items judged possibly related."))
        feedsFailing = registry.makeGauge(descriptor: name("feeds_failing", "count", "Feeds whose last fetch failed."))
        deliveriesPending = registry.makeGauge(descriptor: name("deliveries_pending", "count", "Hook, webhook and e-mail deliveries waiting."))
        lastScan = registry.makeGauge(descriptor: name("last_scan", "timestamp_seconds", "When the last scan completed (Unix time)."))
        let articleOutcomes = name("articles", "total", "Linked articles of headline-only items, by outcome.")
        articles = [
            (\ArticleCounts.read, "read"), (\.cached, "cached"), (\.failed, "failed"), (\.disallowed, "robots_disallowed"),
            (\.overLimit, "over_host_limit"), (\.needsJavaScript, "needs_javascript"), (\.empty, "empty"),
            (\.late, "late"),
        ].map { [registry] field, outcome in (field, registry.makeCounter(descriptor: articleOutcomes, labels: [("outcome", outcome)])) }
        duration = registry.makeDurationHistogram(
            descriptor: name("scan_duration", "seconds", "How long each scan took."),
            buckets: [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300)])
    }

    /// Adds one scan's outcome; `pending` is the delivery outbox after it.
    public func record(_ summary: ScanSummary, took elapsed: Duration, pending: Int, at time: Date) {
        for outcome in summary.outcomes {
            switch outcome.status {
            case .fetched: fetched.increment()
            case .notModified: notModified.increment()
            case .failed: failed.increment()
            }
            newItems.increment(by: Int64(outcome.newItems))
            alerts.increment(by: Int64(outcome.alerts))
            duplicates.increment(by: Int64(outcome.duplicates))
            reviews.increment(by: Int64(outcome.reviews))
        }
        let articleCounts = summary.articles
        for (field, counter) in articles { counter.increment(by: Int64(articleCounts[keyPath: field])) }
        feedsFailing.set(Double(summary.failedFeeds))
        deliveriesPending.set(Double(pending))
        lastScan.set(time.timeIntervalSince1970)
        duration.record(elapsed)
    }

    /// Adds one scan, with the deliveries `store` still holds, and rewrites `textfile` when one
    /// is configured; a failed write is thrown for the caller to report its own way.
    public func record(_ summary: ScanSummary, took elapsed: Duration, store: any StateStore,
                       textfile: URL?) async throws(AtomicFile.WriteError) {
        record(summary, took: elapsed, pending: (try? await store.deliveryCounts().pending) ?? 0, at: Date())
        if let textfile { try write(to: textfile) }
    }

    /// The exposition, as `/metrics` serves it.
    public func text() -> [UInt8] { registry.emitToBuffer() }

    /// Writes the exposition to `file` atomically (node_exporter must never read half a file).
    public func write(to file: URL) throws(AtomicFile.WriteError) {
        try AtomicFile.write(Data(text()), to: file)
    }
}
