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
        #expect(weights == trainer.fit(rows, lambda: 10))
        let (chosen, byRule) = trainer.train(rows, folds: 3)
        #expect(byRule.lambda == byRule.oneStandardError && chosen == trainer.fit(rows, lambda: byRule.lambda))

        func size(_ weights: ScoreWeights) -> Double { weights.weights.values.reduce(0) { $0 + abs($1) } }
        #expect(size(trainer.fit(rows, lambda: 0.1)) > size(weights))
    }
}
