import Classifier
import Foundation
import Model
import Settings

/// Fits the score's weights to labelled items: L2-regularised logistic regression over the
/// classifier's features, the penalty chosen by cross-validation, folds kept by story so that
/// no syndicated copy is both trained on and tested.
///
/// Features do not depend on the weights, so each item is assessed once and every fold, every
/// penalty and every bootstrap works on the same rows.
public struct Trainer {
    /// The rows of a training set: the free features' values, fixed log-odds from pinned rules.
    public struct Rows: Sendable {
        public var names: [String]
        public var values: [[Double]]
        public var labels: [Bool]
        public var offsets: [Double]
        /// Items a veto rule rejects: their score is 0 whatever the weights, so they are not fitted.
        public var vetoed: [Bool]
        public var groups: [String]
        /// Each row's terms and pairs (`TermCounts`) over `vocabulary`, divided by their length.
        public var terms: [LogisticRegression.SparseRow] = []
        public var vocabulary: [String] = []
        /// Whether `text:words` counts for the row (`Assessment.wordsApply`).
        public var wordsApply: [Bool] = []

        func subset(_ keep: (Int) -> Bool) -> Rows {
            let indices = values.indices.filter { keep($0) && !vetoed[$0] }
            return Rows(names: names, values: indices.map { values[$0] }, labels: indices.map { labels[$0] },
                        offsets: indices.map { offsets[$0] }, vetoed: indices.map { _ in false }, groups: indices.map { groups[$0] },
                        terms: indices.map { terms[$0] }, vocabulary: vocabulary, wordsApply: indices.map { wordsApply[$0] })
        }
    }

    /// What training chose, for the weights file's header and the user.
    public struct Report: Sendable {
        /// The penalty fitted with: the one asked for, else `oneStandardError`'s.
        public var lambda: Double
        /// The penalty the one-standard-error rule chooses.
        public var oneStandardError: Double
        /// Cross-validated mean log-loss per penalty tried.
        public var logLoss: [(lambda: Double, loss: Double)]
        public var items: Int
        public var vetoed: Int
    }

    public static let lambdas: [Double] = [0.01, 0.03, 0.1, 0.3, 1, 3, 10]

    let settings: Settings
    let classifier: Classifier

    public init(settings: Settings) throws(PipelineError) {
        self.settings = settings
        classifier = try ClassifierLoader.classifier(settings)
    }

    /// Assesses every item (and, with `headlines`, its headline alone as a second row of the
    /// same group: news-search feeds deliver items that way, and the score must hold for them).
    public func rows(_ items: [LabelledItem], headlines: Bool) -> Rows {
        let pinned = Set(settings.rules.filter(\.pinned).map { ScoreWeights.rule($0.name) })
        let all = classifier.featureNames
        let free = all.indices.filter { !pinned.contains(all[$0]) }
        let fixed = all.indices.filter { pinned.contains(all[$0]) }.map { ($0, classifier.weights.weights[all[$0]] ?? 0) }
        var rows = Rows(names: free.map { all[$0] }, values: [], labels: [], offsets: [], vetoed: [], groups: [])
        var ids: [String: Int32] = [:]
        for labelled in items where labelled.label != nil {
            for variant in headlines && !labelled.item.text.isEmpty ? [labelled, labelled.headlineOnly] : [labelled] {
                let (assessment, terms) = classifier.assessForTraining(variant.item)
                rows.values.append(free.map { assessment.features[$0] })
                rows.offsets.append(fixed.reduce(0) { $0 + assessment.features[$1.0] * $1.1 })
                rows.labels.append(variant.isDrill)
                rows.vetoed.append(assessment.vetoed)
                rows.groups.append(variant.group)
                rows.wordsApply.append(assessment.wordsApply)
                let length = terms.length
                // In the terms' order, not the dictionary's (seeded per process): the vocabulary's
                // order is the order the fit sums in, and the same data must give the same weights.
                let entries = terms.counts.sorted { $0.key < $1.key }.map { term, count -> (Int32, Double) in
                    let id = ids[term] ?? {
                        let id = Int32(rows.vocabulary.count)
                        ids[term] = id
                        rows.vocabulary.append(term)
                        return id
                    }()
                    return (id, Double(count) / length)
                }.sorted { $0.0 < $1.0 }
                rows.terms.append(LogisticRegression.SparseRow(indices: entries.map(\.0), values: entries.map(\.1)))
            }
        }
        return rows
    }

