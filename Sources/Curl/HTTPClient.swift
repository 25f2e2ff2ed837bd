import CCurl
import Foundation
import LocalFiles

/// An async HTTP client for feeds on libcurl's multi interface.
///
/// Every request is a conditional GET when validators are given; redirects are followed here,
/// hop by hop, so that each target is checked (http/https only, at most `maxRedirects`) and a
/// permanent move can be reported. Many fetches can be awaited at once; they share one thread.
public final class HTTPClient: Sendable {
    public let policy: FetchPolicy
    private let loop: TransferLoop

    /// - Parameters:
    ///   - maxConcurrent: transfers in flight at once across all hosts.
    ///   - maxPerHost: connections to one host at once, to stay polite to a publisher
    ///     that serves many of the configured feeds.
    public init(policy: FetchPolicy = FetchPolicy(), maxConcurrent: Int = 32, maxPerHost: Int = 4) {
        self.policy = policy
        self.loop = TransferLoop(maxConcurrent: maxConcurrent, maxPerHost: maxPerHost)
    }

    /// Fetches `request.url`, following redirects. Any HTTP status is returned as a response
    /// (a 304 or a 429 is information for the caller, not a failure of the fetch); transport
    /// failures, refused redirects and oversized bodies throw `FetchError`.
    public func fetch(_ request: HTTPRequest) async throws(FetchError) -> HTTPResponse {
        var url = Self.wireForm(request.url)
        try checkScheme(of: url, original: url, isFirst: true)
        if let path = LocalFile.path(ofFileURL: url), let problem = LocalFile.problem(atPath: path) {
            throw .notAFile(url: url, reason: problem)
        }
        var permanentRedirect: String?
        var onlyPermanentSoFar = true
        var hops = 0
        var refuseLocal = request.refusesLocalNetwork && !policy.allowRedirectsToLocalNetwork

        while true {
            let result: ExchangeResult
            do {
                // A POST is not repeated at a redirect's target (as browsers do for 301/302).
                result = try await loop.perform(ExchangeRequest(
                    url: url, headers: requestHeaders(for: request, at: url), policy: policy, body: hops == 0 ? request.body : nil,
                    put: hops == 0 && request.put,
                    refuseLocalAddresses: refuseLocal))
            } catch FetchError.redirectToLocalNetwork(_, _, let address) {
                if hops == 0 { throw FetchError.localNetwork(url: url, address: address) }
                throw FetchError.redirectToLocalNetwork(from: request.url, to: url, address: address)
            } catch let error as FetchError {
                throw error
            } catch {
                throw FetchError.cancelled(url: url)
            }

            if (300..<400).contains(result.status), result.status != 304,
               let location = result.redirectURL {
                hops += 1
                if hops > policy.maxRedirects {
                    throw FetchError.tooManyRedirects(url: request.url, limit: policy.maxRedirects)
                }
                try checkScheme(of: location, original: url, isFirst: false)
                if hops == 1 && !policy.allowRedirectsToLocalNetwork,
                   let origin = result.connectedAddress, !policy.isLocalAddress(origin) {
                    // The chain began on the internet: from here on it may not reach inside.
                    refuseLocal = true
                }
                if onlyPermanentSoFar && (result.status == 301 || result.status == 308) {
                    permanentRedirect = location
                } else {
                    onlyPermanentSoFar = false
                }
                url = Self.wireForm(location)
                continue
            }

            return response(result, at: url, for: request, permanentRedirect: permanentRedirect)
        }
    }

