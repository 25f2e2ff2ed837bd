import Foundation
import Locking
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server for tests. It binds 127.0.0.1 only, on a port the kernel picks,
/// serves each connection on its own thread, and stops by itself after `lifetime` even if a
/// test forgets to call `stop()`.
public final class TestServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]  // lower-cased names
        public var body: [UInt8] = []
    }

    public enum Reply: Sendable {
        case response(status: Int, headers: [(String, String)], body: [UInt8])
        /// Headers, then `firstBytes` of the body, then silence for `seconds`.
        case stall(firstBytes: [UInt8], seconds: Double)
        /// A body that never ends: `chunk` repeated until the client goes away.
        case endless(chunk: [UInt8])
        /// A body sent one byte every `interval` seconds, for ever: slow enough to hold a
        /// connection open, never silent long enough to look dead.
        case trickle(interval: Double)
    }

    public typealias Handler = @Sendable (Request) -> Reply

    public let port: UInt16
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    private let requestLog = Locked<[Request]>([])

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var requests: [Request] { requestLog.withLock { $0 } }

    /// `lifetime` is a safety net for a test that forgets `stop()`, not a test's time limit:
    /// under the sanitizers (`scripts/sanitize`) the whole suite runs several times slower,
    /// and a test waits its turn for minutes: servers that stopped after a minute, and later
    /// after five (the suite under ThreadSanitizer now takes six), made the scans of tests
    /// still waiting fail to connect. Half an hour is longer than any run of the suite.
    public init(lifetime: Duration = .seconds(1800), handler: @escaping Handler) throws {
        (listener, port) = try LoopbackListener.open()

        let acceptThread = Thread { [self] in acceptLoop(handler) }
        acceptThread.start()
        let deadline = Thread { [self] in
            Thread.sleep(forTimeInterval: Double(lifetime.components.seconds))
            stop()
        }
        deadline.start()
    }

    deinit { stop() }

    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop(_ handler: @escaping Handler) {
        while !stopped.load(ordering: .acquiring) {
            let client = accept(listener, nil, nil)
            if client < 0 { if stopped.load(ordering: .acquiring) { return } else { continue } }
            let connection = Thread { [self] in serve(client, handler) }
            connection.start()
        }
    }

    private func serve(_ client: Int32, _ handler: Handler) {
        defer { close(client) }
        guard let request = readRequest(client) else { return }
        requestLog.withLock { $0.append(request) }
        switch handler(request) {
        case .response(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "\r\n"
            _ = write(client, Array(head.utf8) + body)
        case .stall(let firstBytes, let seconds):
            let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n"
            _ = write(client, Array(head.utf8) + firstBytes)
            Thread.sleep(forTimeInterval: seconds)
        case .endless(let chunk):
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n"
            guard write(client, Array(head.utf8)) else { return }
            while !stopped.load(ordering: .acquiring), write(client, chunk) {}
        case .trickle(let interval):
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n"
            guard write(client, Array(head.utf8) + Array("<rss><channel>".utf8)) else { return }
            while !stopped.load(ordering: .acquiring), write(client, [0x20]) {
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }

    private func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    private func readRequest(_ fd: Int32) -> Request? {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while buffer.count < 64 * 1024 {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
            guard let end = buffer.indices.dropLast(3).first(where: {
                buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10
            }) else { continue }
            let text = String(decoding: buffer[..<end], as: UTF8.self)
            let lines = text.components(separatedBy: "\r\n")
            let parts = lines[0].split(separator: " ")
            guard parts.count >= 2 else { return nil }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() where line.contains(":") {
                let pair = line.split(separator: ":", maxSplits: 1)
                headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces)
            }
            var body = Array(buffer[(end + 4)...])
            let length = min(Int(headers["content-length"] ?? "0") ?? 0, 1 << 20)
            while body.count < length {
                let count = recv(fd, &chunk, chunk.count, 0)
                if count <= 0 { break }
                body.append(contentsOf: chunk[0..<count])
            }
            return Request(method: String(parts[0]), path: String(parts[1]), headers: headers, body: body)
        }
        return nil
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 308: "Permanent Redirect"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// A listening TCP socket on 127.0.0.1, on a port the kernel picks: the test servers' one way
/// to open one.
enum LoopbackListener {
    static func open(backlog: Int32 = 64) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }
}
