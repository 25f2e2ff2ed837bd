import Model

/// Precision and recall of verdicts against labels (`drill` is right when the verdict is
/// `alert` or `duplicate`).
public struct Evaluation: Sendable {
    public struct Miss: Sendable {
        public var item: LabelledItem
        public var verdict: Verdict
    }

    public var truePositives = 0, falsePositives = 0, trueNegatives = 0, falseNegatives = 0
    /// category → (relevant verdicts, total)
    public var categories: [String: (found: Int, total: Int)] = [:]
    public var misses: [Miss] = []
    /// label → verdict kind → count
    public var confusion: [String: [Verdict.Kind: Int]] = [:]

    public init() {}

    public mutating func record(_ item: LabelledItem, _ verdict: Verdict) {
        let isDrill = item.label == "drill"
        let flagged = verdict.kind.isRelevant
        switch (isDrill, flagged) {
        case (true, true): truePositives += 1
        case (true, false): falseNegatives += 1; misses.append(Miss(item: item, verdict: verdict))
        case (false, true): falsePositives += 1; misses.append(Miss(item: item, verdict: verdict))
        case (false, false): trueNegatives += 1
        }
        confusion[item.label ?? "unlabelled", default: [:]][verdict.kind, default: 0] += 1
        if let category = item.category {
            var entry = categories[category] ?? (0, 0)
            entry.total += 1
            if flagged { entry.found += 1 }
            categories[category] = entry
        }
    }

    public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
    public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
    public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }

    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 1 : Double(a) / Double(b) }
}
