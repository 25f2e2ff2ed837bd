@testable import Classifier
import Model
import Foundation
import Testing

@Suite struct LogisticRegressionFit {
    /// Rows of three features (two binary, one in [0, 1]) and labels drawn from known weights.
    static func sample(_ count: Int, bias: Double, weights: [Double], offset: Double = 0) -> ([[Double]], [Bool]) {
        var generator = SplitMix64(seed: 42)  // the same test data every run
        var rows: [[Double]] = []
        var labels: [Bool] = []
        for _ in 0..<count {
            let row = [Bool.random(using: &generator) ? 1.0 : 0, Bool.random(using: &generator) ? 1.0 : 0,
                       Double.random(in: 0...1, using: &generator)]
            let z = bias + offset + zip(row, weights).reduce(0) { $0 + $1.0 * $1.1 }
            rows.append(row)
            labels.append(Double.random(in: 0..<1, using: &generator) < 1 / (1 + exp(-z)))
        }
        return (rows, labels)
    }

    @Test func recoversKnownWeights() {
        let truth = [2.0, -1.5, 3.0]
        let (rows, labels) = Self.sample(40_000, bias: -1, weights: truth)
        let model = LogisticRegression.fit(rows, labels, lambda: 0.001)
        #expect(abs(model.bias - -1) < 0.1, "bias \(model.bias)")
        for (fitted, expected) in zip(model.weights, truth) {
            #expect(abs(fitted - expected) < 0.1, "\(model.weights)")
        }
    }

    @Test func anOffsetIsNotLearnt() {
        // A pinned feature contributes a fixed +1.5: the fit must not absorb it into the bias.
        let (rows, labels) = Self.sample(40_000, bias: -1, weights: [1, 1, 1], offset: 1.5)
        let model = LogisticRegression.fit(rows, labels, lambda: 0.001, offsets: Array(repeating: 1.5, count: rows.count))
        #expect(abs(model.bias - -1) < 0.1, "bias \(model.bias)")
    }

    @Test func thePenaltyShrinksWeightsButNotTheBias() {
        let (rows, labels) = Self.sample(2_000, bias: -1, weights: [2, -1.5, 3])
        let loose = LogisticRegression.fit(rows, labels, lambda: 0.001)
        let tight = LogisticRegression.fit(rows, labels, lambda: 1_000)
        #expect(tight.weights.allSatisfy { abs($0) < 0.2 })
        #expect(loose.weights.map(abs).reduce(0, +) > 5)
        // With the weights held near 0, the bias alone fits the base rate.
        let rate = Double(labels.filter { $0 }.count) / Double(labels.count)
        #expect(abs(1 / (1 + exp(-tight.bias)) - rate) < 0.05)
    }

    @Test func separableDataStaysFinite() {
        let rows: [[Double]] = [[1], [1], [0], [0]]
        let model = LogisticRegression.fit(rows, [true, true, false, false], lambda: 0.01)
        #expect(model.weights[0].isFinite && model.weights[0] > 3)
        #expect(model.probability([1]) > 0.9 && model.probability([0]) < 0.1)
    }
}

/// The learnt words' fit (`fit(sparse:)`, L-BFGS) against Newton's exact optimum of the same
/// penalised loss, and what an item's terms are.
@Suite struct SparseLogisticRegressionFit {
    /// Rows of `features` features, each present with probability 0.2, labels from known weights.
    static func sample(_ count: Int, features: Int) -> (dense: [[Double]], sparse: [LogisticRegression.SparseRow], labels: [Bool]) {
        var generator = SplitMix64(seed: 7)
        let truth = (0..<features).map { Double($0 % 5) - 2 }
        var dense: [[Double]] = [], sparse: [LogisticRegression.SparseRow] = [], labels: [Bool] = []
        for _ in 0..<count {
            var row = [Double](repeating: 0, count: features)
            for j in 0..<features where Double.random(in: 0..<1, using: &generator) < 0.2 {
                row[j] = Double.random(in: 0.1...1, using: &generator)
            }
            let z = -0.5 + zip(row, truth).reduce(0) { $0 + $1.0 * $1.1 }
            dense.append(row)
            let present = row.indices.filter { row[$0] != 0 }
            sparse.append(LogisticRegression.SparseRow(indices: present.map { Int32($0) }, values: present.map { row[$0] }))
            labels.append(Double.random(in: 0..<1, using: &generator) < 1 / (1 + exp(-z)))
        }
        return (dense, sparse, labels)
    }

