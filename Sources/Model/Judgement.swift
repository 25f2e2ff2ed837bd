import Foundation

/// One item from its verdict to disk: what it is, where it came from, what the classifier
/// decided and why. The one record of the data path after classification — the state keeps
/// it, the outbox queues it, and alert files, `alerts.xml`, hooks, webhooks and the digest are
/// views of it. Encoded, it is the alert JSON file (schema version 1), dates as ISO 8601
/// with `JSONCoding`.
public struct Judgement: Sendable, Codable, Equatable {
    public static let schemaVersion = 1

    public var schema: Int = Judgement.schemaVersion
    /// Stable: derived from the feed and the item key, so a re-run names the same file.
    public var id: String
    public var feed: String
    public var itemKey: String
    public var title: String
    public var link: String?
    public var summary: String
    public var published: Date?
    public var firstSeen: Date
    public var verdict: Verdict.Kind
    public var score: Double
    public var story: String?
    public var duplicateOf: String?
    // The facts, stored flat as the alert file has them; read and written as `facts`.
    public var exercise: String?
    public var places: [String]
    public var countries: [String]
    /// The rules that fired and the closest corpus documents. The state keeps them for
    /// alerts only (in the outbox); an item read back from the item table has none.
    public var rules: [RuleHit]
    public var similar: [SimilarDocument]
    /// How the score came about (the features for and against, the threshold). Kept with
    /// alerts, as the rules are; absent for an item read back from the item table, and in
    /// alerts written before it was kept.
    public var explanation: ScoreExplanation?
    /// True when the item was judged on the article behind its link (its lede is the
    /// summary); absent when it was judged on what its feed gave.
    public var fromArticle: Bool?
    /// The text the item was judged on, when that is not `summary` (the article behind its
    /// link). The state keeps it for relevant items, so that a later process remembers the
    /// story as it was judged; alert files and the outbox do not carry it.
    public var judgedText: String?

    public init(feed: String, item: Item, verdict: Verdict, firstSeen: Date) {
        id = Judgement.id(feed: feed, itemKey: item.id)
        self.feed = feed
        itemKey = item.id
        title = item.title
        link = item.link
        summary = item.articleLede ?? item.text
        fromArticle = item.articleLede != nil ? true : nil
        judgedText = item.articleLede != nil ? item.text : nil
        published = item.published
        self.firstSeen = firstSeen
        self.verdict = verdict.kind
        score = verdict.score
        story = verdict.story
        duplicateOf = verdict.duplicateOf
        exercise = verdict.facts.exercise
        places = verdict.facts.places
        countries = verdict.facts.countries
        rules = verdict.rules
        similar = verdict.similar
        explanation = verdict.explanation
    }

    /// A judgement as the state's item table keeps it (no rules or similar documents).
    public init(feed: String, itemKey: String, title: String, link: String?, summary: String, published: Date?,
                firstSeen: Date, verdict: Verdict.Kind, score: Double, story: String?, duplicateOf: String? = nil,
                facts: EventFacts = EventFacts()) {
        id = Judgement.id(feed: feed, itemKey: itemKey)
        self.feed = feed
        self.itemKey = itemKey
        self.title = title
        self.link = link
        self.summary = summary
        self.published = published
        self.firstSeen = firstSeen
        self.verdict = verdict
        self.score = score
        self.story = story
        self.duplicateOf = duplicateOf
        exercise = facts.exercise
        places = facts.places
        countries = facts.countries
        rules = []
        similar = []
    }

    public var facts: EventFacts {
        get { EventFacts(exercise: exercise, places: places, countries: countries) }
        set { (exercise, places, countries) = (newValue.exercise, newValue.places, newValue.countries) }
    }

    /// A file-name-safe id: 16 hex digits of FNV-1a over "feed\0key". Titles and GUIDs never
    /// reach the file system, so `../../etc/passwd` as a GUID is harmless.
    public static func id(feed: String, itemKey: String) -> String {
        let hex = String(FNV1a.hash(Array(feed.utf8) + [0] + Array(itemKey.utf8)), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, feed, title, link, summary, published, verdict, score, story, exercise, places, countries, rules, similar, explanation
        case itemKey = "item_key", firstSeen = "first_seen", duplicateOf = "duplicate_of", fromArticle = "from_article"
    }
}

/// FNV-1a, 64 bits: a fast, stable hash for ids and story names (never for security).
public enum FNV1a {
    @inlinable public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}

/// The one JSON encoding of records drillwatch writes and reads back (alert files, the outbox,
/// hooks, the digest): ISO 8601 dates, sorted keys. Reading also accepts seconds since 1970,
/// as outbox rows written before this encoding hold them.
public enum JSONCoding {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) { return Date(timeIntervalSince1970: seconds) }
            let text = try container.decode(String.self)
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
        return decoder
    }
}
