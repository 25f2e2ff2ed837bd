import Foundation
import Logging
import Pipeline
import Reports
import ServiceLifecycle
import Settings
import Store
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's entry point: builds the services and runs them until a stop signal.
public enum Daemon {
    /// Returns the process exit status: 0 after a graceful stop, 1 after a failure, 2 when
    /// the configuration or the state cannot be used (nothing is started then).
    /// - Parameters:
    ///   - logger: where the daemon logs; the executable bootstraps the logging system.
    ///   - validator: the command that checks a configuration file (its path is appended) in
    ///     a child process before a reload; see `ReloadService`.
    public static func run(configPath: String?, logger: Logger, validator: [String]? = nil) async -> Int32 {
        let notifier = SystemdNotifier()

        let settings: Settings
        let store: any StateStore
        do {
            settings = try ClassifierLoader.settings(configPath)
            _ = try ClassifierLoader.classifier(settings)
            if let listen = settings.metrics.listen, let problem = MetricsService.problem(listening: listen.host, port: listen.port) {
                FileHandle.standardError.write(Data("Error: [metrics] listen \(listen.host):\(listen.port): \(problem)\n".utf8))
                return 2
            }
            try StateLock.acquire(stateFolder: settings.stateFolder)
            store = try await StateStores.open(settings, for: .write)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            return 2
        }

        let holder = ConfigHolder(settings)
        let heartbeat = Heartbeat()
        let metrics = ScanMetrics()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: PollingService(config: holder, store: store, notifier: notifier, heartbeat: heartbeat, logger: logger,
                                          metrics: metrics)),
            .init(service: DigestService(config: holder, store: store, logger: logger)),
            .init(service: DeliveryService(config: holder, store: store, logger: logger)),
            .init(service: WatchdogService(notifier: notifier, heartbeat: heartbeat)),
            .init(service: ReloadService(config: holder, notifier: notifier, logger: logger, validator: validator)),
        ]
        if let listen = settings.metrics.listen {
            services.append(.init(service: MetricsService(host: listen.host, port: listen.port, metrics: metrics, heartbeat: heartbeat,
                                                          logger: logger)))
        }
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        // Below systemd's TimeoutStopSec (30 s in the shipped unit).
        configuration.maximumGracefulShutdownDuration = .seconds(20)
        let group = ServiceGroup(configuration: configuration)
        logger.info("drillwatch started", metadata: ["config.file": "\(settings.file.path)", "config.feeds": "\(settings.feeds.count)"])
        for warning in settings.warnings { logger.warning("configuration", metadata: ["problem": "\(warning)"]) }
        if let warning = OutputClaim.claim(settings.outputFolder, statePath: StateStores.name(settings)) {
            logger.warning("output folder shared", metadata: ["problem": "\(warning)"])
        }
        notifier.ready(status: "watching \(settings.feeds.count) feeds")
        do {
            try await group.run()
        } catch {
            notifier.stopping()
            await store.close()
            logger.critical("stopped on an error", metadata: ["error": "\(error)"])
            return 1
        }
        notifier.stopping()
        await store.close()
        logger.info("drillwatch stopped")
        return 0
    }
}
