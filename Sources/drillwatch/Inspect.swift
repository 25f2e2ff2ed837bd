import ArgumentParser
import Curl
import Feeds
import Foundation
import SafeText

/// `drillwatch inspect`: parse one feed and show what drillwatch reads from it.
struct Inspect: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse one feed (a file or a URL) and print its items.",
        discussion: """
            A URL is fetched with drillwatch's own fetcher (redirects, size cap, timeouts). \
            --url and --header let a saved file be parsed as if it had been fetched from that \
            address with those response headers (they decide the base of relative links and \
            the character encoding).

            Examples:
              drillwatch inspect https://tass.com/rss/v2.xml
              drillwatch inspect saved.xml --json --url https://example.org/feed.xml \\
                  --header 'Content-Type: application/rss+xml; charset=windows-1251'
            """)

    @OptionGroup var document: DocumentOptions

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func execute() async throws {
        let (bytes, documentURL, responseHeaders) = try await document.load { Array(try CLIError.readFile($0)) }
        let feed: FeedDocument
        do {
            feed = try FeedParser.parse(bytes, source: FeedSource(url: documentURL, headers: responseHeaders))
        } catch {
            throw CLIError("\(document.location): \(error.description)")
        }
        if json {
            print(feed.json.serialised())
        } else {
            print(FeedTable.render(feed))
        }
    }
}
