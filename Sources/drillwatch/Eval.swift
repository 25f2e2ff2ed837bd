import ArgumentParser
import Foundation
import Model
import Pipeline

/// `drillwatch eval`: precision and recall on labelled items.
struct Eval: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the classifier on labelled items (JSONL with label drill/other).",
        discussion: """
            An item labelled drill is found when its verdict is alert or duplicate. Rows per \
            language (the record's "language"), per category, the confusion, a 95% bootstrap \
            interval for F1, and every miss with its reasons.

            With --cv K, the weights are trained on K−1 folds and tested on the last, K times \
            (folds by story, so syndicated copies stay together): the figure for data the \
            weights have not seen. Without it, the configured weights are measured. With \
            --repeat N as well, the stories are dealt into folds N ways: each way's F1 by \
            language, their mean and spread (a change of a few items is read against it), then \
            the report of the first.

            Examples:
              drillwatch eval ../shared/eval/dev.jsonl
              drillwatch eval --cv 10 data/labelled/en.jsonl data/labelled/ru.jsonl data/labelled/zh.jsonl
              drillwatch eval --headline-only data/labelled/test.jsonl
              drillwatch eval --cv 10 --repeat 5 --penalty 3 --quiet data/labelled/train.jsonl
            """)

    @OptionGroup var configuration: ConfigOption

    @Option(name: .long, help: "Cross-validate training with this many folds.")
    var cv: Int?

    @Option(name: .long, help: "With --cv, fit every fold with this L2 penalty instead of choosing one by an inner cross-validation.")
    var penalty: Double?

    @Option(name: .long, help: "With --cv, cross-validate this many times, the stories dealt into folds another way each time.")
    var `repeat` = 1

    @Flag(help: "Judge headlines alone (summaries removed), as news-search feeds deliver items.")
    var headlineOnly = false

    @Flag(help: "Do not list the misses (every miss is listed with its reasons by default).")
    var quiet = false

    @Flag(help: "List the labelled events split over several stories and the stories holding several events (without --cv).")
    var stories = false

    @Argument(help: "JSONL files of labelled items.")
    var files: [String]

    func validate() throws {
        if let cv, cv < 2 { throw ValidationError("--cv needs at least 2 folds") }
        if cv != nil && stories { throw ValidationError("--stories needs one run in publication order, not --cv") }
        if let penalty, cv == nil || penalty <= 0 { throw ValidationError("--penalty needs --cv and a value above 0") }
        if `repeat` < 1 || (`repeat` > 1 && cv == nil) { throw ValidationError("--repeat needs --cv and a count of at least 1") }
        if files.isEmpty { throw ValidationError("name at least one JSONL file") }
    }

    func execute() async throws {
        let settings = try configuration.settings()
        let (items, repeated) = try await wrapAsync { try await ItemReader().readLabelled(files) }
        if repeated > 0 { printError(LabelledInput.repeatedWarning(repeated)) }
        guard items.contains(where: { $0.label != nil }) else { throw CLIError("\(files.joined(separator: ", ")): no item has a label") }
        let evaluation: Evaluation
        if let cv {
            let runs = try wrap {
                try CrossValidation.evaluate(items, settings: settings, folds: cv, headlineOnly: headlineOnly, penalty: penalty, dealings: `repeat`)
            }
            if runs.count > 1 { print(EvaluationReport.renderRepeats(runs, headlineOnly: headlineOnly) + "\n") }
            evaluation = runs[0]
        } else {
            let classifier = try configuration.classifier(settings)
            var judged = Evaluation()
            // In publication order, as they would arrive: the first report of a story alerts.
            let ordered = items.enumerated().sorted { a, b in
                (a.element.item.published ?? .distantFuture, a.offset) < (b.element.item.published ?? .distantFuture, b.offset)
            }.map(\.element)
            for item in ordered.map({ headlineOnly ? $0.headlineOnly : $0 }) { judged.record(item, classifier.judge(item.item)) }
            evaluation = judged
        }
        print(EvaluationReport.render(evaluation, mode: cv.map { "cross-validated, \($0) folds" } ?? "configured weights",
                                      headlineOnly: headlineOnly, misses: !quiet, stories: cv == nil))
        if stories { print(EvaluationReport.renderStories(evaluation.storyDisagreements)) }
    }
}

