import Classifier
import Foundation
import Model
import Settings
import Testing
@testable import Pipeline

/// The penalty rule's arithmetic: the standard error of the folds' mean log-loss.
@Suite struct TrainerPenaltyRule {
    @Test func standardErrorOfTheMean() {
        // Sample standard deviation of 1…4 is √(5/3); over √4 folds.
        #expect(abs(Trainer.standardError([1, 2, 3, 4]) - (5.0 / 3).squareRoot() / 2) < 1e-12)
        #expect(Trainer.standardError([0.2, 0.2, 0.2]) < 1e-12)
        #expect(Trainer.standardError([0.7]) == 0)
        #expect(Trainer.standardError([]) == 0)
    }
}

/// Folds for repeated cross-validation (`eval --cv K --repeat N`): the first dealing is the
/// one of every figure before, each other one deals the stories anew, and a story is never
/// split over two folds whichever the dealing.
@Suite struct TrainerFoldDealings {
    @Test func everyDealingKeepsAStoryInOneFoldAndTheFirstIsTheOld() {
        let groups = (0..<400).map { "story-\($0 % 150)" }
        let first = Trainer.folds(groups, k: 10)
        #expect(first == groups.map { Int(MinHasher.fnv1a($0) % 10) })
        #expect(first == Trainer.folds(groups, k: 10, assignment: 0))
        for assignment in 1...3 {
            let dealt = Trainer.folds(groups, k: 10, assignment: assignment)
            #expect(dealt != first && dealt != Trainer.folds(groups, k: 10, assignment: assignment + 1))
            #expect(dealt.allSatisfy { (0..<10).contains($0) } && Set(dealt).count == 10)
            var foldOf: [String: Int] = [:]
            for (group, fold) in zip(groups, dealt) { #expect(foldOf.updateValue(fold, forKey: group).map { $0 == fold } ?? true) }
            // The same dealing twice is the same folds: a repeated run reproduces its figures.
            #expect(dealt == Trainer.folds(groups, k: 10, assignment: assignment))
        }
    }
}

/// `train --penalty`: the penalty asked for is the one fitted with, while the report still
/// names the one the one-standard-error rule would have chosen.
@Suite struct TrainerGivenPenalty {
    @Test func aGivenPenaltyIsFittedWithAndShrinksTheWeights() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let settings = try Settings.load(root.appendingPathComponent("config/drillwatch.toml"), checkingRules: Classifier.ruleProblems)
        let items = try await ItemReader().read(root.appendingPathComponent("data/labelled/train.jsonl").path).prefix(300)
        let trainer = try Trainer(settings: settings)
        let rows = trainer.rows(Array(items), headlines: true)

        let (weights, report) = trainer.train(rows, folds: 3, penalty: 10)
        #expect(report.lambda == 10)
        #expect(Trainer.lambdas.contains(report.oneStandardError))
        #expect(weights == trainer.fit(rows, lambda: 10, folds: 3))
        let (chosen, byRule) = trainer.train(rows, folds: 3)
        #expect(byRule.lambda == byRule.oneStandardError && chosen == trainer.fit(rows, lambda: byRule.lambda, folds: 3))

        func size(_ weights: ScoreWeights) -> Double { weights.weights.values.reduce(0) { $0 + abs($1) } }
        #expect(size(trainer.fit(rows, lambda: 0.1)) > size(weights))
    }
}

/// The learnt words: wording no rule names tells drills from sightings of both countries'
/// forces, and an item that does not name both countries never meets the words.
@Suite struct TrainerLearntWords {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Reports that both name Chinese and Russian warships: drills say "manoeuvres in
    /// formation", sightings "the ministry tracked". Filler words differ from item to item.
    static func items() -> [LabelledItem] {
        let filler = ["on Monday", "on Tuesday", "this week", "near Okinawa", "near Hokkaido", "in the Pacific"]
        return (0..<48).map { index in
            let drill = index % 2 == 0
            let body = drill
                ? "Chinese and Russian warships held manoeuvres in formation \(filler[index % 6]), the fleets said."
                : "Japan's ministry tracked Chinese and Russian warships \(filler[index % 6]) and scrambled jets."
            return LabelledItem(item: Item(id: "w\(index)", title: "Chinese and Russian warships \(filler[(index / 2) % 6])", text: body),
                                label: drill ? .drill : .other, story: "s\(index)")
        }
    }

    @Test func theWordsLearnWhatTheRulesCannotTell() throws {
        let settings = try Settings.load(Self.root.appendingPathComponent("config/drillwatch.toml"), checkingRules: Classifier.ruleProblems)
        let trainer = try Trainer(settings: settings)
        let rows = trainer.rows(Self.items(), headlines: false)
        #expect(rows.wordsApply.allSatisfy { $0 }, "every item names both countries")
        let (weights, _) = trainer.train(rows, folds: 3)
        let words = try #require(weights.text)
        func weight(_ word: String) -> Double {
            let term = TermCounts(AnalyzedText(title: word, body: "", analyzer: Analyzer())).counts.keys.first ?? word
            return words.terms[term] ?? 0
        }
        #expect(weight("formation") > 0 && weight("tracked") < 0, "\(words.terms.sorted { $0.key < $1.key }.prefix(40))")
        #expect((weights.weights[ScoreWeights.textWords] ?? 0) > 0.5)

        var trained = settings
        trained.classifier.weights = weights
        let classifier = try ClassifierLoader.classifier(trained, corpus: trainer.classifier.corpus)
        let column = try #require(classifier.featureNames.firstIndex(of: ScoreWeights.textWords))
        let sighting = Item(id: "n1", title: "Chinese and Russian warships near Okinawa", text: "Japan's ministry tracked them and scrambled jets.")
        let drill = Item(id: "n2", title: "Chinese and Russian warships near Okinawa", text: "They held manoeuvres in formation, the fleets said.")
        #expect(classifier.assess(sighting).features[column] < 0 && classifier.assess(drill).features[column] > 0)
        #expect(classifier.score(classifier.assess(drill)) > classifier.score(classifier.assess(sighting)))
        // The verdict names the words that moved it as the item writes them ("scrambled", not
        // the stem "scrambl"), all of them against a drill here.
        let named = classifier.judge(sighting).words
        #expect(!named.isEmpty && named.allSatisfy { $0.logOdds < 0 && (sighting.title + " " + sighting.text).contains($0.feature) }, "\(named)")
        // News of one country, and general news: the words (and their bias) are not consulted.
        for (title, body) in [("Chinese patrol boats near Okinawa", "The ministry tracked them."), ("Stocks rise in Tokyo", "Shares rose.")] {
            let other = classifier.assess(Item(id: "n3", title: title, text: body))
            #expect(!other.wordsApply && other.features[column] == 0)
        }
    }
}
