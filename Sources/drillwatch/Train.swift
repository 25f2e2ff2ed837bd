import ArgumentParser
import Classifier
import Foundation
import Pipeline
import Settings

/// `drillwatch train`: fit the score's weights to labelled items.
struct Train: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit the score's weights to labelled items and write a weights file.",
        discussion: """
            L2-regularised logistic regression over the classifier's features (each rule, the \
            corpus similarity, facts, headline-only and language indicators, and the learnt \
            words: a logistic model of the item's terms and term pairs, fitted first and \
            entered as one feature, for items naming China and Russia both taking part or a series \
            they hold together); the penalty is \
            chosen by cross-validation with folds by story (the largest within one standard \
            error of the best). Rules marked `pinned = true` in the \
            configuration keep their weight. Each item is also learnt as its headline alone, \
            as news-search feeds deliver it (--no-headlines to skip). The file is plain TOML; \
            point the configuration at it with [classifier] weights = "FILE".

            Example:
              drillwatch train data/labelled/train.jsonl --out config/weights.toml
            """)

    @OptionGroup var configuration: ConfigOption

    @Option(name: .long, help: "Where to write the weights.")
    var out: String

    @Option(name: .long, help: "Cross-validation folds for choosing the penalty.")
    var folds = 10

    @Option(name: .long, help: "Fit with this L2 penalty instead of the one cross-validation chooses (the cross-validated losses are still printed).")
    var penalty: Double?

    @Flag(help: "Do not add each item's headline alone as a second example.")
    var noHeadlines = false

    @Argument(help: "JSONL files of labelled items.")
    var files: [String]

    func validate() throws {
        if let penalty, !(penalty > 0) { throw ValidationError("--penalty must be above 0") }
        if folds < 2 { throw ValidationError("--folds needs at least 2") }
    }

    func execute() async throws {
        let settings = try configuration.settings()
        let (items, repeated) = try await wrapAsync { try await ItemReader().readLabelled(files) }
        if repeated > 0 { printError(LabelledInput.repeatedWarning(repeated)) }
        let labelled = items.filter { $0.label != nil }
        try wrap { try Trainer.checkLearnable(labelled, folds: folds) }
        let trainer = try wrap { try Trainer(settings: settings) }
        let rows = trainer.rows(labelled, headlines: !noHeadlines)
        let (weights, report) = trainer.train(rows, folds: folds, penalty: penalty)
        let loss = report.logLoss.first { $0.lambda == report.lambda }?.loss ?? .nan
        let header = [
            "trained by drillwatch train on \(files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))",
            "\(labelled.count) items (\(labelled.filter(\.isDrill).count) drill), \(report.items) examples with headlines, \(report.vetoed) vetoed and left out",
            penalty == nil
                ? String(format: "L2 penalty %.2f, the largest within one standard error of the best %d-fold cross-validated log-loss (%.4f)",
                         report.lambda, folds, loss)
                : String(format: "L2 penalty %.2f, as asked (--penalty; %d-fold cross-validated log-loss %.4f; the one-standard-error rule chooses %.2f)",
                         report.lambda, folds, loss, report.oneStandardError),
            "features: see Sources/Model/ScoreWeights.swift (and TextWeights.swift for [text]); pinned rules keep the configuration's weight",
        ]
        do {
            try WeightsFile.render(weights, header: header).write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError("\(out): cannot write the weights (\(error.localizedDescription))")
        }
        print(header.joined(separator: "\n"))
        print("\npenalty  cross-validated log-loss")
        for (lambda, loss) in report.logLoss {
            print(String(format: "%7.2f  %.4f", lambda, loss) + (lambda == report.lambda ? "  ←" : "")
                  + (lambda == report.oneStandardError && lambda != report.lambda ? "  (one-standard-error rule)" : ""))
        }
        print(String(format: "\nbias %+.3f", weights.bias))
        for (name, weight) in weights.weights.sorted(by: { abs($0.value) > abs($1.value) }) {
            print(String(format: "%+8.3f  ", weight) + name)
        }
        if let words = weights.text {
            let ranked = words.terms.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            print(String(format: "\nlearnt words (text:words): %d terms and pairs, bias %+.3f", words.terms.count, words.bias))
            print("  most for a drill:     " + ranked.prefix(12).map { String(format: "%@ %+.2f", $0.key, $0.value) }.joined(separator: ", "))
            print("  most against a drill: " + ranked.suffix(12).reversed().map { String(format: "%@ %+.2f", $0.key, $0.value) }.joined(separator: ", "))
        }
        print("\nwritten to \(out)")
    }
}
