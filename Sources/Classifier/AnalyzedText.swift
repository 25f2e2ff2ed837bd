/// An item's title and body, analysed once and indexed for rule matching and similarity.
public struct AnalyzedText: Sendable {
    /// Title tokens first, then body tokens; a token's index in this array is its identity.
    public let tokens: [Token]
    /// How many of `tokens` belong to the title.
    public let titleCount: Int
    /// Token indices by term id.
    let indicesByTerm: [Int32: [Int]]

    /// Body positions start this far after the title's, so no phrase or NEAR spans both.
    static let bodyOffset = 100_000

    public init(title: String, body: String, analyzer: Analyzer) {
        let titleTokens = analyzer.analyze(title)
        let bodyTokens = analyzer.analyze(body, startPosition: Self.bodyOffset)
        tokens = titleTokens + bodyTokens
        titleCount = titleTokens.count
        var index: [Int32: [Int]] = [:]
        index.reserveCapacity(tokens.count)
        for (i, token) in tokens.enumerated() { index[token.termID, default: []].append(i) }
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

/// Queries compiled into one table of shared nodes. Rules repeat the same groups of words
/// ("china OR chinese OR …" appears in a dozen rules); identical sub-queries become one node,
/// evaluated once per item.
final class QueryProgram {
    enum Node {
        case term(Int32, Query.Field?)
        case prefix([UInt8], Query.Field?)
        case phrase([Int], Query.Field?)
        case and([Int])
        case or([Int])
        case not(Int)
        case near(Int, Int, Int)
    }

    private(set) var nodes: [Node] = []
    private var ids: [String: Int] = [:]
    let analyzer: Analyzer
    /// Prefix nodes, and for each surface id seen, the prefix nodes its word matches.
    private var prefixNodes: [(id: Int, bytes: [UInt8])] = []
    private var prefixMatches: [Int32: [Int]] = [:]

    init(analyzer: Analyzer) {
        self.analyzer = analyzer
    }

    /// The prefix nodes a word matches (computed once per distinct word).
    func prefixes(matching surfaceID: Int32) -> [Int] {
        if let known = prefixMatches[surfaceID] { return known }
        let bytes = Array(analyzer.surfaceNames[Int(surfaceID)].utf8)
        let matching = prefixNodes.filter { bytes.starts(with: $0.bytes) }.map(\.id)
        if prefixMatches.count > 1_000_000 { prefixMatches.removeAll(keepingCapacity: true) }
        prefixMatches[surfaceID] = matching
        return matching
    }

    /// Adds a query; returns the id of its root node.
    func add(_ query: Query) -> Int {
        switch query {
        case .term(let term, let field):
            return intern("t\(field?.rawValue ?? ""):\(term)", .term(analyzer.termID(term), field))
        case .prefix(let prefix, let field):
            let id = intern("p\(field?.rawValue ?? ""):\(prefix)", .prefix(Array(prefix.utf8), field))
            if !prefixNodes.contains(where: { $0.id == id }) {
                prefixNodes.append((id, Array(prefix.utf8)))
                prefixMatches.removeAll()
            }
            return id
        case .phrase(let parts, let field):
            let children = parts.map(add)
            return intern("ph\(field?.rawValue ?? ""):\(children)", .phrase(children, field))
        case .and(let parts):
            let children = parts.map(add)
            return intern("and:\(children)", .and(children))
        case .or(let parts):
            let children = parts.map(add)
            return intern("or:\(children)", .or(children))
        case .not(let inner):
            let child = add(inner)
            return intern("not:\(child)", .not(child))
        case .near(let a, let b, let distance):
            let left = add(a), right = add(b)
            return intern("near:\(left),\(right),\(distance)", .near(left, right, distance))
        }
    }

    private func intern(_ key: String, _ node: Node) -> Int {
        if let id = ids[key] { return id }
        let id = nodes.count
        nodes.append(node)
        ids[key] = id
        return id
    }
}

/// Evaluates a program's nodes against one text, each node at most once.
struct QueryEvaluator {
    typealias Result = (matched: Bool, spans: [Span])

    let program: QueryProgram
    let text: AnalyzedText
    private var memo: [Result?]
    /// Token indices by prefix node, found in one pass over the tokens.
    private let prefixHits: [Int: [Int]]

    init(program: QueryProgram, text: AnalyzedText) {
        self.program = program
        self.text = text
        memo = Array(repeating: nil, count: program.nodes.count)
        var hits: [Int: [Int]] = [:]
        for (index, token) in text.tokens.enumerated() {
            for node in program.prefixes(matching: token.surfaceID) { hits[node, default: []].append(index) }
        }
        prefixHits = hits
    }

    mutating func evaluate(_ id: Int) -> Result {
        if let known = memo[id] { return known }
        let result: Result
        switch program.nodes[id] {
        case .term(let term, let field):
            let spans = (text.indicesByTerm[term] ?? []).filter { text.inField($0, field) }.map { Span(first: $0, last: $0) }
            result = (!spans.isEmpty, spans)
        case .prefix(_, let field):
            let spans = (prefixHits[id] ?? []).filter { text.inField($0, field) }.map { Span(first: $0, last: $0) }
            result = (!spans.isEmpty, spans)
        case .phrase(let parts, let field):
            var spans: [Span] = []
            if let first = parts.first {
                for start in evaluate(first).spans where text.inField(start.first, field) {
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
            }
            result = (!spans.isEmpty, spans)
        case .and(let parts):
            var spans: [Span] = []
            var matched = true
            for part in parts {
                let partial = evaluate(part)
                if !partial.matched { matched = false; spans = []; break }
                spans += partial.spans
            }
            result = (matched, spans)
        case .or(let parts):
            var matched = false
            var spans: [Span] = []
            for part in parts {
                let partial = evaluate(part)
                if partial.matched { matched = true; spans += partial.spans }
            }
            result = (matched, spans)
        case .not(let inner):
            result = (!evaluate(inner).matched, [])
        case .near(let a, let b, let distance):
            result = near(evaluate(a).spans, evaluate(b).spans, distance)
        }
        memo[id] = result
        return result
    }

    private func matchesSingle(_ id: Int, at index: Int) -> Bool {
        switch program.nodes[id] {
        case .term(let term, _): return text.tokens[index].termID == term
        case .prefix: return program.prefixes(matching: text.tokens[index].surfaceID).contains(id)
        default: return false
        }
    }

    /// The spans of either side that have a partner on the other side within `distance`
    /// words, each once. Listing every pair instead made nested NEARs multiply their spans
    /// level by level (a fuzzed rule took minutes); and the right side is searched by position,
    /// so a frequent word on both sides costs its window, not the product of the counts.
    private func near(_ left: [Span], _ right: [Span], _ distance: Int) -> Result {
        let tokens = text.tokens
        let candidates = Array(Set(right)).sorted { ($0.first, $0.last) < ($1.first, $1.last) }
        let longest = candidates.map { tokens[$0.last].position - tokens[$0.first].position }.max() ?? 0
        var keptLeft = Set<Span>(), keptRight = Set<Span>()
        for l in Set(left) {
            // A partner starts no earlier than this (it may end just before `l`, or overlap it)…
            let earliest = tokens[l.first].position - distance - 1 - longest
            // …and no later than this.
            let latest = tokens[l.last].position + distance + 1
            var low = 0, high = candidates.count
            while low < high {
                let middle = (low + high) / 2
                if tokens[candidates[middle].first].position < earliest { low = middle + 1 } else { high = middle }
            }
            var k = low
            while k < candidates.count && tokens[candidates[k].first].position <= latest {
                if gap(l, candidates[k]) <= distance {
                    keptLeft.insert(l)
                    keptRight.insert(candidates[k])
                }
                k += 1
            }
        }
        let spans = keptLeft.union(keptRight).sorted { ($0.first, $0.last) < ($1.first, $1.last) }
        return (!spans.isEmpty, spans)
    }

    /// Words between two spans: 0 for neighbours (and for overlapping spans).
    private func gap(_ a: Span, _ b: Span) -> Int {
        let tokens = text.tokens
        if a.last < b.first { return tokens[b.first].position - tokens[a.last].position - 1 }
        if b.last < a.first { return tokens[a.first].position - tokens[b.last].position - 1 }
        return 0
    }
}

/// Evaluates single queries against analysed text (for tests and one-off matching).
struct QueryMatcher {
    let text: AnalyzedText
    let analyzer: Analyzer

    func evaluate(_ query: Query) -> (matched: Bool, spans: [Span]) {
        let program = QueryProgram(analyzer: analyzer)
        let root = program.add(query)
        var evaluator = QueryEvaluator(program: program, text: text)
        return evaluator.evaluate(root)
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
