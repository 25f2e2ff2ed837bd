import Foundation
import Model

/// What drillwatch keeps between runs, behind one interface: the feeds' state, every item
/// judged, the alert outbox, deliveries, digests written and analysts' feedback. SQLite
/// (`SQLiteStore`) is the embedded default; another database implements the same protocol.
///
/// The crash-safety contract every implementation keeps:
/// - `commit` stores feeds' states, their new judgements and their alerts in one transaction;
///   an item already stored is left as it is, and its alert is not queued again;
/// - an alert leaves the outbox (`markWritten`) only after its files exist, and its
///   deliveries are queued in that same transaction;
/// - a delivery is marked delivered only after it succeeded.
/// So a process killed at any point loses no alert and writes or delivers none twice.
public protocol StateStore: Sendable {
    // Feeds
    func feedState(_ name: String) async throws(StoreError) -> FeedState?
    func feedStates() async throws(StoreError) -> [FeedState]

    // Items
    func knownKeys(feed: String, among keys: [String]) async throws(StoreError) -> Set<String>
    func knownLinksAndTitles(feed: String, among pairs: [(link: String, title: String)]) async throws(StoreError) -> Set<LinkAndTitle>
    func commit(_ batch: [FeedCommit]) async throws(StoreError)
    func items(firstSeenFrom from: Date, to: Date, verdicts: [Verdict.Kind]?) async throws(StoreError) -> [Judgement]
    func newItemCounts(from: Date, to: Date) async throws(StoreError) -> [String: Int]
    /// Relevant items (alerts and duplicates) first seen since `date`, oldest first: the `latest`
    /// newest of them, and the first item (the alert) of each of their stories.
    func relevantItems(since date: Date, latest: Int) async throws(StoreError) -> [Judgement]
    @discardableResult func prune(before date: Date) async throws(StoreError) -> Int

    // Outbox and deliveries
    func pendingAlerts() async throws(StoreError) -> (alerts: [Judgement], unreadable: [String])
    func latestAlerts(limit: Int) async throws(StoreError) -> [Judgement]
    func alerts(since: Date?, limit: Int) async throws(StoreError) -> [Judgement]
    func alertedStories(among stories: [String]) async throws(StoreError) -> Set<String>
    func markWritten(_ ids: [String], at date: Date, deliverTo channels: [DeliveryChannel]) async throws(StoreError)
    func dueDeliveries(at date: Date, limit: Int) async throws(StoreError) -> [PendingDelivery]
    func record(_ result: DeliveryResult, for delivery: PendingDelivery, at date: Date) async throws(StoreError)
    func deliveryCounts() async throws(StoreError) -> DeliveryCounts

    // Articles read from items' links (a cache: losing it costs fetches, nothing else)
    func cachedArticle(url: String) async throws(StoreError) -> CachedArticle?
    func save(_ article: CachedArticle) async throws(StoreError)

    // Digests
    func lastDigestDay() async throws(StoreError) -> String?
    func markDigestWritten(day: String, at date: Date) async throws(StoreError)

    // Feedback
    func record(_ feedback: Feedback) async throws(StoreError) -> FeedbackOutcome
    func alert(id: String) async throws(StoreError) -> Judgement?
    func judgedAlerts() async throws(StoreError) -> [JudgedAlert]
    func feedback(for ids: [String]) async throws(StoreError) -> [String: Feedback]

    // Sharing the state with other instances (PostgreSQL). A state one process owns (SQLite,
    // under its folder's lock) needs none of it: the defaults below say so.

    /// The feeds among `feeds` this process fetches now: those due at `date` (all of them
    /// unless `dueOnly`) that no other live instance holds, each leased to this process until
    /// its state is committed (or the lease runs out, when this process dies). nil: every feed.
    func claimFeeds(_ feeds: [FeedState], dueOnly: Bool, at date: Date) async throws(StoreError) -> Set<String>?
    /// Begins deciding stories: waits while another instance decides, then returns the
    /// relevant items other instances stored after `watermark` (when nil, those of
    /// `relevantItems(since: window, latest:)`). nil: no other instance shares the state.
    func beginStoryDecisions(after watermark: Int64?, window: Date, latest: Int) async throws(StoreError) -> StoryUpdate?
    /// Ends what `beginStoryDecisions` began, once its decisions are committed; returns the
    /// watermark that includes them.
    func endStoryDecisions() async throws(StoreError) -> Int64?
    /// The pending alerts whose files this process writes (claimed for a while, so that no
    /// other instance writes them too).
    func claimPendingAlerts(at date: Date) async throws(StoreError) -> (alerts: [Judgement], unreadable: [String])
    /// Gives back due deliveries this process took and did not attempt (a pass's budget ran
    /// out, or it is shutting down), for any instance's next pass.
    func release(_ deliveries: [PendingDelivery]) async throws(StoreError)
    /// Whether this process writes the digest of `day` (claimed for a while).
    func claimDigest(day: String, at date: Date) async throws(StoreError) -> Bool
    /// The instances that share the state.
    func instances(at date: Date) async throws(StoreError) -> [InstanceStatus]
    /// Ends this process's part in a shared state: its leases given back, the instance marked
    /// stopped. (A process that dies leaves its leases to run out.)
    func close() async
}

