import CCurl
import Foundation
import SafeText
import Synchronization

/// Set from any thread to ask a running transfer to stop; read by libcurl's progress
/// callback on the transfer thread, which then aborts the transfer.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// One HTTP exchange (no redirects followed), as handed to the transfer loop.
struct ExchangeRequest: Sendable {
    var url: String
    var headers: [HTTPHeader]
    var policy: FetchPolicy
    var body: [UInt8]? = nil
    var put = false
    /// Set for the hops of a redirect chain that began on the internet: no connection may then
    /// be opened to a local address (`FetchPolicy.isLocalAddress`).
    var refuseLocalAddresses = false
}

/// What one exchange produced, before redirects are interpreted.
struct ExchangeResult: Sendable {
    var status: Int
    var headers: [HTTPHeader]
    var body: [UInt8]
    var effectiveURL: String
    var redirectURL: String?
    /// The address the exchange was carried over (the proxy's, behind a proxy).
    var connectedAddress: NetworkAddress?
}

/// Owns one `CURL*` easy handle and everything libcurl reads or writes during its transfer.
/// It lives on the transfer thread only, from creation to `deinit`, and is not `Sendable`.
final class Transfer {
    let handle: UnsafeMutableRawPointer
    let request: ExchangeRequest
    let cancel: CancelFlag
    private let continuation: CheckedContinuation<ExchangeResult, any Error>
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var resumed = false

    // Written by libcurl's callbacks.
    fileprivate(set) var body: [UInt8] = []
    fileprivate(set) var headers: [HTTPHeader] = []
    fileprivate(set) var exceededLimit = false
    fileprivate(set) var refusedAddress: NetworkAddress?

    init(
        request: ExchangeRequest, cancel: CancelFlag,
        continuation: CheckedContinuation<ExchangeResult, any Error>
    ) throws(FetchError) {
        guard let handle = curl_easy_init() else {
            throw FetchError.transfer(url: request.url, code: -1, detail: "curl_easy_init failed")
        }
        self.handle = handle
        self.request = request
        self.cancel = cancel
        self.continuation = continuation
        try configure()
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
    }

    private func configure() throws(FetchError) {
        var failures: [CURLcode] = []
        func check(_ code: CURLcode) { if code != CURLE_OK { failures.append(code) } }
        configureConnection(check)
        configureBody(check)
        configureHeaders(check)
        configureCallbacks(check)
        if let first = failures.first {
            if first == CURLE_UNSUPPORTED_PROTOCOL {
                throw FetchError.unsupportedScheme(url: request.url)
            }
            throw FetchError.transfer(url: request.url, code: Int(first.rawValue),
                                      detail: String(cString: curl_easy_strerror(first)))
        }
    }

