import Foundation

/// An alert: a relevant new story (or, for the record, a duplicate of one), with every fact
/// and reason a reader or a program needs. Encoded as the alert JSON file (schema version 1).
public struct Alert: Sendable, Codable, Equatable {
    public static let schemaVersion = 1

    public var schema: Int = Alert.schemaVersion
    /// Stable: derived from the feed and the item key, so a re-run names the same file.
    public var id: String
    public var feed: String
    public var itemKey: String
    public var title: String
    public var link: String?
    public var summary: String
    public var published: Date?
    public var firstSeen: Date
    public var verdict: String
    public var score: Double
    public var story: String?
    public var duplicateOf: String?
    public var exercise: String?
    public var places: [String]
    public var countries: [String]
    public var rules: [Rule]
    public var similar: [Similar]

    public struct Rule: Sendable, Codable, Equatable {
        public var name: String
        public var effect: String
        public var weight: Double
        public var matched: [String]
    }

    public struct Similar: Sendable, Codable, Equatable {
        public var document: String
        public var title: String?
        public var score: Double
        public var terms: [String]
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, feed, title, link, summary, published, verdict, score, story, exercise, places, countries, rules, similar
        case itemKey = "item_key", firstSeen = "first_seen", duplicateOf = "duplicate_of"
    }

    public init(feed: String, item: Item, verdict: Verdict, firstSeen: Date) {
        id = Alert.id(feed: feed, itemKey: item.id)
        self.feed = feed
        itemKey = item.id
        title = item.title
        link = item.link
        summary = item.text
        published = item.published
        self.firstSeen = firstSeen
        self.verdict = verdict.kind.rawValue
        score = verdict.score
        story = verdict.story
        duplicateOf = verdict.duplicateOf
        exercise = verdict.facts.exercise
        places = verdict.facts.places
        countries = verdict.facts.countries
        rules = verdict.rules.map { Rule(name: $0.name, effect: $0.effect.rawValue, weight: $0.weight, matched: $0.matched) }
        similar = verdict.similar.map { Similar(document: $0.document, title: $0.title, score: $0.score, terms: $0.terms) }
    }

    /// A file-name-safe id: 16 hex digits of FNV-1a over "feed\0key". Titles and GUIDs never
    /// reach the file system, so `../../etc/passwd` as a GUID is harmless.
    public static func id(feed: String, itemKey: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(feed.utf8) + [0] + Array(itemKey.utf8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
