import Foundation

/// One HTTP header field as it was sent or received.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension [HTTPHeader] {
    /// The value of the last field named `name` (case-insensitive), as HTTP's "last one wins"
    /// is what servers that repeat a field usually mean.
    public func value(for name: String) -> String? {
        last { $0.isNamed(name) }?.value
    }
}

extension HTTPHeader {
    /// Whether the field is `name`, ignoring ASCII case: field names are ASCII tokens (RFC 9110,
    /// section 5.1). Compared on their bytes; Foundation's `caseInsensitiveCompare` goes through
    /// `NSString` and was 3.6% of the CPU of a rescan of 2,000 feeds.
    public func isNamed(_ other: String) -> Bool {
        name.utf8.count == other.utf8.count && zip(name.utf8, other.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= UInt8(ascii: "a") && (a | 0x20) <= UInt8(ascii: "z"))
        }
    }
}

/// The validators a server gave for a resource, sent back on the next fetch so that an
/// unchanged feed costs a `304 Not Modified` instead of a full download.
public struct Validators: Sendable, Hashable, Codable {
    public var etag: String?
    public var lastModified: String?

    public init(etag: String? = nil, lastModified: String? = nil) {
        self.etag = etag
        self.lastModified = lastModified
    }

    public var isEmpty: Bool { etag == nil && lastModified == nil }
}

/// What to fetch.
public struct HTTPRequest: Sendable {
    public var url: String
    /// Validators from the previous fetch, turned into `If-None-Match` / `If-Modified-Since`.
    public var validators: Validators
    /// Extra request header fields.
    public var headers: [HTTPHeader]
    /// A body makes the request a POST (webhooks); feeds are fetched with GET.
    public var body: [UInt8]?
    /// Sends the body with PUT instead of POST (Matrix's idempotent sends).
    public var put = false
    /// Header fields that carry a credential (`Authorization`, an API key): sent only to the
    /// request's own origin (scheme, host and port), never after a redirect to another one.
    public var credentialHeaders: [HTTPHeader] = []
    /// Refuses a connection to this machine or its local network from the first hop on, not
    /// only after a redirect: for addresses taken from a document on the internet (an item's
    /// link), which must not reach a router's admin page or a cloud metadata service.
    public var refusesLocalNetwork = false

    public init(url: String, validators: Validators = Validators(), headers: [HTTPHeader] = [], body: [UInt8]? = nil, put: Bool = false) {
        self.url = url
        self.validators = validators
        self.headers = headers
        self.body = body
        self.put = put
    }
}

/// How politely and how defensively to fetch. The defaults suit a feed poller: a feed larger
/// than 15 MiB once decoded is not a feed but an accident or an attack.
public struct FetchPolicy: Sendable {
    public static let defaultUserAgent =
        "drillwatch/\(DrillwatchVersion.string) (+https://github.com/drillwatch/drillwatch)"

    public var userAgent: String
    /// Cap on the decoded body; past it the transfer is aborted with `FetchError.bodyTooLarge`.
    public var maxBodyBytes: Int
    public var connectTimeout: Duration
    /// The whole exchange, redirects included each on its own.
    public var totalTimeout: Duration
    /// A transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedWindow` is aborted: a
    /// server that trickles a byte every few seconds must not hold a slot for ever.
    public var lowSpeedBytesPerSecond: Int
    public var lowSpeedWindow: Duration
    public var maxRedirects: Int
    /// `file://` URLs are refused unless this is set, and even then only for the first URL:
    /// no server may redirect drillwatch to a local file.
    public var allowFileURLs: Bool
    /// An explicit proxy (`http://host:port`); when nil, libcurl honours `http_proxy`,
    /// `https_proxy` and `no_proxy` from the environment.
    public var proxy: String?
    /// A redirect from a server on the internet to an address on this machine or its local
    /// network is refused unless this is set (see `NetworkAddress.isLocal`). A feed configured
    /// with a local address may still redirect within the local network. Behind a proxy the
    /// guard sees only the proxy's address: egress rules then belong to the proxy.
    public var allowRedirectsToLocalNetwork: Bool
    /// Which connected addresses count as local. Always `NetworkAddress.isLocal` in use; tests
    /// replace it to stand a loopback server in for a public one.
    public var isLocalAddress: @Sendable (NetworkAddress) -> Bool

    public init(
        userAgent: String = FetchPolicy.defaultUserAgent,
        maxBodyBytes: Int = 15 * 1024 * 1024,
        connectTimeout: Duration = .seconds(15),
        totalTimeout: Duration = .seconds(60),
        lowSpeedBytesPerSecond: Int = 16,
        lowSpeedWindow: Duration = .seconds(30),
        maxRedirects: Int = 5,
        allowFileURLs: Bool = false,
        proxy: String? = nil,
        allowRedirectsToLocalNetwork: Bool = false,
        isLocalAddress: @escaping @Sendable (NetworkAddress) -> Bool = { $0.isLocal }
    ) {
        self.userAgent = userAgent
        self.maxBodyBytes = maxBodyBytes
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
        self.lowSpeedWindow = lowSpeedWindow
        self.maxRedirects = maxRedirects
        self.allowFileURLs = allowFileURLs
        self.proxy = proxy
        self.allowRedirectsToLocalNetwork = allowRedirectsToLocalNetwork
        self.isLocalAddress = isLocalAddress
    }
}

/// The final response of a fetch, after redirects.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    /// The decoded body (after `Content-Encoding`); empty for a 304.
    public var body: [UInt8]
    /// The URL the body came from, after redirects: the base for relative links.
    public var finalURL: String
    /// Set when the chain of redirects began with permanent ones (301/308): the URL the feed
    /// should be stored under from now on.
    public var permanentRedirect: String?
    /// Validators to send next time; when the server sent none, the ones the request carried.
    public var validators: Validators
    /// When the server asked to be left alone (`Retry-After` on 429/503, or any response).
    public var retryAfter: Date?

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], finalURL: String, permanentRedirect: String? = nil,
                validators: Validators = Validators(), retryAfter: Date? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.finalURL = finalURL
        self.permanentRedirect = permanentRedirect
        self.validators = validators
        self.retryAfter = retryAfter
    }

    public var isNotModified: Bool { status == 304 }
    public var isSuccess: Bool { (200..<300).contains(status) }
    public var contentType: String? { headers.value(for: "Content-Type") }
    /// The `charset` parameter of `Content-Type`, which outranks the XML declaration.
    public var charset: String? { contentType.flatMap(HTTPResponse.charset(ofContentType:)) }

    static func charset(ofContentType value: String) -> String? {
        for parameter in value.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2,
                pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "charset"
            else { continue }
            let raw = pair[1].trimmingCharacters(in: .whitespaces)
            let unquoted = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            return unquoted.isEmpty ? nil : unquoted
        }
        return nil
    }
}

/// drillwatch's version, shown in the `User-Agent` and in `--version`.
public enum DrillwatchVersion {
    public static let string = "0.1.0"
}
