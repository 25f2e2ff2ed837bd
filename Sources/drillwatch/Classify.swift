import ArgumentParser
import Classifier
import Foundation
import Pipeline
import SafeText

/// `drillwatch classify`: judge items without writing any state.
struct Classify: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify items against the drill corpus, writing no state.",
        discussion: """
            INPUT is a JSONL file of items ({"id","title","summary","content"?,"link"?,"published"?}), \
            '-' for JSONL on standard input, a plain-text article (first line is the title), a \
            feed file or URL, or a web page file or URL (its article, as `extract` reads it). \
            Items are judged in input order, as if they arrived one after another, so a later \
            copy of a story is reported as a duplicate.

            Examples:
              drillwatch classify --explain article.txt
              drillwatch classify --jsonl items.jsonl
              drillwatch classify https://tass.com/rss/v2.xml
              drillwatch classify --explain https://news.example/2025/06/joint-sea.html
            """)

    @OptionGroup var configuration: ConfigOption

    @Flag(help: "Print one JSON object per item.")
    var jsonl = false

    @Flag(help: "Show the rules and similar documents behind each verdict.")
    var explain = false

    @Argument(help: "Inputs (default: standard input).")
    var inputs: [String] = []

    func execute() async throws {
        let (_, classifier) = try configuration.settingsAndClassifier()
        let reader = ItemReader()
        for input in inputs.isEmpty ? ["-"] : inputs {
            let items = try await wrapAsync { try await reader.read(input) }
            for item in items {
                let verdict = classifier.judge(item.item)
                if jsonl {
                    print(VerdictOutput.json(item, verdict).serialised())
                } else {
                    print(Display.text(VerdictOutput.text(item, verdict, explain: explain)))
                }
            }
        }
    }
}
