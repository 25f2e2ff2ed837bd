import SafeText

/// Why a fetch failed, in words a user can act on. Every case names the URL it concerns,
/// redacted: the description is shown, logged and stored, so no credential may be in it.
public enum FetchError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// The URL's scheme is not one drillwatch fetches (only http and https; file when allowed).
    case unsupportedScheme(url: String)
    /// A server redirected to a URL drillwatch will not follow (another scheme, or none).
    case redirectRefused(from: String, to: String)
    /// A server on the internet redirected to an address on this machine or its local network.
    case redirectToLocalNetwork(from: String, to: String, address: String)
    /// An address from a document on the internet that points into the local network.
    case localNetwork(url: String, address: String)
    case tooManyRedirects(url: String, limit: Int)
    /// A local feed's path names no regular file (see `LocalFile`).
    case notAFile(url: String, reason: String)
    case bodyTooLarge(url: String, limit: Int)
    case timedOut(url: String, detail: String)
    case cannotResolve(url: String, detail: String)
    case cannotConnect(url: String, detail: String)
    case tls(url: String, detail: String)
    /// The server answered with an error status; `retryAfter` is set when it said when to retry.
    case httpStatus(url: String, status: Int, retryAfterSeconds: Int?)
    case cancelled(url: String)
    /// Any other transfer failure, with libcurl's own explanation.
    case transfer(url: String, code: Int, detail: String)

    public var description: String { Redaction.urls(in: plainDescription) }

    /// libcurl's code, for a transfer that failed in libcurl.
    public var transferCode: Int? {
        if case .transfer(_, let code, _) = self { return code }
        return nil
    }

    private var plainDescription: String {
        switch self {
        case .invalidURL(let url):
            return "'\(url)' is not a valid URL"
        case .unsupportedScheme(let url):
            return "\(url): only http:// and https:// URLs can be fetched"
        case .redirectRefused(let from, let to):
            return "\(from): redirect to '\(to)' refused (only http and https are followed)"
        case .localNetwork(let url, let address):
            return "\(url): refused: a link from the internet that leads into the local network (\(address))"
        case .redirectToLocalNetwork(let from, let to, let address):
            return "\(from): redirect to '\(to)' refused: it leads into the local network (\(address)); "
                + "set scan.allow_local_redirects = true if this feed is meant to do that"
        case .tooManyRedirects(let url, let limit):
            return "\(url): more than \(limit) redirects; the feed's address probably loops"
        case .notAFile(let url, let reason):
            return "\(url): \(reason); a local feed must be a regular file"
        case .bodyTooLarge(let url, let limit):
            return "\(url): response is larger than \(limit / (1024 * 1024)) MiB once decoded; transfer aborted"
        case .timedOut(let url, let detail):
            return "\(url): timed out (\(detail))"
        case .cannotResolve(let url, let detail):
            return "\(url): host name could not be resolved (\(detail))"
        case .cannotConnect(let url, let detail):
            return "\(url): could not connect (\(detail))"
        case .tls(let url, let detail):
            return "\(url): TLS failed (\(detail)); certificates are always verified"
        case .httpStatus(let url, let status, let retryAfter):
            if let retryAfter {
                return "\(url): server answered \(status), retry after \(retryAfter) s"
            }
            return "\(url): server answered \(status)"
        case .cancelled(let url):
            return "\(url): fetch cancelled"
        case .transfer(let url, let code, let detail):
            return "\(url): transfer failed (curl error \(code): \(detail))"
        }
    }
}
