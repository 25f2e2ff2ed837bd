import FlyingFox
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Pipeline
import ServiceLifecycle

/// `/metrics` (Prometheus text format) and `/healthz` over HTTP on the configured address only
/// (`[metrics] listen`, e.g. 127.0.0.1:9464). Health is the polling loop's heartbeat: 200
/// while it progresses, 503 once it has stalled as long as the watchdog allows.
struct MetricsService: Service {
    let host: String
    let port: UInt16
    let metrics: ScanMetrics
    let heartbeat: Heartbeat
    let logger: Logger
    var stallLimit: Duration = .seconds(900)

    /// Why the daemon cannot listen on `host:port`, or nil when it can: checked before any
    /// service starts, because a listener that fails once they run stops the whole group, each
    /// service logging its own cancellation before the one line that matters.
    static func problem(listening host: String, port: UInt16) -> String? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return "not an IPv4 address" }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound != 0 else { return nil }
        let code = errno
        let reason = String(cString: strerror(code)).lowercased()
        switch code {
        case EADDRINUSE: return "\(reason): another program listens there; stop it, or choose another port"
        case EADDRNOTAVAIL: return "\(reason): the address is not one of this machine's"
        case EACCES: return "\(reason): ports below 1024 need privileges; choose a higher one"
        default: return reason
        }
    }

    func run() async throws {
        // FlyingFox's own log (a line per request) stays off: the daemon logs what matters.
        let server = HTTPServer(address: try .inet(ip4: host, port: port), logger: .disabled)
        let (metrics, heartbeat, stallLimit) = (metrics, heartbeat, stallLimit)
        await server.appendRoute("GET /metrics") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: Data(metrics.text()))
        }
        await server.appendRoute("GET /healthz") { _ in
            heartbeat.age < stallLimit
                ? HTTPResponse(statusCode: .ok, body: Data("ok\n".utf8))
                : HTTPResponse(statusCode: .serviceUnavailable, body: Data("polling stalled\n".utf8))
        }
        logger.info("metrics listening", metadata: ["metrics.address": "\(host):\(port)"])
        // Stopping cancels the server; that is the end of this service, not its failure (a
        // service that throws makes the group cancel every other one at once).
        do { try await cancelWhenGracefulShutdown { try await server.run() } } catch where Task.isShuttingDownGracefully || Task.isCancelled {
            await server.stop(timeout: 1)
        }
    }
}