    /// The final exchange as a response: validators (the request's when the server sent
    /// none), the body unless 304, and Retry-After.
    private func response(_ result: ExchangeResult, at url: String, for request: HTTPRequest, permanentRedirect: String?) -> HTTPResponse {
        let etag = result.headers.value(for: "ETag")
        let lastModified = result.headers.value(for: "Last-Modified")
        var validators = request.validators
        if etag != nil || lastModified != nil {
            validators = Validators(etag: etag, lastModified: lastModified)
        }
        // libcurl reports no status for file:// (only allowed for local feeds): a read
        // file is a 200. Its header lines are libcurl's own (Content-Length, Last-Modified),
        // not a server's: passed on, they would make the parser apply HTTP's rules (no
        // Content-Type means ISO-8859-1) to a local UTF-8 file.
        let isFile = url.lowercased().hasPrefix("file:")
        let status = result.status == 0 && isFile ? 200 : result.status
        return HTTPResponse(
            status: status, headers: isFile ? [] : result.headers,
            body: status == 304 ? [] : result.body,
            finalURL: result.effectiveURL, permanentRedirect: permanentRedirect,
            validators: validators,
            retryAfter: result.headers.value(for: "Retry-After").flatMap { RetryAfter.parse($0, now: Date()) })
    }

    private func requestHeaders(for request: HTTPRequest, at url: String) -> [HTTPHeader] {
        // A feed's by default; a request that says what it accepts (an article page) is not
        // sent a second Accept.
        var headers: [HTTPHeader] = []
        if !request.headers.contains(where: { $0.name.lowercased() == "accept" }) {
            headers.append(HTTPHeader(
                name: "Accept",
                value: "application/rss+xml, application/atom+xml, application/feed+json, "
                    + "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"))
        }
        if let etag = request.validators.etag {
            headers.append(HTTPHeader(name: "If-None-Match", value: etag))
        }
        if let lastModified = request.validators.lastModified {
            headers.append(HTTPHeader(name: "If-Modified-Since", value: lastModified))
        }
        headers.append(contentsOf: request.headers)
        // Parsing both URLs (Foundation, IDNA included) only when there is a secret to guard:
        // for every feed's request it was 2% of an all-304 rescan's CPU.
        if !request.credentialHeaders.isEmpty && Self.isSameOrigin(url, as: request.url) {
            headers.append(contentsOf: request.credentialHeaders)
        }
        return headers
    }

    /// The URL as it goes on the wire. A feed list may hold an address as a person writes it
    /// ("…/a b.xml", "http://пример.рф/rss"); libcurl refuses the space and the host in another
    /// script, so the scan failed a feed `check-config` passed. Foundation's parser (which the
    /// configuration's check uses) percent-encodes the one and writes the other in punycode. A
    /// URL of printable ASCII is sent exactly as given.
    static func wireForm(_ url: String) -> String {
        guard url.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else { return url }
        return URL(string: url)?.absoluteString ?? url
    }

    /// Whether `url` (on the wire) is the origin of the configured `address`, compared in their
    /// wire forms: a host written in another script is its punycode on the wire, and its
    /// credential would otherwise never be sent.
    static func isSameOrigin(_ url: String, as address: String) -> Bool {
        guard let origin = origin(of: wireForm(url)) else { return false }
        return origin == self.origin(of: wireForm(address))
    }

    /// Scheme, host and port, lower-cased: where a credential may go.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased() else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : -1)
        return "\(scheme)://\(host):\(port)"
    }

    private func checkScheme(of url: String, original: String, isFirst: Bool) throws(FetchError) {
        guard let colon = url.firstIndex(of: ":") else {
            throw isFirst ? .invalidURL(url) : .redirectRefused(from: original, to: url)
        }
        let scheme = url[..<colon].lowercased()
        if scheme == "http" || scheme == "https" { return }
        if isFirst {
            if scheme == "file" && policy.allowFileURLs { return }
            throw .unsupportedScheme(url: url)
        }
        throw .redirectRefused(from: original, to: url)
    }
}

/// `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
public enum RetryAfter {
    public static func parse(_ value: String, now: Date) -> Date? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed) {
            return seconds >= 0 ? now.addingTimeInterval(TimeInterval(seconds)) : nil
        }
        // curl_getdate understands the three HTTP date formats (IMF-fixdate, RFC 850, asctime).
        let epoch = curl_getdate(trimmed, nil)
        return epoch >= 0 ? Date(timeIntervalSince1970: TimeInterval(epoch)) : nil
    }
}
