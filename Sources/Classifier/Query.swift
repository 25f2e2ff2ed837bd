/// A keyword query, in a small language familiar from search engines:
///
///     china AND russia               both words (AND is also implied between neighbours)
///     drill OR exercise              either
///     NOT earthquake                 the item must not contain it
///     "joint sea"                    a phrase: consecutive words
///     exercis*                       a prefix: exercise, exercises, exercising
///     (bomber OR warplane) NEAR/5 (china OR chinese)   at most five words between them
///     title:drill  text:"sea of japan"                   one field only
///
/// Words are compared after analysis (case folding and stemming), so `drill` matches "Drills"
/// and `учения` matches "учений"; operators must be written in capitals.
public indirect enum Query: Sendable, Equatable {
    public enum Field: String, Sendable { case title, text }

    /// A stemmed term.
    case term(String, field: Field?)
    /// A folded, unstemmed prefix.
    case prefix(String, field: Field?)
    /// Consecutive parts (each a `.term` or `.prefix`).
    case phrase([Query], field: Field?)
    case and([Query])
    case or([Query])
    case not(Query)
    /// Both sides match with at most `distance` words between them.
    case near(Query, Query, distance: Int)

    /// True when the query can yield word positions (so it can stand beside NEAR).
    var isPositional: Bool {
        switch self {
        case .term, .prefix, .phrase: return true
        case .or(let parts), .and(let parts): return parts.allSatisfy(\.isPositional)
        // The parser builds a NEAR only from positional operands; not looking inside keeps a
        // long NEAR chain from being walked again at every link (quadratic, and deep).
        case .near: return true
        case .not: return false
        }
    }
}

/// A query that could not be parsed, with the 1-based column of the problem.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var column: Int
    public var message: String
    public var description: String { "column \(column): \(message)" }
}
