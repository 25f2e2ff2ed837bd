import ArgumentParser
import Daemon
import Logging

/// `drillwatch run`: the daemon.
struct Run: DrillwatchCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run as a service: poll the feeds on their schedules, write alerts and the daily digest.",
        discussion: """
            Meant for systemd (Type=notify; see systemd/drillwatch.service): READY=1 once started, \
            STATUS= after each pass, WATCHDOG=1 while the polling loop progresses, STOPPING=1 on \
            the way out. SIGTERM or SIGINT stop it gracefully; SIGHUP reloads the configuration \
            (validated first; on error the running one stays). Logs go to standard error.

            Example:
              drillwatch run --config /etc/drillwatch/drillwatch.toml
            """)

    @OptionGroup var configuration: ConfigOption

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Log format: text (one key=value line an event) or json (one object a line).")
    var logFormat: LineLogHandler.Format = .text

    func execute() async throws {
        // The executable owns the logging system: one line per event on standard error,
        // which systemd's journal keeps.
        let (level, format) = (logLevel, logFormat)
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label)
            handler.logLevel = level
            handler.format = format
            return handler
        }
        // A reload is checked by this same program in a child process first.
        let status = await Daemon.run(configPath: configuration.config, logger: Logger(label: "drillwatch"),
                                      validator: ["/proc/self/exe", "check-config", "--quiet", "--config"])
        if status != 0 { throw ExitCode(status) }
    }
}

/// `--log-level` takes swift-log's level names; anything else is a usage error (exit 64), not
/// a silent fallback.
extension Logger.Level: @retroactive ExpressibleByArgument {}

extension LineLogHandler.Format: ExpressibleByArgument {}
