import ArgumentParser
import Curl
import Foundation
import LocalFiles

/// Where `inspect` and `extract` read their one document from: a file, or a URL fetched with
/// drillwatch's own fetcher; and what to take it as (its address, its response headers).
struct DocumentOptions: ParsableArguments {
    @Argument(help: "A file, or an http(s) URL.")
    var location: String

    @Option(help: "Treat the document as fetched from this URL (the base for relative links).")
    var url: String?

    @Option(name: .customLong("header"), help: "A response header, 'Name: value' (repeatable).")
    var headers: [String] = []

    func validate() throws {
        for header in headers where !header.contains(":") {
            throw ValidationError("--header '\(header)' must look like 'Name: value'")
        }
    }

    /// The document's bytes, its address, and its response headers (those given with
    /// --header outrank the server's). `readFile` reads a local path.
    func load(readFile: (String) throws -> [UInt8]) async throws -> (bytes: [UInt8], url: String?, headers: [String: String]) {
        var responseHeaders: [String: String] = [:]
        for header in headers {
            let parts = header.split(separator: ":", maxSplits: 1)
            responseHeaders[String(parts[0]).trimmingCharacters(in: .whitespaces)] =
                String(parts[1]).trimmingCharacters(in: .whitespaces)
        }
        guard location.hasPrefix("http://") || location.hasPrefix("https://") else {
            let path = LocalFile.path(ofFileURL: location) ?? location
            if let problem = LocalFile.problem(atPath: path) { throw CLIError("\(path): \(problem)") }
            return (try readFile(path), url, responseHeaders)
        }
        let response: HTTPResponse
        do {
            response = try await HTTPClient().fetch(HTTPRequest(url: location))
        } catch {
            throw CLIError(error.description)
        }
        guard response.isSuccess else {
            throw CLIError(FetchError.httpStatus(
                url: location, status: response.status,
                retryAfterSeconds: response.retryAfter.map { max(0, Int($0.timeIntervalSinceNow)) }).description)
        }
        for header in response.headers where responseHeaders[header.name] == nil {
            responseHeaders[header.name] = header.value
        }
        return (response.body, url ?? response.finalURL, responseHeaders)
    }
}