/// How an alert is kept in the outbox, whichever database holds it: its JSON (`JSONCoding`).
package enum OutboxPayload {
    /// The judgement a payload holds; nil when it does not decode (written by a newer version,
    /// or damaged): reported by the caller, never dropped in silence.
    package static func judgement(_ payload: Data?) -> Judgement? {
        payload.flatMap { try? JSONCoding.decoder().decode(Judgement.self, from: $0) }
    }
}

/// Relevant items other instances stored, for the story memory, and how far they go.
public struct StoryUpdate: Sendable {
    public var items: [Judgement]
    public var watermark: Int64

    public init(items: [Judgement], watermark: Int64) {
        self.items = items
        self.watermark = watermark
    }
}

/// One instance sharing a state, as `status` shows it.
public struct InstanceStatus: Sendable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int
    public var version: String
    public var started: Date
    public var heartbeat: Date
    /// When it stopped cleanly; nil while it runs (or since it died: see `heartbeat`).
    public var stopped: Date?
    /// Feeds it holds now.
    public var leases: Int

    public init(id: String, host: String, pid: Int, version: String, started: Date, heartbeat: Date, stopped: Date?, leases: Int) {
        self.id = id
        self.host = host
        self.pid = pid
        self.version = version
        self.started = started
        self.heartbeat = heartbeat
        self.stopped = stopped
        self.leases = leases
    }
}

extension StateStore {
    public func claimFeeds(_ feeds: [FeedState], dueOnly: Bool, at date: Date) async throws(StoreError) -> Set<String>? { nil }
    public func beginStoryDecisions(after watermark: Int64?, window: Date, latest: Int) async throws(StoreError) -> StoryUpdate? { nil }
    public func endStoryDecisions() async throws(StoreError) -> Int64? { nil }
    public func claimPendingAlerts(at date: Date) async throws(StoreError) -> (alerts: [Judgement], unreadable: [String]) {
        try await pendingAlerts()
    }
    public func release(_ deliveries: [PendingDelivery]) async throws(StoreError) {}
    public func claimDigest(day: String, at date: Date) async throws(StoreError) -> Bool { true }
    public func instances(at date: Date) async throws(StoreError) -> [InstanceStatus] { [] }
    public func close() async {}
}

extension StateStore {
    public func items(firstSeenFrom from: Date, to: Date) async throws(StoreError) -> [Judgement] {
        try await items(firstSeenFrom: from, to: to, verdicts: nil)
    }

    public func markWritten(_ ids: [String], at date: Date = Date()) async throws(StoreError) {
        try await markWritten(ids, at: date, deliverTo: [])
    }

    public func dueDeliveries(at date: Date) async throws(StoreError) -> [PendingDelivery] {
        try await dueDeliveries(at: date, limit: 100)
    }

    public func markDigestWritten(day: String) async throws(StoreError) {
        try await markDigestWritten(day: day, at: Date())
    }
}

/// One feed's part of a commit: its state after the fetch, its new judgements, their alerts.
public struct FeedCommit: Sendable {
    public var feed: FeedState
    public var items: [Judgement]
    public var alerts: [Judgement]

    public init(feed: FeedState, items: [Judgement], alerts: [Judgement]) {
        self.feed = feed
        self.items = items
        self.alerts = alerts
    }
}

extension StateStore {
    /// One feed's commit.
    public func commit(feed: FeedState, items: [Judgement], alerts: [Judgement]) async throws(StoreError) {
        try await commit([FeedCommit(feed: feed, items: items, alerts: alerts)])
    }
}

/// A known item's link and title: how a feed that re-keys its items is recognised.
public struct LinkAndTitle: Hashable, Sendable {
    public var link: String
    public var title: String

    public init(link: String, title: String) {
        self.link = link
        self.title = title
    }
}
