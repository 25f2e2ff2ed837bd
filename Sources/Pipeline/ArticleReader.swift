import Article
import Classifier
import Curl
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Locking
import Model
import Settings
import Store

/// What happened to the articles of one feed's new items in a scan.
public struct ArticleCounts: Sendable, Equatable {
    /// Fetched and read (their items were judged on the article).
    public var read = 0
    /// Taken from the state without a fetch (read recently, or unchanged: 304).
    public var cached = 0
    /// The fetch failed (network, HTTP status, size, timeout): judged on the feed's text.
    public var failed = 0
    /// `robots.txt` disallows the page for drillwatch's user agent.
    public var disallowed = 0
    /// The host had its `per_host_per_minute` fetches already.
    public var overLimit = 0
    /// A redirector that needs JavaScript (some news-search links); remembered, not retried.
    public var needsJavaScript = 0
    /// Fetched, but no article text was found in it.
    public var empty = 0
    /// Not had within the feed's time for its articles (`timeout_seconds` from the first):
    /// judged on the feed's text.
    public var late = 0

    public var isEmpty: Bool { self == ArticleCounts() }

    static func + (a: ArticleCounts, b: ArticleCounts) -> ArticleCounts {
        ArticleCounts(read: a.read + b.read, cached: a.cached + b.cached, failed: a.failed + b.failed, disallowed: a.disallowed + b.disallowed,
                      overLimit: a.overLimit + b.overLimit, needsJavaScript: a.needsJavaScript + b.needsJavaScript, empty: a.empty + b.empty,
                      late: a.late + b.late)
    }
}

/// Reads the article behind the links of items that a feed gives only a headline of (or
/// whose score on the feed's text is borderline), so that they are judged on the report
/// itself. Everything is best effort and never holds an item back: an article that cannot
/// be had in time, is refused by `robots.txt` or by the per-host limit, leaves its item to
/// be judged on what the feed gave.
///
/// The same guards as feeds: the scan's HTTP client policy (size cap, timeouts, redirects),
/// and no way into the local network from a feed on the internet, first hop included;
/// `robots.txt` for the configured user agent, at most `per_host_per_minute` fetches per host,
/// no fetch to a host while its `Retry-After` runs, and a cache in the state with the page's
/// validators. One reader lives as long as its scanner (a daemon's, from reload to reload).
struct ArticleReader: Sendable {
    private let settings: ArticleSettings
    private let client: HTTPClient
    private let store: any StateStore
    private let robots: RobotsRules
    private let limiter: HostLimiter
    private let now: @Sendable () -> Date

    /// Articles longer than this are cut (the classifier reads the beginning of a report).
    static let maxTextCharacters = 20_000
    static let maxLedeCharacters = 1_000
    /// Article pages larger than this are not read.
    static let maxPageBytes = 5 * 1024 * 1024
    /// Fewer characters of article text than this is no article (a consent wall, a stub).
    static let minimumText = 200

    init(settings: Settings, store: any StateStore, now: @escaping @Sendable () -> Date = Date.init) {
        var policy = FetchPolicy(totalTimeout: .seconds(settings.articles.timeoutSeconds))
        if let agent = settings.scan.userAgent { policy.userAgent = agent }
        policy.allowRedirectsToLocalNetwork = settings.scan.allowLocalRedirects
        policy.maxBodyBytes = Self.maxPageBytes
        self.init(settings: settings.articles,
                  client: HTTPClient(policy: policy, maxConcurrent: settings.scan.maxConcurrent, maxPerHost: settings.scan.perHost),
                  userAgent: policy.userAgent, store: store, now: now)
    }

    /// With a client of the caller's choosing (tests: a loopback server standing in for a
    /// public one).
    init(settings: ArticleSettings, client: HTTPClient, userAgent: String, store: any StateStore,
         now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.store = store
        self.now = now
        self.client = client
        robots = RobotsRules(client: client, userAgent: userAgent, now: now)
        limiter = HostLimiter(perMinute: settings.perHostPerMinute)
    }

