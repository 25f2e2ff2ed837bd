import Classifier
import Curl
import Feeds
import Foundation
import Model
import Reports
import Settings
import Store
import Locking

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
    /// The articles read (or not) for its headline-only items.
    public var articles = ArticleCounts()
}

/// The result of a scan, for the summary table and the exit status.
public struct ScanSummary: Sendable {
    public var outcomes: [FeedOutcome] = []
    public var alertFilesWritten = 0
    /// What went wrong after the feeds were committed; the alerts concerned stay pending.
    public var writeErrors: [ScanProblem] = []
    /// The alerts whose files this scan wrote (their deliveries are queued).
    public var written: [Judgement] = []
    /// Due feeds left to other instances sharing the state (they hold them now).
    public var heldElsewhere = 0

    /// The linked articles of every feed, counted together.
    public var articles: ArticleCounts { outcomes.reduce(ArticleCounts()) { $0 + $1.articles } }

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
/// known items and read the new ones (each feed in its own task), judge them in the feeds'
/// order, store a batch of feeds' items and alerts in one transaction, then write the alert
/// files from the outbox and mark them written.
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
    /// Kept from scan to scan (a daemon keeps its scanner): hosts' `robots.txt` are read once
    /// a day, and the per-host limit counts across scans.
    private let articles: ArticleReader

    /// The stories of earlier scans are read from `store` when the first new item is judged.
    public init(settings: Settings, store: any StateStore, classifier: Classifier, now: @escaping @Sendable () -> Date = { Date() }) {
        self.settings = settings
        self.store = store
        self.classifier = classifier
        self.files = AlertFiles(root: settings.outputFolder)
        self.now = now
        articles = ArticleReader(settings: settings, store: store, now: now)
    }

    /// Whether the stories of earlier scans are in the classifier's memory yet.
    private var remembersStories = false
    /// For a state shared with other instances: how far the story memory follows what they
    /// stored (nil: not read yet), and whether the state is shared at all (nil: not known yet).
    private var storyWatermark: Int64?
    private var sharesStories: Bool?
    /// True while this scan holds a shared state's story lock (`releaseStories` lets it go).
    private var holdsStories = false

    /// Before a feed's new items are judged: the stories they may belong to. A state shared
    /// with other instances is asked under its story lock (held until the decisions are
    /// committed, `releaseStories`) for what the others stored since this scan last held it.
    private func prepareStories() async throws(PipelineError) {
        if holdsStories { return }  // nobody else has stored anything since
        if sharesStories != false {
            let window = now().addingTimeInterval(-settings.classifier.storyWindowDays * 86400)
            let update: StoryUpdate?
            do { update = try await store.beginStoryDecisions(after: storyWatermark, window: window, latest: Classifier.storyCapacity) } catch {
                throw PipelineError.state(error)
            }
            if let update {
                sharesStories = true
                holdsStories = true
                remember(update.items)
                storyWatermark = update.watermark
                remembersStories = true
                return
            }
            sharesStories = false
        }
        try await rememberStories()
    }

    /// Commits what was decided under the story lock, then lets the lock go: the next instance
    /// to take it learns these stories first.
    private func releaseStories(_ commits: inout CommitChain) async throws(PipelineError) {
        guard holdsStories else { return }
        let failed = await commits.finish()
        do throws(StoreError) { try await endStories() } catch { throw failed ?? PipelineError.state(error) }
        if let failed { throw failed }
    }

    /// Lets the story lock go (what was decided under it is committed, or failed).
    private func endStories() async throws(StoreError) {
        holdsStories = false
        do { storyWatermark = try await store.endStoryDecisions() } catch {
            storyWatermark = nil  // read everything again next time
            throw error
        }
    }

    /// Feeds judged under one taking of the story lock when they are fetched already, one
    /// after another: fewer round trips for the lock and the commits, a bounded wait for the
    /// other instances.
    static let feedsPerStoryLock = 32

    /// An item read back from the state joins the story memory as it was judged: an item its
    /// feed gave no date stays undated (not dated by when it was first seen), or a story would
    /// take in other reports after a restart that it kept apart before.
    private func remember(_ items: [Judgement]) {
        classifier.remember(items.map { item in
            (Item(id: item.itemKey, title: item.title, text: item.judgedText ?? item.summary, link: item.link,
                  published: item.published), item.story ?? item.itemKey)
        })
    }

