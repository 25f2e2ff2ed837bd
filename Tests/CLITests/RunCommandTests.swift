import Foundation
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
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// Messages received until `condition` holds for one of them, or `seconds` pass.
        func wait(seconds: Double, until condition: (String) -> Bool) -> [String] {
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { continue }
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                messages.append(message)
                if condition(message) { break }
            }
            return messages
        }
    }

    @Test func notifiesReloadsAndStops() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-run-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try ClassifyCommands.writeConfig(in: folder, """
            retention_days = 0
            [[feeds]]
            name = "demo"
            url = "\(ClassifyCommands.checkout.appendingPathComponent("config/demo/feeds/drills-demo.xml").path)"
            """)

        let notify = try NotifySocket()
        let process = Process()
        process.executableURL = InspectCommand.executable
        process.arguments = ["run", "--config", config.path]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "1000000"
        process.environment = environment
        // The log goes to a file: a pipe nobody reads until the end could fill up and stall it.
        let logFile = folder.appendingPathComponent("run.log")
        #expect(FileManager.default.createFile(atPath: logFile.path, contents: nil))
        let errors = try FileHandle(forWritingTo: logFile)
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let started = notify.wait(seconds: 20) { $0.contains("READY=1") }
        #expect(started.contains { $0.contains("READY=1") })
        let alive = notify.wait(seconds: 5) { $0.contains("WATCHDOG=1") }
        #expect(alive.contains("WATCHDOG=1"))

        // A second daemon on the same state is refused, clearly, and leaves the first alone.
        let second = try InspectCommand.run(["run", "--config", config.path])
        #expect(second.status != 0)
        #expect(second.stderr.contains("another drillwatch (pid \(process.processIdentifier))"), "\(second.stderr)")
        #expect(process.isRunning)
        // So is a scan beside it (it would deliver the daemon's hooks a second time).
        let scan = try InspectCommand.run(["scan", "--config", config.path])
        #expect(scan.status == 75)
        #expect(scan.stderr.contains("is using this state"), "\(scan.stderr)")

        // The first pass writes the demo's alerts.
        let alertsFolder = folder.appendingPathComponent("output/alerts")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && ((try? FileManager.default.subpathsOfDirectory(atPath: alertsFolder.path))?.filter { $0.hasSuffix(".json") }.count ?? 0) < 1 {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(((try? FileManager.default.subpathsOfDirectory(atPath: alertsFolder.path)) ?? []).contains { $0.hasSuffix(".json") })

        kill(process.processIdentifier, SIGHUP)
        let reloaded = notify.wait(seconds: 10) { $0.contains("READY=1") }
        #expect(reloaded.contains { $0.contains("RELOADING=1") })
        #expect(reloaded.contains { $0.contains("READY=1") })

        let stopAt = Date()
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(stopAt) < 5)
        #expect(process.terminationStatus == 0)
        let stopping = notify.wait(seconds: 2) { $0.contains("STOPPING=1") }
        #expect(stopping.contains { $0.contains("STOPPING=1") })
        try errors.close()
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(log.contains("configuration reloaded"))
        #expect(log.contains("drillwatch stopped"))
    }
}
