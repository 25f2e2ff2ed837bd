import Model

/// An item's terms and pairs of terms with their counts, as `TextWeights` reads them: every
/// token's term (stop words too: "sail *with*", "joint *in*"), and each two tokens that follow
/// one another within the headline or within the body, joined by a space.
public struct TermCounts: Sendable, Equatable {
    public private(set) var counts: [String: Int] = [:]

    public init(_ text: AnalyzedText) {
        let tokens = text.tokens
        counts.reserveCapacity(tokens.count * 2)
        text.forEachTermAndPair { first, second in
            counts[second.map { tokens[first].term + " " + tokens[$0].term } ?? tokens[first].term, default: 0] += 1
        }
    }

    /// The Euclidean length of the counts: each term's value is its count over this.
    public var length: Double { euclideanLength(counts.values) }
}

extension AnalyzedText {
    /// Calls `body(index, nil)` for every token, and `body(index, index + 1)` for every two
    /// tokens that follow one another within the headline or within the body: the terms and
    /// pairs the learnt words read, by string when training and by id when reading items.
    func forEachTermAndPair(_ body: (Int, Int?) -> Void) {
        for index in tokens.indices {
            body(index, nil)
            if index + 1 < tokens.count, index + 1 != titleCount { body(index, index + 1) }
        }
    }
}

/// The square root of the sum of the counts squared.
func euclideanLength(_ counts: some Sequence<Int>) -> Double {
    counts.reduce(0) { $0 + Double($1 * $1) }.squareRoot()
}

/// `TextWeights` by the analyser's term ids, for reading items: counting an item's terms and
/// pairs then hashes integers, not strings made for each pair (that was most of the words'
/// cost). The values are `TermCounts`' exactly: one key per term, one per pair, the same
/// pairs (a term holds no space, so "a b" is one pair and only one).
///
/// Immutable once built, so shared by the reading threads.
struct CompiledWords: Sendable {
    let bias: Double
    private let weights: [UInt64: Double]
    /// Each key's term as the weights file writes it: ties between equal shares are broken by
    /// it, so an explanation names the same words in every process (ids are not: they follow
    /// the order texts first brought words to the lexicon).
    private let names: [UInt64: String]

    /// Interns every term of `words` in `analyzer`'s lexicon (a term no text has met yet gets
    /// the id it will have when one does), in sorted order, so that the ids do not follow the
    /// dictionary's per-process hashing.
    init(_ words: TextWeights, analyzer: Analyzer) {
        bias = words.bias
        var weights: [UInt64: Double] = [:]
        var names: [UInt64: String] = [:]
        weights.reserveCapacity(words.terms.count)
        names.reserveCapacity(words.terms.count)
        for term in words.terms.keys.sorted() {
            let parts = term.split(separator: " ", omittingEmptySubsequences: false)
            let key: UInt64
            switch parts.count {
            case 1: key = Self.key(analyzer.termID(term))
            case 2: key = Self.key(analyzer.termID(String(parts[0])), analyzer.termID(String(parts[1])))
            default: continue  // not a term a text can have
            }
            weights[key] = words.terms[term]
            names[key] = term
        }
        self.weights = weights
        self.names = names
    }

    /// A pair's key holds both ids (the first's sign bit is 0: ids are not negative); a
    /// term's has that bit set.
    static func key(_ term: Int32) -> UInt64 { 1 << 63 | UInt64(UInt32(bitPattern: term)) }
    static func key(_ first: Int32, _ second: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: first)) << 32 | UInt64(UInt32(bitPattern: second))
    }

    /// Each term's and pair's count in `text`, by key, as `TermCounts` counts them.
    func counts(_ text: AnalyzedText) -> [UInt64: Int] {
        var counts: [UInt64: Int] = [:]
        counts.reserveCapacity(text.tokens.count * 2)
        text.forEachTermAndPair { counts[key(text, $0, $1), default: 0] += 1 }
        return counts
    }

    /// The key of a token's term, or of a pair of tokens' terms.
    private func key(_ text: AnalyzedText, _ first: Int, _ second: Int?) -> UInt64 {
        second.map { Self.key(text.tokens[first].termID, text.tokens[$0].termID) } ?? Self.key(text.tokens[first].termID)
    }

    /// The words' log-odds for a text: the bias, and each known term's and pair's weight times
    /// its count over the text's length (`TermCounts.length`), clipped to ±`TextWeights.limit`.
    func logOdds(_ counts: [UInt64: Int]) -> Double {
        let length = euclideanLength(counts.values)
        var sum = 0.0
        if length > 0 {
            for (key, count) in counts {
                if let weight = weights[key] { sum += weight * Double(count) }
            }
            sum /= length
        }
        return TextWeights.clipped(bias + sum)
    }

    /// The `limit` terms and pairs of `text` that moved the log-odds most, for and against,
    /// as the text first writes them ("Joint Sea", "Japan's"), with their shares.
    func strongest(_ counts: [UInt64: Int], in text: AnalyzedText, limit: Int) -> [(written: String, logOdds: Double)] {
        let length = euclideanLength(counts.values)
        guard length > 0, limit > 0 else { return [] }
        // The largest shares, kept in order as they are found: a handful among hundreds.
        var best: [(key: UInt64, share: Double)] = []
        func isAhead(_ key: UInt64, _ share: Double, of other: (key: UInt64, share: Double)) -> Bool {
            abs(share) != abs(other.share) ? abs(share) > abs(other.share) : names[key] ?? "" < names[other.key] ?? ""
        }
        for (key, count) in counts {
            guard let weight = weights[key], weight != 0 else { continue }
            let share = weight * Double(count) / length
            guard best.count < limit || isAhead(key, share, of: best[best.count - 1]) else { continue }
            best.insert((key, share), at: best.firstIndex { isAhead(key, share, of: $0) } ?? best.count)
            if best.count > limit { best.removeLast() }
        }
        var written: [UInt64: String] = [:]
        let wanted = Set(best.map(\.key))
        text.forEachTermAndPair { first, second in
            let key = key(text, first, second)
            guard wanted.contains(key), written[key] == nil else { return }
            written[key] = second.map { text.tokens[first].original + " " + text.tokens[$0].original } ?? text.tokens[first].original
        }
        return best.map { (written[$0.key] ?? "?", $0.share) }
    }
}
