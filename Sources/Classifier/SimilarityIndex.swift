import Foundation
import Locking

/// A sparse TF-IDF vector, L2-normalised, terms sorted by id.
public struct TermVector: Sendable {
    public var terms: [Int32] = []
    public var weights: [Float] = []

    /// Cosine similarity (both vectors are normalised).
    public func cosine(_ other: TermVector) -> Double {
        var i = 0, j = 0
        var sum: Float = 0
        while i < terms.count && j < other.terms.count {
            if terms[i] == other.terms[j] {
                sum += weights[i] * other.weights[j]
                i += 1; j += 1
            } else if terms[i] < other.terms[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return Double(min(1, sum))
    }
}

/// An inverted index over the corpus with TF-IDF weights: `(1 + ln tf) × idf`, smoothed idf
/// `ln((1 + N) / (1 + df)) + 1`, vectors normalised so a dot product is a cosine in [0, 1].
/// For an item it returns the most similar documents and the shared terms that contributed
/// most. Scoring touches only the postings of the item's terms, so a 10 000-document corpus
/// costs little more per item than a small one.
///
/// Documents added later (`learn = true`) are weighted with the idf of the time; `rebuild`
/// recomputes every weight when the corpus has grown enough for that to matter.
public final class SimilarityIndex {
    // Read for every item, written only while the index is built or a learning classifier
    // adds a document (which then reads one item at a time): checked for exclusivity
    // statically only. The run-time check sees overlaps within one thread, and none is
    // re-entrant.
    @exclusivity(unchecked) public private(set) var documents: [CorpusDocument] = []
    /// Index term id by analyzer term id (-1: not in the corpus). A dense array: the
    /// analyzer numbers its terms from 0.
    @exclusivity(unchecked) private var vocabulary: [Int32] = []
    @exclusivity(unchecked) private var termNames: [String] = []
    @exclusivity(unchecked) private var documentFrequency: [Int32] = []
    @exclusivity(unchecked) private var postings: [[(document: Int32, weight: Float)]] = []
    @exclusivity(unchecked) private(set) var vectors: [TermVector] = []
    @exclusivity(unchecked) private var idfDocumentCount = 0
    /// A query's working arrays, reused between queries so that scoring allocates nothing
    /// per item; kept in a pool, so that queries on several threads each work on their own.
    fileprivate struct Scratch {
        var accumulator: [Float] = []
        /// `smallCorpusScores`' sums, apart from `accumulator`: that one is sized together with
        /// `touched` and `reachedFully`, which a small corpus's scoring never sizes.
        var sums: [Float] = []
        var touched: [Int32] = []
        var reachedFully: [Bool] = []
        /// The query's weight by index term id (0 for terms it lacks), between `spread` and `clear`.
        var queryWeights: [Float] = []
        /// An item's term counts by index term id while its vector is made (0 otherwise).
        var termCounts: [Float] = []
    }
    private let scratchPool = Locked<[Scratch]>([])

    public init() {}

    public var count: Int { documents.count }

    /// Builds the index from scratch.
    public func build(_ documents: [CorpusDocument], analyzer: Analyzer) {
        self.documents = []
        vocabulary = []
        termNames = []
        documentFrequency = []
        let counts = documents.map { termCounts(title: $0.title ?? "", body: $0.body, analyzer: analyzer, register: true) }
        for termCount in counts {
            for term in termCount.keys { documentFrequency[Int(term)] += 1 }
        }
        idfDocumentCount = documents.count
        self.documents = documents
        vectors = counts.map { documentVector(vector($0)) }
        reindexPostings()
    }

    /// Adds one document with the current weights.
    public func add(_ document: CorpusDocument, analyzer: Analyzer) {
        let counts = termCounts(title: document.title ?? "", body: document.body, analyzer: analyzer, register: true)
        for term in counts.keys { documentFrequency[Int(term)] += 1 }
        if postings.count < termNames.count { postings += Array(repeating: [], count: termNames.count - postings.count) }
        let vector = documentVector(self.vector(counts))
        let id = Int32(documents.count)
        documents.append(document)
        vectors.append(vector)
        for (term, weight) in zip(vector.terms, vector.weights) {
            var list = postings[Int(term)]
            let position = list.firstIndex { $0.weight < weight } ?? list.count
            list.insert((id, weight), at: position)
            postings[Int(term)] = list
        }
        if documents.count > idfDocumentCount * 11 / 10 + 10 { rebuild(analyzer: analyzer) }
    }

    /// Recomputes all weights with the current document frequencies.
    public func rebuild(analyzer: Analyzer) {
        build(documents, analyzer: analyzer)
    }

    /// The item's vector in this index's space (terms the corpus never saw are left out).
    public func vector(title: String, body: String, analyzer: Analyzer) -> TermVector {
        vector(termCounts(title: title, body: body, analyzer: analyzer, register: false))
    }

    /// The item's vector from already analysed tokens.
    public func vector(tokens: [Token], titleCount: Int) -> TermVector {
        var scratch = scratchPool.withLock { $0.popLast() } ?? Scratch()
        defer { scratchPool.withLock { [scratch] in $0.append(scratch) } }
        if scratch.termCounts.count < termNames.count {
            scratch.termCounts += Array(repeating: 0, count: termNames.count - scratch.termCounts.count)
        }
        // Counted in an array by term, not a dictionary; the terms met, sorted, give the
        // entries in the order `vector(_:)` sorts them into, so the sums are the same.
        var met: [Int32] = []
        met.reserveCapacity(tokens.count)
        scratch.termCounts.withUnsafeMutableBufferPointer { counts in
            for index in tokens.indices where !tokens[index].isStopWord {
                let analyzerTerm = Int(tokens[index].termID)
                guard analyzerTerm < vocabulary.count else { continue }
                let id = vocabulary[analyzerTerm]
                guard id >= 0 else { continue }
                if counts[Int(id)] == 0 { met.append(id) }
                // Title words count twice: headlines state what the story is about.
                counts[Int(id)] += index < titleCount ? 2 : 1
            }
        }
        met.sort()
        let entries = met.map { term in
            defer { scratch.termCounts[Int(term)] = 0 }
            return (term, (1 + log(scratch.termCounts[Int(term)])) * idf(term))
        }
        return vector(sortedEntries: entries)
    }

    /// The vector two items are compared with for stories: every content word, keyed by the
    /// analyzer's term ids. Unlike `vector(tokens:titleCount:)`, words the corpus never uses
    /// count too (at the highest IDF): a corpus in one language must not leave a report in
    /// another with a vector of three numbers, which would match any other such report.
    public func storyVector(tokens: [Token], titleCount: Int) -> TermVector {
        // Each content word's term and weight, sorted by term; then each term's count summed
        // over its run. No dictionary, and no copy of a token for each (its strings retained
        // and released): a dictionary by term was half of this. The counts are the same
        // (sums of ones and twos are exact), and so is every entry.
        var occurrences: [(term: Int32, weight: Float)] = []
        occurrences.reserveCapacity(tokens.count)
        for index in tokens.indices where !tokens[index].isStopWord {
            occurrences.append((tokens[index].termID, index < titleCount ? 2 : 1))
        }
        occurrences.sort { $0.term < $1.term }
        let rare = log(1 + Float(max(idfDocumentCount, documents.count))) + 1
        var entries: [(Int32, Float)] = []
        var start = 0
        while start < occurrences.count {
            let term = occurrences[start].term
            var tf: Float = 0
            var end = start
            while end < occurrences.count && occurrences[end].term == term {
                tf += occurrences[end].weight
                end += 1
            }
            let analyzerTerm = Int(term)
            let id = analyzerTerm < vocabulary.count ? vocabulary[analyzerTerm] : -1
            entries.append((term, (1 + log(tf)) * (id >= 0 ? idf(id) : rare)))
            start = end
        }
        let norm = sqrt(entries.reduce(Float(0)) { $0 + $1.1 * $1.1 })
        guard norm > 0 else { return TermVector() }
        return TermVector(terms: entries.map(\.0), weights: entries.map { $0.1 / norm })
    }

    /// The `limit` most similar documents, best first, with exact cosine scores.
    ///
    /// Candidates are gathered from the postings of the item's `queryTerms` strongest terms
    /// only — the common words left out have long postings and little weight — and the best
    /// `candidates` of them are then scored exactly against the full vectors. This is what
    /// keeps a 10 000-document corpus cheap per item.
    public func mostSimilar(to query: TermVector, limit: Int = 3, explainTerms: Int = 5,
                            queryTerms: Int = 16, candidates: Int = 8,
                            postingsPerTerm: Int = 64, writtenIn tokens: [Token]? = nil) -> [(index: Int, score: Double, terms: [String])] {
        guard !documents.isEmpty, !query.terms.isEmpty, limit > 0 else { return [] }
        var scratch = scratchPool.withLock { $0.popLast() } ?? Scratch()
        defer { scratchPool.withLock { [scratch] in $0.append(scratch) } }
        let count = documents.count
        var exact: [(index: Int, score: Double)]
        // A corpus as small as the shipped one (five seeds): every document reached is a
        // candidate and every postings list is whole (see `smallCorpusScores`).
        if count <= max(limit, candidates) && count <= min(postingsPerTerm, 64) {
            exact = scratch.smallCorpusScores(query, count: count, postings: postings, queryTerms: queryTerms)
        } else {
            let pool = scratch.candidates(query, count: count, postings: postings, queryTerms: queryTerms,
                                          postingsPerTerm: postingsPerTerm, keep: max(limit, candidates))
            // The query spread over an array by term: a document's cosine is then one pass over
            // its own terms, with no merge of two sorted lists (the same sums, in the same order).
            scratch.spread(query, over: termNames.count)
            defer { scratch.clear(query) }
            exact = pool.map { (index: $0, score: scratch.cosine(vectors[$0])) }
        }
        exact.sort { (a: (index: Int, score: Double), b: (index: Int, score: Double)) -> Bool in
            a.score != b.score ? a.score > b.score : a.index < b.index
        }
        let best = exact.prefix(limit)
        guard explainTerms > 0 else { return best.map { ($0.index, $0.score, []) } }
        scratch.spread(query, over: termNames.count)
        defer { scratch.clear(query) }
        let terms = name(best.map { scratch.contributingTerms(vectors[$0.index], limit: explainTerms) }, writtenIn: tokens)
        return zip(best, terms).map { ($0.index, $0.score, $1) }
    }

    /// The `limit` terms that add most to the cosine of `query` with each of `documents`
    /// (positions in `documents`), as `tokens` write them: `mostSimilar`'s terms, found
    /// afterwards for the few items whose similar documents are shown.
    public func sharedTerms(_ query: TermVector, with documents: [Int], limit: Int = 5, writtenIn tokens: [Token]) -> [[String]] {
        guard !documents.isEmpty else { return [] }
        var scratch = scratchPool.withLock { $0.popLast() } ?? Scratch()
        defer { scratchPool.withLock { [scratch] in $0.append(scratch) } }
        scratch.spread(query, over: termNames.count)
        defer { scratch.clear(query) }
        return name(documents.map { scratch.contributingTerms(vectors[$0], limit: limit) }, writtenIn: tokens)
    }

    /// Index term ids as `tokens` first write them, or as the index names them.
    private func name(_ terms: [[Int32]], writtenIn tokens: [Token]?) -> [[String]] {
        let written = tokens.map { spellings(of: terms.flatMap { $0 }, in: $0) } ?? [:]
        return terms.map { $0.map { written[$0] ?? termNames[Int($0)] } }
    }

    /// How `tokens` first write each of `terms` (index term ids): "warships" for the stem
    /// "warship". Terms are compared as numbers, a token at a time; the few wanted are in an
    /// array, looked through rather than hashed.
    private func spellings(of terms: [Int32], in tokens: [Token]) -> [Int32: String] {
        var written: [Int32: String] = [:]
        for index in tokens.indices where written.count < terms.count {
            let analyzerTerm = Int(tokens[index].termID)
            guard analyzerTerm >= 0, analyzerTerm < vocabulary.count else { continue }
            let id = vocabulary[analyzerTerm]
            if id >= 0, terms.contains(id), written[id] == nil { written[id] = tokens[index].original }
        }
        return written
    }

    // MARK: - Weights

    private func termCounts(title: String, body: String, analyzer: Analyzer, register: Bool) -> [Int32: Float] {
        var counts: [Int32: Float] = [:]
        func count(_ tokens: [Token], weight: Float) {
            for token in tokens where !token.isStopWord {
                let analyzerTerm = Int(token.termID)
                if analyzerTerm >= vocabulary.count {
                    guard register else { continue }
                    vocabulary += Array(repeating: -1, count: analyzerTerm - vocabulary.count + 1024)
                }
                var id = vocabulary[analyzerTerm]
                if id < 0 {
                    guard register else { continue }
                    id = Int32(termNames.count)
                    vocabulary[analyzerTerm] = id
                    termNames.append(token.term)
                    documentFrequency.append(0)
                }
                counts[id, default: 0] += weight
            }
        }
        count(analyzer.analyze(title), weight: 2)
        count(analyzer.analyze(body), weight: 1)
        return counts
    }

    private func idf(_ term: Int32) -> Float {
        let df = Float(documentFrequency[Int(term)])
        return log((1 + Float(max(idfDocumentCount, documents.count))) / (1 + df)) + 1
    }

    private func vector(_ counts: [Int32: Float]) -> TermVector {
        var entries = counts.map { (term, tf) in (term, (1 + log(tf)) * idf(term)) }
        entries.sort { $0.0 < $1.0 }
        return vector(sortedEntries: entries)
    }

    /// Normalised weights of `entries`, sorted by term.
    private func vector(sortedEntries entries: [(Int32, Float)]) -> TermVector {
        let norm = sqrt(entries.reduce(Float(0)) { $0 + $1.1 * $1.1 })
        guard norm > 0 else { return TermVector() }
        return TermVector(terms: entries.map(\.0), weights: entries.map { $0.1 / norm })
    }

    /// A corpus document keeps its `documentTerms` heaviest terms (still normalised over all
    /// of them, so cosines stay in [0, 1]): the light tail of a long article barely moves a
    /// cosine but makes up most of the postings.
    public var documentTerms = 160

    private func documentVector(_ full: TermVector) -> TermVector {
        guard full.terms.count > documentTerms else { return full }
        let kept = zip(full.terms, full.weights).sorted { $0.1 > $1.1 }.prefix(documentTerms).sorted { $0.0 < $1.0 }
        return TermVector(terms: kept.map(\.0), weights: kept.map(\.1))
    }

    private func reindexPostings() {
        postings = Array(repeating: [], count: termNames.count)
        for (d, vector) in vectors.enumerated() {
            for (term, weight) in zip(vector.terms, vector.weights) { postings[Int(term)].append((Int32(d), weight)) }
        }
        for term in postings.indices { postings[term].sort { $0.weight > $1.weight } }
    }
}

/// The `capacity` highest scores seen, kept sorted (capacity is small).
struct TopScores {
    let capacity: Int
    private(set) var entries: [(Int, Float)] = []

    init(capacity: Int) {
        self.capacity = capacity
        entries.reserveCapacity(capacity + 1)
    }

    mutating func offer(_ index: Int, _ score: Float) {
        if entries.count == capacity {
            guard score > entries[capacity - 1].1 else { return }
            entries.removeLast()
        }
        var position = entries.count
        while position > 0 && entries[position - 1].1 < score { position -= 1 }
        entries.insert((index, score), at: position)
    }
}


extension SimilarityIndex.Scratch {
    /// The documents worth an exact cosine: scored by partial dot products over the
    /// postings of the query's strongest terms.
    mutating func candidates(_ query: TermVector, count: Int, postings: [[(document: Int32, weight: Float)]],
                             queryTerms: Int, postingsPerTerm: Int, keep: Int) -> [Int] {
        if accumulator.count != count {
            accumulator = [Float](repeating: 0, count: count)
            reachedFully = [Bool](repeating: false, count: count)
            touched = [Int32](repeating: 0, count: count)
        }
        let strongest = SimilarityIndex.strongest(query, queryTerms)
        // Two candidate lists: the best partial scores overall, and the best among documents
        // reached through a rare term (whose postings were read in full). The second keeps a
        // document that shares the item's rare names from being crowded out by many
        // documents that share only its common words.
        var best = TopScores(capacity: keep)
        var bestRare = TopScores(capacity: keep)
        // The working arrays through pointers: array writes check uniqueness every time, and
        // these loops run a thousand times an item with a large corpus.
        accumulator.withUnsafeMutableBufferPointer { scores in
            reachedFully.withUnsafeMutableBufferPointer { fully in
                touched.withUnsafeMutableBufferPointer { touched in
                    var touchedCount = 0
                    for (term, weight) in strongest {
                        // Postings are ordered by weight: the documents where the term matters
                        // most come first, and the long tail where it barely counts is not visited.
                        postings[Int(term)].withUnsafeBufferPointer { list in
                            let complete = list.count <= postingsPerTerm
                            for posting in list.prefix(postingsPerTerm) {
                                let d = Int(posting.document)
                                if scores[d] == 0 {
                                    touched[touchedCount] = posting.document
                                    touchedCount += 1
                                }
                                scores[d] += weight * posting.weight
                                if complete { fully[d] = true }
                            }
                        }
                    }
                    for d in touched[..<touchedCount] {
                        let index = Int(d)
                        let score = scores[index]
                        scores[index] = 0
                        best.offer(index, score)
                        if fully[index] {
                            bestRare.offer(index, score)
                            fully[index] = false
                        }
                    }
                }
            }
        }
        // Each document once; their order does not matter (they are sorted by score and index).
        let first = best.entries.map(\.0)
        return first + bestRare.entries.map(\.0).filter { !first.contains($0) }
    }

    /// Every document's exact cosine with `query`, for those its `queryTerms` strongest terms
    /// reach (what `candidates` would pick when it keeps them all): for a corpus of no more
    /// documents than the candidates kept, with every postings list whole. The sums are made
    /// from the postings of the query's terms in its term order: the order `cosine` adds the
    /// same products in (a term one side lacks adds 0 there), so the scores are the same to
    /// the bit, without a pass over each document's few hundred terms.
    mutating func smallCorpusScores(_ query: TermVector, count: Int, postings: [[(document: Int32, weight: Float)]],
                                    queryTerms: Int) -> [(index: Int, score: Double)] {
        precondition(count <= 64, "a small corpus has at most 64 documents")
        if sums.count < count { sums = [Float](repeating: 0, count: count) }
        var reached: UInt64 = 0
        for (term, _) in SimilarityIndex.strongest(query, queryTerms) {
            for posting in postings[Int(term)] { reached |= 1 << UInt64(posting.document) }
        }
        guard reached != 0 else { return [] }
        return sums.withUnsafeMutableBufferPointer { sums in
            for (term, weight) in zip(query.terms, query.weights) {
                for posting in postings[Int(term)] { sums[Int(posting.document)] += weight * posting.weight }
            }
            var scores: [(index: Int, score: Double)] = []
            scores.reserveCapacity(reached.nonzeroBitCount)
            for d in 0..<count {
                if reached & (1 << UInt64(d)) != 0 { scores.append((d, Double(min(1, sums[d])))) }
                sums[d] = 0
            }
            return scores
        }
    }
}

extension SimilarityIndex.Scratch {
    mutating func spread(_ query: TermVector, over termCount: Int) {
        if queryWeights.count < termCount { queryWeights += Array(repeating: 0, count: termCount - queryWeights.count) }
        for (term, weight) in zip(query.terms, query.weights) { queryWeights[Int(term)] = weight }
    }

    mutating func clear(_ query: TermVector) {
        for term in query.terms { queryWeights[Int(term)] = 0 }
    }

    /// The spread query's cosine with `document` (both normalised): `TermVector.cosine`'s
    /// sum, term by term in the same order, a term the query lacks adding 0.
    func cosine(_ document: TermVector) -> Double {
        var sum: Float = 0
        queryWeights.withUnsafeBufferPointer { query in
            for (term, weight) in zip(document.terms, document.weights) { sum += query[Int(term)] * weight }
        }
        return Double(min(1, sum))
    }

    /// The index ids of the terms that add most to the spread query's cosine with `document`.
    func contributingTerms(_ document: TermVector, limit: Int) -> [Int32] {
        guard limit > 0 else { return [] }
        // The largest products, in the order a stable sort by product would give them.
        var top = TopScores(capacity: limit)
        for (index, (term, weight)) in zip(document.terms, document.weights).enumerated() {
            let queryWeight = queryWeights[Int(term)]
            if queryWeight != 0 { top.offer(index, queryWeight * weight) }
        }
        return top.entries.map { document.terms[$0.0] }
    }
}

extension SimilarityIndex {
    /// The query's `count` heaviest terms, heaviest first (of equal weights, the lower term id
    /// first: what a stable sort by weight gives), or all of them in term order when it has
    /// no more. Picked in one pass, not by sorting all of the item's terms.
    static func strongest(_ query: TermVector, _ count: Int) -> [(Int32, Float)] {
        guard query.terms.count > count else { return Array(zip(query.terms, query.weights)) }
        guard count > 0 else { return [] }
        // TopScores ranks a later entry of equal weight after the earlier ones.
        var top = TopScores(capacity: count)
        for (index, weight) in query.weights.enumerated() { top.offer(index, weight) }
        return top.entries.map { (query.terms[$0.0], $0.1) }
    }
}
