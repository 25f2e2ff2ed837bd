import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Scans killed with SIGKILL at random moments, many times, then resumed: every alert the
/// uninterrupted scan writes exists exactly once, complete, as valid JSON.
@Suite struct CrashSafety {
    static func feed(_ index: Int) -> String {
        let seas = ["Sea of Japan", "East China Sea", "Yellow Sea", "Sea of Okhotsk", "Baltic Sea", "Arabian Sea"]
        var items = ""
        for n in 0..<24 {
            let sea = seas[n % seas.count]
            items += "<item><title>Chinese and Russian warships hold the Joint Sea-\(2000 + n) drill in the \(sea)</title>"
                + "<link>https://news.example/\(index)/\(n)</link><guid>f\(index)-\(n)</guid>"
                + "<pubDate>Mon, 02 Jun 2031 06:00:00 GMT</pubDate>"
                + "<description>Destroyers of the Chinese and Russian navies began exercise \(n)-\(index) in the \(sea), the ministries said. Drill \(n * 7 + index) includes air defence.</description></item>"
            items += "<item><title>Local market report \(n)</title><link>https://news.example/m\(index)/\(n)</link>"
                + "<guid>m\(index)-\(n)</guid><description>Prices were stable.</description></item>"
        }
        return "<rss version=\"2.0\"><channel><title>Feed \(index)</title>\(items)</channel></rss>"
    }

    static func config(_ folder: URL, server: TestServer) throws -> String {
        let feeds = (0..<4).map { "[[feeds]]\nname = \"feed\($0)\"\nurl = \"\(server.baseURL)/\($0).xml\"\n" }
        return try ClassifyCommands.writeConfig(in: folder, feeds.joined()).path
    }

    static func alerts(in folder: URL) -> [String: Data] {
        let root = folder.appendingPathComponent("output/alerts")
        var found: [String: Data] = [:]
        for path in (try? FileManager.default.subpathsOfDirectory(atPath: root.path)) ?? [] where path.hasSuffix(".json") {
            let name = (path as NSString).lastPathComponent
            #expect(found[name] == nil, "\(name) written twice")
            found[name] = FileManager.default.contents(atPath: root.appendingPathComponent(path).path)
        }
        return found
    }

    /// Runs `drillwatch arguments` `times` times, each killed with SIGKILL after a random delay
    /// up to `maxDelay` seconds if still running; `after` runs after each. Returns the kills.
    static func killRepeatedly(_ arguments: [String], times: Int, maxDelay: Double, after: () -> Void = {}) async throws -> Int {
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<times {
            let process = Process()
            process.executableURL = CLIRunner.executable
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .seconds(Double.random(in: 0.002...maxDelay, using: &generator)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            #expect(await process.waitForExit(timeout: 120), "drillwatch \(arguments.joined(separator: " ")) did not end")
            after()
        }
        return kills
    }

    /// Serves `feed(n)` at `/<n>.xml`.
    static func server() throws -> TestServer {
        try TestServer { request in
            let index = Int(request.path.dropFirst().prefix { $0.isNumber }) ?? 0
            return .response(status: 200, headers: [("Content-Type", "application/rss+xml")], body: Array(Self.feed(index).utf8))
        }
    }

    @Test func killedScansLoseNoAlertAndWriteNoneTwice() async throws {
        let server = try Self.server()
        defer { server.stop() }

        // The reference: one scan, never interrupted.
        let reference = FileManager.default.temporaryDirectory.appendingPathComponent("dw-crash-ref-\(UUID())")
        try FileManager.default.createDirectory(at: reference, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: reference) }
        let clean = try await CLIRunner.run(["scan", "--config", Self.config(reference, server: server)])
        #expect(clean.status == 0, "\(clean.stderr)")
        let expected = Self.alerts(in: reference)
        #expect(expected.count >= 20)

        // The same scan killed again and again, then allowed to finish.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-crash-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.config(folder, server: server)
        let kills = try await Self.killRepeatedly(["scan", "--config", config], times: 25, maxDelay: 0.4)
        let final = try await CLIRunner.run(["scan", "--config", config])
        #expect(final.status == 0, "\(final.stderr)")
        print("crash test: \(kills) scans killed with SIGKILL, \(expected.count) alerts expected")

        let written = Self.alerts(in: folder)
        #expect(Set(written.keys) == Set(expected.keys))
        for (name, data) in written {
            #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(name) is not valid JSON")
        }
        let leftovers = ((try? FileManager.default.subpathsOfDirectory(atPath: folder.appendingPathComponent("output").path)) ?? [])
            .filter { $0.contains(".tmp-") }
        #expect(leftovers.count <= 2, "temporary files left: \(leftovers)")
    }

