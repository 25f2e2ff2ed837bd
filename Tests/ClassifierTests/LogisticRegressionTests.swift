import Classifier
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
