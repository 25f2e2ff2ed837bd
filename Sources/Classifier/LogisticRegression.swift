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

    /// A row of many features, most of them 0: the others' indices, ascending, and values.
    public struct SparseRow: Sendable, Equatable {
        public var indices: [Int32]
        public var values: [Double]

        public init(indices: [Int32], values: [Double]) {
            self.indices = indices
            self.values = values
        }
    }

    /// Fits `rows` over `dimension` features, most of them 0 in any row (the learnt words: tens
    /// of thousands of terms), with the same penalty `λ/2 · Σ w²` and an unpenalised bias.
    ///
    /// Why L-BFGS here and Newton above: a Hessian over tens of thousands of features has
    /// billions of entries. L-BFGS keeps the last ten steps and gradient changes instead and
    /// reaches the optimum in a few hundred passes over the rows; each pass costs one
    /// multiplication per non-zero value. Deterministic: the same rows give the same weights.
    public static func fit(sparse rows: [SparseRow], _ labels: [Bool], dimension: Int, lambda: Double,
                           maxIterations: Int = 500) -> Model {
        let size = dimension + 1  // the bias is parameter 0
        func evaluate(_ theta: [Double]) -> (loss: Double, gradient: [Double]) {
            var loss = 0.0
            var gradient = [Double](repeating: 0, count: size)
            theta.withUnsafeBufferPointer { theta in
                gradient.withUnsafeMutableBufferPointer { gradient in
                    for (index, row) in rows.enumerated() {
                        var z = theta[0]
                        for k in row.indices.indices { z += theta[Int(row.indices[k]) + 1] * row.values[k] }
                        let y = labels[index] ? 1.0 : 0.0
                        // log(1 + e^z) − y·z, without overflow for large |z|.
                        loss += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - y * z
                        let residual = 1 / (1 + exp(-z)) - y
                        gradient[0] += residual
                        for k in row.indices.indices { gradient[Int(row.indices[k]) + 1] += residual * row.values[k] }
                    }
                    for j in 1..<size {
                        loss += lambda / 2 * theta[j] * theta[j]
                        gradient[j] += lambda * theta[j]
                    }
                }
            }
            return (loss, gradient)
        }
        func dot(_ a: [Double], _ b: [Double]) -> Double {
            var sum = 0.0
            for j in a.indices { sum += a[j] * b[j] }
            return sum
        }
        var theta = [Double](repeating: 0, count: size)
        var (loss, gradient) = evaluate(theta)
        var steps: [[Double]] = [], changes: [[Double]] = [], rhos: [Double] = []
        let memory = 10
        // Converged when no parameter's gradient exceeds this: the loss is summed over rows,
        // so the tolerance grows with them (a mean gradient of 1e-6 a row).
        let tolerance = 1e-6 * Double(max(1, rows.count))
        for _ in 0..<maxIterations {
            if gradient.allSatisfy({ abs($0) <= tolerance }) { break }
            // The two-loop recursion: direction = −(inverse Hessian estimate) · gradient.
            var q = gradient
            var alphas = [Double](repeating: 0, count: steps.count)
            for i in steps.indices.reversed() {
                alphas[i] = rhos[i] * dot(steps[i], q)
                for j in q.indices { q[j] -= alphas[i] * changes[i][j] }
            }
            let scale = steps.isEmpty ? 1 / max(dot(gradient, gradient).squareRoot(), 1e-12)
                : dot(steps[steps.count - 1], changes[changes.count - 1]) / dot(changes[changes.count - 1], changes[changes.count - 1])
            for j in q.indices { q[j] *= scale }
            for i in steps.indices {
                let beta = rhos[i] * dot(changes[i], q)
                for j in q.indices { q[j] += steps[i][j] * (alphas[i] - beta) }
            }
            var direction = q.map { -$0 }
            var slope = dot(gradient, direction)
            if slope >= 0 {  // not a descent direction (rounding): start again from the gradient
                steps.removeAll(); changes.removeAll(); rhos.removeAll()
                direction = gradient.map { -$0 }
                slope = -dot(gradient, gradient)
            }
            // Backtracking until the loss falls enough (Armijo).
            var step = 1.0
            var next = theta, evaluated = (loss: loss, gradient: gradient), accepted = false
            for _ in 0..<50 {
                for j in next.indices { next[j] = theta[j] + step * direction[j] }
                evaluated = evaluate(next)
                if evaluated.loss <= loss + 1e-4 * step * slope { accepted = true; break }
                step /= 2
            }
            guard accepted else { break }
            var s = next, y = evaluated.gradient
            for j in s.indices { s[j] -= theta[j]; y[j] -= gradient[j] }
            let curvature = dot(s, y)
            if curvature > 1e-12 {
                if steps.count == memory { steps.removeFirst(); changes.removeFirst(); rhos.removeFirst() }
                steps.append(s); changes.append(y); rhos.append(1 / curvature)
            }
            let previous = loss
            (theta, loss, gradient) = (next, evaluated.loss, evaluated.gradient)
            if previous - loss <= 1e-12 * max(1, abs(loss)) { break }
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