    /// The learnt words' penalty. Fixed, not chosen per run: a prototype on the labelled data
    /// (scikit-learn, folds by story) scored the same at 1/16, 1/4 and 1 (cross-validated F1
    /// 0.971, 0.970, 0.969), and choosing it too would multiply the fits by seven.
    public static let wordsPenalty = 0.25
    /// A term or pair in fewer training rows than this is not learnt: one report's wording
    /// (a ship's name, a reporter's phrase) says nothing about the next. With 2, 3 and 5 the
    /// cross-validated F1 of the labelled data was 0.971 each time, and the shipped weights
    /// file 1.7 MB, 0.9 MB and 0.5 MB.
    public static let wordsMinimumRows = 5

    /// The learnt words fitted to `rows` (vetoed rows left out), and the same weights by
    /// vocabulary id for scoring the rows. Fitted to every row, not only those the words
    /// apply to: fitted to those alone, they scored lower in cross-validation (F1 0.968
    /// against 0.971) and on the later labelled batches (0.938 against 0.945), and alerted
    /// on a generated hard negative.
    static func fitWords(_ rows: Rows) -> (words: TextWeights, byID: [Double]) {
        let usable = rows.subset { _ in true }
        var seen = [Int](repeating: 0, count: rows.vocabulary.count)
        for row in usable.terms { for id in row.indices { seen[Int(id)] += 1 } }
        var compact = [Int32](repeating: -1, count: rows.vocabulary.count)
        var kept: [Int] = []
        for (id, count) in seen.enumerated() where count >= Self.wordsMinimumRows {
            compact[id] = Int32(kept.count)
            kept.append(id)
        }
        let sparse = usable.terms.map { row in
            let keep = row.indices.indices.filter { compact[Int(row.indices[$0])] >= 0 }
            return LogisticRegression.SparseRow(indices: keep.map { compact[Int(row.indices[$0])] }, values: keep.map { row.values[$0] })
        }
        let model = LogisticRegression.fit(sparse: sparse, usable.labels, dimension: kept.count, lambda: Self.wordsPenalty)
        var byID = [Double](repeating: 0, count: rows.vocabulary.count)
        var terms: [String: Double] = [:]
        for (index, id) in kept.enumerated() {
            byID[id] = model.weights[index]
            terms[rows.vocabulary[id]] = model.weights[index]
        }
        return (TextWeights(bias: model.bias, terms: terms), byID)
    }

    /// `rows` with `text:words` (and its `headline:` copy) as the learnt words would give it
    /// to news they were not fitted on: each fold's from words fitted on the other folds.
    /// The score's weights are then fitted to these values. Fitted to values the words give
    /// their own training rows, the score would trust the words far more than new news
    /// deserves (stacking; Wolpert 1992).
    func withWordsOutOfFold(_ rows: Rows, folds k: Int) -> Rows {
        guard let column = rows.names.firstIndex(of: ScoreWeights.textWords) else { return rows }
        let headlineColumn = rows.names.firstIndex(of: ScoreWeights.headline(ScoreWeights.textWords))
        let headlineOnly = rows.names.firstIndex(of: ScoreWeights.headlineOnly)
        // The values the configured weights' words gave are not the ones to fit to: cleared
        // first, so that a fold with nothing to learn from leaves 0, not those.
        var rows = rows
        for index in rows.values.indices {
            rows.values[index][column] = 0
            if let headlineColumn { rows.values[index][headlineColumn] = 0 }
        }
        let fold = Self.folds(rows.groups, k: k)
        let source = rows
        let learnable = (0..<k).filter { f in fold.contains(f) && fold.contains { $0 != f } }
        // The folds' fits are independent and each deterministic: one per core, in fold order.
        let fitted = concurrentMap(learnable) { f in Self.fitWords(source.subset { fold[$0] != f }) }
        var result = rows
        for (f, (words, byID)) in zip(learnable, fitted) {
            for index in rows.values.indices where fold[index] == f {
                var value = 0.0
                if rows.wordsApply[index] {
                    let row = rows.terms[index]
                    var sum = words.bias
                    for j in row.indices.indices { sum += byID[Int(row.indices[j])] * row.values[j] }
                    value = TextWeights.clipped(sum)
                }
                result.values[index][column] = value
                if let headlineColumn, let headlineOnly, rows.values[index][headlineOnly] == 1 {
                    result.values[index][headlineColumn] = value
                }
            }
        }
        return result
    }

