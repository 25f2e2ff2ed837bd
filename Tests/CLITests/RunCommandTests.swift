import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `drillwatch run` under a test NOTIFY_SOCKET, as systemd would start it.
@Suite struct RunCommand {
    /// A datagram socket standing in for systemd's notification socket.
    final class NotifySocket {
        let path: String
        private let fd: Int32

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("dw-notify-\(UUID().uuidString.prefix(8)).sock").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// Messages received until `condition` holds for one of them, or `seconds` pass;
        /// suspended, not blocked, between looks (see `Subprocess.run`). What arrived is read
        /// before the deadline is checked: a test resumed late (the whole suite under
        /// ThreadSanitizer kept it waiting past its deadline) still finds the message waiting.
        func wait(seconds: Double, until condition: (String) -> Bool) async -> [String] {
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count > 0 {
                    let message = String(decoding: buffer[0..<count], as: UTF8.self)
                    messages.append(message)
                    if condition(message) { break }
                    continue
                }
                guard Date() < deadline else { break }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return messages
        }
    }

    /// How long a daemon may take to get somewhere (ready, a pass done, a reload): generous,
    /// as the rest of the suite runs beside it on two cores, where a debug build's first pass
    /// has taken more than 15 s. A passing test waits only as long as the daemon takes; the
    /// bounds on how soon it stops are kept tight.
    static let patience: Double = 120