    /// The items with their articles read where the feed's policy asks for them, what
    /// happened to those articles, and which items now have an article's text. `readings`
    /// (nil for a learning classifier, which reads nothing ahead) tell which are borderline.
    func enrich(_ items: [Item], feed: FeedSettings, readings: [Classifier.Reading]?, reader: Classifier.Reader?) async
        -> (items: [Item], counts: ArticleCounts, changed: [Int]) {
        let wanted = wanted(items, feed: feed, readings: readings, reader: reader)
        guard !wanted.isEmpty else { return (items, ArticleCounts(), []) }
        let mayReachLocal = Self.isOnLocalNetwork(feed.url)
        var enriched = items
        var counts = ArticleCounts()
        var changed: [Int] = []
        // A few at a time: a feed's links mostly share a host, which the limiter paces anyway.
        // All within `timeout_seconds` of the first: the feed is judged after the feeds before
        // it and before those after it, so its articles hold back the judging of every later
        // feed. Past the deadline what is in flight is cancelled and the rest not asked for.
        let deadline = ContinuousClock.now + .seconds(settings.timeoutSeconds)
        await withTaskGroup(of: (index: Int, text: ArticleText?, counts: ArticleCounts)?.self) { group in
            var pending = wanted[...]
            var reading = 0
            func startNext() {
                guard let index = pending.popFirst(), let link = items[index].link else { return }
                reading += 1
                group.addTask {
                    let (text, counts) = await article(at: link, mayReachLocal: mayReachLocal)
                    return (index, text, text == nil && Task.isCancelled ? ArticleCounts(late: 1) : counts)
                }
            }
            for _ in 0..<4 { startNext() }
            group.addTask { try? await Task.sleep(until: deadline); return nil }  // nil: time is up, or no more to read
            while let next = await group.next() {
                guard let (index, text, outcome) = next else {
                    counts.late += pending.count
                    pending = []
                    group.cancelAll()
                    continue
                }
                reading -= 1
                counts = counts + outcome
                if let text {
                    enriched[index].text = text.body
                    enriched[index].articleLede = text.lede
                    changed.append(index)
                }
                startNext()
                if reading == 0 { group.cancelAll() }  // wakes the clock
            }
        }
        return (enriched, counts, changed.sorted())
    }

    /// Whether any of `items` wants its article read (see `enrich`).
    func wants(_ items: [Item], feed: FeedSettings, readings: [Classifier.Reading]?, reader: Classifier.Reader?) -> Bool {
        items.indices.contains(where: wantsArticle(items, feed: feed, readings: readings, reader: reader))
    }

    /// The indices of the items whose articles the feed's policy asks for.
    private func wanted(_ items: [Item], feed: FeedSettings, readings: [Classifier.Reading]?, reader: Classifier.Reader?) -> [Int] {
        items.indices.filter(wantsArticle(items, feed: feed, readings: readings, reader: reader))
    }

    /// Whether the item at an index wants its article, by the feed's policy for these items.
    private func wantsArticle(_ items: [Item], feed: FeedSettings, readings: [Classifier.Reading]?,
                              reader: Classifier.Reader?) -> (Int) -> Bool {
        let policy = policy(for: items, feed: feed)
        return { index in
            let borderline = reader.flatMap { reader in readings.map { reader.isBorderline($0[index]) } }
            return needsArticle(items[index], policy: policy, borderline: borderline)
        }
    }

    /// The feed's policy for this fetch: `auto` becomes `short` when most of its new items are
    /// headline-length, else `borderline`.
    func policy(for items: [Item], feed: FeedSettings) -> ArticlePolicy {
        let policy = feed.article ?? settings.policy
        guard policy == .auto else { return policy }
        return items.filter(isShort).count * 2 >= items.count ? .short : .borderline
    }

    /// The policy applied to one item; `borderline` is nil when the item was not read ahead
    /// (a learning classifier), and `borderline` then falls back to `short`.
    func needsArticle(_ item: Item, policy: ArticlePolicy, borderline: Bool?) -> Bool {
        guard let link = item.link, link.hasPrefix("http://") || link.hasPrefix("https://") else { return false }
        switch policy {
        case .never: return false
        case .always: return true
        case .short: return isShort(item)
        case .borderline, .auto: return borderline ?? isShort(item)
        }
    }

