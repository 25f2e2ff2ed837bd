import FlyingFox
import Foundation
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
