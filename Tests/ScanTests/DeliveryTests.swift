import Foundation
import Daemon
import Locking
import Logging
import Model
import Pipeline
import Reports
import Settings
import Store
import TestSupport
import Testing

/// Hooks and webhooks from the delivery outbox: delivered once each, retried until the
/// receiver comes back, and never able to hold drillwatch past their timeout.
@Suite struct Deliveries {
    /// A clock the test moves.
    final class Clock: Sendable {
        let time = Locked(Date())
        var now: @Sendable () -> Date { { [time] in time.withLock { $0 } } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    /// A webhook receiver that answers `failing` while it is set, 204 otherwise.
    final class Receiver: Sendable {
        let posts = Locked<[TestServer.Request]>([])
        let failing = Locked<Int?>(nil)
    }

    static func server(_ feeds: Scans.Feeds, _ receiver: Receiver) throws -> TestServer {
        try TestServer { request in
            if request.method == "POST" {
                if let status = receiver.failing.withLock({ $0 }) { return .response(status: status, headers: [], body: []) }
                receiver.posts.withLock { $0.append(request) }
                return .response(status: 204, headers: [], body: [])
            }
            guard let body = feeds.body(request.path) else { return .response(status: 404, headers: [], body: []) }
            return .response(status: 200, headers: [], body: Array(body.utf8))
        }
    }

    /// A wire feed with `items`, an empty desk feed and a receiver answering `failing`, on
    /// loopback; state and output in a temporary folder, removed with it.
    final class World {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-delivery-\(UUID())")
        let feeds = Scans.Feeds()
        let receiver = Receiver()
        let server: TestServer
        var settings: Settings

        init(_ items: [(id: String, title: String, body: String)], failing: Int? = nil) throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            feeds.set("/wire.xml", Scans.rss(items))
            feeds.set("/desk.xml", Scans.rss([]))
            receiver.failing.withLock { $0 = failing }
            server = try Deliveries.server(feeds, receiver)
            settings = try Scans.settings(server, folder: folder)
        }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test func eachAlertIsDeliveredOncePerChannelAfterItsFilesAreWritten() async throws {
        let world = try World([Scans.drill])
        let received = world.folder.appendingPathComponent("hook-input.json")
        world.settings.hooks.command = ["/usr/bin/tee", "-a", received.path]
        world.settings.hooks.webhook = world.server.baseURL + "/hook"
        let (settings, receiver) = (world.settings, world.receiver)
        let store = try Scans.store(settings)

        let summary = try await Scans.scan(settings, store)
        #expect(summary.alertFilesWritten == 1)
        await #expect(try store.deliveryCounts().pending == 2)
        let worker = DeliveryWorker(settings: settings.hooks, store: store)
        let report = await worker.deliverDue()
        #expect(report.delivered == 2)
        #expect(report.failures.isEmpty, "\(report.failures)")

        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(Judgement.self, from: Data(contentsOf: received)).itemKey == "id:d1")
        let post = try #require(receiver.posts.withLock { $0.first })
        #expect(post.headers["content-type"] == "application/json")
        #expect(try decoder.decode(Judgement.self, from: Data(post.body)).itemKey == "id:d1")

        // Another pass, another scan: nothing is delivered twice.
        #expect(await worker.deliverDue().delivered == 0)
        _ = try await Scans.scan(settings, store)
        #expect(await worker.deliverDue().delivered == 0)
        #expect(receiver.posts.withLock { $0.count } == 1)
        let hooked = try String(contentsOf: received, encoding: .utf8)
        #expect(hooked.components(separatedBy: "\"item_key\"").count == 2, "\(hooked)")
        await #expect(try store.deliveryCounts() == DeliveryCounts())
    }

    @Test func aFailedDeliveryIsRetriedWithBackOffUntilTheReceiverComesBack() async throws {
        let world = try World([Scans.drill, Scans.patrol], failing: 503)
        world.settings.hooks.webhook = world.server.baseURL + "/hook"
        let (settings, receiver) = (world.settings, world.receiver)
        let store = try Scans.store(settings)
        let clock = Clock()
        _ = try await Scans.scan(settings, store, now: clock.now)
        let worker = DeliveryWorker(settings: settings.hooks, store: store, now: clock.now)

        let first = await worker.deliverDue()
        #expect(first.delivered == 0)
        #expect(first.failures.count == 2)
        #expect(first.failures.allSatisfy { $0.willRetry && $0.error.contains("503") })
        // Not due again before its back-off has passed.
        #expect(await worker.deliverDue().failures.isEmpty)
        var counts = try await store.deliveryCounts()
        #expect(counts.pending == 2 && counts.retrying == 2)
        #expect(counts.lastError?.contains("503") == true)

        clock.advance(31)
        #expect(await worker.deliverDue().failures.count == 2)
        receiver.failing.withLock { $0 = nil }
        clock.advance(61)
        let back = await worker.deliverDue()
        #expect(back.delivered == 2)
        #expect(receiver.posts.withLock { $0.count } == 2)
        counts = try await store.deliveryCounts()
        #expect(counts.pending == 0 && counts.expired == 0)
    }

