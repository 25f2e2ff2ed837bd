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

    /// A channel that states nothing (as `FeedEntry()` is an entry).
    public init() {}
}

/// One item or entry.
public struct FeedEntry: Sendable, Equatable {
    public var title: String?
    public var link: String?
    /// The feed's own identifier (guid / id / rdf:about), as written.
    public var id: String?
    /// The summary (RSS `description`, Atom `summary`): HTML normalised for display by
    /// `HTMLNormalizer`, or plain text. Made when read: a scan reads only `text`.
    public var summary: String? {
        get { summarySource?.value }
        set { summarySource = newValue.map(DeferredText.init(final:)) }
    }
    /// The full content, as `summary`.
    public var content: String? {
        get { contentSource?.value }
        set { contentSource = newValue.map(DeferredText.init(final:)) }
    }
    var summarySource: DeferredText?
    var contentSource: DeferredText?
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

    public init() {}

    public static func == (a: FeedEntry, b: FeedEntry) -> Bool {
        a.title == b.title && a.link == b.link && a.id == b.id && a.summary == b.summary && a.content == b.content
            && a.published == b.published && a.updated == b.updated && a.author == b.author
            && a.enclosures == b.enclosures && a.categories == b.categories && a.text == b.text && a.key == b.key
    }
}

/// A field's text whose costly part waits until it is read: HTML is normalised (links
/// resolved, attributes sorted, a full copy of the markup) only for whoever shows it.
struct DeferredText: Sendable {
    private enum Text: Sendable {
        case final(String)
        /// HTML still to be normalised against its base URI, as UTF-8 bytes.
        case html([UInt8], base: String?)
    }

    private var text: Text
    private var withoutControls = false

    init(final value: String) {
        text = .final(value)
    }

    init(html: [UInt8], base: String?) {
        text = .html(html, base: base)
    }

    /// The text as it came: HTML not normalised yet, control characters not removed.
    var raw: String {
        switch text {
        case .final(let value): return value
        case .html(let html, _): return String(decoding: html, as: UTF8.self)
        }
    }

    var value: String {
        switch text {
        case .final(let value):
            return value
        case .html(let html, let base):
            let value = HTMLNormalizer.normalise(html, base: base)
            return withoutControls ? value.withoutControlCharacters : value
        }
    }

    /// Control characters removed: now from plain text, when read from HTML (after it is
    /// normalised, as before).
    mutating func removeControlCharacters() {
        switch text {
        case .final(var value):
            value.removeControlCharacters()
            text = .final(value)
        case .html:
            withoutControls = true
        }
    }
}