    /// URL, schemes, limits, TLS and proxy.
    private func configureConnection(_ check: (CURLcode) -> Void) {
        let policy = request.policy
        let allowed = policy.allowFileURLs ? "http,https,file" : "http,https"
        check(dw_curl_setopt_string(handle, CURLOPT_URL, request.url))
        check(dw_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, allowed))
        // Redirects are followed by `HTTPClient`, one exchange at a time, so that every hop is
        // checked (scheme, count) and a permanent redirect can be reported to the caller.
        check(dw_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        check(dw_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        check(dw_curl_setopt_string(handle, CURLOPT_USERAGENT, policy.userAgent))
        // "" asks for every encoding this libcurl can decode (gzip, deflate, br, zstd); the
        // write callback then sees decoded bytes, which is what the size cap must count.
        check(dw_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, ""))
        check(dw_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, policy.connectTimeout.milliseconds))
        check(dw_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, policy.totalTimeout.milliseconds))
        check(dw_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, policy.lowSpeedBytesPerSecond))
        check(dw_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, policy.lowSpeedWindow.milliseconds / 1000)))
        check(dw_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        check(dw_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        if let proxy = policy.proxy {
            check(dw_curl_setopt_string(handle, CURLOPT_PROXY, proxy))
        }
        if request.refuseLocalAddresses {
            // A cached connection would skip the open-socket check; a redirect hop is rare
            // enough to pay for a fresh one.
            check(dw_curl_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1))
            check(dw_curl_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, Unmanaged.passUnretained(self).toOpaque()))
            check(dw_curl_setopt_opensocket_callback(handle, transferOpenSocket))
        }
    }

    /// A POST body (webhooks).
    private func configureBody(_ check: (CURLcode) -> Void) {
        guard let body = request.body else { return }
        if request.put { check(dw_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "PUT")) }
        // libcurl: CURLOPT_COPYPOSTFIELDS "copies the data", so the buffer need not outlive
        // this call; the size must be set first for binary-safe bodies.
        check(dw_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
        if body.isEmpty {
            check(dw_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, ""))
        } else {
            var copy = body
            copy.withUnsafeMutableBytes { bytes in
                check(dw_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress!))
            }
        }
    }

    /// Request headers, in a list this transfer owns (freed in `deinit`).
    private func configureHeaders(_ check: (CURLcode) -> Void) {
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        if let headerList { check(dw_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)) }
    }

    /// The body, header and progress callbacks, each given this transfer as its context.
    private func configureCallbacks(_ check: (CURLcode) -> Void) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        check(dw_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        check(dw_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, transferWrite))
        check(dw_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        check(dw_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, transferHeader))
        check(dw_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context))
        check(dw_curl_setopt_progress_callback(handle, transferProgress))
        check(dw_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0))
    }

    /// Resumes the waiting task with the outcome of libcurl's `code`. Called exactly once.
    func complete(_ code: CURLcode) {
        if code == CURLE_OK {
            var status = 0
            _ = dw_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            var effective: UnsafeMutablePointer<CChar>?
            _ = dw_curl_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
            var redirect: UnsafeMutablePointer<CChar>?
            _ = dw_curl_getinfo_string(handle, CURLINFO_REDIRECT_URL, &redirect)
            var ip: UnsafeMutablePointer<CChar>?
            _ = dw_curl_getinfo_string(handle, CURLINFO_PRIMARY_IP, &ip)
            var port = 0
            _ = dw_curl_getinfo_long(handle, CURLINFO_PRIMARY_PORT, &port)
            let connected = ip.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : NetworkAddress(ip: $0, port: port) }
            resume(.success(ExchangeResult(
                status: status, headers: headers, body: body,
                effectiveURL: effective.map { String(cString: $0) } ?? request.url,
                redirectURL: redirect.map { String(cString: $0) },
                connectedAddress: connected)))
        } else {
            resume(.failure(error(for: code)))
        }
    }

    func fail(_ error: FetchError) { resume(.failure(error)) }

    private func resume(_ result: Result<ExchangeResult, FetchError>) {
        guard !resumed else { return }
        resumed = true
        continuation.resume(with: result.mapError { $0 as any Error })
    }

    private func error(for code: CURLcode) -> FetchError {
        let url = request.url
        let detail = String(cString: curl_easy_strerror(code))
        if code == CURLE_COULDNT_CONNECT, let refusedAddress {
            // `HTTPClient` names the redirect that led here. (Only when no other address of the
            // host could be reached: a refused one beside a public one that worked is no error.)
            return .redirectToLocalNetwork(from: url, to: url, address: refusedAddress.description)
        }
        switch code {
        case CURLE_WRITE_ERROR where exceededLimit:
            return .bodyTooLarge(url: url, limit: request.policy.maxBodyBytes)
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled(url: url)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(url: url, detail: detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .cannotResolve(url: url, detail: detail)
        case CURLE_COULDNT_CONNECT:
            return .cannotConnect(url: url, detail: detail)
        case CURLE_UNSUPPORTED_PROTOCOL:
            return .unsupportedScheme(url: url)
        case CURLE_URL_MALFORMAT:
            return .invalidURL(url)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE:
            return .tls(url: url, detail: detail)
        default:
            return .transfer(url: url, code: Int(code.rawValue), detail: detail)
        }
    }

    // MARK: - Callback bodies

    fileprivate func append(_ data: UnsafeRawBufferPointer) -> Bool {
        if body.count + data.count > request.policy.maxBodyBytes {
            exceededLimit = true
            return false
        }
        body.append(contentsOf: data)
        return true
    }

    /// Opens the socket libcurl asks for unless it would connect to a local address.
    fileprivate func openSocket(_ address: UnsafeMutablePointer<curl_sockaddr>) -> curl_socket_t {
        let family = address.pointee.family
        let offset = MemoryLayout<curl_sockaddr>.offset(of: \curl_sockaddr.addr)!
        let target = NetworkAddress(socketAddress: UnsafeRawPointer(address) + offset, family: family)
        if target.map(request.policy.isLocalAddress) ?? true {
            refusedAddress = target ?? NetworkAddress(ip: "unreadable address", port: 0)
            return CURL_SOCKET_BAD
        }
        return socket(family, address.pointee.socktype, address.pointee.protocol)
    }

    fileprivate func appendHeaderLine(_ data: UnsafeRawBufferPointer) {
        let bytes = data.bindMemory(to: UInt8.self)
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var start = 0, end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if line.starts(with: "HTTP/".utf8) {
            // A new status line (after `100 Continue` or a proxy's CONNECT): start over.
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        var nameEnd = colon, valueStart = colon + 1
        while nameEnd > 0, isSpace(line[nameEnd - 1]) { nameEnd -= 1 }
        while valueStart < line.count, isSpace(line[valueStart]) { valueStart += 1 }
        // Bytes are Latin-1 on the wire for header values; decoded leniently as UTF-8.
        let name = String(decoding: UnsafeBufferPointer(rebasing: line[..<nameEnd]), as: UTF8.self)
        let raw = UnsafeBufferPointer(rebasing: line[valueStart...])
        var value = String(decoding: raw, as: UTF8.self)
        // A value travels into messages, logs and the state (a `Location` in an error): control
        // and bidi characters become spaces here, as RFC 9110 allows for CR, LF and NUL.
        // (`.text`: a tab stays; a header line holds no line feed.) Printable ASCII, nearly
        // every header, has none of them.
        let isPlainASCII = raw.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }
        if !isPlainASCII, value.unicodeScalars.contains(where: { Neutralizer.needsEscape($0, .text) }) {
            value = String(String.UnicodeScalarView(value.unicodeScalars.map { Neutralizer.needsEscape($0, .text) ? " " : $0 }))
        }
        headers.append(HTTPHeader(name: name, value: value))
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

// MARK: - libcurl callbacks

// libcurl: "Your callback should return the number of bytes actually taken care of. If that
// amount differs from the amount passed to your callback function, it signals an error
// condition to the library" — which is how the size cap aborts a transfer.
private func transferWrite(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    return transfer.append(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private func transferHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    transfer.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

// libcurl: "If you want to abort the connect, return CURL_SOCKET_BAD" — then the transfer fails
// with CURLE_COULDNT_CONNECT and `refusedAddress` says why.
private func transferOpenSocket(
    _ context: UnsafeMutableRawPointer?, _ purpose: curlsocktype, _ address: UnsafeMutablePointer<curl_sockaddr>?
) -> curl_socket_t {
    guard let context, let address else { return CURL_SOCKET_BAD }
    return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().openSocket(address)
}

// libcurl: "Returning a non-zero value from this callback will cause libcurl to abort the
// transfer and return CURLE_ABORTED_BY_CALLBACK." It runs at least once a second even when
// no data flows, so a cancelled task is noticed promptly.
private func transferProgress(
    _ context: UnsafeMutableRawPointer?, _: curl_off_t, _: curl_off_t, _: curl_off_t, _: curl_off_t
) -> Int32 {
    guard let context else { return 1 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.cancel.isSet ? 1 : 0
}