    @Test func aDeliveryIsGivenUpWhenRejectedOrExpired() async throws {
        let world = try World([Scans.drill], failing: 410)
        world.settings.hooks.webhook = world.server.baseURL + "/hook?token=SECRET"
        world.settings.hooks.command = ["/bin/sh", "-c", "echo 'desk unreachable' >&2; exit 3"]
        world.settings.hooks.retryHours = 1
        let settings = world.settings
        let store = try Scans.store(settings)
        let clock = Clock()
        _ = try await Scans.scan(settings, store, now: clock.now)
        let worker = DeliveryWorker(settings: settings.hooks, store: store, now: clock.now)

        let report = await worker.deliverDue()
        let webhook = try #require(report.failures.first { $0.channel == .webhook })
        #expect(!webhook.willRetry, "a 410 will not get better")
        #expect(!webhook.error.contains("SECRET"), "\(webhook.error)")
        let command = try #require(report.failures.first { $0.channel == .command })
        #expect(command.willRetry)
        #expect(command.error.contains("exited with status 3") && command.error.contains("desk unreachable"), "\(command.error)")

        clock.advance(3700)
        let late = await worker.deliverDue()
        #expect(late.failures.count == 1 && late.failures[0].willRetry == false)
        let counts = try await store.deliveryCounts()
        #expect(counts.expired == 2 && counts.pending == 0)
        // The day's digest says so under the feeds' health, with the hook's own words.
        let builder = DigestBuilder(settings: settings, store: store)
        let digest = try await builder.build(day: builder.day(containing: clock.now()))
        #expect(digest.deliveries?.contains("2 given up") == true, "\(digest.deliveries ?? "nil")")
        #expect(DigestRenderer.markdown(digest).contains("Deliveries: 0 pending"))
    }
}

extension Deliveries {
    @Test func aDeliveryWhoseAlertCannotBeReadIsGivenUpWithItsReasonNotDropped() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.markWritten(["ghost"], deliverTo: [.command])
        await #expect(try store.dueDeliveries(at: Date()).isEmpty)
        let counts = try await store.deliveryCounts()
        #expect(counts.expired == 1)
        #expect(counts.lastError?.contains("cannot be read") == true)
    }
}

/// The process contract of hooks and of the reload check: their own process group, only the
/// standard streams, stopped at the deadline, never waited on past it.
@Suite struct ChildProcesses {
    @Test func aBackgroundChildThatKeepsTheStreamsDoesNotHoldTheCaller() async {
        let outcome = await ChildProcess.run(["/bin/sh", "-c", "(sleep 20) & exit 0"], input: Array("{}".utf8), timeout: .seconds(30))
        #expect(outcome.termination == .exited(0))
        // The old hook waited the 20 s of the background child. (The watching thread's own
        // measure: the test's task may wait longer for a thread while other suites run.)
        #expect(outcome.duration < .seconds(10))
    }

