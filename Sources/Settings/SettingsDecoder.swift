import Foundation
import Model
import SafeText
import TOMLKit

/// Checks the rules' queries and says what is wrong with each rule that does not parse.
/// The Classifier module offers it (`Classifier.ruleProblems`); whoever loads the settings
/// passes it in, so the settings depend on the rule model (in Model), not on the query
/// language.
public typealias RuleCheck = @Sendable ([RuleDefinition]) -> [(rule: String, problem: String)]

/// Turns one configuration file's tables into settings, a table at a time. Each section reads
/// its keys (spelled once, here) and checks what a single key cannot say; paths are resolved
/// against the file's folder; what nothing read is reported as unknown.
struct SettingsDecoder {
    var reader: TableReader
    let file: URL
    let credentials: Credentials
    let inherited: Settings?

    var folder: URL { file.deletingLastPathComponent() }

    /// A path from the configuration: absolute, or relative to the configuration's folder.
    func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path).standardizedFileURL
    }

    /// `[paths]`, else `Settings.dataFolder`'s rule.
    mutating func paths(_ root: TOMLTable) -> (state: URL, output: URL) {
        let base = Settings.dataFolder(for: file, environment: ProcessInfo.processInfo.environment)
        var folders = (state: base.appendingPathComponent("state"), output: base.appendingPathComponent("output"))
        guard let paths = reader.table(root, "paths", at: "") else { return folders }
        if let path = reader.string(paths, "state", at: "paths") { folders.state = resolve(path) }
        if let path = reader.string(paths, "output", at: "paths") { folders.output = resolve(path) }
        reader.rejectUnasked(paths, at: "paths")
        return folders
    }

    /// `[store]`: `url` (PostgreSQL; `DRILLWATCH_STORE_URL` outranks it) and `password`, which
    /// must name a credential.
    mutating func store(_ root: TOMLTable, environment: [String: String]) -> StoreSettings {
        var store = StoreSettings()
        let table = reader.table(root, "store", at: "")
        var url = table.flatMap { reader.string($0, "url", at: "store") }
        var key = "store.url"
        if let override = environment["DRILLWATCH_STORE_URL"], !override.isEmpty {
            url = override
            key = "DRILLWATCH_STORE_URL"
        }
        if let url {
            if !(url.hasPrefix("postgresql://") || url.hasPrefix("postgres://")) {
                reader.problem(key, "must be a PostgreSQL URL, postgresql://USER@HOST:PORT/DATABASE (got \"\(Redaction.url(url))\"); "
                    + "leave it out for the SQLite state in the state folder")
            } else if Self.carriesPassword(url) {
                reader.problem(key, "must not carry the password (the configuration is readable by others): "
                    + "give it as store.password = \"credential:NAME\", or in PGPASSFILE / ~/.pgpass")
            } else {
                store.postgresURL = url
            }
        }
        if let table {
            if let password = reader.string(table, "password", at: "store") {
                if let name = Credentials.reference(password) {
                    switch credentials.read(name) {
                    case .success(let secret): store.password = secret
                    case .failure(let reason): reader.problem("store.password", reason.description)
                    }
                } else {
                    reader.problem("store.password", "must name a credential (\"credential:NAME\"): a password in the configuration "
                        + "is readable by others")
                }
            }
            reader.rejectUnasked(table, at: "store")
        }
        if store.password != nil && store.postgresURL == nil {
            reader.problem("store.password", "is only for a PostgreSQL state: set store.url too")
        }
        return store
    }

    /// True when a PostgreSQL URL holds a password (`user:secret@`, `?password=`).
    static func carriesPassword(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return false }
        let rest = url[scheme.upperBound...]
        let authority = rest[..<(rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex)]
        if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") { return true }
        return url.range(of: #"[?&]password="#, options: .regularExpression) != nil
    }

    mutating func scan(_ root: TOMLTable) -> ScanSettings {
        var scan = ScanSettings()
        guard let table = reader.table(root, "scan", at: "") else { return scan }
        let at = "scan"
        if let v = reader.double(table, "first_run_horizon_days", at: at, in: 0...1_000_000) { scan.firstRunHorizonDays = v }
        if let v = reader.string(table, "user_agent", at: at) { scan.userAgent = v }
        if let v = reader.int(table, "max_concurrent", at: at, in: 1...256) { scan.maxConcurrent = v }
        if let v = reader.int(table, "per_host", at: at, in: 1...64) { scan.perHost = v }
        if let v = reader.int(table, "timeout_seconds", at: at, in: 5...3600) { scan.timeoutSeconds = v }
        if let v = reader.double(table, "retention_days", at: at, in: 0...36500) { scan.retentionDays = v }
        if let v = reader.bool(table, "allow_local_redirects", at: at) { scan.allowLocalRedirects = v }
        if let v = reader.int(table, "max_new_items_per_fetch", at: at, in: 1...1_000_000) { scan.maxNewItemsPerFetch = v }
        if scan.retentionDays > 0 && scan.retentionDays < 30 {
            reader.problem("scan.retention_days", "must be 0 (keep everything) or at least 30 (got \(scan.retentionDays))")
        }
        reader.rejectUnasked(table, at: at)
        return scan
    }

    mutating func articles(_ root: TOMLTable) -> ArticleSettings {
        var articles = ArticleSettings()
        guard let table = reader.table(root, "articles", at: "") else { return articles }
        let at = "articles"
        if let policy: ArticlePolicy = reader.choice(table, "policy", at: at) { articles.policy = policy }
        if let v = reader.int(table, "per_host_per_minute", at: at, in: 1...600) { articles.perHostPerMinute = v }
        if let v = reader.int(table, "short_text", at: at, in: 0...100_000) { articles.shortText = v }
        if let v = reader.double(table, "cache_hours", at: at, in: 0...87_600) { articles.cacheHours = v }
        if let v = reader.int(table, "timeout_seconds", at: at, in: 1...600) { articles.timeoutSeconds = v }
        reader.rejectUnasked(table, at: at)
        return articles
    }

    mutating func digest(_ root: TOMLTable) -> DigestSettings {
        var digest = DigestSettings()
        guard let table = reader.table(root, "digest", at: "") else { return digest }
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
        reader.rejectUnasked(table, at: "digest")
        return digest
    }

    mutating func hooks(_ root: TOMLTable) -> HookSettings {
        var hooks = HookSettings()
        guard let table = reader.table(root, "hooks", at: "") else { return hooks }
        let at = "hooks"
        // Configurations written before the delivery outbox keep working, and are told.
        if reader.isPresent(table, "webhook_retries", at: at) {
            reader.warning("hooks.webhook_retries", "no longer used: every delivery is retried with back-off for retry_hours (24 by default); remove this line")
        }
        hooks.command = reader.strings(table, "command", at: at)
        if let program = hooks.command.first, !program.hasPrefix("/") {
            reader.problem("hooks.command", "the program must be an absolute path (no shell, no PATH search; got \"\(program)\")")
        }
        if let v = reader.double(table, "command_timeout_seconds", at: at, in: 1...3600) { hooks.commandTimeoutSeconds = v }
        if let url = reader.secret(table, "webhook", at: at, credentials: credentials) {
            if (url.hasPrefix("http://") || url.hasPrefix("https://")) && URL(string: url)?.host != nil {
                hooks.webhook = url
            } else {
                reader.problem("hooks.webhook", "must be an http(s) URL (got \"\(Redaction.url(url))\")")
            }
        }
        if let v = reader.double(table, "webhook_timeout_seconds", at: at, in: 1...300) { hooks.webhookTimeoutSeconds = v }
        if let format: WebhookFormat = reader.choice(table, "webhook_format", at: at) { hooks.webhookFormat = format }
        hooks.telegramChatID = reader.string(table, "telegram_chat_id", at: at)
        hooks.matrixToken = reader.secret(table, "matrix_token", at: at, credentials: credentials)
        if hooks.webhookFormat == .telegram && hooks.telegramChatID == nil {
            reader.problem("hooks.webhook_format", "telegram needs telegram_chat_id (the chat the bot writes to)")
        }
        if hooks.webhookFormat == .matrix && hooks.matrixToken == nil {
            reader.problem("hooks.webhook_format", "matrix needs matrix_token (an access token: matrix_token = \"credential:NAME\")")
        }
        if let v = reader.double(table, "retry_hours", at: at, in: 0...720) { hooks.retryHours = v }
        if let v = reader.double(table, "delivery_budget_seconds", at: at, in: 1...3600) { hooks.deliveryBudgetSeconds = v }
        reader.rejectUnasked(table, at: at)
        return hooks
    }

    /// `[metrics]`: `textfile` (default: drillwatch.prom in the state folder) and `listen`
    /// (`host:port`; a loopback or private address is the operator's choice to make).
    mutating func metrics(_ root: TOMLTable) -> MetricsSettings {
        var metrics = MetricsSettings()
        guard let table = reader.table(root, "metrics", at: "") else { return metrics }
        if let path = reader.string(table, "textfile", at: "metrics") { metrics.textfile = resolve(path) }
        if let address = reader.string(table, "listen", at: "metrics") {
            let parts = address.split(separator: ":", omittingEmptySubsequences: false)
            // The server listens on an IPv4 address as written: a host name ("localhost") is
            // not looked up, and the daemon stopped at start on it.
            var ip = in_addr()
            if parts.count == 2, let port = UInt16(parts[1]), port > 0, inet_pton(AF_INET, String(parts[0]), &ip) == 1 {
                metrics.listen = (String(parts[0]), port)
            } else {
                reader.problem("metrics.listen", "must be an IPv4 address and a port, e.g. 127.0.0.1:9464 (got \"\(address)\")")
            }
        }
        reader.rejectUnasked(table, at: "metrics")
        return metrics
    }

    /// `[email]`: the server, the sender, the recipients, credentials only as secrets.
    mutating func email(_ root: TOMLTable) -> EmailSettings? {
        guard let table = reader.table(root, "email", at: "") else { return nil }
        let at = "email"
        let url = reader.secret(table, "url", at: at, credentials: credentials, required: true)
        let from = reader.string(table, "from", at: at, required: true)
        let to = reader.strings(table, "to", at: at)
        let username = reader.string(table, "username", at: at)
        let password = reader.secret(table, "password", at: at, credentials: credentials)
        let startTLS = reader.bool(table, "starttls", at: at)
        let timeout = reader.double(table, "timeout_seconds", at: at, in: 1...600)
        if reader.isPresent(table, "password", at: at), let value = table["password"]?.string, Credentials.reference(value) == nil {
            reader.problem("email.password", "a password is never written in the configuration, which others may read: "
                + "password = \"credential:NAME\" (see the README, \"Secrets\")")
        }
        reader.rejectUnasked(table, at: at)
        guard let url, let from else { return nil }
        if !(url.hasPrefix("smtp://") || url.hasPrefix("smtps://")) || URL(string: url)?.host == nil {
            reader.problem("email.url", "must be smtp://host[:port] or smtps://host[:port] (got \"\(Redaction.url(url))\")")
        }
        if to.isEmpty { reader.problem("email.to", "needs at least one address") }
        for address in [from] + to where !address.contains("@") || address.contains(where: { $0 == "<" || $0 == ">" || $0.isNewline }) {
            reader.problem(address == from ? "email.from" : "email.to", "not an e-mail address: \"\(address)\"")
        }
        var email = EmailSettings(url: url, from: from, to: to)
        email.username = username
        email.password = password
        if let startTLS { email.startTLS = startTLS }
        if let timeout { email.timeoutSeconds = timeout }
        return email
    }

    /// `[[feeds]]`: each with a unique name and an http(s) URL or a local file path.
    mutating func feeds(_ root: TOMLTable) -> [FeedSettings] {
        var feeds: [FeedSettings] = []
        var names = Set<String>()
        for (index, table) in reader.tables(root, "feeds", at: "").enumerated() {
            let path = "feeds[\(index)]"
            let name = reader.string(table, "name", at: path, required: true)
            let url = reader.secret(table, "url", at: path, credentials: credentials, required: true)
            let minutes = reader.double(table, "interval_minutes", at: path, in: FeedSettings.intervalRange)
            let cap = reader.int(table, "max_new_items", at: path, in: 1...1_000_000)
            let tags = reader.strings(table, "tags", at: path)
            let paused = reader.bool(table, "paused", at: path) ?? false
            let (headers, credentialHeaders) = feedHeaders(table, at: path)
            let userAgent = reader.string(table, "user_agent", at: path)
            let article: ArticlePolicy? = reader.choice(table, "article", at: path)
            reader.rejectUnasked(table, at: path)
            guard let name, let url else { continue }
            if !names.insert(name).inserted { reader.problem("\(path).name", "feed '\(name)' is defined twice") }
            if let problem = FeedSettings.nameProblem(name) { reader.problem("\(path).name", problem) }
            var feed = FeedSettings(name: name, url: url)
            let lowered = url.lowercased()
            if let problem = FeedSettings.addressProblem(url) {
                reader.problem("\(path).url", problem)
            } else if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
                // A scheme is case-insensitive ("HTTP://", as some lists write it); the rest of
                // drillwatch compares it in lower case.
                let colon = url.firstIndex(of: ":")!
                feed.url = url[..<colon].lowercased() + url[colon...]
            } else {
                // A local feed given by path: the one case where file:// is fetched.
                feed.url = resolve(url).absoluteString
                feed.isLocalFile = true
            }
            if let minutes { feed.intervalMinutes = minutes }
            feed.maxNewItems = cap
            feed.tags = tags
            feed.paused = paused
            feed.headers = headers
            feed.credentialHeaders = credentialHeaders
            feed.userAgent = userAgent
            feed.article = article
            feeds.append(feed)
        }
        return feeds
    }

    /// A feed's `headers` table (a value given as `credential:NAME` is a secret, sent only to
    /// the feed's origin) and `username`/`password` (basic authentication; the password only as
    /// a credential).
    private mutating func feedHeaders(_ table: TOMLTable, at path: String) -> ([(name: String, value: String)], [(name: String, value: String)]) {
        var plain: [(name: String, value: String)] = [], secret: [(name: String, value: String)] = []
        if let headers = reader.table(table, "headers", at: path) {
            for name in headers.keys.sorted() {
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }), !name.isEmpty else {
                    reader.problem("\(path).headers.\(name)", "not a header field name")
                    continue
                }
                let raw = headers[name]?.string
                guard let value = reader.secret(headers, name, at: "\(path).headers", credentials: credentials) else { continue }
                if value.contains(where: \.isNewline) { reader.problem("\(path).headers.\(name)", "a header value cannot hold a line break"); continue }
                if raw.flatMap(Credentials.reference) != nil { secret.append((name, value)) } else { plain.append((name, value)) }
            }
            reader.rejectUnasked(headers, at: "\(path).headers")
        }
        let username = reader.string(table, "username", at: path)
        let password = reader.secret(table, "password", at: path, credentials: credentials)
        if reader.isPresent(table, "password", at: path), let value = table["password"]?.string, Credentials.reference(value) == nil {
            reader.problem("\(path).password", "a password is never written in the configuration: password = \"credential:NAME\"")
        } else if let username, let password {
            secret.append(("Authorization", "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()))
        }
        return (plain, secret)
    }

    /// `[corpus]`: the folder of reference articles (inherited from a base, or `corpus/`).
    mutating func corpus(_ root: TOMLTable) -> URL {
        var folder = inherited?.corpusFolder ?? self.folder.appendingPathComponent("corpus")
        guard let corpus = reader.table(root, "corpus", at: "") else { return folder }
        if let path = reader.string(corpus, "path", at: "corpus") {
            folder = path.hasPrefix("/") ? URL(fileURLWithPath: path) : self.folder.appendingPathComponent(path)
            // Said here, with its line and beside every other problem, not after them all
            // when the classifier is built.
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) || !isFolder.boolValue {
                reader.problem("corpus.path", "\(folder.path) is not a folder of reference articles (a typo?)")
            }
        }
        reader.rejectUnasked(corpus, at: "corpus")
        return folder
    }

    mutating func classifier(_ root: TOMLTable) -> ClassifierSettings {
        var classifier = inherited?.classifier ?? ClassifierSettings()
        guard let table = reader.table(root, "classifier", at: "") else { return classifier }
        let at = "classifier"
        if let v = reader.double(table, "alert_threshold", at: at, in: 0...1) { classifier.alertThreshold = v }
        if let v = reader.double(table, "review_threshold", at: at, in: 0...1) { classifier.reviewThreshold = v }
        if let v = reader.double(table, "bias", at: at, in: -50...50) { classifier.bias = v }
        if let v = reader.double(table, "similarity_weight", at: at, in: 0...50) { classifier.similarityWeight = v }
        if let v = reader.double(table, "similarity_center", at: at, in: 0...1) { classifier.similarityCenter = v }
        if let v = reader.double(table, "duplicate_threshold", at: at, in: 0...1) { classifier.duplicateThreshold = v }
        if let v = reader.double(table, "same_exercise_threshold", at: at, in: 0...1) { classifier.sameExerciseThreshold = v }
        if let v = reader.double(table, "story_window_days", at: at, in: 0...3650) { classifier.storyWindowDays = v }
        if let v = reader.int(table, "similar_limit", at: at, in: 0...50) { classifier.similarLimit = v }
        if let v = reader.bool(table, "learn", at: at) { classifier.learn = v }
        if let path = reader.string(table, "weights", at: at) {
            do { classifier.weights = try WeightsFile.load(resolve(path)) } catch {
                reader.problem("classifier.weights", error.problems.map(\.description).joined(separator: "; "))
            }
        }
        if classifier.reviewThreshold > classifier.alertThreshold {
            reader.problem("classifier.review_threshold", "must not be above alert_threshold (\(classifier.alertThreshold))")
        }
        reader.rejectUnasked(table, at: at)
        return classifier
    }

    /// `[terms]`: named word lists (query text) that rule queries use as `$name`, so the words
    /// for one idea — China, Russia, a drill — are written once and every rule reads the same
    /// ones (rules that spelt them out apart drifted: one knew "people's liberation army", the
    /// rule for "no China named" did not). This file's, or the base's.
    mutating func terms(_ root: TOMLTable) -> [String: String] {
        guard let table = reader.table(root, "terms", at: "") else { return inherited?.terms ?? [:] }
        var terms: [String: String] = [:]
        for name in table.keys.sorted() {
            guard let words = reader.string(table, name, at: "terms", required: true) else { continue }
            if !Self.isTermName(name) {
                reader.problem("terms.\(name)", "a name of lower-case letters, digits and _, starting with a letter")
            } else if words.contains("$") {
                reader.problem("terms.\(name)", "a word list cannot use another ($…): write out its words")
            } else {
                terms[name] = words
            }
        }
        return terms
    }

    private static func isTermName(_ name: String) -> Bool {
        guard let first = name.first, ("a"..."z").contains(first) else { return false }
        return name.allSatisfy(isTermCharacter)
    }

    private static func isTermCharacter(_ c: Character) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "_" }

    /// `query` with each `$name` replaced by its word list in parentheses, and the names no
    /// `[terms]` entry defines.
    static func expand(_ query: String, terms: [String: String]) -> (query: String, unknown: [String]) {
        guard query.contains("$") else { return (query, []) }
        var out = ""
        var unknown: [String] = []
        var rest = Substring(query)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest.index(after: dollar)
            let end = rest[after...].firstIndex { !isTermCharacter($0) } ?? rest.endIndex
            let name = String(rest[after..<end])
            if let words = terms[name] {
                out += "(" + words + ")"
            } else {
                unknown.append(name)
                out += rest[dollar..<end]
            }
            rest = rest[end...]
        }
        return (out + rest, unknown)
    }

    /// `[[rules]]`: this file's, or the base's when this one has none; `$name` in a query is
    /// `terms[name]`; each query checked by `check` when given.
    mutating func rules(_ root: TOMLTable, terms: [String: String], check: RuleCheck?) -> [RuleDefinition] {
        var rules: [RuleDefinition] = reader.isPresent(root, "rules", at: "") ? [] : inherited?.rules ?? []
        var names = Set<String>()
        for (index, table) in reader.tables(root, "rules", at: "").enumerated() {
            let path = "rules[\(index)]"
            let name = reader.string(table, "name", at: path, required: true) ?? "#\(index)"
            let (query, unknown) = Self.expand(reader.string(table, "query", at: path, required: true) ?? "", terms: terms)
            for name in unknown {
                let known = terms.keys.sorted().map { "$" + $0 }.joined(separator: ", ")
                reader.problem("\(path).query", "no word list $\(name) in [terms]" + (known.isEmpty ? "" : " (there are \(known))"))
            }
            let effectName = reader.string(table, "effect", at: path) ?? "raise"
            let weight = reader.double(table, "weight", at: path, in: 0...100)
            let pinned = reader.bool(table, "pinned", at: path) ?? false
            reader.rejectUnasked(table, at: path)
            if !names.insert(name).inserted { reader.problem("\(path).name", "rule '\(name)' is defined twice") }
            guard let effect = RuleHit.Effect(rawValue: effectName) else {
                reader.problem("\(path).effect", "must be raise, lower or veto (got \"\(effectName)\")")
                continue
            }
            rules.append(RuleDefinition(name: name, query: query, weight: weight ?? (effect == .veto ? 0 : 1), effect: effect, pinned: pinned))
        }
        for (rule, problem) in check?(rules) ?? [] {
            if let index = rules.firstIndex(where: { $0.name == rule }) {
                reader.problem("rules[\(index)].query", "rule '\(rule)': \(problem)")
            }
        }
        return rules
    }

    mutating func gazetteer(_ root: TOMLTable) -> Gazetteer {
        guard let table = reader.table(root, "gazetteer", at: "") else { return inherited?.gazetteer ?? Gazetteer() }
        /// requires_year, requires_name, requires_drill_word or requires_year_and_drill_word: at most one.
        func counting(_ entry: TOMLTable, at path: String) -> Gazetteer.Entry.Counting {
            let set: [(key: String, counting: Gazetteer.Entry.Counting)] = [
                ("requires_year", .withYear), ("requires_name", .asNameOrWithYear), ("requires_drill_word", .asNameWithYearOrNearDrillWord),
                ("requires_year_and_drill_word", .withYearNearDrillWord),
            ].filter { reader.bool(entry, $0.key, at: path) == true }
            if set.count > 1 {
                reader.problem(path, "set one of \(set.map(\.key).joined(separator: ", ")), not several")
            }
            return set.first?.counting ?? .always
        }
        func entries(_ key: String) -> [Gazetteer.Entry] {
            reader.tables(table, key, at: "gazetteer").enumerated().compactMap { index, entry in
                let path = "gazetteer.\(key)[\(index)]"
                let name = reader.string(entry, "name", at: path, required: true)
                let read = Gazetteer.Entry(name: name ?? "", aliases: reader.strings(entry, "aliases", at: path),
                                           counting: counting(entry, at: path),
                                           joint: reader.bool(entry, "joint", at: path) ?? true,
                                           jointYears: reader.ints(entry, "joint_years", at: path, in: 1990...2100),
                                           country: reader.string(entry, "country", at: path),
                                           within: reader.strings(entry, "within", at: path))
                reader.rejectUnasked(entry, at: path)
                return name == nil ? nil : read
            }
        }
        let gazetteer = Gazetteer(exercises: entries("exercises"), places: entries("places"), countries: entries("countries"))
        // A place lies within places the gazetteer names: a misspelt one would quietly never
        // overlap anything.
        for (key, entries) in [("exercises", gazetteer.exercises), ("countries", gazetteer.countries)] {
            for (index, entry) in entries.enumerated() where !entry.within.isEmpty {
                reader.problem("gazetteer.\(key)[\(index)].within", "only places lie within other places; move it to [[gazetteer.places]]")
            }
        }
        let placeNames = Set(gazetteer.places.map(\.name))
        for (index, place) in gazetteer.places.enumerated() {
            for larger in place.within where !placeNames.contains(larger) {
                reader.problem("gazetteer.places[\(index)].within", "'\(larger)' is not the name of a place in the gazetteer")
            }
        }
        reader.rejectUnasked(table, at: "gazetteer")
        return gazetteer
    }
}
