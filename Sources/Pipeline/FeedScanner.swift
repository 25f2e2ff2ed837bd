import Classifier
import Curl
import Feeds
import Foundation
import Model
import Reports
import Settings
import Store

/// What one feed gave in a scan.
public struct FeedOutcome: Sendable {
    public enum Status: Sendable, Equatable {
        case fetched
        case notModified
        case failed(String)
    }

    public var feed: String
    public var status: Status
    public var items = 0
    public var newItems = 0
    public var alerts = 0
    public var duplicates = 0
    public var reviews = 0
    /// Entries skipped as known items under a new GUID.
    public var rekeyed = 0
    /// New entries beyond the per-fetch cap, left for later fetches.
    public var capped = 0
    /// The feed failed before and answered this time.
    public var recovered = false
    /// The fetch: HTTP status (nil when none came), decoded bytes, seconds it took.
    public var httpStatus: Int?
    public var bytes = 0
    public var fetchSeconds = 0.0
}

/// The result of a scan, for the summary table and the exit status.
public struct ScanSummary: Sendable {
    public var outcomes: [FeedOutcome] = []
    public var alertFilesWritten = 0
    /// What went wrong after the feeds were committed; the alerts concerned stay pending.
    public var writeErrors: [ScanProblem] = []
    /// The alerts whose files this scan wrote (their deliveries are queued).
    public var written: [Judgement] = []

    public var failedFeeds: Int { outcomes.filter { if case .failed = $0.status { return true } else { return false } }.count }
}

/// A problem after the feeds were committed, with what it concerns. Every alert it touches
/// stays in the outbox, and the next scan retries it.
public enum ScanProblem: Error, Sendable, CustomStringConvertible {
    /// A pending alert's files could not be written (a full disk, a read-only folder).
    case alertFiles(alert: String, AtomicFile.WriteError)
    /// `alerts.xml` could not be written.
    case alertFeed(AtomicFile.WriteError)
    /// An outbox row that does not decode (written by a newer drillwatch, or damaged).
    case unreadableOutbox(alert: String)
    /// The state database failed (reading the outbox, marking files written, pruning).
    case state(StoreError, alert: String?)

    public var description: String {
        switch self {
        case .alertFiles(let alert, let error): "alert \(alert): \(error)"
        case .alertFeed(let error): "alerts.xml: \(error)"
        case .unreadableOutbox(let alert): "alert \(alert): its outbox row cannot be read (written by a newer drillwatch, or damaged); left pending"
        case .state(let error, let alert): (alert.map { "alert \($0): " } ?? "") + error.description
        }
    }

    /// The alert concerned, for a log line's fields.
    public var alertID: String? {
        switch self {
        case .alertFiles(let alert, _), .unreadableOutbox(let alert): alert
        case .state(_, let alert): alert
        case .alertFeed: nil
        }
    }
}

/// One pass over the configured feeds: fetch (concurrently, conditional GET), parse, skip
/// known items, classify the new ones in order, store items and alerts in one transaction per
/// feed, then write the alert files from the outbox and mark them written.
///
/// Crash safety follows from that order: an alert is in the outbox before its file exists,
/// files are written atomically under names derived from the item, and an entry leaves the
/// outbox only after both files are on disk. A scan killed anywhere loses no alert; the next
/// one writes whatever was pending, and rewriting a file gives identical bytes.
public final class FeedScanner {
    private let settings: Settings
    private let store: any StateStore
    private let classifier: Classifier
    private let files: AlertFiles
    private let now: @Sendable () -> Date

    public init(settings: Settings, store: any StateStore, classifier: Classifier, now: @escaping @Sendable () -> Date = { Date() }) async throws(PipelineError) {
        self.settings = settings
        self.store = store
        self.classifier = classifier
        self.files = AlertFiles(root: settings.outputFolder)
        self.now = now
        // Remember recent stories, so that a copy arriving in a later scan is a duplicate.
        let since = now().addingTimeInterval(-settings.classifier.storyWindowDays * 86400)
        do {
            for item in try await store.relevantItems(since: since) {
                classifier.remember(Item(id: item.itemKey, title: item.title, text: item.summary, link: item.link,
                                         published: item.published ?? item.firstSeen), story: item.story ?? item.itemKey)
            }
        } catch {
            throw PipelineError.state(error)
        }
    }

