import Foundation

/// L2-regularised logistic regression over a few dense features, fitted by Newton's method.
///
/// Why Newton: the score has a few dozen features (rules, similarity, facts, indicators), so
/// the Hessian is a small dense matrix; Newton's method reaches the optimum in a handful of
/// iterations, exactly and deterministically, with no learning rate to tune. The penalty is
/// `λ/2 · Σ w²` over the weights, never the bias; `offsets` add fixed log-odds per row (the
/// pinned rules, whose weights a person set and training must not move).
public enum LogisticRegression {
    public struct Model: Sendable, Equatable {
        public var bias: Double
        public var weights: [Double]

        public func logOdds(_ row: [Double], offset: Double = 0) -> Double {
            var sum = bias + offset
            for (value, weight) in zip(row, weights) { sum += value * weight }
            return sum
        }

        public func probability(_ row: [Double], offset: Double = 0) -> Double {
            1 / (1 + exp(-logOdds(row, offset: offset)))
        }
    }

    /// Fits `rows` (one value per feature) to `labels`. `lambda` is the L2 penalty.
    public static func fit(_ rows: [[Double]], _ labels: [Bool], lambda: Double, offsets: [Double]? = nil,
                           maxIterations: Int = 100) -> Model {
        let features = rows.first?.count ?? 0
        let size = features + 1  // the bias is parameter 0
        var theta = [Double](repeating: 0, count: size)
        for _ in 0..<maxIterations {
            var gradient = [Double](repeating: 0, count: size)
            var hessian = [Double](repeating: 0, count: size * size)
            for (index, row) in rows.enumerated() {
                var z = theta[0] + (offsets?[index] ?? 0)
                for j in 0..<features { z += theta[j + 1] * row[j] }
                let p = 1 / (1 + exp(-z))
                let residual = p - (labels[index] ? 1 : 0)
                let curvature = max(p * (1 - p), 1e-12)
                // x = (1, row…): accumulate g += r·x and H += w·x·xᵀ.
                gradient[0] += residual
                hessian[0] += curvature
                for j in 0..<features where row[j] != 0 {
                    gradient[j + 1] += residual * row[j]
                    hessian[j + 1] += curvature * row[j]
                    hessian[(j + 1) * size] += curvature * row[j]
                    for k in 0..<features where row[k] != 0 {
                        hessian[(j + 1) * size + k + 1] += curvature * row[j] * row[k]
                    }
                }
            }
            for j in 1..<max(1, size) {
                gradient[j] += lambda * theta[j]
                hessian[j * size + j] += lambda
            }
            // A feature that never fires (or a bias-only fit) leaves a zero row: keep it solvable.
            for j in 0..<size { hessian[j * size + j] += 1e-9 }
            guard let step = solve(hessian, gradient, size: size) else { break }
            var largest = 0.0
            for j in 0..<size {
                theta[j] -= step[j]
                largest = max(largest, abs(step[j]))
            }
            if largest < 1e-9 { break }
        }
        return Model(bias: theta[0], weights: Array(theta.dropFirst()))
    }

    /// Solves `matrix · x = vector` for a symmetric positive definite matrix (Cholesky).
    static func solve(_ matrix: [Double], _ vector: [Double], size n: Int) -> [Double]? {
        var lower = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = matrix[i * n + j]
                for k in 0..<j { sum -= lower[i * n + k] * lower[j * n + k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    lower[i * n + i] = sum.squareRoot()
                } else {
                    lower[i * n + j] = sum / lower[j * n + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = vector[i]
            for k in 0..<i { sum -= lower[i * n + k] * y[k] }
            y[i] = sum / lower[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= lower[k * n + i] * x[k] }
            x[i] = sum / lower[i * n + i]
        }
        return x
    }
}