    /// Refuses labelled items nothing can be learnt or cross-validated from: one label only
    /// (the fit has nothing to tell apart), or fewer stories than folds (folds are whole
    /// stories). `eval --cv 10` of one item printed an F1 of 1.000.
    public static func checkLearnable(_ labelled: [LabelledItem], folds k: Int) throws(PipelineError) {
        guard labelled.contains(where: \.isDrill), labelled.contains(where: { !$0.isDrill }) else {
            throw PipelineError.invalidInput("the labelled items", line: nil, "learning needs items labelled drill and items labelled other")
        }
        let stories = Set(labelled.map(\.group)).count
        guard stories >= k else {
            throw PipelineError.invalidInput("the labelled items", line: nil,
                                             "\(k) folds need at least \(k) stories (items of one story stay in one fold); these are \(stories)")
        }
    }

    /// The fold (0..<k) of each row, from a hash of its group: deterministic, and a group
    /// never straddles two folds. Another `assignment` deals the groups out anew (repeated
    /// cross-validation); the first is the one every figure before it was measured with.
    public static func folds(_ groups: [String], k: Int, assignment: Int = 0) -> [Int] {
        guard assignment > 0 else { return groups.map { Int(MinHasher.fnv1a($0) % UInt64(k)) } }
        return groups.map { Int(MinHasher.fnv1a("\(assignment)/" + $0) % UInt64(k)) }
    }

    /// Weights fitted on `rows` with penalty `lambda`, pinned rules kept as configured, with
    /// the learnt words fitted on all of them.
    public func fit(_ rows: Rows, lambda: Double, folds k: Int = 10) -> ScoreWeights {
        fitScore(withWordsOutOfFold(rows, folds: k), lambda: lambda, words: Self.fitWords(rows).words)
    }

    /// The score's weights fitted on rows whose `text:words` are out of fold.
    func fitScore(_ rows: Rows, lambda: Double, words: TextWeights) -> ScoreWeights {
        let usable = rows.subset { _ in true }
        let model = LogisticRegression.fit(usable.values, usable.labels, lambda: lambda, offsets: usable.offsets)
        var weights = ScoreWeights(bias: model.bias, weights: Dictionary(uniqueKeysWithValues: zip(rows.names, model.weights)),
                                   text: words)
        weights.alertThreshold = settings.classifier.weights?.alertThreshold
        weights.reviewThreshold = settings.classifier.weights?.reviewThreshold
        return weights.applying(pins: settings.rules)
    }

    /// Chooses the penalty by cross-validated log-loss, then fits on everything: the largest
    /// penalty whose loss is within one standard error of the lowest (the "one-standard-error
    /// rule"). A few hundred items cannot tell neighbouring penalties apart; among those it
    /// cannot, the smoother weights carry over better to news the training never saw.
    /// `penalty`, when given, is used instead (the losses are still reported).
    public func train(_ all: Rows, folds k: Int = 10, penalty: Double? = nil) -> (ScoreWeights, Report) {
        let rows = withWordsOutOfFold(all, folds: k)
        let fold = Self.folds(rows.groups, k: k)
        var losses: [(lambda: Double, loss: Double)] = []
        var errors: [Double] = []
        for lambda in Self.lambdas {
            var total = 0.0
            var count = 0
            var perFold: [Double] = []
            for f in 0..<k {
                let training = rows.subset { fold[$0] != f }
                let held = rows.subset { fold[$0] == f }
                guard !training.values.isEmpty, !held.values.isEmpty else { continue }
                let model = LogisticRegression.fit(training.values, training.labels, lambda: lambda, offsets: training.offsets)
                var loss = 0.0
                for (index, row) in held.values.enumerated() {
                    let p = min(max(model.probability(row, offset: held.offsets[index]), 1e-9), 1 - 1e-9)
                    loss -= held.labels[index] ? log(p) : log(1 - p)
                }
                total += loss
                count += held.values.count
                perFold.append(loss / Double(held.values.count))
            }
            losses.append((lambda, count == 0 ? .infinity : total / Double(count)))
            errors.append(Self.standardError(perFold))
        }
        let lowest = losses.indices.min { losses[$0].loss < losses[$1].loss }
        let best = lowest.map { low in
            losses.indices.filter { losses[$0].loss <= losses[low].loss + errors[low] }.map { losses[$0].lambda }.max() ?? losses[low].lambda
        } ?? 1
        let chosen = penalty ?? best
        let report = Report(lambda: chosen, oneStandardError: best, logLoss: losses, items: rows.values.count,
                            vetoed: rows.vetoed.filter { $0 }.count)
        return (fitScore(rows, lambda: chosen, words: Self.fitWords(all).words), report)
    }

    /// The standard error of the mean of `values` (0 for fewer than two).
    static func standardError(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (variance / Double(values.count)).squareRoot()
    }
}
