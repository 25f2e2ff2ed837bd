/// An item's title and body, analysed once and indexed for rule matching and similarity.
public struct AnalyzedText: Sendable {
    /// Title tokens first, then body tokens; a token's index in this array is its identity.
    public let tokens: [Token]
    /// How many of `tokens` belong to the title.
    public let titleCount: Int
    /// Token indices by stemmed term.
    let indicesByTerm: [String: [Int]]

    /// Body positions start this far after the title's, so no phrase or NEAR spans both.
    static let bodyOffset = 100_000

    public init(title: String, body: String, analyzer: Analyzer) {
        let titleTokens = analyzer.analyze(title)
        let bodyTokens = analyzer.analyze(body, startPosition: Self.bodyOffset)
        tokens = titleTokens + bodyTokens
        titleCount = titleTokens.count
        var index: [String: [Int]] = [:]
        for (i, token) in tokens.enumerated() { index[token.term, default: []].append(i) }
        indicesByTerm = index
    }

    func isTitle(_ index: Int) -> Bool { index < titleCount }

    func inField(_ index: Int, _ field: Query.Field?) -> Bool {
        switch field {
        case nil: return true
        case .title?: return index < titleCount
        case .text?: return index >= titleCount
        }
    }
}

/// A stretch of matched tokens (indices into `AnalyzedText.tokens`, inclusive).
struct Span: Hashable {
    var first: Int
    var last: Int
}

/// Evaluates queries against analysed text.
struct QueryMatcher {
    let text: AnalyzedText

    /// Whether the query matches, and the spans of words that made it match.
    func evaluate(_ query: Query) -> (matched: Bool, spans: [Span]) {
        switch query {
        case .term, .prefix, .phrase:
            let spans = positional(query)
            return (!spans.isEmpty, spans)
        case .and(let parts):
            var spans: [Span] = []
            for part in parts {
                let (matched, partSpans) = evaluate(part)
                if !matched { return (false, []) }
                spans += partSpans
            }
            return (true, spans)
        case .or(let parts):
            var matched = false
            var spans: [Span] = []
            for part in parts {
                let result = evaluate(part)
                if result.matched { matched = true; spans += result.spans }
            }
            return (matched, spans)
        case .not(let inner):
            return (!evaluate(inner).matched, [])
        case .near(let a, let b, let distance):
            let left = evaluate(a).spans, right = evaluate(b).spans
            var spans: [Span] = []
            for l in left {
                for r in right where gap(l, r) <= distance {
                    spans.append(l)
                    spans.append(r)
                }
            }
            return (!spans.isEmpty, spans)
        }
    }

    /// Words between two spans: 0 for neighbours (and for overlapping spans).
    private func gap(_ a: Span, _ b: Span) -> Int {
        let tokens = text.tokens
        if a.last < b.first { return tokens[b.first].position - tokens[a.last].position - 1 }
        if b.last < a.first { return tokens[a.first].position - tokens[b.last].position - 1 }
        return 0
    }

    private func positional(_ query: Query) -> [Span] {
        switch query {
        case .term(let term, let field):
            return (text.indicesByTerm[term] ?? []).filter { text.inField($0, field) }.map { Span(first: $0, last: $0) }
        case .prefix(let prefix, let field):
            var spans: [Span] = []
            for (index, token) in text.tokens.enumerated() where token.surface.hasPrefix(prefix) && text.inField(index, field) {
                spans.append(Span(first: index, last: index))
            }
            return spans
        case .phrase(let parts, let field):
            guard let first = parts.first else { return [] }
            var spans: [Span] = []
            for start in positional(first) where text.inField(start.first, field) {
                var index = start.first
                var ok = true
                for part in parts.dropFirst() {
                    let next = index + 1
                    guard next < text.tokens.count, text.tokens[next].position == text.tokens[index].position + 1,
                          matchesSingle(part, at: next) else { ok = false; break }
                    index = next
                }
                if ok { spans.append(Span(first: start.first, last: index)) }
            }
            return spans
        case .or(let parts):
            return parts.flatMap { evaluate($0).spans }
        case .and, .not, .near:
            return evaluate(query).spans
        }
    }

    private func matchesSingle(_ part: Query, at index: Int) -> Bool {
        switch part {
        case .term(let term, _): return text.tokens[index].term == term
        case .prefix(let prefix, _): return text.tokens[index].surface.hasPrefix(prefix)
        default: return false
        }
    }

    /// The words behind spans, as written, without repeats: ["China", "joint drills"].
    func words(_ spans: [Span], limit: Int = 6) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for span in spans.sorted(by: { $0.first < $1.first }) {
            let phrase = text.tokens[span.first...span.last].map(\.original).joined(separator: " ")
            if seen.insert(phrase.lowercased()).inserted {
                out.append(phrase)
                if out.count == limit { break }
            }
        }
        return out
    }
}