    @Test func theGroupIsStoppedAtTheDeadline() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-child-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pidFile = folder.appendingPathComponent("child.pid").path
        let outcome = await ChildProcess.run(
            ["/bin/sh", "-c", "sleep 30 & echo $! > \(pidFile); trap '' TERM; wait"], timeout: .seconds(1))
        #expect(outcome.termination == .timedOut)
        #expect(outcome.duration < .seconds(5))
        let child = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The background child was in the group: it is gone too (or a zombie awaiting init).
        var gone = false
        for _ in 0..<100 {
            let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            if state == nil || state == "Z" { gone = true; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(gone)
    }

    @Test func onlyTheStandardStreamsAreOpenAndStderrIsKept() async throws {
        // A descriptor of ours without close-on-exec: the child must not get it anyway.
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("dw-leak-probe-\(UUID())").path
        let leaked = open(probe, O_RDWR | O_CREAT, 0o600)
        defer { close(leaked); unlink(probe) }
        // The shell's own descriptors are listed with their targets.
        let outcome = await ChildProcess.run(["/bin/sh", "-c", "ls -l /proc/$$/fd >&2; exit 4"], timeout: .seconds(5))
        #expect(outcome.termination == .exited(4))
        #expect(outcome.stderr.contains(" 2 -> "), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("dw-leak-probe"), "\(outcome.stderr)")
    }

    @Test func aLargeInputIsWrittenToAProgramThatReadsIt() async {
        let input = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let outcome = await ChildProcess.run(["/bin/sh", "-c", "wc -c >&2"], input: input, timeout: .seconds(10))
        #expect(outcome.termination == .exited(0))
        #expect(outcome.stderr == "1048576")
    }

    @Test func aReloadCheckThatCrashesIsARefusalNotACrash() async throws {
        let crash = try #require(await ReloadService.validateApart("x.toml", with: ["/bin/sh", "-c", "kill -SEGV $$", "sh"]))
        #expect(crash.contains("crashed the checker (signal 11)"), "\(crash)")
        let refused = try #require(await ReloadService.validateApart("x.toml", with: ["/bin/sh", "-c", "echo 'x.toml:1: error: base: loop' >&2; exit 2", "sh"]))
        #expect(refused == "x.toml:1: error: base: loop")
        #expect(await ReloadService.validateApart("x.toml", with: ["/bin/true"]) == nil)
    }

    @Test func aProgramThatIsNotThereIsReported() async {
        let outcome = await ChildProcess.run(["/nonexistent/hook"], timeout: .seconds(1))
        if case .cannotStart(let reason) = outcome.termination {
            #expect(reason.contains("No such file"))
        } else {
            Issue.record("expected cannotStart, got \(outcome.termination)")
        }
    }
}

/// A feed that invents thousands of items per fetch fills the database no faster than the cap.
@Suite struct NewItemCap {
    @Test func newItemsBeyondTheCapWaitForLaterFetches() async throws {
        let world = try Deliveries.World([])
        // 30 drill reports, the first 10 of them the newest.
        let items = (0..<30).map { n in
            (id: "x\(n)", title: "Chinese and Russian warships begin joint drill number \(n) in the Sea of Japan",
             body: "Destroyers of the Chinese and Russian navies began exercise \(n) near Vladivostok, the defence ministries said.")
        }
        world.feeds.set("/wire.xml", Scans.rss(items))
        world.settings.feeds[0].maxNewItems = 10
        let store = try Scans.store(world.settings)

        let first = try await Scans.scan(world.settings, store)
        let wire = try #require(first.outcomes.first { $0.feed == "wire" })
        #expect(wire.items == 30 && wire.newItems == 10 && wire.capped == 20)
        await #expect(try store.feedState("wire")?.capped == 20)

        // The backlog comes in later fetches, ten at a time.
        let second = try await Scans.scan(world.settings, store)
        let backlog = try #require(second.outcomes.first { $0.feed == "wire" })
        #expect(backlog.newItems == 10 && backlog.capped == 10, "\(backlog.status)")
        let third = try await Scans.scan(world.settings, store)
        let rest = try #require(third.outcomes.first { $0.feed == "wire" })
        #expect(rest.newItems == 10 && rest.capped == 0, "\(rest.status)")
        await #expect(try store.feedState("wire")?.capped == 0)
        await #expect(try store.feedState("wire")?.itemsSeen == 30)
    }
}

/// The daemon's log lines cannot be split or forged by what a server sends.
@Suite struct LogLines {
    @Test func valuesAreQuotedAndEscapedOnOneLine() {
        let line = LineLogHandler.format(
            time: Date(timeIntervalSince1970: 0), level: .warning, label: "drillwatch", message: "feed failed\nlevel=critical",
            metadata: ["error": "http://u:pw@h/f?token=t: 500\u{2028}alert=forged \u{1B}[2J", "feed.name": "tass", "scan.duration_s": "0.104"])
        #expect(line == #"1970-01-01T00:00:00Z warning drillwatch: feed failed\nlevel=critical error="http://***@h/f?token=***: 500\\u{2028}alert=forged \\u{1B}[2J" feed.name=tass scan.duration_s=0.104"#)
        #expect(!line.contains("\n") && !line.contains("pw@"))
    }

    @Test func jsonLinesParseAndHoldTheSameFields() throws {
        let line = LineLogHandler.json(
            time: Date(timeIntervalSince1970: 0), level: .warning, label: "drillwatch", message: "feed failed\nlevel=critical",
            metadata: ["error": "http://u:pw@h/f: 500 \"quoted\"", "feed.name": "tass", "level": "forged"])
        #expect(!line.contains("\n") && !line.contains("pw@"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "warning" && object["meta.level"] == "forged")
        #expect(object["feed.name"] == "tass" && object["time"] == "1970-01-01T00:00:00Z")
        #expect(object["message"] == "feed failed\\nlevel=critical")
        #expect(object["error"]?.contains("***@h") == true)
    }
}