    /// Forgets the stories (a failed scan: items judged but not stored must not be taken for
    /// copies of themselves), so the next scan reads them again.
    private func forgetStories() {
        classifier.resetStories()
        remembersStories = false
        storyWatermark = nil
    }

    /// Remembers recent stories, so that a copy arriving in a later scan is a duplicate: once,
    /// before the first item is judged. A scan in which no feed has anything new (all 304s,
    /// the common case for a daemon) never pays for reading them.
    private func rememberStories() async throws(PipelineError) {
        guard !remembersStories else { return }
        let since = now().addingTimeInterval(-settings.classifier.storyWindowDays * 86400)
        do {
            // The newest the story memory can hold, not the whole window: under a busy fortnight
            // (36,000 relevant items under scripts/load) a scan began by reading them all again.
            remember(try await store.relevantItems(since: since, latest: Classifier.storyCapacity))
        } catch {
            throw PipelineError.state(error)
        }
        remembersStories = true
    }

    /// - Parameters:
    ///   - only: one feed by name.
    ///   - dueOnly: skip feeds whose next fetch is still ahead (the daemon); a manual scan
    ///     fetches every feed now.
    public func scan(feed only: String? = nil, dryRun: Bool = false, dueOnly: Bool = false) async throws(PipelineError) -> ScanSummary {
        // A paused feed is fetched only when asked for by name.
        var feeds = settings.feeds.filter { only == nil ? !$0.paused : $0.name == only }
        if let only, feeds.isEmpty { throw PipelineError.configuration("no feed named '\(only)' in \(settings.file.lastPathComponent)") }

        var states: [FeedState] = []
        var due: [FeedSettings] = []
        // Every feed's state in one read (2,000 reads of one row cost a rescan a fifth of its time).
        let known: [String: FeedState]
        do { known = Dictionary(try await store.feedStates().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }) } catch {
            throw PipelineError.state(error)
        }
        for feed in feeds {
            let state = known[feed.name] ?? FeedState(name: feed.name, url: feed.url)
            if dueOnly, let next = state.nextDue, next > now() { continue }
            states.append(state)
            due.append(feed)
        }
        var summary = ScanSummary()
        // Sharing the state: only the feeds this instance leased (a dry run fetches, claims nothing).
        if !dryRun {
            let claimed: Set<String>?
            do { claimed = try await store.claimFeeds(states, dueOnly: dueOnly, at: now()) } catch { throw PipelineError.state(error) }
            if let claimed {
                let kept = due.indices.filter { claimed.contains(due[$0].name) }
                summary.heldElsewhere = due.count - kept.count
                (due, states) = (kept.map { due[$0] }, kept.map { states[$0] })
            }
        }
        feeds = due

