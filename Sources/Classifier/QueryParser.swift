/// Parses the query language of `Query`. Terms are analysed with the same `Analyzer` as the
/// items, so a rule's words meet the items' words in the same form.
public struct QueryParser {
    private let analyzer: Analyzer

    public init(analyzer: Analyzer) {
        self.analyzer = analyzer
    }

    /// How deep parentheses and NOTs may nest. Parsing, compiling and evaluating a query
    /// recurse once per level; a rule nested thousands deep overflowed the stack.
    public static let maxDepth = 64
    /// How many words, phrases and operators one query may hold. Bounds the query's node
    /// table, and with it the depth of a NEAR chain (each NEAR nests the chain one level).
    public static let maxParts = 2_000

    public func parse(_ text: String) throws(QueryError) -> Query {
        var lexer = Lexer(Array(text.unicodeScalars))
        let tokens = try lexer.tokens()
        try Self.checkSize(tokens)
        var state = State(tokens: tokens, analyzer: analyzer, length: text.unicodeScalars.count)
        guard !tokens.isEmpty else { throw QueryError(column: 1, message: "the query is empty") }
        let query = try state.parseOr(field: nil)
        if let extra = state.peek {
            throw QueryError(column: extra.column, message: extra.kind == .close
                ? "')' without a matching '('" : "unexpected \(extra.display)")
        }
        return query
    }

    /// Rejects a query with too many parts, before any recursion.
    static func checkSize(_ tokens: [Lexeme]) throws(QueryError) {
        var parts = 0
        for token in tokens where token.kind != .open && token.kind != .close {
            parts += 1
            if parts > maxParts {
                throw QueryError(column: token.column, message:
                    "the query has more than \(maxParts) words and operators; split it into several rules")
            }
        }
    }

    // MARK: - Lexer

    struct Lexeme: Equatable {
        enum Kind: Equatable {
            case word(String), prefix(String), phrase(String), field(String)
            case and, or, not, near(Int), open, close
        }
        var kind: Kind
        var column: Int

        var display: String {
            switch kind {
            case .word(let w), .prefix(let w): return "'\(w)'"
            case .phrase(let p): return "\"\(p)\""
            case .field(let f): return "'\(f):'"
            case .and: return "AND"
            case .or: return "OR"
            case .not: return "NOT"
            case .near(let n): return "NEAR/\(n)"
            case .open: return "'('"
            case .close: return "')'"
            }
        }
    }

    struct Lexer {
        let s: [Unicode.Scalar]
        var i = 0
        init(_ s: [Unicode.Scalar]) { self.s = s }

        mutating func tokens() throws(QueryError) -> [Lexeme] {
            var out: [Lexeme] = []
            while i < s.count {
                let c = s[i]
                let column = i + 1
                if c.properties.isWhitespace { i += 1; continue }
                if c == "(" { out.append(Lexeme(kind: .open, column: column)); i += 1; continue }
                if c == ")" { out.append(Lexeme(kind: .close, column: column)); i += 1; continue }
                if c == "\"" || c == "\u{201C}" || c == "\u{201D}" {
                    i += 1
                    let start = i
                    while i < s.count, s[i] != "\"", s[i] != "\u{201D}", s[i] != "\u{201C}" { i += 1 }
                    guard i < s.count else { throw QueryError(column: column, message: "unterminated phrase: a '\"' is missing") }
                    let body = String(String.UnicodeScalarView(s[start..<i]))
                    i += 1
                    guard !body.allSatisfy({ $0.isWhitespace }) else { throw QueryError(column: column, message: "empty phrase") }
                    out.append(Lexeme(kind: .phrase(body), column: column))
                    continue
                }
                let start = i
                while i < s.count, !s[i].properties.isWhitespace, s[i] != "(", s[i] != ")", s[i] != "\"" {
                    if s[i] == ":" { break }
                    i += 1
                }
                let word = String(String.UnicodeScalarView(s[start..<i]))
                if i < s.count, s[i] == ":" {
                    i += 1
                    guard word == "title" || word == "text" else {
                        throw QueryError(column: column, message: "unknown field '\(word):' (fields are title: and text:)")
                    }
                    out.append(Lexeme(kind: .field(word), column: column))
                    continue
                }
                out.append(try Self.lexeme(word, column: column))
            }
            return out
        }

        /// An operator, a wildcard prefix or a word.
        private static func lexeme(_ word: String, column: Int) throws(QueryError) -> Lexeme {
            switch word {
            case "AND": return Lexeme(kind: .and, column: column)
            case "OR": return Lexeme(kind: .or, column: column)
            case "NOT": return Lexeme(kind: .not, column: column)
            case _ where word.hasPrefix("NEAR/") || word == "NEAR":
                guard let n = Int(word.dropFirst(5)), n >= 0, n <= 1000 else {
                    throw QueryError(column: column, message: "NEAR needs a distance, as in NEAR/5")
                }
                return Lexeme(kind: .near(n), column: column)
            case _ where word.hasPrefix("*"):
                throw QueryError(column: column, message: "a wildcard needs at least one letter before '*'")
            case _ where word.hasSuffix("*"):
                let stem = String(word.dropLast())
                guard !stem.isEmpty, !stem.contains("*") else {
                    throw QueryError(column: column, message: "a wildcard needs at least one letter before '*'")
                }
                return Lexeme(kind: .prefix(stem), column: column)
            case _ where word.contains("*"):
                throw QueryError(column: column + (word.firstIndex(of: "*").map { word.distance(from: word.startIndex, to: $0) } ?? 0),
                                 message: "'*' is only allowed at the end of a word")
            default:
                return Lexeme(kind: .word(word), column: column)
            }
        }
    }

