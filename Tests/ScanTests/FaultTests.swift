import Foundation
import GRDB
import Pipeline
import Settings
import Store
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Faults of the machine rather than of the feeds: a database another process holds locked,
/// a disk that fills up. In each, the scan reports the problem, loses nothing, and the first
/// scan after the fault is gone writes every pending alert exactly once.
@Suite struct Faults {
    @Test func lockedDatabaseFailsClearlyAndLosesNothing() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-lock-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Scans.Feeds()
        feeds.set("/wire.xml", Scans.rss([Scans.drill]))
        feeds.set("/desk.xml", Scans.rss([Scans.patrol]))
        let server = try Scans.server(feeds)
        defer { server.stop() }
        let settings = try Scans.settings(server, folder: folder)
        let path = settings.stateFolder.appendingPathComponent("drillwatch.sqlite").path
        let store = try SQLiteStore.open(at: path, busyTimeout: 1)

        // Another connection (as `sqlite3` or a backup would) takes the write lock and keeps
        // it until told to let go.
        let other = try DatabaseQueue(path: path)
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? other.inDatabase { db in
                try db.execute(sql: "BEGIN EXCLUSIVE")
                holding.signal()
                release.wait()
                try db.execute(sql: "ROLLBACK")
            }
        }
        holder.start()
        holding.wait()
        let locked = try? await Scans.scan(settings, store)
        let failures = locked?.outcomes.compactMap { outcome -> String? in
            if case .failed(let message) = outcome.status { return message } else { return nil }
        } ?? []
        // Either the scan as a whole or each feed says so; no alert was written.
        #expect(locked == nil || failures.count == 2)
        #expect(failures.allSatisfy { $0.contains("locked") || $0.contains("busy") }, "\(failures)")
        #expect(Scans.alertFiles(folder).isEmpty)
        release.signal()
        while holder.isExecuting { try await Task.sleep(for: .milliseconds(10)) }

        // The lock is gone: the same items are news still, and alert once each.
        let summary = try await Scans.scan(settings, store)
        #expect(summary.failedFeeds == 0)
        #expect(summary.alertFilesWritten == 2)
        #expect(Scans.alertFiles(folder).count == 2)
        #expect(try await Scans.scan(settings, store).alertFilesWritten == 0)
    }

    /// The state database and the output share a small tmpfs that fills up between scans.
    /// Needs root to mount it (CI and the development machine have it); elsewhere
    /// `scripts/fault-disk-full` is the manual version with the real binary.
    ///
    /// Run twice: with a new scanner for each scan (as `drillwatch scan` runs), and with one
    /// scanner for every scan (as the daemon keeps it), where the items judged while the disk
    /// was full must not stay in its story memory as if they were stored.
    @Test(.enabled(if: Faults.canMountTmpfs, "needs root allowed to mount a tmpfs"), arguments: [false, true])
    func fullDiskLosesNothingAndCatchesUp(oneScanner: Bool) async throws {
        let disk = FileManager.default.temporaryDirectory.appendingPathComponent("dw-full-\(UUID())")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: disk) }
        try #require(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk.path]) == 0)
        defer { _ = Self.run("/bin/umount", ["-l", disk.path]) }

        let feeds = Scans.Feeds()
        feeds.set("/wire.xml", Scans.rss([]))
        feeds.set("/desk.xml", Scans.rss([]))
        let server = try Scans.server(feeds)
        defer { server.stop() }
        let settings = try Scans.settings(server, folder: disk)
        let store = try Scans.store(settings)
        let kept = oneScanner ? FeedScanner(settings: settings, store: store, classifier: try ClassifierLoader.classifier(settings)) : nil
        func scan() async throws -> ScanSummary {
            if let kept { return try await kept.scan() }
            return try await Scans.scan(settings, store)
        }
        _ = try await scan()

        // The disk fills up; then the news comes.
        let filler = disk.appendingPathComponent("filler")
        #expect(FileManager.default.createFile(atPath: filler.path, contents: nil))
        let handle = try FileHandle(forWritingTo: filler)
        while (try? handle.write(contentsOf: Data(count: 4096))) != nil {}
        try? handle.close()
        feeds.set("/wire.xml", Scans.rss([Scans.drill]))
        feeds.set("/desk.xml", Scans.rss([Scans.patrol]))

        var reported: [String] = []
        do {
            let full = try await scan()
            reported = full.writeErrors.map(\.description) + full.outcomes.compactMap { if case .failed(let m) = $0.status { m } else { nil } }
        } catch {
            reported = ["\(error)"]
        }
        #expect(!reported.isEmpty, "a full disk went unreported")
        #expect(reported.allSatisfy { $0.localizedCaseInsensitiveContains("full") || $0.localizedCaseInsensitiveContains("space") }, "\(reported)")
        // Nothing is left behind that looks like an alert.
        for file in Scans.alertFiles(disk) { #expect((try? JSONSerialization.jsonObject(with: Data(contentsOf: file))) != nil) }

        // Space returns: every alert is written, once, whatever the full disk interrupted.
        try FileManager.default.removeItem(at: filler)
        _ = try await scan()
        _ = try await scan()
        await #expect(try store.pendingAlerts().alerts.isEmpty)
        let files = Scans.alertFiles(disk)
        #expect(files.count == 2)
        for file in files { #expect((try? JSONSerialization.jsonObject(with: Data(contentsOf: file))) != nil) }
    }

    /// The output folder is a read-only mount (root ignores permission bits, so a mount it is).
    @Test(.enabled(if: Faults.canMountTmpfs, "needs root allowed to mount a tmpfs"))
    func readOnlyOutputKeepsAlertsPending() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-ro-\(UUID())")
        let output = folder.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try #require(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", output.path]) == 0)
        let feeds = Scans.Feeds()
        feeds.set("/wire.xml", Scans.rss([Scans.drill]))
        feeds.set("/desk.xml", Scans.rss([]))
        let server = try Scans.server(feeds)
        defer { server.stop() }
        let settings = try Scans.settings(server, folder: folder)
        let store = try Scans.store(settings)
        let readOnly = try await Scans.scan(settings, store)
        #expect(readOnly.alertFilesWritten == 0)
        // Typed: the alert's files, with the alert named.
        #expect(readOnly.writeErrors.contains { problem in
            guard case .alertFiles(let alert, let error) = problem else { return false }
            return !alert.isEmpty && (error.reason.contains("read only") || error.reason.contains("Read-only"))
        }, "\(readOnly.writeErrors)")
        #expect(try await store.pendingAlerts().alerts.count == 1)

        _ = Self.run("/bin/umount", ["-l", output.path])
        #expect(try await Scans.scan(settings, store).alertFilesWritten == 1)
        #expect(Scans.alertFiles(folder).count == 1)
    }

    /// Root in a container may still be refused `mount`: try once with a throwaway tmpfs.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/mount") else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("dw-mount-probe-\(UUID())")
        guard (try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(at: probe) }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path]) == 0 else { return false }
        return run("/bin/umount", [probe.path]) == 0
    }()

    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        (try? Subprocess.run(URL(fileURLWithPath: tool), arguments, timeout: 60).status) ?? -1
    }
}
