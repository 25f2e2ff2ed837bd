import ArgumentParser
import Foundation
import Model
import Pipeline

/// `drillwatch eval`: precision and recall on labelled items.
struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the classifier on labelled items (JSONL with label drill/other).",
        discussion: """
            An item labelled drill is found when its verdict is alert or duplicate.

            Example:
              drillwatch eval ../shared/eval/dev.jsonl
            """)

    @Option(name: .long, help: "The configuration file.")
    var config: String?

    @Flag(help: "Do not list the misses (every miss is listed with its reasons by default).")
    var quiet = false

    @Argument(help: "A JSONL file of labelled items.")
    var file: String

    func run() async throws {
        let settings = try wrap { try ClassifierLoader.settings(config) }
        let classifier = try wrap { try ClassifierLoader.classifier(settings) }
        let items = try await wrapAsync { try await ItemReader().read(file) }
        guard items.contains(where: { $0.label != nil }) else { throw CLIError("\(file): no item has a label") }
        var evaluation = Evaluation()
        for item in items { evaluation.record(item, classifier.judge(item.item)) }

        print("items      \(items.count)  (drill \(evaluation.truePositives + evaluation.falseNegatives), other \(evaluation.falsePositives + evaluation.trueNegatives))")
        print(String(format: "precision  %.3f", evaluation.precision))
        print(String(format: "recall     %.3f", evaluation.recall))
        print(String(format: "F1         %.3f", evaluation.f1))
        print("")
        print("confusion  label \\ verdict   alert  duplicate  review  ignore")
        for label in evaluation.confusion.keys.sorted() {
            let row = evaluation.confusion[label]!
            let cells = Verdict.Kind.allCases.map { String(format: "%6d", row[$0] ?? 0) }
            print("           \(label.padding(toLength: 17, withPad: " ", startingAt: 0))\(cells[0])  \(cells[1].padding(toLength: 9, withPad: " ", startingAt: 0))\(cells[2])  \(cells[3])")
        }
        print("")
        print("found per category (alert or duplicate / items)")
        for category in evaluation.categories.keys.sorted() {
            let entry = evaluation.categories[category]!
            print("           \(category.padding(toLength: 26, withPad: " ", startingAt: 0)) \(entry.found)/\(entry.total)")
        }
        if !quiet && !evaluation.misses.isEmpty {
            print("")
            print("misses")
            for miss in evaluation.misses {
                let kind = miss.item.label == "drill" ? "missed drill" : "false alarm"
                print("  \(kind) [\(miss.item.category ?? "-")] \(miss.item.item.id)")
                print(VerdictOutput.text(miss.item, miss.verdict, explain: true).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            }
        }
    }
}
