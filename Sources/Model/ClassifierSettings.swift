import Foundation

/// A named keyword rule from the configuration.
public struct RuleDefinition: Sendable, Equatable {
    public var name: String
    public var query: String
    /// Added to the score's log-odds when the rule fires (subtracted for `lower`).
    public var weight: Double
    public var effect: RuleHit.Effect
    /// A weight the user fixed by hand: training leaves it as it is.
    public var pinned: Bool

    public init(name: String, query: String, weight: Double, effect: RuleHit.Effect, pinned: Bool = false) {
        self.name = name
        self.query = query
        self.weight = weight
        self.effect = effect
        self.pinned = pinned
    }
}

/// Thresholds and weights of the verdict; all come from the configuration.
public struct ClassifierSettings: Sendable, Equatable {
    /// Score from which an item is an alert.
    public var alertThreshold: Double = 0.6
    /// Score from which an item is "possibly related" (review).
    public var reviewThreshold: Double = 0.35
    /// Log-odds before any rule fires.
    public var bias: Double = -3.0
    /// Log-odds added per unit of corpus similarity above `similarityCenter` (subtracted below).
    public var similarityWeight: Double = 4.0
    public var similarityCenter: Double = 0.15
    /// Story similarity (max of TF-IDF cosine and MinHash Jaccard) from which an item joins an
    /// earlier story.
    public var duplicateThreshold: Double = 0.5
    /// The same, for two items naming the same exercise with the same year ("Joint Sea-2024"):
    /// different outlets' reports of one named event share less wording than syndicated copies.
    public var sameExerciseThreshold: Double = 0.25
    /// How far back stories are remembered, in days (by publication date).
    public var storyWindowDays: Double = 14
    /// How many similar corpus documents a verdict lists.
    public var similarLimit: Int = 3
    /// Add confirmed alerts to the corpus.
    public var learn: Bool = false
    /// Trained weights (a weights file); nil: the configuration's hand-set weights.
    public var weights: ScoreWeights?

    public init() {}
}
