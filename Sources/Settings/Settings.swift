import Foundation
import Model
import SafeText
import TOMLKit

/// One configured feed.
public struct FeedSettings: Sendable, Equatable {
    public var name: String
    /// http(s) URL, or a `file://` URL for a local feed given by path in the configuration.
    public var url: String
    public var isLocalFile = false
    public var intervalMinutes: Double = 15
    public var tags: [String] = []
    /// Overrides `scan.max_new_items_per_fetch` for this feed.
    public var maxNewItems: Int?
    /// Not fetched until resumed (`drillwatch feeds pause|resume`); its state is kept.
    public var paused = false
    /// Extra request header fields (`headers = { "Accept-Language" = "ru" }`).
    public var headers: [(name: String, value: String)] = []
    /// Header fields that carry a secret (values given as `credential:NAME`), and the basic
    /// authentication of `username` and `password`: sent only to the feed's own origin.
    public var credentialHeaders: [(name: String, value: String)] = []
    /// This feed's `User-Agent`, when a publisher asks for another one.
    public var userAgent: String?
    /// Which of this feed's items have their linked article read (`article = "short"`);
    /// nil: `[articles] policy`.
    public var article: ArticlePolicy?

    public static func == (a: FeedSettings, b: FeedSettings) -> Bool {
        a.name == b.name && a.url == b.url && a.isLocalFile == b.isLocalFile && a.intervalMinutes == b.intervalMinutes
            && a.tags == b.tags && a.maxNewItems == b.maxNewItems && a.paused == b.paused && a.userAgent == b.userAgent
            && a.article == b.article
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
            && a.credentialHeaders.map(\.name) == b.credentialHeaders.map(\.name)
            && a.credentialHeaders.map(\.value) == b.credentialHeaders.map(\.value)
    }

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// The minutes a feed's `interval_minutes` may be: a minute to a week.
    public static let intervalRange: ClosedRange<Double> = 1...10_080

    /// What is wrong with a feed's name, or nil. A name is what `--feed`, the tables, the
    /// logs and the digest show and match: a line break or another control character in one
    /// is a mistake (shown escaped, it matches nothing a user types).
    public static func nameProblem(_ name: String) -> String? {
        guard name.isEmpty || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return nil }
        return "must be a non-empty name without control characters (got \"\(Display.line(name))\")"
    }

    /// What is wrong with a feed's address, or nil: an http(s) URL with a host, or a local
    /// file path (any other scheme is refused).
    public static func addressProblem(_ url: String) -> String? {
        let lowered = url.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            return URL(string: url)?.host == nil ? "'\(Redaction.url(url))' is not a valid URL" : nil
        }
        return url.contains("://") ? "only http://, https:// or a local file path (got '\(Redaction.url(url))')" : nil
    }
}

/// What runs for each new alert, once its files are written.
public struct HookSettings: Sendable, Equatable {
    /// An argument vector (run without a shell), the alert JSON on standard input.
    public var command: [String] = []
    public var commandTimeoutSeconds: Double = 30
    /// An http(s) URL the alert JSON is POSTed to.
    public var webhook: String?
    public var webhookTimeoutSeconds: Double = 20
    /// What the webhook is sent: the alert JSON, or a chat's message body.
    public var webhookFormat: WebhookFormat = .json
    /// Telegram's chat (`chat_id`), for `webhook_format = "telegram"`.
    public var telegramChatID: String?
    /// Matrix's access token (a secret: `credential:NAME`), for `webhook_format = "matrix"`.
    public var matrixToken: String?
    /// E-mail for each alert (`[email]`), when configured.
    public var email: EmailSettings?
    /// A failed delivery is retried with back-off for this long after the alert's files were
    /// written, then given up (shown in `status`).
    public var retryHours: Double = 24
    /// How long one pass may spend starting deliveries; what is left waits for the next pass.
    public var deliveryBudgetSeconds: Double = 60

    public init() {}
}

/// `[metrics]`: Prometheus metrics, in a textfile after each scan and, when `listen` is set,
/// over HTTP.
public struct MetricsSettings: Sendable, Equatable {
    /// The textfile (node_exporter's textfile collector reads `*.prom` in its folder).
    public var textfile: URL?
    /// `127.0.0.1:9464`: `/metrics` and `/healthz` on this address only.
    public var listen: (host: String, port: UInt16)?

    public init() {}

    public static func == (a: MetricsSettings, b: MetricsSettings) -> Bool {
        a.textfile == b.textfile && a.listen?.host == b.listen?.host && a.listen?.port == b.listen?.port
    }
}

