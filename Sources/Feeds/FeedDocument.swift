import Foundation

/// A parsed feed: what `drillwatch inspect` prints and what a scan classifies.
public struct FeedDocument: Sendable {
    /// True when the document was not clean (not well-formed, an encoding problem or
    /// override, a non-XML media type) and the parser had to recover.
    public var bozo: Bool = false
    /// Why `bozo` is set, for a person.
    public var bozoReason: String?
    /// The character encoding the document was decoded with (`utf-8`, `windows-1251`…).
    public var encoding: String = "utf-8"
    /// Format and version: `rss20`, `rss10`, `rss090`, `rss091u`, `atom10`, `atom03`, `json11`…
    public var version: String = ""
    public var feed = FeedInfo()
    public var entries: [FeedEntry] = []
}

/// Channel-level facts.
public struct FeedInfo: Sendable, Equatable {
    public var title: String?
    public var link: String?
    public var subtitle: String?
    public var language: String?
    public var updated: Date?
    public var published: Date?
    /// RSS `<ttl>` in minutes: how long the publisher says the feed may be cached.
    public var ttlMinutes: Int?
    /// `sy:updatePeriod` × `sy:updateFrequency`, as seconds between updates.
    public var updateIntervalSeconds: Int?
}

/// One item or entry.
public struct FeedEntry: Sendable, Equatable {
    public var title: String?
    public var link: String?
    /// The feed's own identifier (guid / id / rdf:about), as written.
    public var id: String?
    public var summary: String?
    public var content: String?
    public var published: Date?
    public var updated: Date?
    public var author: String?
    public var enclosures: [String] = []
    public var categories: [String] = []
    /// Plain text of the item for the classifier: title excluded, content preferred over
    /// summary, HTML removed, paragraphs kept.
    public var text: String = ""
    /// A stable identity for the item across fetches; see `ItemKey`.
    public var key: String = ""
}
