import Classifier
import Foundation
import Model
import Settings

/// Precision and recall of verdicts against labels (`drill` is right when the verdict is
/// `alert` or `duplicate`), overall and for any subset (a language, a category), with a
/// bootstrap interval for F1.
public struct Evaluation: Sendable {
    /// One judged item.
    public struct Outcome: Sendable {
        public var id: String
        public var title: String
        public var published: Date?
        public var isDrill: Bool
        public var kind: Verdict.Kind
        public var category: String?
        public var language: String?
        /// The story the classifier put it in, and the labels' story and event.
        public var story: String?
        public var labelledStory: String?
        public var event: String?
        public var flagged: Bool { kind.isRelevant }
    }

    /// How the flagged drill items were grouped into stories: pairs that should be one story
    /// (one wire story from several outlets; one exercise reported in two languages) and how
    /// many were, and pairs of different events put in one story.
    public struct StoryCounts: Sendable {
        public var syndicatedPairs = 0, syndicatedGrouped = 0
        public var crossLanguagePairs = 0, crossLanguageGrouped = 0
        public var differentEventPairs = 0, falseMerges = 0
    }

    public var stories: StoryCounts {
        var counts = StoryCounts()
        let flagged = outcomes.filter { $0.isDrill && $0.flagged && $0.story != nil }
        for (i, a) in flagged.enumerated() {
            for b in flagged[(i + 1)...] {
                let together = a.story == b.story
                if let story = a.labelledStory, story == b.labelledStory {
                    counts.syndicatedPairs += 1
                    if together { counts.syndicatedGrouped += 1 }
                } else if let event = a.event, event == b.event, a.language != b.language {
                    counts.crossLanguagePairs += 1
                    if together { counts.crossLanguageGrouped += 1 }
                } else if a.event != b.event {
                    counts.differentEventPairs += 1
                    if together { counts.falseMerges += 1 }
                }
            }
        }
        return counts
    }

    /// Where stories and labelled events disagree, for a person to read: each event whose
    /// flagged reports went to more than one story, with those stories, and each story that
    /// holds more than one event.
    public struct StoryDisagreements: Sendable {
        /// An event's or a story's reports, grouped by the other side's key.
        public struct Group: Sendable {
            public var key: String
            public var parts: [(key: String, outcomes: [Outcome])]
        }
        public var splitEvents: [Group] = []
        public var mergedStories: [Group] = []
    }

    public var storyDisagreements: StoryDisagreements {
        let flagged = outcomes.filter { $0.isDrill && $0.flagged && $0.story != nil && $0.event != nil }
        func groups(by key: (Outcome) -> String, parts part: (Outcome) -> String) -> [StoryDisagreements.Group] {
            Dictionary(grouping: flagged, by: key).sorted { $0.key < $1.key }.compactMap { key, members in
                let parts = Dictionary(grouping: members, by: part).sorted { $0.key < $1.key }
                return parts.count > 1 ? .init(key: key, parts: parts.map { ($0.key, $0.value) }) : nil
            }
        }
        return StoryDisagreements(splitEvents: groups(by: { $0.event! }, parts: { $0.story! }),
                                  mergedStories: groups(by: { $0.story! }, parts: { $0.event! }))
    }

    public struct Miss: Sendable {
        public var item: LabelledItem
        public var verdict: Verdict
    }

    public private(set) var outcomes: [Outcome] = []
    public private(set) var misses: [Miss] = []

    public init() {}

    public mutating func record(_ item: LabelledItem, _ verdict: Verdict) {
        guard let label = item.label else { return }
        let outcome = Outcome(id: item.item.id, title: item.item.title, published: item.item.published,
                              isDrill: label == .drill, kind: verdict.kind, category: item.category,
                              language: item.language ?? Language.detect(title: item.item.title, body: item.item.text)?.rawValue,
                              story: verdict.story, labelledStory: item.story, event: item.event)
        outcomes.append(outcome)
        if outcome.isDrill != outcome.flagged { misses.append(Miss(item: item, verdict: verdict)) }
    }

    public mutating func merge(_ other: Evaluation) {
        outcomes += other.outcomes
        misses += other.misses
    }

    /// The evaluation of the outcomes that pass `keep`.
    public func filter(_ keep: (Outcome) -> Bool) -> Evaluation {
        var result = Evaluation()
        result.outcomes = outcomes.filter(keep)
        return result
    }

    public var truePositives: Int { outcomes.filter { $0.isDrill && $0.flagged }.count }
    public var falsePositives: Int { outcomes.filter { !$0.isDrill && $0.flagged }.count }
    public var trueNegatives: Int { outcomes.filter { !$0.isDrill && !$0.flagged }.count }
    public var falseNegatives: Int { outcomes.filter { $0.isDrill && !$0.flagged }.count }

