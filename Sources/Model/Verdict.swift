import Foundation

/// What the classifier decided about one item, and why.
public struct Verdict: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A relevant new story: write an alert.
        case alert
        /// Relevant, but a story already alerted (another outlet, a rewrite, an update).
        case duplicate
        /// Borderline: listed in the digest as "possibly related".
        case review
        /// Not about a China–Russia joint drill.
        case ignore

        /// True for the verdicts that mean "this reports a joint drill".
        public var isRelevant: Bool { self == .alert || self == .duplicate }
    }

    public var kind: Kind
    /// Confidence that the item reports a China–Russia joint drill, in [0, 1].
    public var score: Double
    /// Keyword rules that fired, with the words they matched.
    public var rules: [RuleHit]
    /// The most similar corpus documents.
    public var similar: [SimilarDocument]
    /// The story the item belongs to (a new one for an alert), when relevant.
    public var story: String?
    /// For a duplicate: the id of the item that first told the story.
    public var duplicateOf: String?
    /// How close the item is to that story, in [0, 1].
    public var storySimilarity: Double?
    public var facts: EventFacts
    /// Rules that gave up on this item at their work bound (a hostile text or query); they
    /// count as not matched.
    public var unfinishedRules: [String] = []
    /// What moved the score most, largest first: each feature's share of the log-odds
    /// (positive for, negative against), after the bias.
    public var contributions: [Contribution] = []
    /// The learnt words that moved `text:words` most, as the item writes them ("joint sea",
    /// "scrambled jets"), each with its share of the log-odds; empty when they did not count.
    public var words: [Contribution] = []
    /// The log-odds before any feature, and the score from which the item alerts.
    public var bias: Double = 0
    public var alertThreshold: Double = 0

    /// One feature's share of the score's log-odds.
    public struct Contribution: Sendable, Equatable, Codable {
        /// The feature's name as the weights file has it (`rule:joint-patrol`, `fact:exercise`).
        public var feature: String
        public var logOdds: Double

        public init(feature: String, logOdds: Double) {
            self.feature = feature
            self.logOdds = logOdds
        }

        enum CodingKeys: String, CodingKey {
            case feature, logOdds = "log_odds"
        }
    }

    /// How the score came about, for a record that outlives the verdict; nil when the
    /// reasons were not worked out (an item surely ignored).
    public var explanation: ScoreExplanation? {
        contributions.isEmpty ? nil : ScoreExplanation(bias: bias, alertThreshold: alertThreshold, contributions: contributions, words: words)
    }

    public init(kind: Kind, score: Double, rules: [RuleHit] = [], similar: [SimilarDocument] = [],
                story: String? = nil, duplicateOf: String? = nil, storySimilarity: Double? = nil,
                facts: EventFacts = EventFacts()) {
        self.kind = kind
        self.score = score
        self.rules = rules
        self.similar = similar
        self.story = story
        self.duplicateOf = duplicateOf
        self.storySimilarity = storySimilarity
        self.facts = facts
    }
}

/// How a score came about, as `classify --explain` shows it: the log-odds before any feature,
/// the features that moved them most (largest first), and the score from which an item alerts.
public struct ScoreExplanation: Sendable, Equatable, Codable {
    public var bias: Double
    public var alertThreshold: Double
    public var contributions: [Verdict.Contribution]
    /// `Verdict.words`.
    public var words: [Verdict.Contribution]

    public init(bias: Double, alertThreshold: Double, contributions: [Verdict.Contribution], words: [Verdict.Contribution] = []) {
        self.bias = bias
        self.alertThreshold = alertThreshold
        self.contributions = contributions
        self.words = words
    }

    enum CodingKeys: String, CodingKey {
        case bias, contributions, words, alertThreshold = "alert_threshold"
    }

    /// Explanations stored before the learnt words existed have none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bias = try container.decode(Double.self, forKey: .bias)
        alertThreshold = try container.decode(Double.self, forKey: .alertThreshold)
        contributions = try container.decode([Verdict.Contribution].self, forKey: .contributions)
        words = try container.decodeIfPresent([Verdict.Contribution].self, forKey: .words) ?? []
    }
}

/// An analyst's judgement of an alert (`drillwatch feedback`): it reports a China–Russia
/// joint drill, or it is a false alarm.
public enum AnalystVerdict: String, Sendable, Codable, CaseIterable {
    case right, wrong
}

/// A keyword rule that matched.
public struct RuleHit: Sendable, Equatable, Codable {
    public enum Effect: String, Sendable, Codable {
        case raise, lower, veto
    }

    public var name: String
    public var effect: Effect
    /// The signed contribution to the score's log-odds (0 for a veto).
    public var weight: Double
    /// The words of the item that matched, as they were written.
    public var matched: [String]

    public init(name: String, effect: Effect, weight: Double, matched: [String]) {
        self.name = name
        self.effect = effect
        self.weight = weight
        self.matched = matched
    }
}

/// A corpus document close to the item.
public struct SimilarDocument: Sendable, Equatable, Codable {
    public var document: String
    public var title: String?
    /// Cosine similarity of TF-IDF vectors, in [0, 1].
    public var score: Double
    /// The shared terms that contributed most.
    public var terms: [String]

    public init(document: String, title: String? = nil, score: Double, terms: [String]) {
        self.document = document
        self.title = title
        self.score = score
        self.terms = terms
    }
}

/// Facts about the event an item reports, for alerts and digests ("Joint Sea-2025 · Sea of Japan").
public struct EventFacts: Sendable, Equatable, Codable {
    /// The exercise's name as usually written, with its year when given: "Joint Sea-2025".
    public var exercise: String?
    public var places: [String]
    /// Countries named as taking part, in English: ["China", "Russia", "Iran"].
    public var countries: [String]

    public init(exercise: String? = nil, places: [String] = [], countries: [String] = []) {
        self.exercise = exercise
        self.places = places
        self.countries = countries
    }

    /// "Joint Sea-2025 · Sea of Japan"
    public var headline: String {
        ([exercise].compactMap { $0 } + places.prefix(2)).joined(separator: " · ")
    }
}
