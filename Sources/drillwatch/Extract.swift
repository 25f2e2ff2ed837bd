import Article
import ArgumentParser
import Curl
import Feeds
import Foundation
import Pipeline
import SafeText

/// `drillwatch extract`: the article of one web page, as the scan reads it for headline-only
/// feeds.
struct Extract: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        abstract: "Extract the article (text, title, date, language) from one web page.",
        discussion: """
            A URL is fetched with drillwatch's own fetcher (redirects, size cap, timeouts); a \
            file is read as it is, `.gz` files decompressed. --url tells where a saved page came \
            from (its canonical address and relative links); --header a response header (its \
            Content-Type charset outranks the page's own).

            Examples:
              drillwatch extract https://tass.com/politics/1234567
              drillwatch extract saved.html.gz --json --url https://example.org/news/1
            """)

    @OptionGroup var page: DocumentOptions

    @Flag(help: "Print one JSON object: title, text, published, language, canonical, site, encoding.")
    var json = false

    /// What a document is when it is no web page to read an article from: a PDF or other
    /// binary file was printed as a screenful of mis-decoded bytes, a feed as its title.
    static func notAPage(_ bytes: [UInt8]) -> String? {
        let head = Array(bytes.prefix(4096))
        if head.starts(with: Array("%PDF-".utf8)) { return "a PDF document, not a web page" }
        // UTF-16 text holds NUL bytes too; it starts with its byte-order mark.
        let utf16 = head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
        if head.contains(0) && !utf16 { return "binary data (an image, an archive…), not a web page" }
        let text = String(decoding: head, as: UTF8.self).lowercased()
        let feedRoot = ["<rss", "<feed", "<rdf:rdf"].contains { text.contains($0) } && !ItemReader.isHTMLPage(bytes)
        return feedRoot ? "a feed, not a web page: `drillwatch inspect` reads its items" : nil
    }

    func execute() async throws {
        let (bytes, pageURL, headers) = try await page.load { path in
            do { return try PageFile.read(path) } catch { throw CLIError("\(error)") }
        }
        let contentType = headers.first { $0.key.lowercased() == "content-type" }?.value
        if let problem = Self.notAPage(bytes) { throw CLIError("\(page.location): \(problem)") }
        let article = ArticleExtractor.extract(bytes, url: pageURL, contentType: contentType)
        if json {
            print(article.json.serialised())
            return
        }
        for (label, value) in [
            ("title", article.title), ("published", article.published.map(FeedDate.format)), ("language", article.language),
            ("canonical", article.canonical), ("site", article.site),
        ] {
            print("\(label): \(Display.line(value ?? "—"))")
        }
        print("")
        print(article.text.isEmpty ? "(no article text found)" : Display.text(article.text))
    }
}
