import Foundation
import Locking
import Logging
import Pipeline
import Reports
import ServiceLifecycle
import Settings
import Store
import UnixSignals

/// The configuration in force, replaced as a whole by a successful reload.
public final class ConfigHolder: Sendable {
    private let state: Locked<(settings: Settings, generation: Int)>

    public init(_ settings: Settings) {
        state = Locked((settings, 0))
    }

    public var current: (settings: Settings, generation: Int) { state.withLock { $0 } }

    public func replace(with settings: Settings) {
        state.withLock { $0 = (settings, $0.generation + 1) }
    }
}

/// When the polling loop last showed progress; the watchdog stops pinging systemd when it
/// stalls, so that a hung daemon is restarted.
public final class Heartbeat: Sendable {
    private let last = Locked(ContinuousClock.now)
    public init() {}
    public func beat() { last.withLock { $0 = .now } }
    public var age: Duration { ContinuousClock.now - last.withLock { $0 } }
}

/// Polls the feeds: each pass fetches the feeds that are due, then sleeps until the next one
/// is. A pass in progress when shutdown begins is cut short at the network (fetches are
/// cancelled, nothing is recorded for them) while what was fetched is stored and written.
public struct PollingService: Service {
    let config: ConfigHolder
    let store: any StateStore
    let notifier: SystemdNotifier
    let heartbeat: Heartbeat
    let logger: Logger

    let metrics: ScanMetrics

    public init(config: ConfigHolder, store: any StateStore, notifier: SystemdNotifier, heartbeat: Heartbeat, logger: Logger,
                metrics: ScanMetrics = ScanMetrics()) {
        self.config = config
        self.store = store
        self.notifier = notifier
        self.heartbeat = heartbeat
        self.logger = logger
        self.metrics = metrics
    }

    public func run() async throws {
        var generation = -1
        var scanner: FeedScanner?
        /// Scans failed in a row (the state's database away, a full disk): the next waits
        /// 2, 4, 8… up to 60 s, rather than hammering what is down every 5 s.
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            heartbeat.beat()
            let (settings, current) = config.current
            if current != generation || scanner == nil {
                do {
                    scanner = FeedScanner(settings: settings, store: store, classifier: try ClassifierLoader.classifier(settings))
                    generation = current
                    // The start and a reload each have their own line already.
                    logger.debug("scanner built", metadata: ["config.file": "\(settings.file.path)", "config.feeds": "\(settings.feeds.count)"])
                } catch {
                    logger.error("cannot build the classifier", metadata: ["error": "\(error)"])
                }
            }
            if let scanner {
                let started = ContinuousClock.now
                do {
                    let summary = try await cancelWhenGracefulShutdown { [scanner = UncheckedBox(scanner)] in
                        try await scanner.value.scan(dueOnly: true)
                    }
                    await report(summary, took: ContinuousClock.now - started, settings)
                    failures = 0
                } catch is CancellationError {
                    break
                } catch where Task.isShuttingDownGracefully {
                    // Stopping: the store's work in progress was cancelled with the task (a
                    // transaction either committed whole or rolled back); nothing to report.
                    break
                } catch {
                    // The scanner forgets the stories of items its failed commit never stored
                    // (`FeedScanner.scan`), so it is kept.
                    failures += 1
                    logger.error("scan failed", metadata: ["error": "\(error)", "scan.failures": "\(failures)"])
                }
            }
            heartbeat.beat()
            let wait = failures > 0 ? Self.backoff(failures) : await nextWait(settings)
            await sleep(wait, unlessReloadedFrom: current)
        }
        logger.info("polling stopped")
    }

    /// Sleeps for `wait`, or until a reload replaces configuration `generation`: a feed just
    /// added is fetched at once, not when the next feed is due (up to five minutes away).
    /// `generation` is the one this pass read, whether or not its classifier could be built:
    /// a configuration that keeps failing is not retried in a tight loop.
    private func sleep(_ wait: Duration, unlessReloadedFrom generation: Int) async {
        let clock = ContinuousClock()
        let end = clock.now + wait
        while clock.now < end, config.current.generation == generation, !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: min(.seconds(1), end - clock.now)) }
        }
    }

    /// A pass in the log (a summary, each feed, each alert, each file not written), in the
    /// metrics and in systemd's status line.
    private func report(_ summary: ScanSummary, took elapsed: Duration, _ settings: Settings) async {
        let alerts = summary.outcomes.reduce(0) { $0 + $1.alerts }
        if !summary.outcomes.isEmpty {
            logger.info("scan finished", metadata: [
                "scan.feeds": "\(summary.outcomes.count)", "scan.failed": "\(summary.failedFeeds)",
                "scan.alerts": "\(alerts)", "scan.duration_s": "\(String(format: "%.3f", Double(elapsed / .milliseconds(1)) / 1000))",
            ])
        }
        for outcome in summary.outcomes { log(outcome) }
        await record(summary, took: elapsed, settings)
        let files = AlertFiles(root: settings.outputFolder)
        for alert in summary.written {
            var metadata: Logger.Metadata = [
                "alert.id": "\(alert.id)", "feed.name": "\(alert.feed)", "item.key": "\(alert.itemKey)",
                "alert.score": "\(String(format: "%.3f", alert.score))", "alert.file": "\(files.jsonURL(for: alert).path)",
                "alert.title": "\(alert.title)",
            ]
            if let exercise = alert.exercise { metadata["alert.exercise"] = "\(exercise)" }
            logger.info("alert", metadata: metadata)
        }
        for problem in summary.writeErrors {
            var metadata: Logger.Metadata = ["error": "\(problem)"]
            if let alert = problem.alertID { metadata["alert.id"] = "\(alert)" }
            logger.error("alert files not written (pending, retried next pass)", metadata: metadata)
        }
        notifier.status("last scan \(Date()): \(summary.outcomes.count) feeds, \(alerts) alerts, \(summary.failedFeeds) failed")
    }

    /// The scan in the metrics, and the textfile rewritten (when the scan fetched anything).
    private func record(_ summary: ScanSummary, took elapsed: Duration, _ settings: Settings) async {
        guard !summary.outcomes.isEmpty else { return }
        do { try await metrics.record(summary, took: elapsed, store: store, textfile: settings.metrics.textfile) } catch {
            logger.warning("metrics textfile not written", metadata: ["error": "\(error)"])
        }
    }

    /// A feed's fetch at debug level; its failure, its recovery and a capped backlog above.
    private func log(_ outcome: FeedOutcome) {
        let feed: Logger.Metadata.Value = "\(outcome.feed)"
        logger.debug("feed fetched", metadata: [
            "feed.name": feed, "http.status": "\(outcome.httpStatus.map(String.init) ?? "-")", "http.bytes": "\(outcome.bytes)",
            "fetch.duration_s": "\(String(format: "%.3f", outcome.fetchSeconds))", "feed.new_items": "\(outcome.newItems)",
        ])
        if case .failed(let message) = outcome.status {
            logger.warning("feed failed", metadata: ["feed.name": feed, "error": "\(message)"])
        } else if outcome.recovered {
            logger.notice("feed recovered", metadata: ["feed.name": feed])
        }
        if outcome.capped > 0 {
            logger.warning("new items capped", metadata: ["feed.name": feed, "feed.capped": "\(outcome.capped)"])
        }
    }

    /// After `failures` failed scans in a row.
    static func backoff(_ failures: Int) -> Duration {
        .seconds(min(60, 1 << min(failures, 6)))
    }

    /// Until the earliest feed is due: at least 5 s, at most 5 min (so a clock jump is noticed
    /// soon; a reload ends the wait at once, see `sleep`).
    private func nextWait(_ settings: Settings) async -> Duration {
        let names = Set(settings.feeds.map(\.name))
        let states = (try? await store.feedStates()) ?? []
        let known = states.filter { names.contains($0.name) }
        if known.count < names.count { return .seconds(5) }
        let next = known.compactMap(\.nextDue).min() ?? Date()
        let seconds = min(300, max(5, next.timeIntervalSinceNow))
        return .milliseconds(Int64(seconds * 1000))
    }
}