    /// Less text than `short_text` beyond the headline (counted in Unicode scalars: cheap,
    /// and a headline-only item is short by any count).
    private func isShort(_ item: Item) -> Bool {
        let text = item.text.unicodeScalars.count
        let title = item.text.hasPrefix(item.title) ? item.title.unicodeScalars.count : 0
        return text - title < settings.shortText
    }

    struct ArticleText: Sendable {
        var body: String
        var lede: String
    }

    /// Whether a feed's own address is on this machine or its network (a literal local
    /// address or `localhost`): only then may its items' links lead there. A link in a feed
    /// from the internet is the feed publisher's to choose, and must not reach inside.
    static func isOnLocalNetwork(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        let ip = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        var v4 = in_addr(), v6 = in6_addr()
        guard inet_pton(AF_INET, ip, &v4) == 1 || inet_pton(AF_INET6, ip, &v6) == 1 else { return false }
        return NetworkAddress(ip: ip, port: 0).isLocal
    }

    /// One link's article, from the cache or its server; nil when there is none to be had.
    func article(at link: String, mayReachLocal: Bool) async -> (ArticleText?, ArticleCounts) {
        var counts = ArticleCounts()
        let cached = try? await store.cachedArticle(url: link)
        if let cached, now().timeIntervalSince(cached.fetched) < settings.cacheHours * 3600 || cached.status == .needsJavaScript {
            return Self.outcome(cached, fetched: false)
        }
        guard let host = URL(string: link)?.host?.lowercased() else { counts.failed = 1; return (nil, counts) }
        switch await robots.permission(for: link, mayReachLocal: mayReachLocal) {
        case .allowed: break
        case .disallowed: counts.disallowed = 1; return (nil, counts)
        case .unreachable: counts.failed = 1; return (nil, counts)
        }
        guard limiter.take(host, at: now()) else { counts.overLimit = 1; return (nil, counts) }

        var request = HTTPRequest(url: link, headers: [HTTPHeader(name: "Accept", value: "text/html, application/xhtml+xml;q=0.9, */*;q=0.5")])
        request.refusesLocalNetwork = !mayReachLocal
        if cached?.status == .read { request.validators = Validators(etag: cached?.etag, lastModified: cached?.lastModified) }
        guard let response = try? await client.fetch(request) else { counts.failed = 1; return (nil, counts) }
        if let retryAfter = response.retryAfter { limiter.block(host, until: retryAfter) }
        if response.isNotModified, var cached {
            cached.fetched = now()
            try? await store.save(cached)
            return Self.outcome(cached, fetched: false)
        }
        guard response.isSuccess else { counts.failed = 1; return (nil, counts) }
        let entry = Self.entry(link, response, at: now())
        try? await store.save(entry)
        return Self.outcome(entry, fetched: true)
    }

    /// What a fetched page comes to, as the cache keeps it: its article, or why there is none
    /// (no page at all, a JavaScript redirector, too little text).
    private static func entry(_ link: String, _ response: HTTPResponse, at time: Date) -> CachedArticle {
        let header = { (name: String) in response.headers.first { $0.name.lowercased() == name }?.value }
        let contentType = header("content-type")
        // A PDF, an image or a video behind the link is no page to read.
        if let type = contentType?.lowercased(), !(type.contains("html") || type.contains("xml") || type.hasPrefix("text/")) {
            return CachedArticle(url: link, fetched: time, status: .empty)
        }
        let article = ArticleExtractor.extract(response.body, url: response.finalURL, contentType: contentType)
        guard article.text.count >= minimumText else {
            return CachedArticle(url: link, fetched: time,
                                 status: JavaScriptRedirect.isOne(response.body, finalURL: response.finalURL) ? .needsJavaScript : .empty)
        }
        return CachedArticle(url: link, fetched: time, status: .read, etag: header("etag"), lastModified: header("last-modified"),
                             title: article.title, text: String(article.text.prefix(maxTextCharacters)), published: article.published)
    }

    /// A cache entry as the item's text (when it is an article) and its count.
    private static func outcome(_ entry: CachedArticle, fetched: Bool) -> (ArticleText?, ArticleCounts) {
        var counts = ArticleCounts()
        switch entry.status {
        case .read: if fetched { counts.read = 1 } else { counts.cached = 1 }
        case .needsJavaScript: counts.needsJavaScript = 1
        case .empty: counts.empty = 1
        }
        return (entry.status == .read ? text(entry.text) : nil, counts)
    }