    @Test(arguments: [0.01, 1.0, 30.0])
    func reachesNewtonsOptimum(lambda: Double) {
        let (dense, sparse, labels) = Self.sample(3_000, features: 25)
        let newton = LogisticRegression.fit(dense, labels, lambda: lambda)
        let lbfgs = LogisticRegression.fit(sparse: sparse, labels, dimension: 25, lambda: lambda)
        #expect(abs(lbfgs.bias - newton.bias) < 1e-3, "bias \(lbfgs.bias) against \(newton.bias)")
        let largest = zip(lbfgs.weights, newton.weights).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest < 1e-3, "weights differ by up to \(largest)")
    }

    @Test func aFeatureNoRowHasKeepsNoWeight() {
        let (_, sparse, labels) = Self.sample(500, features: 10)
        let model = LogisticRegression.fit(sparse: sparse, labels, dimension: 12, lambda: 1)
        #expect(model.weights[10] == 0 && model.weights[11] == 0)
        #expect(model.weights.prefix(10).contains { $0 != 0 })
    }

    @Test func noRowsGiveAnEmptyModel() {
        let model = LogisticRegression.fit(sparse: [], [], dimension: 3, lambda: 1)
        #expect(model.bias == 0 && model.weights == [0, 0, 0])
    }
}

@Suite struct LearntWords {
    let analyzer = Analyzer()

    @Test func termsAndPairsStayWithinTheHeadlineAndWithinTheBody() {
        let text = AnalyzedText(title: "Joint drills", body: "Ships sail. Ships sail!", analyzer: analyzer)
        let terms = TermCounts(text)
        #expect(terms.counts["joint"] == 1 && terms.counts["drill"] == 1 && terms.counts["joint drill"] == 1)
        #expect(terms.counts["ship"] == 2 && terms.counts["sail"] == 2 && terms.counts["ship sail"] == 2)
        #expect(terms.counts["sail ship"] == 1)       // across the body's sentences: one run of words
        #expect(terms.counts["drill ship"] == nil)    // never from the headline into the body
        // 1 + 1 + 1 (headline) + 2² + 2² + 2² + 1 (body): the length is √16.
        #expect(terms.length == 4)
    }

    @Test func logOddsAreTheBiasAndTheKnownTermsOverTheLength() {
        let text = AnalyzedText(title: "Joint drills", body: "", analyzer: analyzer)
        func logOdds(_ words: TextWeights, _ text: AnalyzedText) -> Double {
            let compiled = CompiledWords(words, analyzer: analyzer)
            return compiled.logOdds(compiled.counts(text))
        }
        // Three terms counted once each: a length of √3, of which "joint" and the pair are known.
        let words = TextWeights(bias: -1, terms: ["joint": 2, "joint drill": 1.5, "parade": -4])
        #expect(abs(logOdds(words, text) - (-1 + 3.5 / 3.0.squareRoot())) < 1e-12)
        // However sure the words are, they stay within ±limit of the score's other evidence.
        #expect(logOdds(TextWeights(bias: 0, terms: ["joint": 100]), text) == TextWeights.limit)
        #expect(logOdds(TextWeights(bias: -3, terms: [:]), AnalyzedText(title: "", body: "", analyzer: analyzer)) == -3)
    }

    @Test func byTermIDTheWordsReadAsByString() {
        let words = TextWeights(bias: -0.5, terms: ["joint": 1.2, "sea": 0.4, "joint sea": 2, "track": -1.5, "中俄": 3, "中俄 俄联": 0.5, "нет": 1])
        let compiled = CompiledWords(words, analyzer: analyzer)
        for (title, body) in [("Joint Sea-2025 begins", "The navies' joint sea drill; Japan tracked the ships. Joint sea!"),
                              ("中俄聯合演習", "中俄联合军演在日本海举行"), ("", ""), ("Учения", "Учения «Морское взаимодействие»")] {
            let text = AnalyzedText(title: title, body: body, analyzer: analyzer)
            let counts = compiled.counts(text)
            // What training computes: by the terms' strings.
            let terms = TermCounts(text)
            let sum = terms.counts.reduce(0.0) { $0 + (words.terms[$1.key] ?? 0) * Double($1.value) }
            let byString = TextWeights.clipped(words.bias + (terms.length > 0 ? sum / terms.length : 0))
            #expect(abs(compiled.logOdds(counts) - byString) < 1e-12, "\(title)")
            #expect(counts.count == TermCounts(text).counts.count)
        }
        let text = AnalyzedText(title: "Joint Sea-2025 begins", body: "Japan tracked the ships.", analyzer: analyzer)
        // The strongest first, as the text writes them: the pair "Joint Sea" (2), "tracked" (−1.5).
        #expect(compiled.strongest(compiled.counts(text), in: text, limit: 2).map(\.written) == ["Joint Sea", "tracked"])
    }
}
