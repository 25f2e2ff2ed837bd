import ArgumentParser
import Classifier
import Curl
import Feeds
import Foundation
import Pipeline
import SafeText
import XML

/// `drillwatch corpus`: the reference documents the classifier compares items with.
struct Corpus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show or add corpus documents.",
        discussion: """
            Examples:
              drillwatch corpus list
              drillwatch corpus show 001
              drillwatch corpus add article.md
              drillwatch corpus add https://example.org/news/joint-drill.html
            """,
        subcommands: [List.self, Show.self, Add.self])

    struct Options: ParsableArguments {
        @OptionGroup var configuration: ConfigOption

        func store() throws -> CorpusStore {
            let settings = try configuration.settings()
            return CorpusStore(folder: settings.corpusFolder)
        }
    }

    struct List: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "List the corpus documents.")
        @OptionGroup var options: Options

        func execute() async throws {
            let store = try options.store()
            let documents = try wrap { try store.load() }
            print("\(documents.count) documents in \(store.folder.path)")
            // Ids in full: `corpus show` takes them.
            let width = documents.map(\.id.count).max() ?? 0
            for document in documents {
                let words = document.body.split(whereSeparator: { $0 == " " || $0 == "\n" }).count
                print("  \(document.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(String(format: "%5d", words)) words  \(Display.line(document.title ?? "(untitled)"))")
            }
        }
    }

    struct Show: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Show one document as the classifier reads it (boilerplate removed).")
        @OptionGroup var options: Options
        @Argument(help: "The document id (file name without extension) or a unique prefix of it.")
        var document: String

        func execute() async throws {
            let documents = try wrap { try options.store().load() }
            let matches = documents.filter { $0.id == document } .isEmpty ? documents.filter { $0.id.hasPrefix(document) } : documents.filter { $0.id == document }
            guard matches.count == 1, let found = matches.first else {
                throw CLIError(matches.isEmpty ? "no corpus document '\(document)'" : "'\(document)' matches \(matches.count) documents: \(matches.map(\.id).joined(separator: ", "))")
            }
            print("id:       \(found.id)")
            if let title = found.title { print("title:    \(Display.line(title))") }
            if let date = found.date { print("date:     \(Display.line(date))") }
            if let url = found.url { print("url:      \(Display.line(url))") }
            if let exercise = found.exercise { print("exercise: \(Display.line(exercise))") }
            print("")
            print(Display.text(found.body))
        }
    }

    struct Add: DrillwatchCommand {
        static let configuration = CommandConfiguration(abstract: "Add an article (a text or Markdown file, or a web page URL) to the corpus.")
        @OptionGroup var options: Options
        @Argument(help: "A .txt/.md file, or an http(s) URL of an article page.")
        var source: String
        @Option(help: "The title, when the source has none.")
        var title: String?

        func execute() async throws {
            let store = try options.store()
            var title = self.title
            var url: String?
            var date: String?, exercise: String?
            let body: String
            if source.hasPrefix("http://") || source.hasPrefix("https://") {
                let response: HTTPResponse
                do { response = try await HTTPClient().fetch(HTTPRequest(url: source)) } catch { throw CLIError(error.description) }
                guard response.isSuccess else { throw CLIError("\(source): server answered \(response.status)") }
                let html = String(decoding: response.body, as: UTF8.self)
                body = HTMLText.plainText(fromHTML: html)
                url = response.finalURL
                if title == nil, let start = html.range(of: "<title>", options: .caseInsensitive),
                   let end = html.range(of: "</title>", options: .caseInsensitive, range: start.upperBound..<html.endIndex) {
                    title = HTMLText.plainText(fromHTML: String(html[start.upperBound..<end.lowerBound]))
                }
            } else {
                let data = try CLIError.readFile(source)
                let document = CorpusDocument.parse(id: "new", text: String(decoding: data, as: UTF8.self))
                title = title ?? document.title
                url = document.url
                date = document.date
                exercise = document.exercise
                body = document.body
            }
            let id = try wrap { try store.add(title: title, url: url, date: date, exercise: exercise, body: body, source: source) }
            print("added \(id) to \(store.folder.path)")
        }
    }
}