    private static func text(_ body: String) -> ArticleText {
        let lede = Article.lede(of: body) ?? body
        return ArticleText(body: body, lede: String(lede.prefix(maxLedeCharacters)))
    }
}

/// Pages that only send the browser on with a script (news-search redirectors such as Google
/// News's article links): there is no article in them, and fetching them again will not
/// change that.
enum JavaScriptRedirect {
    static func isOne(_ body: [UInt8], finalURL: String) -> Bool {
        let host = URL(string: finalURL)?.host?.lowercased() ?? ""
        if host == "news.google.com" { return true }
        let page = String(decoding: body.prefix(256 * 1024), as: UTF8.self).lowercased()
        return page.contains("window.location") || page.contains("location.replace(") || page.contains("location.href=")
            || page.contains("location.href =") || (page.contains("http-equiv=\"refresh\"") && body.count < 16 * 1024)
    }
}

/// At most `perMinute` fetches per host in any minute, and none while a host's `Retry-After`
/// runs. Never waits: a fetch past the limit is not made.
final class HostLimiter: Sendable {
    private let perMinute: Int
    private let state = Locked<(recent: [String: [Date]], blocked: [String: Date])>(([:], [:]))

    init(perMinute: Int) { self.perMinute = perMinute }

    func take(_ host: String, at now: Date) -> Bool {
        state.withLock { state in
            if let until = state.blocked[host], until > now { return false }
            var recent = state.recent[host, default: []].filter { now.timeIntervalSince($0) < 60 }
            guard recent.count < perMinute else { state.recent[host] = recent; return false }
            recent.append(now)
            state.recent[host] = recent
            return true
        }
    }

    func block(_ host: String, until date: Date) {
        state.withLock { $0.blocked[host] = max($0.blocked[host] ?? date, date) }
    }
}

/// `robots.txt` of each host, read as RFC 9309 says: the group for drillwatch's product token
/// (else `*`), the longest matching rule deciding, `Allow` winning a tie. A missing file (4xx)
/// allows everything; an unreachable one (5xx, no answer) disallows everything, counted as a
/// failed fetch (the host is not there). Kept for a day (RFC 9309: no longer than 24 hours),
/// an unreachable one for half an hour.
final class RobotsRules: Sendable {
    private let client: HTTPClient
    private let token: String
    private let now: @Sendable () -> Date
    private let hosts = Locked<[String: (rules: Task<Robots?, Never>, asked: Date)]>([:])

    static let keptFor: TimeInterval = 24 * 3600
    static let unreachableKeptFor: TimeInterval = 30 * 60

    enum Permission { case allowed, disallowed, unreachable }

    init(client: HTTPClient, userAgent: String, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.now = now
        token = String(userAgent.prefix { $0 != "/" && $0 != " " }).lowercased()
    }

    /// Whether drillwatch may fetch `link`; `unreachable` when the host's `robots.txt` could
    /// not be had (no answer, a 5xx): then nothing of the host is fetched in this scan.
    func permission(for link: String, mayReachLocal: Bool) async -> Permission {
        guard let components = URLComponents(string: link), let scheme = components.scheme, let host = components.host else {
            return .disallowed
        }
        let origin = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        guard let robots = await rules(for: origin, mayReachLocal: mayReachLocal) else { return .unreachable }
        return robots.allows(path + (components.percentEncodedQuery.map { "?" + $0 } ?? "")) ? .allowed : .disallowed
    }

    /// The origin's rules, from the cache or its server; one fetch at a time per origin.
    private func rules(for origin: String, mayReachLocal: Bool) async -> Robots? {
        let time = now()
        let cached = hosts.withLock { $0[origin] }
        if let cached, time.timeIntervalSince(cached.asked) < Self.unreachableKeptFor { return await cached.rules.valueUnlessCancelled() ?? nil }
        if let cached, time.timeIntervalSince(cached.asked) < Self.keptFor, let rules = await cached.rules.valueUnlessCancelled() ?? nil {
            return rules
        }
        let task = hosts.withLock { hosts in
            // Another task may have asked meanwhile.
            if let current = hosts[origin], current.asked > (cached?.asked ?? .distantPast) { return current.rules }
            let (client, token) = (client, token)
            let task = Task { await Self.load(origin + "/robots.txt", client: client, token: token, mayReachLocal: mayReachLocal) }
            hosts[origin] = (task, time)
            return task
        }
        return await task.valueUnlessCancelled() ?? nil
    }