/// Writes the daily digest at the configured local time for the day before, and catches up
/// every day missed while the daemon was down (up to a month back).
public struct DigestService: Service {
    let config: ConfigHolder
    let store: any StateStore
    let logger: Logger

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let settings = config.current.settings
            do {
                for day in try await DigestService.dueDays(settings: settings, store: store, now: Date()) {
                    // Instances sharing the state: the one that claims the day writes it.
                    guard try await store.claimDigest(day: day, at: Date()) else { continue }
                    let builder = DigestBuilder(settings: settings, store: store)
                    let digest = try await builder.build(day: day)
                    try builder.write(digest)
                    try await store.markDigestWritten(day: day)
                    logger.info("digest written", metadata: ["digest.day": "\(day)", "digest.headline": "\(digest.headline)"])
                }
            } catch where Task.isShuttingDownGracefully {
                break
            } catch {
                logger.error("digest not written (retried later)", metadata: ["error": "\(error)"])
            }
            // Re-check every few minutes: cheap, and robust to clock jumps and DST changes.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(120)) }
        }
    }

    /// Days whose digest is due (their next day's digest time has passed) and not written.
    public static func dueDays(settings: Settings, store: any StateStore, now: Date) async throws -> [String] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: settings.digest.timeZone) ?? TimeZone(identifier: "UTC")!
        let builder = DigestBuilder(settings: settings, store: store)
        let today = calendar.startOfDay(for: now)
        let minutes = settings.digest.minuteOfDay
        guard let dueToday = calendar.date(bySettingHour: minutes / 60, minute: minutes % 60, second: 0, of: today) else { return [] }
        // The newest day that is due: yesterday once today's digest time has passed.
        guard let newest = calendar.date(byAdding: .day, value: now >= dueToday ? -1 : -2, to: today) else { return [] }
        guard let last = try await store.lastDigestDay() else {
            // First start: nothing was watched before today, so no earlier day gets a digest
            // (it would only say that no feed had been fetched). The schedule starts here.
            try await store.markDigestWritten(day: builder.day(containing: newest))
            return []
        }
        var days: [String] = []
        var day = newest
        for _ in 0..<31 {
            let name = builder.day(containing: day)
            if name <= last { break }
            days.append(name)
            guard let previous = calendar.date(byAdding: .day, value: -1, to: day) else { break }
            day = previous
        }
        return days.reversed()
    }
}

