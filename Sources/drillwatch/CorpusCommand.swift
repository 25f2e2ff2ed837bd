import Article
import ArgumentParser
import Classifier
import Curl
import Feeds
import Foundation
import LocalFiles
import Pipeline
import SafeText

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
            let document: CorpusDocument
            if source.hasPrefix("http://") || source.hasPrefix("https://") {
                let response: HTTPResponse
                do { response = try await HTTPClient().fetch(HTTPRequest(url: source)) } catch { throw CLIError(error.description) }
                guard response.isSuccess else { throw CLIError("\(source): server answered \(response.status)") }
                let contentType = response.headers.first { $0.name.lowercased() == "content-type" }?.value
                document = contentType?.lowercased().hasPrefix("text/plain") == true
                    ? CorpusDocument.parse(id: "new", text: String(decoding: response.body, as: UTF8.self))
                    : Self.article(response.body, url: response.finalURL, contentType: contentType)
            } else {
                document = try Self.document(atPath: source)
            }
            let (title, url, date, exercise, body) = (self.title ?? document.title, document.url, document.date, document.exercise, document.body)
            let id = try wrap { try store.add(title: title, url: url, date: date, exercise: exercise, body: body, source: source) }
            print("added \(id) to \(store.folder.path)")
        }

        /// The document in a file: a saved web page (`.gz` too, as `extract` reads it) is its
        /// article; anything else must be UTF-8 text. A `.html.gz` page was added as its
        /// compressed bytes, a file every later command then skipped with a warning.
        static func document(atPath path: String) throws(CLIError) -> CorpusDocument {
            if let problem = LocalFile.problem(atPath: path) { throw CLIError("\(path): \(problem)") }
            let bytes: [UInt8]
            do { bytes = try PageFile.read(path) } catch { throw CLIError(error.description) }
            if ItemReader.isHTMLPage(bytes) { return article(bytes, url: nil, contentType: nil) }
            guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
                throw CLIError("\(path): not text (binary data or not UTF-8): give a text or Markdown file, or a web page")
            }
            return CorpusDocument.parse(id: "new", text: text)
        }

        /// A web page's article, as `extract` reads it: a page's menus, links and footer made
        /// most of a corpus document's words when the whole page was taken as text, and a page
        /// in another encoding than UTF-8 was read as UTF-8.
        static func article(_ bytes: [UInt8], url: String?, contentType: String?) -> CorpusDocument {
            let article = ArticleExtractor.extract(bytes, url: url, contentType: contentType)
            return CorpusDocument(id: "new", title: article.title, date: article.published.map { String(FeedDate.format($0).prefix(10)) },
                                  url: article.canonical ?? url, body: article.text)
        }
    }
}
