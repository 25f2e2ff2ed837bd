/// The weights of the score: log-odds = bias + Σ weight(feature) × value(feature), one number
/// per named feature. Features are the rules (1 when a rule fires), the best corpus cosine,
/// facts found in the text, and indicators of what kind of item it is:
///
/// | name | value |
/// |---|---|
/// | `rule:NAME` | 1 when the raise/lower rule NAME fires (veto rules are not features: they veto) |
/// | `similarity` | the best cosine with a corpus document, in [0, 1] |
/// | `fact:exercise` | 1 when a series China and Russia hold together is named (Joint Sea, Vostok-2022) |
/// | `fact:other-exercise` | 1 when another named exercise is (Joint Sword, Zapad-2025, a codename with a year) |
/// | `fact:both-countries` | 1 when China and Russia are both named as taking part |
/// | `fact:place` | 1 when a known place is named |
/// | `fact:visiting-forces` | 1 when one of China and Russia is named at a place of the other ("Chinese warships reach Vladivostok") |
/// | `text:words` | the learnt words' log-odds (`TextWeights`) for an item naming both countries taking part or a joint series, when the weights have words; 0 otherwise |
/// | `text:headline-only` | 1 when the item is (almost) only a headline |
/// | `lang:ru`, `lang:zh` | 1 for an item in Russian, in Chinese |
/// | `headline:F` | F's value again when the item is only a headline, 0 otherwise |
///
/// The `headline:` copies let one model weigh evidence differently when a headline is all
/// there is (news-search feeds): a named series in a headline says more than in a long text.
///
/// Weights come from a trained weights file (`drillwatch train`), or, without one, from the
/// configuration as written by hand — the rules' weights and the centred similarity term —
/// which gives the scores drillwatch always gave.
public struct ScoreWeights: Sendable, Equatable {
    public var bias: Double
    public var weights: [String: Double]
    /// Thresholds chosen with the weights (a trained file carries them); nil: the configuration's.
    public var alertThreshold: Double?
    public var reviewThreshold: Double?
    /// The learnt words behind `text:words`; nil: the feature is 0.
    public var text: TextWeights?

    public init(bias: Double, weights: [String: Double], alertThreshold: Double? = nil, reviewThreshold: Double? = nil,
                text: TextWeights? = nil) {
        self.bias = bias
        self.weights = weights
        self.alertThreshold = alertThreshold
        self.reviewThreshold = reviewThreshold
        self.text = text
    }

    public static let similarity = "similarity"
    public static let exercise = "fact:exercise"
    public static let otherExercise = "fact:other-exercise"
    public static let bothCountries = "fact:both-countries"
    public static let place = "fact:place"
    public static let visitingForces = "fact:visiting-forces"
    public static let headlineOnly = "text:headline-only"
    public static let russian = "lang:ru"
    public static let chinese = "lang:zh"
    public static let textWords = "text:words"

    public static func rule(_ name: String) -> String { "rule:" + name }

    /// Every feature of a classifier with these rules, in a fixed order: the base features,
    /// `text:headline-only`, then each base feature's `headline:` copy.
    public static func featureNames(rules: [RuleDefinition]) -> [String] {
        let base = baseFeatureNames(rules: rules)
        return base + [headlineOnly] + base.map(headline)
    }

    public static func baseFeatureNames(rules: [RuleDefinition]) -> [String] {
        rules.filter { $0.effect != .veto }.map { rule($0.name) }
            + [similarity, exercise, otherExercise, bothCountries, place, russian, chinese, visitingForces, textWords]
    }

    public static func headline(_ feature: String) -> String { "headline:" + feature }

    /// The weights a configuration sets by hand: each rule's weight (negative for `lower`), and
    /// `similarity_weight × (cosine − similarity_center)` folded into the bias.
    public static func handSet(_ settings: ClassifierSettings, rules: [RuleDefinition]) -> ScoreWeights {
        var weights: [String: Double] = [:]
        for definition in rules where definition.effect != .veto {
            weights[rule(definition.name)] = definition.signedWeight
        }
        weights[similarity] = settings.similarityWeight
        return ScoreWeights(bias: settings.bias - settings.similarityWeight * settings.similarityCenter, weights: weights)
    }

    /// These weights with the configuration's hand-set value for every pinned rule, and for
    /// any rule the weights do not know (added after training).
    public func applying(pins rules: [RuleDefinition]) -> ScoreWeights {
        var result = self
        for definition in rules where definition.effect != .veto {
            let name = Self.rule(definition.name)
            if definition.pinned || result.weights[name] == nil { result.weights[name] = definition.signedWeight }
        }
        return result
    }

    /// The log-odds of `values` with `weights` (from `values(of:)`: one per feature, in order).
    public func logOdds(_ values: [Double], weights: [Double]) -> Double {
        var sum = bias
        for (value, weight) in zip(values, weights) where value != 0 {
            sum += value * weight
        }
        return sum
    }

    /// The weight of each of `names`, in order (0 for a feature without one).
    public func values(of names: [String]) -> [Double] {
        names.map { weights[$0] ?? 0 }
    }
}

extension RuleDefinition {
    /// The weight as it enters the log-odds: negative for a `lower` rule, 0 for a veto.
    public var signedWeight: Double {
        switch effect {
        case .raise: weight
        case .lower: -abs(weight)
        case .veto: 0
        }
    }
}
