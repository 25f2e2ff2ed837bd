import Foundation

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
    public private(set) var documents: [CorpusDocument] = []
    private var vocabulary: [String: Int32] = [:]
    private var termNames: [String] = []
    private var documentFrequency: [Int32] = []
    private var postings: [[(document: Int32, weight: Float)]] = []
    private var vectors: [TermVector] = []
    private var idfDocumentCount = 0
    /// Reused between queries so scoring allocates nothing per item.
    private var accumulator: [Float] = []
    private var touched: [Int32] = []

    public init() {}

    public var count: Int { documents.count }

    /// Builds the index from scratch.
    public func build(_ documents: [CorpusDocument], analyzer: Analyzer) {
        self.documents = []
        vocabulary = [:]
        termNames = []
        documentFrequency = []
        let counts = documents.map { termCounts(title: $0.title ?? "", body: $0.body, analyzer: analyzer, register: true) }
        for termCount in counts {
            for term in termCount.keys { documentFrequency[Int(term)] += 1 }
        }
        idfDocumentCount = documents.count
        self.documents = documents
        vectors = counts.map(vector)
        reindexPostings()
    }

    /// Adds one document with the current weights.
    public func add(_ document: CorpusDocument, analyzer: Analyzer) {
        let counts = termCounts(title: document.title ?? "", body: document.body, analyzer: analyzer, register: true)
        for term in counts.keys { documentFrequency[Int(term)] += 1 }
        if postings.count < termNames.count { postings += Array(repeating: [], count: termNames.count - postings.count) }
        let vector = self.vector(counts)
        let id = Int32(documents.count)
        documents.append(document)
        vectors.append(vector)
        accumulator.append(0)
        for (term, weight) in zip(vector.terms, vector.weights) { postings[Int(term)].append((id, weight)) }
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
        var counts: [Int32: Float] = [:]
        for (index, token) in tokens.enumerated() where !token.isStopWord {
            guard let id = vocabulary[token.term] else { continue }
            // Title words count twice: headlines state what the story is about.
            counts[id, default: 0] += index < titleCount ? 2 : 1
        }
        return vector(counts)
    }

    /// The `limit` most similar documents, best first.
    public func mostSimilar(to query: TermVector, limit: Int = 3, explainTerms: Int = 5) -> [(index: Int, score: Double, terms: [String])] {
        guard !documents.isEmpty, !query.terms.isEmpty else { return [] }
        if accumulator.count != documents.count { accumulator = [Float](repeating: 0, count: documents.count) }
        touched.removeAll(keepingCapacity: true)
        accumulator.withUnsafeMutableBufferPointer { scores in
            for (term, weight) in zip(query.terms, query.weights) {
                for posting in postings[Int(term)] {
                    let d = Int(posting.document)
                    if scores[d] == 0 { touched.append(posting.document) }
                    scores[d] += weight * posting.weight
                }
            }
        }
        var best: [(Int, Float)] = []
        for d in touched {
            let score = accumulator[Int(d)]
            accumulator[Int(d)] = 0
            if best.count < limit {
                best.append((Int(d), score))
                best.sort { $0.1 > $1.1 }
            } else if score > best[limit - 1].1 {
                best[limit - 1] = (Int(d), score)
                best.sort { $0.1 > $1.1 }
            }
        }
        return best.map { (index, score) in
            (index, Double(min(1, score)), contributingTerms(query, vectors[index], limit: explainTerms))
        }
    }

    private func contributingTerms(_ a: TermVector, _ b: TermVector, limit: Int) -> [String] {
        var products: [(Int32, Float)] = []
        var i = 0, j = 0
        while i < a.terms.count && j < b.terms.count {
            if a.terms[i] == b.terms[j] {
                products.append((a.terms[i], a.weights[i] * b.weights[j]))
                i += 1; j += 1
            } else if a.terms[i] < b.terms[j] { i += 1 } else { j += 1 }
        }
        return products.sorted { $0.1 > $1.1 }.prefix(limit).map { termNames[Int($0.0)] }
    }

    // MARK: - Weights

    private func termCounts(title: String, body: String, analyzer: Analyzer, register: Bool) -> [Int32: Float] {
        var counts: [Int32: Float] = [:]
        func count(_ tokens: [Token], weight: Float) {
            for token in tokens where !token.isStopWord {
                let id: Int32
                if let known = vocabulary[token.term] {
                    id = known
                } else if register {
                    id = Int32(termNames.count)
                    vocabulary[token.term] = id
                    termNames.append(token.term)
                    documentFrequency.append(0)
                } else {
                    continue
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
        let norm = sqrt(entries.reduce(Float(0)) { $0 + $1.1 * $1.1 })
        guard norm > 0 else { return TermVector() }
        return TermVector(terms: entries.map(\.0), weights: entries.map { $0.1 / norm })
    }

    private func reindexPostings() {
        postings = Array(repeating: [], count: termNames.count)
        for (d, vector) in vectors.enumerated() {
            for (term, weight) in zip(vector.terms, vector.weights) { postings[Int(term)].append((Int32(d), weight)) }
        }
        accumulator = [Float](repeating: 0, count: documents.count)
    }
}