    public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
    public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
    public var f1: Double { Self.f1(truePositives, falsePositives, falseNegatives) }

    /// label → verdict kind → count
    public var confusion: [String: [Verdict.Kind: Int]] {
        var table: [String: [Verdict.Kind: Int]] = [:]
        for outcome in outcomes { table[outcome.isDrill ? "drill" : "other", default: [:]][outcome.kind, default: 0] += 1 }
        return table
    }

    /// category → (flagged, total)
    public var categories: [String: (found: Int, total: Int)] {
        var table: [String: (found: Int, total: Int)] = [:]
        for outcome in outcomes {
            guard let category = outcome.category else { continue }
            var entry = table[category] ?? (0, 0)
            entry.total += 1
            if outcome.flagged { entry.found += 1 }
            table[category] = entry
        }
        return table
    }

    /// The 95% bootstrap interval of F1: the outcomes resampled with replacement `rounds`
    /// times (a fixed seed: the same data gives the same interval).
    public func f1Interval(rounds: Int = 2000) -> ClosedRange<Double> {
        guard !outcomes.isEmpty else { return 0...0 }
        var generator = SplitMix64(seed: 0x5EED)
        var scores: [Double] = []
        scores.reserveCapacity(rounds)
        for _ in 0..<rounds {
            var tp = 0, fp = 0, fn = 0
            for _ in outcomes.indices {
                let outcome = outcomes[Int(generator.next() % UInt64(outcomes.count))]
                if outcome.isDrill && outcome.flagged { tp += 1 } else if outcome.flagged { fp += 1 } else if outcome.isDrill { fn += 1 }
            }
            scores.append(Self.f1(tp, fp, fn))
        }
        scores.sort()
        return scores[Int(Double(rounds) * 0.025)]...scores[min(rounds - 1, Int(Double(rounds) * 0.975))]
    }

    static func f1(_ tp: Int, _ fp: Int, _ fn: Int) -> Double {
        tp == 0 ? (fp + fn == 0 ? 1 : 0) : 2 * Double(tp) / Double(2 * tp + fp + fn)
    }

    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 1 : Double(a) / Double(b) }
}

/// K-fold cross-validation of training: each fold is judged by a classifier whose weights were
/// trained (penalty chosen by an inner cross-validation, unless one is given) on the other
/// folds only. Folds follow the items' groups (story, else link), so no near-duplicate is on
/// both sides.
public enum CrossValidation {
    /// - Parameter headlineOnly: judge each held-out item by its headline alone (training
    ///   still sees whole items and their headlines, as `drillwatch train` does).
    /// - Parameter penalty: the L2 penalty of every fold's fit, instead of an inner choice.
    /// - Parameter dealings: how many times, the groups dealt into folds another way each
    ///   time (`Trainer.folds`); one evaluation each, the first with the usual folds. The
    ///   items are assessed once for all of them: their features do not depend on the folds.
    public static func evaluate(_ items: [LabelledItem], settings: Settings, folds k: Int,
                                headlineOnly: Bool = false, penalty: Double? = nil,
                                dealings: Int = 1) throws(PipelineError) -> [Evaluation] {
        let trainer = try Trainer(settings: settings)
        let labelled = items.filter { $0.label != nil }
        try Trainer.checkLearnable(labelled, folds: k)
        let rows = trainer.rows(labelled, headlines: true)
        return try (0..<max(1, dealings)).map { (assignment: Int) throws(PipelineError) -> Evaluation in
            let rowFolds = Trainer.folds(rows.groups, k: k, assignment: assignment)
            let itemFolds = Trainer.folds(labelled.map(\.group), k: k, assignment: assignment)
            var evaluation = Evaluation()
            for fold in 0..<k {
                let held = labelled.indices.filter { itemFolds[$0] == fold }
                guard !held.isEmpty else { continue }
                let training = rows.subset { rowFolds[$0] != fold }
                let weights = penalty.map { trainer.fit(training, lambda: $0) } ?? trainer.train(training, folds: max(2, k - 1)).0
                var foldSettings = settings
                foldSettings.classifier.weights = weights
                let classifier = try ClassifierLoader.classifier(foldSettings, corpus: trainer.classifier.corpus)
                for index in held {
                    let item = headlineOnly ? labelled[index].headlineOnly : labelled[index]
                    evaluation.record(item, classifier.judge(item.item))
                }
            }
            return evaluation
        }
    }
}