        // Fetched and parsed by child tasks (parsing on another core than judging), judged and
        // committed here in the configured order, so that which copy of a story alerts does
        // not depend on which server answered first. `max_concurrent` fetches are always in
        // flight; what waits to be judged is bounded (`Backlog`), so memory holds that many
        // documents, not the whole scan's, and one slow server holds back no other fetch
        // until the backlog is full.
        var backlog = Backlog(inFlightLimit: max(1, settings.scan.maxConcurrent))
        let fetcher = Fetcher(settings: settings, store: store, reader: classifier.concurrentReader, articles: articles, now: now)
        var failure: PipelineError?
        var commits = CommitChain(store: store)
        // A feed whose items want their linked articles read leaves its fetch's place to the
        // next feed's fetch while they are read (by a second task): a slow article host holds
        // back the judging of the feeds after it, but not their fetching.
        await withTaskGroup(of: (index: Int, fetched: Fetched, articlesRead: Bool).self) { group in
            var started = 0
            func startMore() {
                while started < feeds.count && backlog.mayStart {
                    let (index, feed, request) = (started, feeds[started], fetcher.request(feeds[started], states[started]))
                    group.addTask { (index, await fetcher.fetchAndRead(request, feed: feed), false) }
                    started += 1
                    backlog.started()
                }
            }
            startMore()
            var ready: [Int: Fetched] = [:]
            // What each waiting feed was counted in the backlog for.
            var counted: [Int: Int] = [:]
            var next = 0
            var judgedUnderLock = 0
            while next < feeds.count {
                guard let fetched = ready.removeValue(forKey: next) else {
                    guard let (index, fetched, articlesRead) = await group.next() else { break }
                    let held = fetched.heldBytes
                    if articlesRead {
                        // The articles' text joined the items while they waited.
                        backlog.grew(by: held - (counted[index] ?? held))
                        counted[index] = held
                    } else {
                        counted[index] = held
                        backlog.arrived(bytes: held)
                        if fetched.wantsArticles {
                            let feed = feeds[index]
                            group.addTask { (index, await fetcher.readArticles(fetched, feed: feed), true) }
                            startMore()
                            continue
                        }
                    }
                    ready[index] = fetched
                    startMore()
                    continue
                }
                backlog.taken(bytes: counted.removeValue(forKey: next) ?? 0)
                do throws(PipelineError) {
                    var (outcome, pass) = try await process(feeds[next], states[next], fetched, dryRun: dryRun)
                    outcome.fetchSeconds = fetched.seconds
                    summary.outcomes.append(outcome)
                    if let pass { commits.add(pass) }
                    // The story lock is let go once the next feed is not fetched yet, or after
                    // `feedsPerStoryLock` feeds.
                    if holdsStories {
                        judgedUnderLock += 1
                        if judgedUnderLock >= Self.feedsPerStoryLock || ready[next + 1] == nil {
                            judgedUnderLock = 0
                            try await releaseStories(&commits)
                        }
                    }
                    // A commit that failed (a full disk) stops the scan as soon as it is known.
                    if commits.hasFailed {
                        group.cancelAll()
                        break
                    }
                } catch {
                    failure = error
                    group.cancelAll()
                    break
                }
                next += 1
                startMore()
            }
        }
        // The last batch is committed before the outbox is flushed (or the first failure thrown),
        // and before the story lock is let go, when the scan stopped holding it.
        let finished = await commits.finish()
        if holdsStories { try? await endStories() }
        if let failure = finished ?? failure {
            // Items judged but never stored are in the story memory: judged again next time,
            // each would be taken for a copy of itself and its alert lost. The memory is read
            // from the store again instead.
            forgetStories()
            throw failure
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
            let outbox = try await store.claimPendingAlerts(at: now())
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

    /// A feed that said twice in a row that it moved permanently is fetched at its new
    /// address from then on (a single 301 can be a publisher's mistake). Changing the URL in
    /// the configuration starts over.
    static func fetchURL(_ feed: FeedSettings, _ state: FeedState) -> String {
        guard state.url == feed.url, let moved = state.movedTo, state.movedCount >= 2 else { return feed.url }
        return moved
    }

    /// One feed's steps (see `FeedPass`): record the fetch, take the parsed document, select
    /// the new entries, judge them; the pass to commit (none in a dry run or when cancelled).
    private func process(_ feed: FeedSettings, _ previous: FeedState, _ fetched: Fetched,
                         dryRun: Bool) async throws(PipelineError) -> (FeedOutcome, FeedPass?) {
        var pass = FeedPass.record(fetched.result, feed: feed, previous: previous, at: now())
        pass.outcome.bytes = fetched.bytes
        if pass.cancelled { return (pass.outcome, nil) }
        if let response = pass.response {
            switch fetched.parsed {
            case .success(let parsed)?:
                pass.parsed(parsed.feed, entries: parsed.entryCount, response)
                let selection: Selection
                do { selection = try parsed.selection.get() } catch { throw PipelineError.state(error, feed: feed.name) }
                pass.outcome.capped = selection.capped
                pass.outcome.articles = selection.articles
                if !selection.items.isEmpty {
                    if dryRun { try await rememberStories() } else { try await prepareStories() }
                }
                judge(selection, &pass)
            case .failure(let error)?:
                pass.parseFailed(error, response)
            case nil:
                pass.parseFailed(.empty, response)
            }
        }
        pass.finish()
        return (pass.outcome, dryRun ? nil : pass)
    }

    /// Step 4: each new item judged, in feed order (a later copy of a story is a duplicate).
    private func judge(_ selection: Selection, _ pass: inout FeedPass) {
        let (items, rekeyed) = (selection.items, selection.rekeyed)
        let firstRunHorizon = pass.time.addingTimeInterval(-settings.scan.firstRunHorizonDays * 86400)
        let retentionHorizon = settings.scan.retentionDays > 0 ? pass.time.addingTimeInterval(-settings.scan.retentionDays * 86400) : nil
        for (index, item) in items.enumerated() {
            // The same link and title under a new key: a feed that changes its GUIDs, not news.
            if let link = item.link, rekeyed.contains(LinkAndTitle(link: link, title: item.title)) {
                pass.outcome.rekeyed += 1
                continue
            }
            // Read by the task that fetched the feed (when the classifier does not learn), else
            // here, after the items before it were judged; judged one after another, so stories
            // stay in feed order.
            let reading = selection.readings?[index] ?? classifier.read(item, reasons: .whenPlausible)
            pass.judged(item, classifier.judge(item, reading), firstRunHorizon: firstRunHorizon, retentionHorizon: retentionHorizon)
        }
    }
}

/// One feed's fetch, with its document parsed when the server sent one: what the scan's
/// child tasks hand to the task that judges. The body is dropped once parsed.
struct Fetched: Sendable {
    /// A document parsed, with its new items (or why the state could not say which are new).
    struct Parsed: Sendable {
        /// The channel's facts and how many entries the document held. The entries themselves
        /// are let go once the new ones are selected (those are in `selection`, as items): a
        /// feed waiting to be judged holds its news once, not twice.
        var feed: FeedInfo
        var entryCount: Int
        var selection: Result<Selection, StoreError>
    }

