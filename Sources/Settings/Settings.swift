import Classifier
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

    public init(name: String, url: String) {
        self.name = name
        self.url = url
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
    /// A failed delivery is retried with back-off for this long after the alert's files were
    /// written, then given up (shown in `status`).
    public var retryHours: Double = 24
    /// How long one pass may spend starting deliveries; what is left waits for the next pass.
    public var deliveryBudgetSeconds: Double = 60

    public init() {}
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

/// drillwatch's configuration, decoded from `drillwatch.toml` and validated as a whole.
public struct Settings: Sendable {
    /// The file it came from; relative paths inside it are relative to its folder.
    public var file: URL
    /// The folder of reference documents (the drill corpus).
    public var corpusFolder: URL
    public var classifier: ClassifierSettings
    public var rules: [RuleDefinition]
    public var gazetteer: Gazetteer
    public var feeds: [FeedSettings] = []
    /// Where the state database lives.
    public var stateFolder: URL
    /// The state database itself.
    public var stateDatabase: URL { stateFolder.appendingPathComponent("drillwatch.sqlite") }
    /// Where alert files and digests are written.
    public var outputFolder: URL
    public var scan = ScanSettings()
    public var digest = DigestSettings()
    public var hooks = HookSettings()
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

    /// Reads and validates a configuration file. Every problem is reported at once.
    public static func load(_ file: URL) throws(ConfigError) -> Settings {
        try load(file, includedBy: [])
    }

    /// How many files a chain of `base` settings may hold, the first included. A deeper chain
    /// is a mistake, and the limit keeps a loop that slips past the check from exhausting the stack.
    static let maxBaseChain = 8

    /// `includedBy`: the files whose `base` led here, outermost first.
    static func load(_ file: URL, includedBy: [URL]) throws(ConfigError) -> Settings {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigError(problems: [ConfigProblem(file: file.path, line: nil, keyPath: "",
                                                       message: "cannot read the configuration file")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: file, includedBy: includedBy)
    }

    public static func parse(_ source: String, file: URL) throws(ConfigError) -> Settings {
        try parse(source, file: file, includedBy: [])
    }

    static func parse(_ source: String, file: URL, includedBy: [URL]) throws(ConfigError) -> Settings {
        let name = file.lastPathComponent
        if let line = TOMLPreflight.firstBadHeader(in: source) {
            throw ConfigError(problems: [ConfigProblem(file: name, line: line, keyPath: "",
                                                       message: "not valid TOML: a table header must start with a name ([feeds], [[rules]])")])
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(problems: [ConfigProblem(file: name, line: error.source.begin.line, keyPath: "",
                                                       message: "not valid TOML: \(error.description)")])
        } catch {
            throw ConfigError(problems: [ConfigProblem(file: name, line: nil, keyPath: "", message: "not valid TOML")])
        }
        var reader = TableReader(file: name, source: source)
        reader.rejectUnknown(root, at: "", known: ["base", "corpus", "classifier", "rules", "gazetteer", "feeds", "paths", "scan", "digest", "hooks"])
        let folder = file.deletingLastPathComponent()

        let inherited = try inherit(root, file: file, includedBy: includedBy, reader: &reader)
        let credentials = Credentials(folder: Credentials.folder(for: file))
        func resolve(_ path: String) -> URL {
            path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path).standardizedFileURL
        }

        // [paths]: systemd's directories when it provides them, else ./var beside the working
        // directory (a checkout).
        let environment = ProcessInfo.processInfo.environment
        let base = environment["STATE_DIRECTORY"]?.split(separator: ":").first.map { URL(fileURLWithPath: String($0)) }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("var")
        var stateFolder = base.appendingPathComponent("state")
        var outputFolder = base.appendingPathComponent("output")
        if let paths = reader.table(root, "paths", at: "") {
            reader.rejectUnknown(paths, at: "paths", known: ["state", "output"])
            if let path = reader.string(paths, "state", at: "paths") { stateFolder = resolve(path) }
            if let path = reader.string(paths, "output", at: "paths") { outputFolder = resolve(path) }
        }

        // [scan]
        var scan = ScanSettings()
        if let table = reader.table(root, "scan", at: "") {
            reader.rejectUnknown(table, at: "scan", known: ["first_run_horizon_days", "user_agent", "max_concurrent", "per_host",
                                                            "timeout_seconds", "retention_days", "allow_local_redirects",
                                                            "max_new_items_per_fetch"])
            if let v = reader.double(table, "first_run_horizon_days", at: "scan", in: 0...1_000_000) { scan.firstRunHorizonDays = v }
            if let v = reader.string(table, "user_agent", at: "scan") { scan.userAgent = v }
            if let v = reader.int(table, "max_concurrent", at: "scan", in: 1...256) { scan.maxConcurrent = v }
            if let v = reader.int(table, "per_host", at: "scan", in: 1...64) { scan.perHost = v }
            if let v = reader.int(table, "timeout_seconds", at: "scan", in: 5...3600) { scan.timeoutSeconds = v }
            if let v = reader.double(table, "retention_days", at: "scan", in: 0...36500) { scan.retentionDays = v }
            if let v = reader.bool(table, "allow_local_redirects", at: "scan") { scan.allowLocalRedirects = v }
            if let v = reader.int(table, "max_new_items_per_fetch", at: "scan", in: 1...1_000_000) { scan.maxNewItemsPerFetch = v }
            if scan.retentionDays > 0 && scan.retentionDays < 30 {
                reader.problem("scan.retention_days", "must be 0 (keep everything) or at least 30 (got \(scan.retentionDays))")
            }
        }

        // [digest]
        var digest = DigestSettings()
        if let table = reader.table(root, "digest", at: "") {
            reader.rejectUnknown(table, at: "digest", known: ["time", "time_zone"])
            if let time = reader.string(table, "time", at: "digest") {
                let parts = time.split(separator: ":").compactMap { Int($0) }
                if parts.count == 2, (0...23).contains(parts[0]), (0...59).contains(parts[1]) {
                    digest.minuteOfDay = parts[0] * 60 + parts[1]
                } else {
                    reader.problem("digest.time", "must be HH:MM, 24-hour (got \"\(time)\")")
                }
            }
            if let zone = reader.string(table, "time_zone", at: "digest") {
                if TimeZone(identifier: zone) == nil {
                    reader.problem("digest.time_zone", "unknown IANA time zone \"\(zone)\" (e.g. Europe/Berlin, Asia/Tokyo, UTC)")
                } else {
                    digest.timeZone = zone
                }
            }
        }

        // [hooks]
        var hooks = HookSettings()
        if let table = reader.table(root, "hooks", at: "") {
            reader.rejectUnknown(table, at: "hooks", known: ["command", "command_timeout_seconds", "webhook", "webhook_timeout_seconds",
                                                             "retry_hours", "delivery_budget_seconds", "webhook_retries"])
            // Configurations written before the delivery outbox keep working, and are told.
            if table["webhook_retries"] != nil {
                reader.warning("hooks.webhook_retries", "no longer used: every delivery is retried with back-off for retry_hours (24 by default); remove this line")
            }
            hooks.command = reader.strings(table, "command", at: "hooks")
            if let program = hooks.command.first, !program.hasPrefix("/") {
                reader.problem("hooks.command", "the program must be an absolute path (no shell, no PATH search; got \"\(program)\")")
            }
            if let v = reader.double(table, "command_timeout_seconds", at: "hooks", in: 1...3600) { hooks.commandTimeoutSeconds = v }
            if let url = reader.secret(table, "webhook", at: "hooks", credentials: credentials) {
                if (url.hasPrefix("http://") || url.hasPrefix("https://")) && URL(string: url)?.host != nil {
                    hooks.webhook = url
                } else {
                    reader.problem("hooks.webhook", "must be an http(s) URL (got \"\(Redaction.url(url))\")")
                }
            }
            if let v = reader.double(table, "webhook_timeout_seconds", at: "hooks", in: 1...300) { hooks.webhookTimeoutSeconds = v }
            if let v = reader.double(table, "retry_hours", at: "hooks", in: 0...720) { hooks.retryHours = v }
            if let v = reader.double(table, "delivery_budget_seconds", at: "hooks", in: 1...3600) { hooks.deliveryBudgetSeconds = v }
        }

        // [[feeds]]
        var feeds: [FeedSettings] = []
        var feedNames = Set<String>()
        for (index, table) in reader.tables(root, "feeds", at: "").enumerated() {
            let path = "feeds[\(index)]"
            reader.rejectUnknown(table, at: path, known: ["name", "url", "interval_minutes", "tags", "max_new_items"])
            guard let name = reader.string(table, "name", at: path, required: true),
                  let url = reader.secret(table, "url", at: path, credentials: credentials, required: true) else { continue }
            if !feedNames.insert(name).inserted { reader.problem("\(path).name", "feed '\(name)' is defined twice") }
            var feed = FeedSettings(name: name, url: url)
            if url.hasPrefix("http://") || url.hasPrefix("https://") {
                if URL(string: url)?.host == nil { reader.problem("\(path).url", "'\(Redaction.url(url))' is not a valid URL") }
            } else if url.contains("://") {
                reader.problem("\(path).url", "only http://, https:// or a local file path (got '\(Redaction.url(url))')")
            } else {
                // A local feed given by path: the one case where file:// is fetched.
                feed.url = resolve(url).absoluteString
                feed.isLocalFile = true
            }
            if let minutes = reader.double(table, "interval_minutes", at: path, in: 1...10_080) { feed.intervalMinutes = minutes }
            if let cap = reader.int(table, "max_new_items", at: path, in: 1...1_000_000) { feed.maxNewItems = cap }
            feed.tags = reader.strings(table, "tags", at: path)
            feeds.append(feed)
        }

        // [corpus]
        var corpusFolder = inherited?.corpusFolder ?? folder.appendingPathComponent("corpus")
        if let corpus = reader.table(root, "corpus", at: "") {
            reader.rejectUnknown(corpus, at: "corpus", known: ["path"])
            if let path = reader.string(corpus, "path", at: "corpus") {
                corpusFolder = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
            }
        }

        // [classifier]
        var classifier = inherited?.classifier ?? ClassifierSettings()
        if let table = reader.table(root, "classifier", at: "") {
            let path = "classifier"
            reader.rejectUnknown(table, at: path, known: [
                "alert_threshold", "review_threshold", "bias", "similarity_weight", "similarity_center",
                "duplicate_threshold", "same_exercise_threshold", "story_window_days", "similar_limit", "learn", "weights",
            ])
            if let v = reader.double(table, "alert_threshold", at: path, in: 0...1) { classifier.alertThreshold = v }
            if let v = reader.double(table, "review_threshold", at: path, in: 0...1) { classifier.reviewThreshold = v }
            if let v = reader.double(table, "bias", at: path, in: -50...50) { classifier.bias = v }
            if let v = reader.double(table, "similarity_weight", at: path, in: 0...50) { classifier.similarityWeight = v }
            if let v = reader.double(table, "similarity_center", at: path, in: 0...1) { classifier.similarityCenter = v }
            if let v = reader.double(table, "duplicate_threshold", at: path, in: 0...1) { classifier.duplicateThreshold = v }
            if let v = reader.double(table, "same_exercise_threshold", at: path, in: 0...1) { classifier.sameExerciseThreshold = v }
            if let v = reader.double(table, "story_window_days", at: path, in: 0...3650) { classifier.storyWindowDays = v }
            if let v = reader.int(table, "similar_limit", at: path, in: 0...50) { classifier.similarLimit = v }
            if let v = reader.bool(table, "learn", at: path) { classifier.learn = v }
            if let path = reader.string(table, "weights", at: path) {
                do { classifier.weights = try WeightsFile.load(resolve(path)) } catch {
                    reader.problem("classifier.weights", error.problems.map(\.description).joined(separator: "; "))
                }
            }
            if classifier.reviewThreshold > classifier.alertThreshold {
                reader.problem("classifier.review_threshold", "must not be above alert_threshold (\(classifier.alertThreshold))")
            }
        }

        // [[rules]]
        var rules: [RuleDefinition] = root["rules"] == nil ? inherited?.rules ?? [] : []
        var names = Set<String>()
        for (index, table) in reader.tables(root, "rules", at: "").enumerated() {
            let path = "rules[\(index)]"
            reader.rejectUnknown(table, at: path, known: ["name", "query", "weight", "effect", "pinned"])
            let name = reader.string(table, "name", at: path, required: true) ?? "#\(index)"
            if !names.insert(name).inserted { reader.problem("\(path).name", "rule '\(name)' is defined twice") }
            let query = reader.string(table, "query", at: path, required: true) ?? ""
            let effectName = reader.string(table, "effect", at: path) ?? "raise"
            guard let effect = RuleHit.Effect(rawValue: effectName) else {
                reader.problem("\(path).effect", "must be raise, lower or veto (got \"\(effectName)\")")
                continue
            }
            let weight = reader.double(table, "weight", at: path, in: 0...100) ?? (effect == .veto ? 0 : 1)
            let pinned = reader.bool(table, "pinned", at: path) ?? false
            rules.append(RuleDefinition(name: name, query: query, weight: weight, effect: effect, pinned: pinned))
        }
        for error in Classifier.validate(rules) {
            if let index = rules.firstIndex(where: { $0.name == error.rule }) {
                reader.problem("rules[\(index)].query", "rule '\(error.rule)': \(error.error)")
            }
        }

        // [gazetteer]
        var gazetteer = inherited?.gazetteer ?? Gazetteer()
        if let table = reader.table(root, "gazetteer", at: "") {
            reader.rejectUnknown(table, at: "gazetteer", known: ["exercises", "places", "countries"])
            func entries(_ key: String) -> [Gazetteer.Entry] {
                reader.tables(table, key, at: "gazetteer").enumerated().compactMap { index, entry in
                    let path = "gazetteer.\(key)[\(index)]"
                    reader.rejectUnknown(entry, at: path, known: ["name", "aliases", "requires_year", "joint", "joint_years", "country"])
                    guard let name = reader.string(entry, "name", at: path, required: true) else { return nil }
                    return Gazetteer.Entry(name: name, aliases: reader.strings(entry, "aliases", at: path),
                                           requiresYear: reader.bool(entry, "requires_year", at: path) ?? false,
                                           joint: reader.bool(entry, "joint", at: path) ?? true,
                                           jointYears: reader.ints(entry, "joint_years", at: path, in: 1990...2100),
                                           country: reader.string(entry, "country", at: path))
                }
            }
            gazetteer = Gazetteer(exercises: entries("exercises"), places: entries("places"), countries: entries("countries"))
        }

        if !reader.problems.isEmpty { throw ConfigError(problems: reader.problems) }
        var settings = Settings(file: file, corpusFolder: corpusFolder, classifier: classifier, rules: rules, gazetteer: gazetteer,
                                feeds: feeds, stateFolder: stateFolder, outputFolder: outputFolder, scan: scan, digest: digest,
                                hooks: hooks)
        settings.warnings = (inherited?.warnings ?? []) + reader.warnings
        return settings
    }

    /// `base = "drillwatch.toml"`: inherit the classifier, rules, gazetteer and corpus of
    /// another file unless this one sets them (the demo uses the shipped ones).
    private static func inherit(_ root: TOMLTable, file: URL, includedBy: [URL],
                                reader: inout TableReader) throws(ConfigError) -> Settings? {
        guard let basePath = reader.string(root, "base", at: "") else { return nil }
        let baseFile = basePath.hasPrefix("/") ? URL(fileURLWithPath: basePath)
            : file.deletingLastPathComponent().appendingPathComponent(basePath)
        let chain = includedBy + [file]
        if let problem = baseChainProblem(chain, next: baseFile) {
            reader.problem("base", problem)
            return nil
        }
        do { return try load(baseFile, includedBy: chain) } catch {
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