/// `[email]`: one message per alert through an SMTP server.
public struct EmailSettings: Sendable, Equatable {
    /// `smtp://host:587` (STARTTLS required unless `starttls = false`) or `smtps://host:465`.
    public var url: String
    public var from: String
    public var to: [String]
    public var username: String?
    /// A secret: `credential:NAME` (a credentials file or systemd's `LoadCredential=`).
    public var password: String?
    public var startTLS = true
    public var timeoutSeconds: Double = 30

    public init(url: String, from: String, to: [String]) {
        self.url = url
        self.from = from
        self.to = to
    }
}

/// The body a webhook is sent.
public enum WebhookFormat: String, Sendable, Equatable, CaseIterable {
    /// The alert JSON (as the alert file), POSTed.
    case json
    /// Slack, Mattermost and compatible incoming webhooks: `{"text": …}`, POSTed.
    case slack
    /// Matrix: the URL is the room's `…/send/m.room.message`; each alert is PUT with its id
    /// as the transaction id, so a retry after a lost answer cannot post it twice.
    case matrix
    /// Telegram: the URL is `https://api.telegram.org/bot<token>/sendMessage`.
    case telegram
}

/// When the daily digest is written.
public struct DigestSettings: Sendable, Equatable {
    /// Local time of day, minutes after midnight (07:00 = 420).
    public var minuteOfDay = 7 * 60
    /// IANA time zone of `minuteOfDay` and of the digest's days.
    public var timeZone = "UTC"

    public init() {}
}

/// How scans fetch.
public struct ScanSettings: Sendable, Equatable {
    /// On a feed's first successful fetch, items published longer ago than this are stored
    /// and classified but raise no alert (no flood of old news).
    public var firstRunHorizonDays: Double = 2
    public var userAgent: String?
    public var maxConcurrent = 16
    public var perHost = 4
    public var timeoutSeconds = 60
    /// Items are forgotten this many days after they were first seen (0: never), so the
    /// database does not grow for ever; items published before that horizon never alert.
    public var retentionDays: Double = 365
    /// Whether a feed on the internet may redirect to an address on this machine or its local
    /// network (server-side request forgery is refused by default).
    public var allowLocalRedirects = false
    /// New items taken from one fetch of one feed; the rest wait for later fetches. Generous:
    /// a real feed rarely carries more than a few hundred; a hostile one can carry millions.
    public var maxNewItemsPerFetch = 1000

    public init() {}
}

/// Which items have the article behind their link read and judged instead of what the feed
/// gave: news-search and wire feeds often carry a headline and a line, not the report.
public enum ArticlePolicy: String, Sendable, CaseIterable {
    /// `short` for a feed whose new items are mostly headline-length, else `borderline`.
    case auto
    case never
    /// Items with less text than `[articles] short_text` characters.
    case short
    /// Items whose score on the feed's text is near the review threshold, either side.
    case borderline
    case always
}

/// Where the state lives (`[store]`): SQLite in the state folder unless a PostgreSQL URL is
/// given (`url`, or `DRILLWATCH_STORE_URL`), with its password from a credential, never from
/// the configuration (or from libpq's `PGPASSFILE` / `~/.pgpass` when none is named).
public struct StoreSettings: Sendable, Equatable {
    /// `postgresql://user@host:5432/db?sslmode=require`, or nil for SQLite.
    public var postgresURL: String?
    public var password: String?

    public init(postgresURL: String? = nil, password: String? = nil) {
        self.postgresURL = postgresURL
        self.password = password
    }
}

/// Reading linked articles (`[articles]`).
public struct ArticleSettings: Sendable, Equatable {
    public var policy: ArticlePolicy = .auto
    /// Article fetches to one host per minute, over the whole scan; an item past the limit
    /// is judged on what its feed gave (an item is never held back for its article).
    public var perHostPerMinute = 6
    /// An item with less text than this (characters, beyond its headline) is headline-only.
    public var shortText = 200
    /// How long an article read once is reused without asking its server again.
    public var cacheHours: Double = 24
    public var timeoutSeconds = 20

    public init() {}
}

