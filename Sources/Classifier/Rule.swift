import Model

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