/// Delivers written alerts to the hooks, apart from polling: a hook that hangs, or a webhook
/// that never answers, costs its own timeout here and never delays a fetch. Each pass is
/// bounded by the delivery budget; on shutdown the deliveries in flight are stopped (their
/// process groups killed) and stay queued for the next start.
public struct DeliveryService: Service {
    let config: ConfigHolder
    let store: any StateStore
    let logger: Logger

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let worker = DeliveryWorker(settings: config.current.settings.hooks, store: store)
            let report = await cancelWhenGracefulShutdown { await worker.deliverDue() }
            if report.delivered > 0 { logger.debug("deliveries made", metadata: ["delivery.count": "\(report.delivered)"]) }
            for failure in report.failures {
                logger.warning(failure.willRetry ? "delivery failed, retried later" : "delivery given up", metadata: [
                    "alert.id": "\(failure.alertID)", "delivery.channel": "\(failure.channel.rawValue)", "error": "\(failure.error)",
                ])
            }
            for error in report.stateErrors where !Task.isShuttingDownGracefully {
                logger.error("deliveries not read or recorded (they stay queued)", metadata: ["error": "\(error)"])
            }
            // More due than the budget allowed: go on at once; otherwise look again shortly.
            if report.deferred == 0 {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
            }
        }
    }
}

/// Tells systemd the daemon is alive, as long as the polling loop makes progress.
public struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let heartbeat: Heartbeat
    /// A pass stuck longer than this stops the pings (systemd then restarts the service).
    let stallLimit: Duration

    public init(notifier: SystemdNotifier, heartbeat: Heartbeat, stallLimit: Duration = .seconds(900)) {
        self.notifier = notifier
        self.heartbeat = heartbeat
        self.stallLimit = stallLimit
    }

    public func run() async throws {
        guard let interval = notifier.watchdogInterval else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if heartbeat.age < stallLimit { notifier.watchdog() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

/// Reloads the configuration on SIGHUP: validated first (every rule, the corpus); on error
/// the running configuration stays and the problem is logged.
///
/// The new configuration is first checked by a child process (`validator`, normally
/// `drillwatch check-config`): whatever the new file does to the parser — a crash of the TOML
/// library, a stack overflow, a hang (stopped after a minute) — it does to the child, and the
/// daemon goes on with the configuration it has. Only then is it loaded here.
public struct ReloadService: Service {
    let config: ConfigHolder
    let notifier: SystemdNotifier
    let logger: Logger
    /// The program and arguments that validate a configuration file, given as the last argument.
    let validator: [String]?

    public init(config: ConfigHolder, notifier: SystemdNotifier, logger: Logger, validator: [String]? = nil) {
        self.config = config
        self.notifier = notifier
        self.logger = logger
        self.validator = validator
    }

    /// nil when `path` passed `validator` (or there is none), else what went wrong.
    public static func validateApart(_ path: String, with validator: [String]?) async -> String? {
        guard let validator else { return nil }
        let outcome = await ChildProcess.run(validator + [path], timeout: .seconds(60), stderrLimit: 2000)
        switch outcome.termination {
        case .exited(0): return nil
        case .exited(let status): return outcome.stderr.isEmpty ? "the check exited with status \(status)" : outcome.stderr
        case .signalled(let signal): return "checking the new configuration crashed the checker (signal \(signal)); \(outcome.stderr)"
        case .timedOut: return "checking the new configuration took longer than a minute"
        case .cancelled: return "shutting down"
        case .cannotStart(let reason): return "the configuration checker could not be started (\(reason))"
        }
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                let file = config.current.settings.file
                notifier.reloading()
                if let problem = await Self.validateApart(file.path, with: validator) {
                    logger.error("reload refused; the running configuration stays", metadata: ["error": "\(problem)"])
                    notifier.ready(status: "configuration \(config.current.generation)")
                    continue
                }
                do {
                    let settings = try ClassifierLoader.settings(file.path)
                    _ = try ClassifierLoader.classifier(settings)
                    config.replace(with: settings)
                    logger.notice("configuration reloaded", metadata: ["config.file": "\(file.path)"])
                } catch {
                    logger.error("reload refused; the running configuration stays", metadata: ["error": "\(error)"])
                }
                notifier.ready(status: "configuration \(config.current.generation)")
            }
        }
    }
}

/// Carries a non-Sendable value into a `@Sendable` closure that runs while its owner waits.
///
/// `@unchecked Sendable` is sound where it is used: the polling loop awaits the closure it
/// passes the scanner to, so the scanner is never touched by two tasks at once.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