    var result: Result<HTTPResponse, FetchError>
    var parsed: Result<Parsed, FeedError>?
    var seconds: Double
    /// The body's size, for the scan's summary.
    var bytes = 0
    /// Some of its new items want their linked articles read (`Fetcher.readArticles`).
    var wantsArticles = false

    /// What it holds while it waits to be judged, as `Backlog` counts it: each new item's
    /// text and a fixed share for the rest (`Backlog.bytesPerItem`).
    var heldBytes: Int {
        guard let items = (try? parsed?.get().selection.get())?.items else { return 0 }
        return items.reduce(0) { sum, item in
            sum + Backlog.bytesPerItem + item.id.utf8.count + item.title.utf8.count + item.text.utf8.count
                + (item.link?.utf8.count ?? 0) + (item.articleLede?.utf8.count ?? 0)
        }
    }
}

/// What a scan has fetched and not yet judged. Fetches start while fewer than the limit are in
/// flight and the feeds waiting for their turn hold less than `byteLimit` (`Fetched.heldBytes`)
/// and number fewer than `feedLimit`. A slow server holds back only the judging of the feeds
/// after it, not their fetches, until the backlog is full.
///
/// Counted in bytes, not items: an item of a feed that carries whole articles holds ten times
/// the text of a headline and a line. Besides its text a waiting item keeps its assessment and,
/// when plausible, its story fingerprint: about 3.3 KB (`bytesPerItem`), measured by filling the
/// backlog — the benchmark's scan with every article host unresolvable, so each feed with
/// borderline items waits out its article deadline — and reading the peak RSS with room for
/// 20,000 and 10,000 of its items (172 and 133 MiB; each holds about 0.55 KB of text). In a scan
/// that does not wait the backlog does not fill (peak 86–96 MiB, the same items a second with
/// either room): the limit only decides how much memory stalled hosts may fill, and the price of
/// a lower one is fewer stalls overlapping (that scan 84 s with room for 10,000 items, 104 s
/// for 8,000).
struct Backlog {
    /// The fixed share of a waiting item (see above).
    static let bytesPerItem = 3_300
    let inFlightLimit: Int
    var byteLimit = 32 << 20
    var feedLimit = 2_048
    private(set) var inFlight = 0
    private(set) var waitingFeeds = 0
    private(set) var waitingBytes = 0

    init(inFlightLimit: Int) { self.inFlightLimit = inFlightLimit }