    /// `drillwatch run --config config` with a test notification socket; its log in `run.log`.
    static func start(_ config: URL, in folder: URL) throws -> (Process, NotifySocket, URL) {
        let notify = try NotifySocket()
        let process = Process()
        process.executableURL = CLIRunner.executable
        process.arguments = ["run", "--config", config.path]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "1000000"
        process.environment = environment
        // The log goes to a file: a pipe nobody reads until the end could fill up and stall it.
        let logFile = folder.appendingPathComponent("run.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, notify, logFile)
    }

    /// A hook that stalls (and leaves a child holding its streams) and a reload with a
    /// configuration that crashed the parser: the daemon stays up on its old configuration,
    /// stops the hook's process group at the timeout, and stops at once on SIGTERM.
    @Test func aStallingHookAndAHostileReloadDoNotTakeTheDaemonDown() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-run-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pids = folder.appendingPathComponent("hook-pids")
        let config = try ClassifyCommands.writeDemoConfig(in: folder, """
            [hooks]
            command = ["/bin/sh", "-c", "cat > /dev/null; sleep 60 & echo $! >> \(pids.path); wait"]
            command_timeout_seconds = 2
            """)
        let (process, notify, logFile) = try Self.start(config, in: folder)
        defer { if process.isRunning { process.terminate() } }
        #expect(await notify.wait(seconds: Self.patience) { $0.contains("READY=1") }.contains { $0.contains("READY=1") })

        // The hooks run and are stopped at their timeout, children included.
        let deadline = Date().addingTimeInterval(Self.patience)
        while Date() < deadline, !((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").contains("its process group was stopped") {
            try await Task.sleep(for: .seconds(0.1))
        }
        let hookPids = ((try? String(contentsOf: pids, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
        #expect(!hookPids.isEmpty)
        try await Task.sleep(for: .seconds(1))
        for pid in hookPids.prefix(1) {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            #expect(state == nil || state == "Z", "the hook's child \(pid) is still running")
        }

        // A base loop and a rule 20,000 parentheses deep: both refused, the daemon goes on.
        let loopA = folder.appendingPathComponent("a.toml"), loopB = folder.appendingPathComponent("b.toml")
        try "base = \"b.toml\"\n".write(to: loopA, atomically: true, encoding: .utf8)
        try "base = \"a.toml\"\n".write(to: loopB, atomically: true, encoding: .utf8)
        let original = try String(contentsOf: config, encoding: .utf8)
        let deep = String(repeating: "(", count: 20_000) + "drill" + String(repeating: ")", count: 20_000)
        for hostile in ["base = \"a.toml\"\n", original + "\n[[rules]]\nname = \"deep\"\nquery = \"\(deep)\"\nweight = 1\n"] {
            try hostile.write(to: config, atomically: true, encoding: .utf8)
            kill(process.processIdentifier, SIGHUP)
            #expect(await notify.wait(seconds: Self.patience) { $0.contains("READY=1") }.contains { $0.contains("READY=1") })
            #expect(process.isRunning)
        }
        let refusals = try String(contentsOf: logFile, encoding: .utf8).components(separatedBy: "reload refused").count - 1
        #expect(refusals == 2)

        // SIGTERM while hooks are being delivered: out within seconds, not after the hooks.
        let stopAt = Date()
        process.terminate()
        #expect(await process.waitForExit(timeout: 30))
        #expect(Date().timeIntervalSince(stopAt) < 10)
    }

    @Test func notifiesReloadsAndStops() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-run-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try ClassifyCommands.writeDemoConfig(in: folder)

        let (process, notify, logFile) = try Self.start(config, in: folder)
        defer { if process.isRunning { process.terminate() } }

        let started = await notify.wait(seconds: Self.patience) { $0.contains("READY=1") }
        #expect(started.contains { $0.contains("READY=1") })
        let alive = await notify.wait(seconds: 30) { $0.contains("WATCHDOG=1") }
        #expect(alive.contains("WATCHDOG=1"))

        // A second daemon on the same state is refused, clearly, and leaves the first alone.
        let second = try await CLIRunner.run(["run", "--config", config.path])
        #expect(second.status != 0)
        #expect(second.stderr.contains("another drillwatch (pid \(process.processIdentifier))"), "\(second.stderr)")
        #expect(process.isRunning)
        // So is a scan beside it (it would deliver the daemon's hooks a second time).
        let scan = try await CLIRunner.run(["scan", "--config", config.path])
        #expect(scan.status == 75)
        #expect(scan.stderr.contains("is using this state"), "\(scan.stderr)")

        // The first pass writes the demo's alerts.
        let alertsFolder = folder.appendingPathComponent("output/alerts")
        let deadline = Date().addingTimeInterval(Self.patience)
        while Date() < deadline && ((try? FileManager.default.subpathsOfDirectory(atPath: alertsFolder.path))?.filter { $0.hasSuffix(".json") }.count ?? 0) < 1 {
            try await Task.sleep(for: .seconds(0.1))
        }
        #expect(((try? FileManager.default.subpathsOfDirectory(atPath: alertsFolder.path)) ?? []).contains { $0.hasSuffix(".json") })

        // A feed added and the configuration reloaded: fetched at once, not when the first
        // feed is next due (its <ttl> of 15 minutes held the poller for five).
        let desk = ClassifyCommands.checkout.appendingPathComponent("config/demo/feeds/asia-desk.xml").path
        try (try String(contentsOf: config, encoding: .utf8) + "\n[[feeds]]\nname = \"desk\"\nurl = \"\(desk)\"\n")
            .write(to: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let reloaded = await notify.wait(seconds: Self.patience) { $0.contains("READY=1") }
        #expect(reloaded.contains { $0.contains("RELOADING=1") })
        #expect(reloaded.contains { $0.contains("READY=1") })
        let fetched = Date().addingTimeInterval(Self.patience)
        while Date() < fetched, !((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").contains("feed.name=desk") {
            try await Task.sleep(for: .seconds(0.1))
        }
        #expect(try String(contentsOf: logFile, encoding: .utf8).contains("feed.name=desk"), "the added feed was not fetched after the reload")

        let stopAt = Date()
        process.terminate()  // SIGTERM
        #expect(await process.waitForExit(timeout: 30))
        #expect(Date().timeIntervalSince(stopAt) < 5)
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(process.terminationStatus == 0, "the daemon's log:\n\(log.suffix(4000))")
        let stopping = await notify.wait(seconds: 2) { $0.contains("STOPPING=1") }
        #expect(stopping.contains { $0.contains("STOPPING=1") })
        #expect(log.contains("configuration reloaded"))
        #expect(log.contains("drillwatch stopped"))
    }

    /// `/metrics` and `/healthz` on the configured loopback address, the textfile after the
    /// pass, and a stop with nothing logged as an error.
    @Test func metricsAreServedAndTheStopIsQuiet() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-metrics-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try Self.freePort()
        let config = try ClassifyCommands.writeDemoConfig(in: folder, "[metrics]\nlisten = \"127.0.0.1:\(port)\"\n")
        let (process, notify, logFile) = try Self.start(config, in: folder)
        defer { if process.isRunning { process.terminate() } }
        #expect(await notify.wait(seconds: Self.patience) { $0.contains("READY=1") }.contains { $0.contains("READY=1") })

        // After the first pass: its alert counted, the textfile written.
        let deadline = Date().addingTimeInterval(Self.patience)
        var metrics = Self.get(port: port, path: "/metrics")
        while !metrics.contains("drillwatch_alerts_total 1") && Date() < deadline {
            try await Task.sleep(for: .seconds(0.2))
            metrics = Self.get(port: port, path: "/metrics")
        }
        #expect(metrics.contains("HTTP/1.1 200"), "\(metrics.prefix(300))")
        #expect(metrics.contains("drillwatch_alerts_total 1"))
        #expect(metrics.contains("drillwatch_fetches_total{outcome=\"fetched\"} 1"))
        #expect(metrics.contains("drillwatch_scan_duration_seconds_count 1"))
        // The demo's feed is a local file: its links are never followed.
        #expect(metrics.contains("drillwatch_articles_total{outcome=\"read\"} 0"))
        #expect(Self.get(port: port, path: "/healthz").contains("HTTP/1.1 200"))
        let textfile = try String(contentsOf: folder.appendingPathComponent("state/drillwatch.prom"), encoding: .utf8)
        #expect(textfile.contains("drillwatch_items_new_total"))

        process.terminate()
        #expect(await process.waitForExit(timeout: 30))
        #expect(process.terminationStatus == 0)
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(log.contains("metrics listening") && log.contains("drillwatch stopped"))
        #expect(!log.contains(" error ") && !log.contains(" critical "), "\(log.prefix(2000))")
        #expect(log.split(separator: "\n").count < 50)
    }

    /// A metrics address another program holds, or that is not this machine's: one line saying
    /// so and exit 2, before anything starts. Once the services ran, the listener's failure
    /// stopped them all, each logging its own cancellation, then a raw "failed(type: Bind …)".
    @Test func aMetricsAddressInUseIsRefusedBeforeAnythingStarts() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-metrics-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let holder = try TestServer { _ in .response(status: 200, headers: [], body: []) }
        defer { holder.stop() }
        let config = try ClassifyCommands.writeDemoConfig(in: folder, "[metrics]\nlisten = \"127.0.0.1:\(holder.port)\"\n")
        let run = try await CLIRunner.run(["run", "--config", config.path], timeout: 60)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("[metrics] listen 127.0.0.1:\(holder.port): address already in use: another program listens there"),
                "\(run.stderr)")
        #expect(!run.stderr.contains("CancellationError") && !run.stderr.contains("drillwatch started"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("output/alerts").path))
        // A host name is not an address the server can listen on: refused with its line.
        let named = try ClassifyCommands.writeDemoConfig(in: folder, "[metrics]\nlisten = \"localhost:9464\"\n")
        let check = try await CLIRunner.run(["check-config", "--config", named.path])
        #expect(check.status == 2 && check.stderr.contains("metrics.listen: must be an IPv4 address and a port"), "\(check.stderr)")
    }

    /// A port nothing listens on now (the kernel's pick, released).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    /// The raw HTTP response to `GET path` on 127.0.0.1:`port` ("" when nothing answers).
    static func get(port: UInt16, path: String) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        // A server that accepts and never answers fails the test rather than holding it.
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { break }
            response += chunk[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
