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