/// The evaluation for a person.
enum EvaluationReport {
    static func render(_ evaluation: Evaluation, mode: String, headlineOnly: Bool, misses: Bool, stories: Bool) -> String {
        var lines: [String] = []
        let drills = evaluation.truePositives + evaluation.falseNegatives
        lines.append("items      \(evaluation.outcomes.count)  (drill \(drills), other \(evaluation.outcomes.count - drills)); "
            + mode + (headlineOnly ? "; headlines only" : ""))
        lines.append(String(format: "precision  %.3f", evaluation.precision))
        lines.append(String(format: "recall     %.3f", evaluation.recall))
        let interval = evaluation.f1Interval()
        lines.append(String(format: "F1         %.3f  (95%% bootstrap interval %.3f–%.3f)", evaluation.f1, interval.lowerBound, interval.upperBound))
        lines.append("")
        lines.append("               items  precision  recall     F1   95% interval")
        let languages = Set(evaluation.outcomes.compactMap(\.language)).sorted()
        for language in languages where languages.count > 1 {
            lines.append(row(language, evaluation.filter { $0.language == language }))
        }
        if stories {
            let counts = evaluation.stories
            func share(_ a: Int, _ b: Int) -> String { b == 0 ? "-" : String(format: "%.1f%%", 100 * Double(a) / Double(b)) }
            lines.append("")
            lines.append("stories    syndicated pairs grouped \(counts.syndicatedGrouped)/\(counts.syndicatedPairs) (\(share(counts.syndicatedGrouped, counts.syndicatedPairs))); "
                + "same event in two languages \(counts.crossLanguageGrouped)/\(counts.crossLanguagePairs) (\(share(counts.crossLanguageGrouped, counts.crossLanguagePairs))); "
                + "different events merged \(counts.falseMerges)/\(counts.differentEventPairs)")
        }
        lines.append("")
        lines.append("confusion  label \\ verdict   alert  duplicate  review  ignore")
        for (label, row) in evaluation.confusion.sorted(by: { $0.key < $1.key }) {
            let cells = Verdict.Kind.allCases.map { String(format: "%6d", row[$0] ?? 0) }
            lines.append("           \(label.padding(toLength: 17, withPad: " ", startingAt: 0))\(cells[0])  \(cells[1].padding(toLength: 9, withPad: " ", startingAt: 0))\(cells[2])  \(cells[3])")
        }
        lines.append("")
        lines.append("found per category (alert or duplicate / items)")
        for (category, entry) in evaluation.categories.sorted(by: { $0.key < $1.key }) {
            lines.append("           \(category.padding(toLength: 26, withPad: " ", startingAt: 0)) \(entry.found)/\(entry.total)")
        }
        if misses && !evaluation.misses.isEmpty {
            lines.append("")
            lines.append("misses")
            for miss in evaluation.misses {
                let kind = miss.item.label == .drill ? "missed drill" : "false alarm"
                lines.append("  \(kind) [\(miss.item.category ?? "-")] \(miss.item.item.id)")
                lines.append(VerdictOutput.text(miss.item, miss.verdict, explain: true).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Repeated cross-validation: F1 (overall and by language) of each dealing of the folds,
    /// then the mean and the standard deviation over them.
    static func renderRepeats(_ runs: [Evaluation], headlineOnly: Bool) -> String {
        let languages = Set(runs[0].outcomes.compactMap(\.language)).sorted()
        let columns = ["all"] + (languages.count > 1 ? languages : [])
        func f1s(_ run: Evaluation) -> [Double] {
            [run.f1] + (languages.count > 1 ? languages.map { language in run.filter { $0.language == language }.f1 } : [])
        }
        let table = runs.map(f1s)
        var lines = ["F1 of \(runs.count) cross-validations, the stories dealt into folds another way each time"
            + (headlineOnly ? "; headlines only" : "")]
        lines.append("           " + columns.map { $0.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
        func line(_ name: String, _ values: [Double]) -> String {
            name.padding(toLength: 11, withPad: " ", startingAt: 0) + values.map { String(format: "%-8.4f", $0) }.joined()
        }
        for (number, values) in table.enumerated() { lines.append(line("folds \(number + 1)", values)) }
        let means = columns.indices.map { column in table.map { $0[column] }.reduce(0, +) / Double(table.count) }
        let deviations = columns.indices.map { column in
            (table.map { pow($0[column] - means[column], 2) }.reduce(0, +) / Double(max(1, table.count - 1))).squareRoot()
        }
        lines.append(line("mean", means))
        lines.append(line("sd", deviations))
        return lines.joined(separator: "\n")
    }

    static func renderStories(_ disagreements: Evaluation.StoryDisagreements) -> String {
        func outcome(_ o: Evaluation.Outcome) -> String {
            let date = o.published.map { ISO8601DateFormatter.string(from: $0, timeZone: .gmt, formatOptions: .withFullDate) } ?? "undated"
            return "      \(o.language ?? "-") \(date) \(o.id)  \(o.title)"
        }
        func section(_ heading: String, _ groups: [Evaluation.StoryDisagreements.Group]) -> [String] {
            ["", "\(heading) (\(groups.count))"] + groups.flatMap { group in
                ["  \(group.key)"] + group.parts.flatMap { ["    \($0.key)"] + $0.outcomes.map(outcome) }
            }
        }
        return (section("events split over stories", disagreements.splitEvents)
            + section("stories holding several events", disagreements.mergedStories)).joined(separator: "\n")
    }

    private static func row(_ name: String, _ evaluation: Evaluation) -> String {
        let interval = evaluation.f1Interval()
        return name.padding(toLength: 14, withPad: " ", startingAt: 0)
            + String(format: "%6d  %9.3f  %6.3f  %5.3f  %.3f–%.3f", evaluation.outcomes.count, evaluation.precision,
                     evaluation.recall, evaluation.f1, interval.lowerBound, interval.upperBound)
    }
}
