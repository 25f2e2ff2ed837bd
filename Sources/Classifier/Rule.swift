import Model

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

/// A rule whose query did not parse: names the rule and the column.
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var rule: String
    public var error: QueryError
    public var description: String { "rule '\(rule)': \(error)" }
}

/// A rule ready to run.
struct CompiledRule {
    let definition: RuleDefinition
    let query: Query

    static func compile(_ definition: RuleDefinition, parser: QueryParser) throws(RuleError) -> CompiledRule {
        do {
            return CompiledRule(definition: definition, query: try parser.parse(definition.query))
        } catch {
            throw RuleError(rule: definition.name, error: error)
        }
    }
}