/// drillwatch's configuration, decoded from `drillwatch.toml` and validated as a whole.
public struct Settings: Sendable {
    /// The file it came from; relative paths inside it are relative to its folder.
    public var file: URL
    /// The folder of reference documents (the drill corpus).
    public var corpusFolder: URL
    public var classifier: ClassifierSettings
    public var rules: [RuleDefinition]
    /// `[terms]`: named word lists the rules' queries use as `$name` (already put in place in
    /// `rules`); kept for a file that inherits these settings and writes rules of its own.
    public var terms: [String: String] = [:]
    public var gazetteer: Gazetteer
    public var feeds: [FeedSettings] = []
    /// Where the state database lives.
    public var stateFolder: URL
    /// The state database itself.
    public var stateDatabase: URL { stateFolder.appendingPathComponent("drillwatch.sqlite") }
    /// Where alert files and digests are written.
    public var outputFolder: URL
    public var store = StoreSettings()
    public var scan = ScanSettings()
    public var articles = ArticleSettings()
    public var digest = DigestSettings()
    public var hooks = HookSettings()
    public var metrics = MetricsSettings()
    /// What the configuration does that works but should not be done (a credential in a URL).
    public var warnings: [ConfigProblem] = []

    /// Where drillwatch looks for its configuration when none is named: `$CONFIGURATION_DIRECTORY`
    /// (set by systemd), then `./config` (a checkout), then `/etc/drillwatch`.
    public static func defaultFile(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   currentDirectory: String = FileManager.default.currentDirectoryPath) -> URL {
        var candidates: [URL] = []
        if let directory = environment["CONFIGURATION_DIRECTORY"]?.split(separator: ":").first {
            candidates.append(URL(fileURLWithPath: String(directory)).appendingPathComponent("drillwatch.toml"))
        }
        candidates.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("config/drillwatch.toml"))
        candidates.append(URL(fileURLWithPath: "/etc/drillwatch/drillwatch.toml"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[candidates.count - 2]
    }

    /// Where state (`state/`) and output (`output/`) live unless `[paths]` says, one rule for
    /// every command: the unit's directory under systemd (`$STATE_DIRECTORY`);
    /// `/var/lib/drillwatch` for the system configuration in `/etc/drillwatch` (the service's
    /// state, so `status --config /etc/drillwatch/drillwatch.toml` shows it);
    /// `$XDG_STATE_HOME/drillwatch` (`~/.local/state/drillwatch`) for a user's configuration in
    /// `$XDG_CONFIG_HOME` (`~/.config`); else `var/` beside the configuration file. Never the
    /// working directory, where a command run from elsewhere would find another state.
    public static func dataFolder(for file: URL, environment: [String: String]) -> URL {
        if let directory = environment["STATE_DIRECTORY"]?.split(separator: ":").first {
            return URL(fileURLWithPath: String(directory))
        }
        let folder = file.deletingLastPathComponent().standardizedFileURL.path
        if folder == "/etc/drillwatch" { return URL(fileURLWithPath: "/var/lib/drillwatch") }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) }
        let configHome = environment["XDG_CONFIG_HOME"].map { URL(fileURLWithPath: $0) } ?? home?.appendingPathComponent(".config")
        if let configHome, folder.hasPrefix(configHome.standardizedFileURL.path + "/") {
            let stateHome = environment["XDG_STATE_HOME"].map { URL(fileURLWithPath: $0) } ?? home?.appendingPathComponent(".local/state")
            if let stateHome { return stateHome.appendingPathComponent("drillwatch") }
        }
        return file.deletingLastPathComponent().appendingPathComponent("var")
    }

    /// Reads and validates a configuration file. Every problem is reported at once.
    /// - Parameter check: checks the rules' queries (`Classifier.ruleProblems`); without it
    ///   a query is read as text, unchecked.
    public static func load(_ file: URL, checkingRules check: RuleCheck? = nil) throws(ConfigError) -> Settings {
        try load(file, includedBy: [], checkingRules: check)
    }

    /// How many files a chain of `base` settings may hold, the first included. A deeper chain
    /// is a mistake, and the limit keeps a loop that slips past the check from exhausting the stack.
    static let maxBaseChain = 8

    /// `includedBy`: the files whose `base` led here, outermost first.
    static func load(_ file: URL, includedBy: [URL], checkingRules check: RuleCheck? = nil) throws(ConfigError) -> Settings {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigError(problems: [ConfigProblem(file: file.path, line: nil, keyPath: "",
                                                       message: "cannot read the configuration file")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: file, includedBy: includedBy, checkingRules: check)
    }

    public static func parse(_ source: String, file: URL, checkingRules check: RuleCheck? = nil) throws(ConfigError) -> Settings {
        try parse(source, file: file, includedBy: [], checkingRules: check)
    }

    /// Decodes `source` a table at a time (`SettingsDecoder`); every problem of every table is
    /// reported at once.
    static func parse(_ source: String, file: URL, includedBy: [URL], checkingRules check: RuleCheck?) throws(ConfigError) -> Settings {
        let root = try toml(source, name: file.lastPathComponent)
        var reader = TableReader(file: file.lastPathComponent, source: source)
        let inherited = try inherit(root, file: file, includedBy: includedBy, reader: &reader, check: check)
        var decoder = SettingsDecoder(reader: reader, file: file, credentials: Credentials(folder: Credentials.folder(for: file)),
                                      inherited: inherited)
        let folders = decoder.paths(root)
        let store = decoder.store(root, environment: ProcessInfo.processInfo.environment)
        let scan = decoder.scan(root), articles = decoder.articles(root), digest = decoder.digest(root)
        var hooks = decoder.hooks(root)
        hooks.email = decoder.email(root)
        var metrics = decoder.metrics(root)
        let feeds = decoder.feeds(root)
        let corpusFolder = decoder.corpus(root), classifier = decoder.classifier(root)
        let terms = decoder.terms(root)
        let rules = decoder.rules(root, terms: terms, check: check), gazetteer = decoder.gazetteer(root)
        decoder.reader.rejectUnasked(root, at: "")
        if !decoder.reader.problems.isEmpty { throw ConfigError(problems: decoder.reader.problems) }
        var settings = Settings(file: file, corpusFolder: corpusFolder, classifier: classifier, rules: rules, gazetteer: gazetteer,
                                feeds: feeds, stateFolder: folders.state, outputFolder: folders.output, scan: scan, digest: digest,
                                hooks: hooks)
        if metrics.textfile == nil { metrics.textfile = folders.state.appendingPathComponent("drillwatch.prom") }
        settings.metrics = metrics
        settings.terms = terms
        settings.articles = articles
        settings.store = store
        settings.warnings = (inherited?.warnings ?? []) + decoder.reader.warnings
        return settings
    }

    /// The TOML document, or why it is not one (with its line).
    static func toml(_ source: String, name: String) throws(ConfigError) -> TOMLTable {
        if let line = TOMLPreflight.firstBadHeader(in: source) {
            throw ConfigError(problems: [ConfigProblem(file: name, line: line, keyPath: "",
                                                       message: "not valid TOML: a table header must start with a name ([feeds], [[rules]])")])
        }
        do {
            return try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(problems: [ConfigProblem(file: name, line: error.source.begin.line, keyPath: "",
                                                       message: "not valid TOML: \(error.description)")])
        } catch {
            throw ConfigError(problems: [ConfigProblem(file: name, line: nil, keyPath: "", message: "not valid TOML")])
        }
    }

    /// `base = "drillwatch.toml"`: inherit the classifier, rules, gazetteer and corpus of
    /// another file unless this one sets them (the demo uses the shipped ones).
    private static func inherit(_ root: TOMLTable, file: URL, includedBy: [URL],
                                reader: inout TableReader, check: RuleCheck?) throws(ConfigError) -> Settings? {
        guard let basePath = reader.string(root, "base", at: "") else { return nil }
        let baseFile = basePath.hasPrefix("/") ? URL(fileURLWithPath: basePath)
            : file.deletingLastPathComponent().appendingPathComponent(basePath)
        let chain = includedBy + [file]
        if let problem = baseChainProblem(chain, next: baseFile) {
            reader.problem("base", problem)
            return nil
        }
        do { return try load(baseFile, includedBy: chain, checkingRules: check) } catch {
            throw ConfigError(problems: reader.problems + error.problems)
        }
    }

    /// Why `next` cannot be the base of the last file of `chain`: it is already in the chain
    /// (a loop would recurse until the stack overflows), or the chain is too long.
    static func baseChainProblem(_ chain: [URL], next: URL) -> String? {
        // Symbolic links and "./" must not hide a file that is already in the chain.
        func identity(_ url: URL) -> String { url.standardizedFileURL.resolvingSymlinksInPath().path }
        let names = (chain + [next]).map(\.lastPathComponent).joined(separator: " → ")
        if chain.count == 1 && identity(chain[0]) == identity(next) {
            return "a configuration cannot be its own base (\(names))"
        }
        if chain.contains(where: { identity($0) == identity(next) }) {
            return "the base files form a loop (\(names)); remove the base setting that closes it"
        }
        if chain.count >= maxBaseChain {
            return "base files are nested more than \(maxBaseChain) deep (\(names)); let a file name the shipped configuration directly"
        }
        return nil
    }
}
