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

    @Argument(help: "A feed file, or an http(s) URL.")
    var location: String

    @Option(help: "Treat the document as fetched from this URL (base for relative links).")
    var url: String?

    @Option(name: .customLong("header"), help: "A response header, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        for header in headers where !header.contains(":") {
            throw ValidationError("--header '\(header)' must look like 'Name: value'")
        }
    }

    func execute() async throws {
        var responseHeaders: [String: String] = [:]
        for header in headers {
            let parts = header.split(separator: ":", maxSplits: 1)
            responseHeaders[String(parts[0]).trimmingCharacters(in: .whitespaces)] =
                String(parts[1]).trimmingCharacters(in: .whitespaces)
        }
        let bytes: [UInt8]
        var documentURL = url
        if location.hasPrefix("http://") || location.hasPrefix("https://") {
            let client = HTTPClient()
            let response: HTTPResponse
            do {
                response = try await client.fetch(HTTPRequest(url: location))
            } catch {
                throw CLIError(error.description)
            }
            guard response.isSuccess else {
                throw CLIError(FetchError.httpStatus(
                    url: location, status: response.status,
                    retryAfterSeconds: response.retryAfter.map { max(0, Int($0.timeIntervalSinceNow)) }).description)
            }
            bytes = response.body
            documentURL = documentURL ?? response.finalURL
            for header in response.headers where responseHeaders[header.name] == nil {
                responseHeaders[header.name] = header.value
            }
        } else {
            let path = location.hasPrefix("file://") ? String(location.dropFirst(7)) : location
            guard let data = FileManager.default.contents(atPath: path) else {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                    throw CLIError(isDirectory.boolValue ? "\(path) is a directory, not a feed file" : "\(path) cannot be read")
                }
                throw CLIError("\(path): no such file")
            }
            bytes = Array(data)
        }

        let document: FeedDocument
        do {
            document = try FeedParser.parse(bytes, source: FeedSource(url: documentURL, headers: responseHeaders))
        } catch {
            throw CLIError("\(location): \(error.description)")
        }
        if json {
            print(document.json.serialised())
        } else {
            print(FeedTable.render(document))
        }
    }
}