    // MARK: - Grammar
    //   or    := and ("OR" and)*
    //   and   := near (["AND"] near)*
    //   near  := unary ("NEAR/n" unary)*
    //   unary := "NOT" unary | [field] primary
    //   primary := word | prefix* | "phrase" | "(" or ")"

    struct State {
        let tokens: [Lexeme]
        let analyzer: Analyzer
        let length: Int
        var index = 0
        /// Parentheses and NOTs open around the current token.
        var depth = 0

        var peek: Lexeme? { index < tokens.count ? tokens[index] : nil }
        var endColumn: Int { length + 1 }

        mutating func parseOr(field: Query.Field?) throws(QueryError) -> Query {
            var parts = [try parseAnd(field: field)]
            while peek?.kind == .or {
                index += 1
                parts.append(try parseAnd(field: field))
            }
            return parts.count == 1 ? parts[0] : .or(parts)
        }

        mutating func parseAnd(field: Query.Field?) throws(QueryError) -> Query {
            var parts = [try parseNear(field: field)]
            while let next = peek {
                if next.kind == .and {
                    index += 1
                    parts.append(try parseNear(field: field))
                } else if startsOperand(next) {
                    parts.append(try parseNear(field: field))
                } else {
                    break
                }
            }
            return parts.count == 1 ? parts[0] : .and(parts)
        }

        mutating func parseNear(field: Query.Field?) throws(QueryError) -> Query {
            let leftColumn = peek?.column ?? endColumn
            var left = try parseUnary(field: field)
            while let next = peek, case .near(let distance) = next.kind {
                index += 1
                let rightColumn = peek?.column ?? endColumn
                let right = try parseUnary(field: field)
                guard left.isPositional else {
                    throw QueryError(column: leftColumn, message: "NEAR needs words, phrases or groups of them on its left, not NOT")
                }
                guard right.isPositional else {
                    throw QueryError(column: rightColumn, message: "NEAR needs words, phrases or groups of them on its right, not NOT")
                }
                left = .near(left, right, distance: distance)
            }
            return left
        }

        mutating func parseUnary(field: Query.Field?) throws(QueryError) -> Query {
            guard let next = peek else { throw QueryError(column: endColumn, message: "the query ends where a word was expected") }
            if next.kind == .not {
                index += 1
                try enter(next)
                defer { depth -= 1 }
                return .not(try parseUnary(field: field))
            }
            var field = field
            if case .field(let name) = next.kind {
                index += 1
                field = Query.Field(rawValue: name)
                guard let after = peek, startsOperand(after) || after.kind == .not else {
                    throw QueryError(column: next.column, message: "'\(name):' must be followed by a word, a phrase or a group")
                }
                if after.kind == .not { return try parseUnary(field: field) }
            }
            return try parsePrimary(field: field)
        }

        mutating func parsePrimary(field: Query.Field?) throws(QueryError) -> Query {
            guard let next = peek else { throw QueryError(column: endColumn, message: "the query ends where a word was expected") }
            index += 1
            switch next.kind {
            case .word(let word):
                return try words(word, field: field, column: next.column, prefixLast: false)
            case .prefix(let word):
                return try words(word, field: field, column: next.column, prefixLast: true)
            case .phrase(let text):
                return try words(text, field: field, column: next.column, prefixLast: false, forcePhrase: true)
            case .open:
                guard let inner = peek, inner.kind != .close else {
                    throw QueryError(column: next.column, message: "empty parentheses")
                }
                try enter(next)
                defer { depth -= 1 }
                let query = try parseOr(field: field)
                guard peek?.kind == .close else {
                    throw QueryError(column: next.column, message: "'(' is never closed")
                }
                index += 1
                return query
            default:
                throw QueryError(column: next.column, message: "\(next.display) where a word was expected")
            }
        }

        /// Goes one level deeper (into a group or a NOT), or stops before the stack could overflow.
        mutating func enter(_ lexeme: Lexeme) throws(QueryError) {
            depth += 1
            guard depth <= QueryParser.maxDepth else {
                throw QueryError(column: lexeme.column, message:
                    "parentheses and NOTs are nested more than \(QueryParser.maxDepth) deep; write the query flatter")
            }
        }

        func startsOperand(_ lexeme: Lexeme) -> Bool {
            switch lexeme.kind {
            case .word, .prefix, .phrase, .open, .field, .not: return true
            default: return false
            }
        }

        /// Analyses a word or phrase: one token is a term, several (a phrase, or a word the
        /// analyzer splits, such as `Sea-2024` or 联合演习) a phrase.
        func words(_ text: String, field: Query.Field?, column: Int, prefixLast: Bool, forcePhrase: Bool = false) throws(QueryError) -> Query {
            let tokens = analyzer.analyze(text)
            guard !tokens.isEmpty else { throw QueryError(column: column, message: "'\(text)' holds no word to match") }
            var parts: [Query] = tokens.map { .term($0.term, field: field) }
            if prefixLast, let last = tokens.last {
                parts[parts.count - 1] = .prefix(last.surface, field: field)
            }
            // A phrase ending in "word*" keeps the wildcard on its last word.
            if forcePhrase, let lastWord = text.split(separator: " ").last, lastWord.hasSuffix("*"), let last = tokens.last {
                parts[parts.count - 1] = .prefix(last.surface, field: field)
            }
            return parts.count == 1 ? parts[0] : .phrase(parts, field: field)
        }
    }
}