    var mayStart: Bool { inFlight < inFlightLimit && waitingBytes < byteLimit && waitingFeeds < feedLimit }
    mutating func started() { inFlight += 1 }
    mutating func arrived(bytes: Int) {
        inFlight -= 1
        waitingFeeds += 1
        waitingBytes += bytes
    }
    mutating func grew(by bytes: Int) { waitingBytes += bytes }
    mutating func taken(bytes: Int) {
        waitingFeeds -= 1
        waitingBytes -= bytes
    }
}

/// A document's entries not seen before (by key, each once) as the classifier reads them, at
/// most the per-fetch cap; the links and titles of known items under a new key; and, when the
/// classifier does not learn, each item read.
struct Selection: Sendable {
    var items: [Item]
    var rekeyed: Set<LinkAndTitle>
    var capped = 0
    var readings: [Classifier.Reading]?
    /// What happened to the articles read for headline-only items.
    var articles = ArticleCounts()
}

/// Fetches and parses feeds for a scan: conditional GETs through two clients (file URLs are
/// allowed for local feeds only), each document parsed as soon as it arrives.
struct Fetcher: Sendable {
    private let client: HTTPClient
    private let local: HTTPClient
    private let store: any StateStore
    private let reader: Classifier.Reader?
    private let articles: ArticleReader
    private let defaultCap: Int
    /// The scan's clock: what a feed's dates are checked against (`Item.plausibleDate`).
    private let now: @Sendable () -> Date

    init(settings: Settings, store: any StateStore, reader: Classifier.Reader?, articles: ArticleReader, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.now = now
        self.reader = reader
        self.articles = articles
        defaultCap = settings.scan.maxNewItemsPerFetch
        var policy = FetchPolicy(totalTimeout: .seconds(settings.scan.timeoutSeconds))
        if let agent = settings.scan.userAgent { policy.userAgent = agent }
        policy.allowRedirectsToLocalNetwork = settings.scan.allowLocalRedirects
        client = HTTPClient(policy: policy, maxConcurrent: settings.scan.maxConcurrent, maxPerHost: settings.scan.perHost)
        var localPolicy = policy
        localPolicy.allowFileURLs = true
        local = HTTPClient(policy: localPolicy)
    }

    /// The request for a feed: its validators, its headers, and its credentials for the
    /// configured address only (not for where it moved).
    func request(_ feed: FeedSettings, _ state: FeedState) -> HTTPRequest {
        var request = HTTPRequest(url: FeedScanner.fetchURL(feed, state), validators: Validators(etag: state.etag, lastModified: state.lastModified),
                                  headers: feed.headers.map { HTTPHeader(name: $0.name, value: $0.value) })
        if let agent = feed.userAgent { request.headers.append(HTTPHeader(name: "User-Agent", value: agent)) }
        if request.url == feed.url { request.credentialHeaders = feed.credentialHeaders.map { HTTPHeader(name: $0.name, value: $0.value) } }
        return request
    }

    /// Fetches a feed, parses what came, selects the new items and reads them: everything of
    /// a feed that does not depend on the feeds before it, done by the feed's own task (but
    /// its linked articles, `readArticles`).
    func fetchAndRead(_ request: HTTPRequest, feed: FeedSettings) async -> Fetched {
        let started = ContinuousClock.now
        let result: Result<HTTPResponse, FetchError>
        do {
            result = .success(try await (feed.isLocalFile ? local : client).fetch(request))
        } catch {
            result = .failure(error)
        }
        var fetched = Fetched(result: result, parsed: nil, seconds: (ContinuousClock.now - started) / .milliseconds(1) / 1000)
        guard case .success(var response) = result else { return fetched }
        fetched.bytes = response.body.count
        if response.isSuccess && !response.isNotModified {
            let headers = Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
            let document = Result { () throws(FeedError) in
                try FeedParser.parse(response.body, source: FeedSource(url: response.finalURL, headers: headers))
            }
            response.body = []  // parsed: what is kept is the channel and the new items (`Fetched.Parsed`)
            switch document {
            case .success(let document):
                let selection = await selectAndRead(document, feed: feed)
                fetched.parsed = .success(Fetched.Parsed(feed: document.feed, entryCount: document.entries.count, selection: selection))
                fetched.wantsArticles = wantsArticles(fetched, feed: feed)
            case .failure(let error):
                fetched.parsed = .failure(error)
            }
        }
        response.body = []
        fetched.result = .success(response)
        return fetched
    }

    /// A document's new items, read (when the classifier does not learn).
    private func selectAndRead(_ document: FeedDocument, feed: FeedSettings) async -> Result<Selection, StoreError> {
        do throws(StoreError) {
            var selection = try await select(document, feed: feed)
            // Reasons are kept for alerts only: an ignored item's are not worth finding.
            selection.readings = reader.map { reader in selection.items.map { reader.read($0, reasons: .whenPlausible) } }
            return .success(selection)
        } catch {
            return .failure(error)
        }
    }