    /// - Parameters:
    ///   - only: one feed by name.
    ///   - dueOnly: skip feeds whose next fetch is still ahead (the daemon); a manual scan
    ///     fetches every feed now.
    public func scan(feed only: String? = nil, dryRun: Bool = false, dueOnly: Bool = false) async throws(PipelineError) -> ScanSummary {
        // A paused feed is fetched only when asked for by name.
        var feeds = settings.feeds.filter { only == nil ? !$0.paused : $0.name == only }
        if let only, feeds.isEmpty { throw PipelineError.configuration("no feed named '\(only)' in \(settings.file.lastPathComponent)") }

        // Fetch everything first, concurrently; libcurl's multi interface does the waiting.
        var states: [FeedState] = []
        var due: [FeedSettings] = []
        for feed in feeds {
            let state: FeedState
            do { state = try await store.feedState(feed.name) ?? FeedState(name: feed.name, url: feed.url) } catch {
                throw PipelineError.state(error, feed: feed.name)
            }
            if dueOnly, let next = state.nextDue, next > now() { continue }
            states.append(state)
            due.append(feed)
        }
        feeds = due
        let fetched = await fetchAll(feeds, states)

        var summary = ScanSummary()
        for ((feed, state), (result, seconds)) in zip(zip(feeds, states), fetched) {
            var outcome = try await process(feed, state, result, dryRun: dryRun)
            outcome.fetchSeconds = seconds
            summary.outcomes.append(outcome)
        }
        if !dryRun {
            if settings.scan.retentionDays > 0 {
                do { try await store.prune(before: now().addingTimeInterval(-settings.scan.retentionDays * 86400)) } catch {
                    summary.writeErrors.append(.state(error, alert: nil))
                }
            }
            let (written, errors) = await flushOutbox()
            summary.alertFilesWritten = written.count
            summary.written = written
            summary.writeErrors += errors
        }
        return summary
    }

    /// Writes every pending alert's files, marking each written once both files are on disk
    /// and queuing its deliveries in the same transaction. Returns the alerts written and the
    /// errors (a full disk leaves them pending).
    public func flushOutbox() async -> ([Judgement], [ScanProblem]) {
        let channels = settings.hooks.channels
        let pending: [Judgement]
        var problems: [ScanProblem] = []
        do {
            let outbox = try await store.pendingAlerts()
            pending = outbox.alerts
            problems = outbox.unreadable.map { .unreadableOutbox(alert: $0) }
        } catch {
            return ([], [.state(error, alert: nil)])
        }
        var written: [Judgement] = []
        for alert in pending {
            // A failure stops the pass: the rest stay pending (a full disk fails them all).
            do { try files.write(alert) } catch {
                problems.append(.alertFiles(alert: alert.id, error))
                break
            }
            do { try await store.markWritten([alert.id], at: now(), deliverTo: channels) } catch {
                problems.append(.state(error, alert: alert.id))
                break
            }
            written.append(alert)
        }
        if !written.isEmpty {
            do {
                let latest = try await store.latestAlerts(limit: 50)
                do { try AlertFeed.write(latest, to: settings.outputFolder, updated: now()) } catch { problems.append(.alertFeed(error)) }
            } catch {
                problems.append(.state(error, alert: nil))
            }
        }
        return (written, problems)
    }

    // MARK: - Steps

    /// The links and titles by which a re-keyed entry is recognised. A link shared by several
    /// entries of one document (a feed that links every item to its home page) identifies none.
    static func linksAndTitles(_ items: [Item]) -> [(link: String, title: String)] {
        let pairs = items.compactMap { item -> (link: String, title: String)? in
            guard let link = item.link, !link.isEmpty else { return nil }
            return (link, item.title)
        }
        var count: [String: Int] = [:]
        for pair in pairs { count[pair.link, default: 0] += 1 }
        return pairs.filter { count[$0.link] == 1 }
    }

    /// Each feed's fetch result and how long it took, in the feeds' order.
    private func fetchAll(_ feeds: [FeedSettings], _ states: [FeedState]) async -> [(Result<HTTPResponse, FetchError>, Double)] {
        var policy = FetchPolicy(totalTimeout: .seconds(settings.scan.timeoutSeconds))
        if let agent = settings.scan.userAgent { policy.userAgent = agent }
        policy.allowRedirectsToLocalNetwork = settings.scan.allowLocalRedirects
        let client = HTTPClient(policy: policy, maxConcurrent: settings.scan.maxConcurrent, maxPerHost: settings.scan.perHost)
        var localPolicy = policy
        localPolicy.allowFileURLs = true
        let local = HTTPClient(policy: localPolicy)
        return await withTaskGroup(of: (Int, Result<HTTPResponse, FetchError>, Double).self) { group in
            for (index, (feed, state)) in zip(feeds, states).enumerated() {
                var request = HTTPRequest(url: Self.fetchURL(feed, state), validators: Validators(etag: state.etag, lastModified: state.lastModified),
                                          headers: feed.headers.map { HTTPHeader(name: $0.name, value: $0.value) })
                if let agent = feed.userAgent { request.headers.append(HTTPHeader(name: "User-Agent", value: agent)) }
                // Credentials go to the configured address only, not to where it moved.
                if request.url == feed.url { request.credentialHeaders = feed.credentialHeaders.map { HTTPHeader(name: $0.name, value: $0.value) } }
                let chosen = feed.isLocalFile ? local : client
                group.addTask {
                    let started = ContinuousClock.now
                    // Not `do throws(FetchError)`: with Swift 6.3.1 that form, in this closure,
                    // crashed optimised builds (the index came back corrupted).
                    let result: Result<HTTPResponse, FetchError>
                    do {
                        result = .success(try await chosen.fetch(request))
                    } catch let error as FetchError {
                        result = .failure(error)
                    } catch {
                        result = .failure(.cancelled(url: request.url))
                    }
                    return (index, result, (ContinuousClock.now - started) / .milliseconds(1) / 1000)
                }
            }
            var results = [(Result<HTTPResponse, FetchError>, Double)](repeating: (.failure(.cancelled(url: "")), 0), count: feeds.count)
            for await (index, result, seconds) in group { results[index] = (result, seconds) }
            return results
        }
    }