    /// The host's rules; nil when they cannot be had (RFC 9309: then assume everything is
    /// disallowed). A missing file (4xx) allows everything.
    private static func load(_ url: String, client: HTTPClient, token: String, mayReachLocal: Bool) async -> Robots? {
        var request = HTTPRequest(url: url)
        request.refusesLocalNetwork = !mayReachLocal
        guard let response = try? await client.fetch(request) else { return nil }
        if response.isSuccess { return Robots(String(decoding: response.body.prefix(512 * 1024), as: UTF8.self), token: token) }
        return (400..<500).contains(response.status) ? .allowAll : nil
    }
}

extension Task where Failure == Never {
    /// The task's value, or nil as soon as the task waiting for it is cancelled (a feed's
    /// articles past their deadline); the task itself runs on for its other waiters (a host's
    /// `robots.txt` serves every feed linking there). `value` alone would ignore the
    /// cancellation and keep the waiter until the task ends.
    func valueUnlessCancelled() async -> Success? {
        let waiter = Locked<(continuation: CheckedContinuation<Success?, Never>?, over: Bool)>((nil, false))
        // Resumes the waiter once: whichever comes first, the value or the cancellation.
        @Sendable func finish(_ value: Success?) {
            let continuation = waiter.withLock { state in
                defer { (state.continuation, state.over) = (nil, true) }
                return state.continuation
            }
            continuation?.resume(returning: value)
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let cancelledAlready = waiter.withLock { state in
                    if !state.over { state.continuation = continuation }
                    return state.over
                }
                if cancelledAlready { return continuation.resume(returning: nil) }
                Task<Void, Never> { finish(await self.value) }
            }
        } onCancel: {
            finish(nil)
        }
    }
}

/// The rules of one `robots.txt` for one user agent.
struct Robots: Sendable {
    /// (pattern, allow) of the group that applies.
    var rules: [(pattern: String, allow: Bool)]

    static let allowAll = Robots(rules: [])

    init(rules: [(pattern: String, allow: Bool)]) { self.rules = rules }

    init(_ text: String, token: String) {
        var groups: [(agents: [String], rules: [(String, Bool)])] = []
        var inAgents = false
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.prefix { $0 != "#" }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "user-agent":
                if !inAgents { groups.append(([], [])) }
                groups[groups.count - 1].agents.append(value.lowercased())
                inAgents = true
            case "allow", "disallow":
                inAgents = false
                guard !groups.isEmpty, !value.isEmpty else { continue }  // an empty Disallow allows all
                groups[groups.count - 1].rules.append((value, key == "allow"))
            default:
                continue
            }
        }
        let mine = groups.filter { $0.agents.contains { !$0.isEmpty && $0 != "*" && token.hasPrefix($0) } }
        let chosen = mine.isEmpty ? groups.filter { $0.agents.contains("*") } : mine
        rules = chosen.flatMap(\.rules)
    }

    func allows(_ path: String) -> Bool {
        var best: (length: Int, allow: Bool)?
        for rule in rules where Self.matches(rule.pattern, path) {
            let length = rule.pattern.count
            if best == nil || length > best!.length || (length == best!.length && rule.allow) { best = (length, rule.allow) }
        }
        return best?.allow ?? true
    }

    /// RFC 9309 patterns: a path prefix, `*` for any run of characters, `$` for the end.
    static func matches(_ pattern: String, _ path: String) -> Bool {
        let anchored = pattern.hasSuffix("$")
        let parts = (anchored ? String(pattern.dropLast()) : pattern).split(separator: "*", omittingEmptySubsequences: false)
        var rest = Substring(path)
        for (index, part) in parts.enumerated() {
            if index == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if index == parts.count - 1 && anchored {
                return rest.hasSuffix(part)
            } else {
                guard let range = rest.range(of: part) else { return false }
                rest = rest[range.upperBound...]
            }
        }
        return !anchored || rest.isEmpty
    }
}