    /// Whether some of a fetched feed's new items want their linked articles read (local
    /// feed files are never followed).
    private func wantsArticles(_ fetched: Fetched, feed: FeedSettings) -> Bool {
        guard !feed.isLocalFile, case .success(let parsed)? = fetched.parsed, case .success(let selection) = parsed.selection else { return false }
        return articles.wants(selection.items, feed: feed, readings: selection.readings, reader: reader)
    }

    /// The feed with its new items' linked articles read where they want them: an item read
    /// on its article is read again, the others keep their reading.
    func readArticles(_ fetched: Fetched, feed: FeedSettings) async -> Fetched {
        guard case .success(var parsed)? = fetched.parsed, case .success(var selection) = parsed.selection else { return fetched }
        let enriched = await articles.enrich(selection.items, feed: feed, readings: selection.readings, reader: reader)
        (selection.items, selection.articles) = (enriched.items, enriched.counts)
        if let reader { for index in enriched.changed { selection.readings?[index] = reader.read(selection.items[index], reasons: .whenPlausible) } }
        parsed.selection = .success(selection)
        var fetched = fetched
        fetched.parsed = .success(parsed)
        return fetched
    }

    /// Step 3: the new entries of a document (see `Selection`).
    private func select(_ document: FeedDocument, feed: FeedSettings) async throws(StoreError) -> Selection {
        let known = try await store.knownKeys(feed: feed.name, among: document.entries.map(\.key))
        var seenNow = Set<String>()
        let fetched = now()
        var items = document.entries.filter { !known.contains($0.key) && seenNow.insert($0.key).inserted }
            .map { entry in
                var item = Item(entry: entry, source: feed.name)
                item.published = Item.plausibleDate(item.published, fetchedAt: fetched)
                return item
            }
        // A feed that invents thousands of items per fetch must not fill the disk: the rest
        // waits for the next fetches (feeds list newest first).
        let cap = feed.maxNewItems ?? defaultCap
        var capped = 0
        if items.count > cap {
            capped = items.count - cap
            items.removeLast(items.count - cap)
        }
        let rekeyed = try await store.knownLinksAndTitles(feed: feed.name, among: FeedScanner.linksAndTitles(items))
        return Selection(items: items, rekeyed: rekeyed, capped: capped)
    }
}

/// Step 5: the scan's commits. Feeds are committed in batches, one transaction each (64 feeds
/// or 1,000 items): 2,000 feeds answering 304 are 2,000 state rows, not 2,000 transactions. A
/// crash loses at most a batch's states, whose feeds are then fetched and judged again: nothing
/// of them was published. Each batch starts once the one before it has ended (commits stay in
/// the feeds' order, and the first failure stops the chain) and runs while the next feeds are
/// judged.
struct CommitChain {
    private let store: any StateStore
    private var batch: [FeedCommit] = []
    private var batchItems = 0
    private var last: Task<PipelineError?, Never>?
    /// Set by the commit that fails, for the scan to stop at once rather than at `finish`.
    private let failed = Locked<PipelineError?>(nil)

    init(store: any StateStore) { self.store = store }

    var hasFailed: Bool { failed.withLock { $0 != nil } }

    mutating func add(_ pass: FeedPass) {
        batch.append(FeedCommit(feed: pass.state, items: pass.judgements, alerts: pass.alerts))
        batchItems += pass.judgements.count
        if batch.count >= 64 || batchItems >= 1_000 { flush() }
    }

    /// Starts committing what is batched.
    private mutating func flush() {
        guard !batch.isEmpty else { return }
        let (store, batch, previous, failed) = (store, batch, last, failed)
        last = Task {
            if let failure = await previous?.value { return failure }
            do throws(StoreError) { try await store.commit(batch) } catch {
                let failure = PipelineError.state(error, feed: batch.count == 1 ? batch[0].feed.name : nil)
                failed.withLock { $0 = $0 ?? failure }
                return failure
            }
            return nil
        }
        self.batch = []
        batchItems = 0
    }

    /// Waits for every commit started; the first failure, if any.
    mutating func finish() async -> PipelineError? {
        flush()
        return await last?.value
    }
}