    /// The same kills with a hook configured: every alert reaches the hook at least once, and
    /// a second delivery of one alert only ever follows a kill — of the hooks in flight (up to
    /// four at once), which finish on their own while drillwatch dies before recording them —
    /// never two deliveries in one uninterrupted pass.
    @Test func killedScansHookEveryAlert() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-crash-hook-\(UUID())")
        let hooked = folder.appendingPathComponent("hooked")
        try FileManager.default.createDirectory(at: hooked, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = (0..<4).map { "[[feeds]]\nname = \"feed\($0)\"\nurl = \"\(server.baseURL)/\($0).xml\"\n" }
        let config = try ClassifyCommands.writeConfig(in: folder, feeds.joined() + """
            [hooks]
            command = ["/bin/sh", "-c", "cat > \(hooked.path)/.part.$$ && mv \(hooked.path)/.part.$$ \(hooked.path)/$$-$(date +%s%N).json"]
            """).path
        let kills = try await Self.killRepeatedly(["scan", "--config", config], times: 20, maxDelay: 0.6)
        let final = try await CLIRunner.run(["scan", "--config", config])
        #expect(final.status == 0, "\(final.stderr)")

        var deliveries: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: hooked.path) where name.hasSuffix(".json") {
            let data = try Data(contentsOf: hooked.appendingPathComponent(name))
            let alert = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            deliveries[try #require(alert["id"] as? String), default: 0] += 1
        }
        let alerts = Set(Self.alerts(in: folder).keys.map { String($0.dropLast(".json".count)) })
        #expect(alerts.count >= 20)
        #expect(Set(deliveries.keys) == alerts)
        let repeated = deliveries.values.reduce(0) { $0 + $1 - 1 }
        #expect(repeated <= 4 * kills, "\(repeated) repeated deliveries after \(kills) kills")
        print("hook crash test: \(kills) scans killed, \(alerts.count) alerts, all hooked, \(repeated) delivered again after a kill")
    }

    /// `drillwatch digest` killed with SIGKILL at random moments: whatever digest files exist
    /// afterwards are whole (the JSON parses, the page is complete), and the next run writes all.
    @Test func killedDigestLeavesNoHalfFile() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-crash-digest-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.config(folder, server: server)
        #expect(try await CLIRunner.run(["scan", "--config", config]).status == 0)
        let day = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let digests = folder.appendingPathComponent("output/digests")

        func checkWhole() {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: digests.path)) ?? [] where !name.hasPrefix(".") {
                let data = FileManager.default.contents(atPath: digests.appendingPathComponent(name).path) ?? Data()
                if name.hasSuffix(".json") { #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(name) is torn") }
                if name.hasSuffix(".html") { #expect(String(decoding: data, as: UTF8.self).contains("</html>"), "\(name) is torn") }
                if name.hasSuffix(".md") { #expect(!data.isEmpty, "\(name) is empty") }
            }
        }
        let kills = try await Self.killRepeatedly(["digest", "--config", config, "--date", day], times: 20, maxDelay: 0.12, after: checkWhole)
        let final = try await CLIRunner.run(["digest", "--config", config, "--date", day])
        #expect(final.status == 0, "\(final.stderr)")
        checkWhole()
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: digests.path)) ?? [])
        #expect(names.isSuperset(of: ["\(day).md", "\(day).html", "\(day).json"]))
        print("digest crash test: \(kills) of 20 digest runs killed with SIGKILL")
    }
}