    /// A feed that said twice in a row that it moved permanently is fetched at its new
    /// address from then on (a single 301 can be a publisher's mistake). Changing the URL in
    /// the configuration starts over.
    static func fetchURL(_ feed: FeedSettings, _ state: FeedState) -> String {
        guard state.url == feed.url, let moved = state.movedTo, state.movedCount >= 2 else { return feed.url }
        return moved
    }

    /// One feed's steps (see `FeedPass`): record the fetch, parse, select the new entries,
    /// judge them, commit.
    private func process(_ feed: FeedSettings, _ previous: FeedState, _ result: Result<HTTPResponse, FetchError>,
                         dryRun: Bool) async throws(PipelineError) -> FeedOutcome {
        var pass = FeedPass.record(result, feed: feed, previous: previous, at: now())
        if pass.cancelled { return pass.outcome }
        if let response = pass.response {
            let headers = Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
            switch Result(catching: { () throws(FeedError) in
                try FeedParser.parse(response.body, source: FeedSource(url: response.finalURL, headers: headers))
            }) {
            case .success(let document):
                pass.parsed(document, response)
                judge(try await newItems(document, &pass), &pass)
            case .failure(let error):
                pass.parseFailed(error, response)
            }
        }
        pass.finish()
        if !dryRun { try await commit(pass) }
        return pass.outcome
    }

    /// Step 3: the entries not seen before (by key, each once), as the classifier reads them,
    /// at most the per-fetch cap, and the links and titles of known items re-keyed.
    private func newItems(_ document: FeedDocument, _ pass: inout FeedPass) async throws(PipelineError) -> ([Item], Set<LinkAndTitle>) {
        let feed = pass.feed
        do {
            let known = try await store.knownKeys(feed: feed.name, among: document.entries.map(\.key))
            var seenNow = Set<String>()
            var items = document.entries.filter { !known.contains($0.key) && seenNow.insert($0.key).inserted }
                .map { Item(entry: $0, source: feed.name) }
            // A feed that invents thousands of items per fetch must not fill the disk: the
            // rest waits for the next fetches (feeds list newest first).
            let cap = feed.maxNewItems ?? settings.scan.maxNewItemsPerFetch
            if items.count > cap {
                pass.outcome.capped = items.count - cap
                items.removeLast(items.count - cap)
            }
            return (items, try await store.knownLinksAndTitles(feed: feed.name, among: Self.linksAndTitles(items)))
        } catch {
            throw PipelineError.state(error, feed: feed.name)
        }
    }

    /// Step 4: each new item judged, in feed order (a later copy of a story is a duplicate).
    private func judge(_ selected: ([Item], Set<LinkAndTitle>), _ pass: inout FeedPass) {
        let (items, rekeyed) = selected
        let firstRunHorizon = pass.time.addingTimeInterval(-settings.scan.firstRunHorizonDays * 86400)
        let retentionHorizon = settings.scan.retentionDays > 0 ? pass.time.addingTimeInterval(-settings.scan.retentionDays * 86400) : nil
        for item in items {
            // The same link and title under a new key: a feed that changes its GUIDs, not news.
            if let link = item.link, rekeyed.contains(LinkAndTitle(link: link, title: item.title)) {
                pass.outcome.rekeyed += 1
                continue
            }
            pass.judged(item, classifier.judge(item), firstRunHorizon: firstRunHorizon, retentionHorizon: retentionHorizon)
        }
    }

    /// Step 5: the feed's state, its judgements and its alerts, in one transaction.
    private func commit(_ pass: FeedPass) async throws(PipelineError) {
        do { try await store.commit(feed: pass.state, items: pass.judgements, alerts: pass.alerts) } catch {
            throw PipelineError.state(error, feed: pass.feed.name)
        }
    }
}
