import Foundation
import Model
import Pipeline
import PostgresStore
import Store
import TestSupport
import Testing

/// The PostgreSQL state behaves as the SQLite state does: one scenario touching every method
/// of `StateStore` runs on both, and what each returned must be the same.
@Suite struct PostgresStateStore {
    static let t0 = Date(timeIntervalSince1970: 1_900_000_000.125)

    static func judgement(_ key: String, feed: String = "wire", kind: Verdict.Kind, story: String? = nil, minutes: Double = 0,
                          link: String? = nil, article: Bool = false) -> Judgement {
        var item = Item(id: key, title: "Joint drill \(key) \"quoted\" {braced}, \\ back", text: "Chinese and Russian ships \(key)",
                        link: link ?? "https://news.example/\(key)", published: t0.addingTimeInterval(-3600))
        if article { item.articleLede = "The lede of \(key)" }
        let verdict = Verdict(kind: kind, score: kind == .ignore ? 0.01 : 0.9,
                              rules: [RuleHit(name: "r", effect: .raise, weight: 1, matched: ["ships"])],
                              story: story, duplicateOf: kind == .duplicate ? "wire/a1" : nil,
                              facts: EventFacts(exercise: kind == .ignore ? nil : "Joint Sea-2031", places: ["Sea of Japan", "Владивосток"],
                                                countries: ["China", "Russia"]))
        return Judgement(feed: feed, item: item, verdict: verdict, firstSeen: t0.addingTimeInterval(minutes * 60))
    }

    /// Everything a store answered, in order.
    struct Transcript: Equatable {
        var answers: [String] = []
        mutating func add<T>(_ label: String, _ value: T) { answers.append("\(label): \(value)") }
    }

    static func scenario(_ store: any StateStore) async throws -> Transcript {
        var log = Transcript()
        var wire = FeedState(name: "wire", url: "https://wire.example/rss")
        wire.etag = "\"v1\""
        wire.lastModified = "Sun, 14 Jul 2024 08:00:00 GMT"
        wire.lastFetch = t0
        wire.lastStatus = 200
        wire.itemsSeen = 3
        wire.nextDue = t0.addingTimeInterval(900.5)
        wire.capped = 2
        let a1 = judgement("a1", kind: .alert, story: "s1")
        let d1 = judgement("d1", kind: .duplicate, story: "s1", minutes: 1, article: true)
        let n1 = judgement("n1", kind: .ignore, minutes: 2)
        let batch = [FeedCommit(feed: wire, items: [a1, d1, n1], alerts: [a1])]
        try await store.commit(batch)
        // Replayed after a crash: nothing changes, the alert is not queued again.
        try await store.commit(batch)
        let m1 = judgement("m1", feed: "mirror", kind: .alert, story: "s2", minutes: 3, link: "https://news.example/a1")
        try await store.commit(feed: FeedState(name: "mirror", url: "https://mirror.example/rss"), items: [m1], alerts: [m1])

        log.add("states", try await store.feedStates())
        log.add("state", try await store.feedState("wire") as Any)
        log.add("no state", try await store.feedState("absent") as Any)
        log.add("keys", try await store.knownKeys(feed: "wire", among: ["a1", "zz", "n1"]).sorted())
        log.add("links", try await store.knownLinksAndTitles(feed: "wire", among: [
            (link: "https://news.example/a1", title: a1.title), (link: "https://news.example/a1", title: "other"),
        ]).map { "\($0.link)|\($0.title)" }.sorted())
        let end = t0.addingTimeInterval(86400)
        log.add("items", try await store.items(firstSeenFrom: t0, to: end))
        log.add("alert items", try await store.items(firstSeenFrom: t0, to: end, verdicts: [.alert]).map(\.itemKey))
        log.add("counts", try await store.newItemCounts(from: t0, to: end).sorted { $0.key < $1.key })
        log.add("relevant", try await store.relevantItems(since: t0.addingTimeInterval(30), latest: 100).map(\.itemKey))
        log.add("newest relevant", try await store.relevantItems(since: .distantPast, latest: 1).map(\.itemKey))
        log.add("newest two and a story's first", try await store.relevantItems(since: .distantPast, latest: 2).map(\.itemKey))
        let pending = try await store.pendingAlerts()
        log.add("pending", pending.alerts)
        log.add("unreadable", pending.unreadable)
        log.add("stories", try await store.alertedStories(among: ["s1", "s2", "s3"]).sorted())

        let written = t0.addingTimeInterval(10)
        try await store.markWritten([a1.id], at: written, deliverTo: [.webhook, .email])
        log.add("pending after", try await store.pendingAlerts().alerts.map(\.itemKey))
        log.add("alerts", try await store.alerts(since: nil, limit: 10).map(\.itemKey))
        log.add("alerts since", try await store.alerts(since: end, limit: 10).map(\.itemKey))
        log.add("latest", try await store.latestAlerts(limit: 1).map(\.itemKey))
        let due = try await store.dueDeliveries(at: written, limit: 10)
        log.add("due", due)
        try await store.record(.failed(error: "HTTP 503", retryAt: written.addingTimeInterval(60)), for: due[0], at: written)
        log.add("counts after failure", try await store.deliveryCounts())
        log.add("due during back-off", try await store.dueDeliveries(at: written.addingTimeInterval(30), limit: 10).map(\.channel))
        try await store.record(.delivered, for: due[1], at: written)
        try await store.record(.failed(error: "gave up", retryAt: nil), for: due[0], at: written.addingTimeInterval(61))
        log.add("counts at the end", try await store.deliveryCounts())

        log.add("unknown feedback", try await store.record(Feedback(alertID: "nope", verdict: .right, note: nil, judged: t0)))
        log.add("feedback", try await store.record(Feedback(alertID: a1.id, verdict: .right, note: "good", judged: t0)))
        log.add("feedback again", try await store.record(Feedback(alertID: a1.id, verdict: .wrong, note: nil, judged: written)))
        log.add("alert by id", try await store.alert(id: a1.id) as Any)
        log.add("judged", try await store.judgedAlerts())
        log.add("feedback for", try await store.feedback(for: [a1.id, "nope"]).sorted { $0.key < $1.key })

        var article = CachedArticle(url: "https://news.example/a1", fetched: t0, status: .read, etag: "\"e\"", title: "Joint Sea",
                                    text: "Paragraph one.\n\nParagraph two.", published: t0.addingTimeInterval(-60))
        try await store.save(article)
        article.status = .needsJavaScript
        article.text = ""
        try await store.save(article)
        log.add("article", try await store.cachedArticle(url: article.url) as Any)
        log.add("no article", try await store.cachedArticle(url: "https://absent.example/") as Any)

        log.add("no digest", try await store.lastDigestDay() as Any)
        try await store.markDigestWritten(day: "2030-03-17", at: t0)
        try await store.markDigestWritten(day: "2030-03-18", at: t0)
        log.add("digest", try await store.lastDigestDay() as Any)

        log.add("pruned", try await store.prune(before: t0.addingTimeInterval(90)))
        log.add("items left", try await store.items(firstSeenFrom: .distantPast, to: .distantFuture).map(\.itemKey))
        log.add("judged alert kept", try await store.alert(id: a1.id)?.itemKey as Any)
        return log
    }

    /// A new process remembers as many stories as the classifier holds, not the whole window:
    /// the newest relevant items, and the alert that began each of their stories however old.
    @Test func aRestartReadsTheNewestStoriesWithTheirFirstReports() async throws {
        let store = try SQLiteStore.inMemory()
        let feed = FeedState(name: "wire", url: "https://wire.example/rss")
        let items = [Self.judgement("a1", kind: .alert, story: "s1"), Self.judgement("a2", kind: .alert, story: "s2", minutes: 1),
                     Self.judgement("n1", kind: .ignore, minutes: 2), Self.judgement("d1", kind: .duplicate, story: "s1", minutes: 3),
                     Self.judgement("a3", kind: .alert, story: "s3", minutes: 4)]
        try await store.commit(feed: feed, items: items, alerts: items.filter { $0.verdict == .alert })
        #expect(try await store.relevantItems(since: .distantPast, latest: 2).map(\.itemKey) == ["a1", "d1", "a3"])
        #expect(try await store.relevantItems(since: .distantPast, latest: 10).map(\.itemKey) == ["a1", "a2", "d1", "a3"])
        #expect(try await store.relevantItems(since: Self.t0.addingTimeInterval(150), latest: 10).map(\.itemKey) == ["d1", "a3"])
    }

    @Test func answersAsTheSQLiteStateDoes() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let expected = try await Self.scenario(SQLiteStore.inMemory())
        let store = try await PostgresStore.open(url: try server.createDatabase(), password: nil)
        let answers = try await Self.scenario(store)
        #expect(expected.answers.count == 35)
        #expect(answers.answers.count == expected.answers.count)
        for (got, want) in zip(answers.answers, expected.answers) {
            #expect(got == want)
        }
    }
}

/// What a PostgreSQL state does that a file does not: a server to reach, users and passwords,
/// connections that drop, other instances beside this one.
@Suite struct PostgresStateServer {
    @Test func aDroppedConnectionFailsOneCallAndTheNextReconnects() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let url = try server.createDatabase()
        let store = try await PostgresStore.open(url: url, password: nil, instance: .init(version: "test"), applicationName: "dropped")
        try await store.commit(feed: FeedState(name: "wire", url: "https://wire.example/rss"), items: [], alerts: [])
        try server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dropped'",
                       database: PostgresServer.database(in: url))
        await #expect {
            _ = try await store.feedStates()
        } throws: { error in
            (error as? StoreError)?.kind == .unreachable
        }
        // Committed work is still there.
        #expect(try await store.feedStates().map(\.name) == ["wire"])
    }

    @Test func passwordsComeFromTheCallerOrAPassFileAndAreNeverShown() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let database = PostgresServer.database(in: try server.createDatabase())
        let tcp = server.tcpURL(database: database)
        _ = try await PostgresStore.open(url: tcp, password: PostgresServer.password)

        // libpq's password file (PGPASSFILE, or `passfile` in the URL): host:port:db:user:password.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-pgpass-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let passFile = folder.appendingPathComponent("pgpass")
        try "127.0.0.1:\(server.port):\(database):\(PostgresServer.user):\(PostgresServer.password)\n"
            .write(to: passFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passFile.path)
        _ = try await PostgresStore.open(url: tcp + "?passfile=\(passFile.path)", password: nil)

        await #expect {
            _ = try await PostgresStore.open(url: tcp, password: "wrong-Secret-9")
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.kind == .refused && error.description.contains("password authentication failed")
                && error.description.contains("pg_hba.conf") && !error.description.contains("wrong-Secret-9")
        }
    }

    /// The URL is libpq's: `sslmode=require` is honoured (the test server has no TLS, so the
    /// connection must be refused rather than made in the clear).
    @Test func tlsIsRequiredWhenTheURLSaysSo() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let database = PostgresServer.database(in: try server.createDatabase())
        await #expect {
            _ = try await PostgresStore.open(url: server.tcpURL(database: database) + "?sslmode=require", password: PostgresServer.password)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.kind == .unreachable && error.description.contains("SSL")
        }
    }

    @Test func anUnreachableServerIsSaidSo() async throws {
        guard PostgresServer.orSkip() != nil else { return }
        await #expect {
            _ = try await PostgresStore.open(url: "postgresql://drillwatch@127.0.0.1:1/none?connect_timeout=2", password: nil)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.kind == .unreachable && error.description.contains("127.0.0.1")
                && error.description.contains("nothing committed was lost")
        }
    }

    @Test func instancesStartingTogetherMigrateOnce() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let url = try server.createDatabase()
        async let one = PostgresStore.migrate(url: url, password: nil)
        async let two = PostgresStore.migrate(url: url, password: nil)
        let applied = try await [one.applied, two.applied]
        #expect(applied.map(\.count).sorted() == [0, 1])
        #expect(try server.sql("SELECT count(*) FROM drillwatch_migration", database: PostgresServer.database(in: url)) == "1")
    }

    /// Two processes judging copies of one item at the same moment (a replayed batch, or a
    /// second instance): the item is stored once and its alert queued once.
    @Test func racingCommitsOfOneItemQueueOneAlert() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let url = try server.createDatabase()
        let one = try await PostgresStore.open(url: url, password: nil)
        let two = try await PostgresStore.open(url: url, password: nil)
        let alert = PostgresStateStore.judgement("a1", kind: .alert, story: "s1")
        let feed = FeedState(name: "wire", url: "https://wire.example/rss")
        for _ in 0..<20 {
            async let first: Void = one.commit(feed: feed, items: [alert], alerts: [alert])
            async let second: Void = two.commit(feed: feed, items: [alert], alerts: [alert])
            _ = try await (first, second)
        }
        #expect(try await one.pendingAlerts().alerts.map(\.id) == [alert.id])
        #expect(try server.sql("SELECT count(*) FROM item", database: PostgresServer.database(in: url)) == "1")
    }

    @Test func aSQLiteStateCopiesOverWhole() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-copy-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try SQLiteStore.open(at: folder.appendingPathComponent("drillwatch.sqlite").path)
        _ = try await PostgresStateStore.scenario(sqlite)
        let postgres = try await PostgresStore.open(url: try server.createDatabase(), password: nil)
        let tables = try await StateCopy.copy(from: sqlite, to: postgres)
        #expect(tables.map(\.name) == ["feed", "item", "outbox", "delivery", "digest", "feedback", "article"])
        #expect(tables.allSatisfy { $0.read == $0.inserted })
        #expect(tables.map(\.read).reduce(0, +) > 10)
        // Read back, the two states are the same state.
        #expect(try await postgres.feedStates() == sqlite.feedStates())
        #expect(try await postgres.items(firstSeenFrom: .distantPast, to: .distantFuture)
                == sqlite.items(firstSeenFrom: .distantPast, to: .distantFuture))
        #expect(try await postgres.alerts(since: nil, limit: 100) == sqlite.alerts(since: nil, limit: 100))
        #expect(try await postgres.judgedAlerts() == sqlite.judgedAlerts())
        #expect(try await postgres.deliveryCounts() == sqlite.deliveryCounts())
        #expect(try await postgres.lastDigestDay() == sqlite.lastDigestDay())
        // Run again (after an interruption): nothing is inserted twice.
        #expect(try await StateCopy.copy(from: sqlite, to: postgres).map(\.inserted).reduce(0, +) == 0)
    }
}

/// Several instances on one PostgreSQL state: each feed fetched by one of them, one alert per
/// story, each alert written and each notification made by one of them.
@Suite struct SharedState {
    static func instance(_ name: String, lease: TimeInterval = 120) -> PostgresStore.Instance {
        PostgresStore.Instance(id: name, host: "test", version: "test", lease: lease)
    }

    static func feeds(_ count: Int) -> [FeedState] {
        (0..<count).map { FeedState(name: "feed-\($0)", url: "https://news.example/\($0).xml") }
    }

    @Test func instancesClaimEachDueFeedOnce() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let url = try server.createDatabase()
        let one = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("one"))
        let two = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("two"))
        let feeds = Self.feeds(200)
        let now = Date()
        async let a = one.claimFeeds(feeds, dueOnly: true, at: now)
        async let b = two.claimFeeds(feeds, dueOnly: true, at: now)
        let (first, second) = try await (a ?? [], b ?? [])
        #expect(first.isDisjoint(with: second))
        #expect(first.union(second) == Set(feeds.map(\.name)))
        // Leased: nobody else takes them, and the holder may claim them again.
        #expect(try await two.claimFeeds(feeds, dueOnly: true, at: now) == second)
        #expect(try await one.instances(at: now).map(\.leases) == [first.count, second.count])

        // Fetched and committed: not due until their next due time, whoever asks.
        var fetched = feeds.filter { first.contains($0.name) }
        for index in fetched.indices { fetched[index].nextDue = now.addingTimeInterval(900) }
        try await one.commit(fetched.map { FeedCommit(feed: $0, items: [], alerts: []) })
        #expect(try await two.claimFeeds(feeds, dueOnly: true, at: now.addingTimeInterval(1)) == second)
        #expect(try await one.claimFeeds(feeds, dueOnly: true, at: now.addingTimeInterval(1)) == [])
        #expect(try await two.claimFeeds(feeds, dueOnly: true, at: now.addingTimeInterval(901)) == Set(feeds.map(\.name)))
    }

    @Test func aDeadInstancesFeedsAreTakenOverWithinOneLease() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let url = try server.createDatabase()
        let database = PostgresServer.database(in: url)
        let feeds = Self.feeds(20)
        // Long enough that a heartbeat task starved for seconds (the whole suite under
        // ThreadSanitizer on two cores) still renews in time; the test waits about one lease.
        let lease: TimeInterval = 6
        var dying: PostgresStore? = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("dying", lease: lease))
        #expect(try await dying?.claimFeeds(feeds, dueOnly: true, at: Date())?.count == 20)
        let survivor = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("survivor", lease: lease))
        #expect(try await survivor.claimFeeds(feeds, dueOnly: true, at: Date()) == [])
        // While the holder lives, its heartbeat pushes its leases on (seen in the table, not
        // timed: a loaded machine may beat late).
        let query = "SELECT max(lease_until) FROM feed WHERE leased_by = 'dying'"
        let first = try server.sql(query, database: database)
        var renewed = false
        for _ in 0..<600 where !renewed {
            try await Task.sleep(for: .milliseconds(50))
            renewed = try server.sql(query, database: database) != first
        }
        #expect(renewed)
        // It dies (its connection and heartbeat gone, its leases left behind)…
        #expect(dying != nil)
        dying = nil
        let died = Date()
        // …and once the leases run out the feeds are the survivor's.
        var claimed: Set<String> = []
        while claimed.count < 20 && Date().timeIntervalSince(died) < 30 {
            try await Task.sleep(for: .milliseconds(100))
            claimed.formUnion(try await survivor.claimFeeds(feeds, dueOnly: true, at: Date()) ?? [])
        }
        #expect(claimed.count == 20)
        // One lease from the last renewal, and the survivor's next look. Generous, and more so
        // under a sanitizer (`scripts/sanitize` sets its options): the whole suite under
        // AddressSanitizer on two cores took 11 to 13 s here, the survivor's looks and the
        // database both slowed several times over.
        #expect(Date().timeIntervalSince(died) < lease + (Sanitizer.isActive ? 15 : 5))
    }

    /// Two instances, each with a feed carrying a copy of one story, scanning at the same moment.
    @Test func copiesOfOneStoryJudgedAtOnceByTwoInstancesRaiseOneAlert() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        for _ in 0..<5 {
            let url = try server.createDatabase()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-shared-\(UUID())")
            defer { try? FileManager.default.removeItem(at: folder) }
            let feeds = Scans.Feeds()
            feeds.set("/wire.xml", Scans.rss([Scans.drill, Scans.noise]))
            feeds.set("/desk.xml", Scans.rss([Scans.copy]))
            let http = try Scans.server(feeds)
            defer { http.stop() }
            // Each instance its own output folder, as on two machines.
            let wire = try Scans.settings(http, folder: folder.appendingPathComponent("a"), feeds: ["wire"])
            let desk = try Scans.settings(http, folder: folder.appendingPathComponent("b"), feeds: ["desk"])
            let a = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("a"))
            let b = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("b"))
            async let scanA = Scans.scan(wire, a)
            async let scanB = Scans.scan(desk, b)
            let (one, two) = try await (scanA, scanB)
            let alerts = one.outcomes.map(\.alerts).reduce(0, +) + two.outcomes.map(\.alerts).reduce(0, +)
            let duplicates = one.outcomes.map(\.duplicates).reduce(0, +) + two.outcomes.map(\.duplicates).reduce(0, +)
            #expect(alerts == 1 && duplicates == 1)
            #expect(try await a.alerts(since: nil, limit: 10).count == 1)
            #expect(Scans.alertFiles(folder.appendingPathComponent("a")).count + Scans.alertFiles(folder.appendingPathComponent("b")).count == 1)
        }
    }

    /// The story lock is held on a connection of its own; if that connection is lost while
    /// stories are decided, the decisions are not committed as if they had been made under it.
    @Test func decisionsWhoseLockWasLostAreNotCommitted() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let url = try server.createDatabase()
        let store = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("decider"), applicationName: "decider")
        let feed = FeedState(name: "wire", url: "https://wire.example/rss")
        let alert = PostgresStateStore.judgement("a1", kind: .alert, story: "s1")
        let update = try #require(try await store.beginStoryDecisions(after: nil, window: .distantPast, latest: 100))
        try server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'decider (stories)'",
                       database: PostgresServer.database(in: url))
        await #expect {
            try await store.commit(feed: feed, items: [alert], alerts: [alert])
        } throws: { error in
            (error as? StoreError)?.kind == .unreachable && "\(error)".contains("story lock")
        }
        _ = try await store.endStoryDecisions()
        #expect(try await store.pendingAlerts().alerts.isEmpty)
        // The next round takes the lock on a new connection and commits.
        _ = try await store.beginStoryDecisions(after: update.watermark, window: .distantPast, latest: 100)
        try await store.commit(feed: feed, items: [alert], alerts: [alert])
        _ = try await store.endStoryDecisions()
        #expect(try await store.pendingAlerts().alerts.map(\.id) == [alert.id])
    }

    /// The other way round: the store's own connection lost while the story lock is held. The
    /// lock is let go all the same; kept, it would stall every other instance.
    @Test func theStoryLockIsLetGoWhenTheStoreLosesItsConnection() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let url = try server.createDatabase()
        let database = PostgresServer.database(in: url)
        let store = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("loser"), applicationName: "loser")
        _ = try #require(try await store.beginStoryDecisions(after: nil, window: .distantPast, latest: 100))
        // pg_locks is the whole cluster's; other tests hold theirs in their own databases.
        let advisoryLocks = """
            SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        #expect(try server.sql(advisoryLocks, database: database) == "1")
        try server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'loser'", database: database)
        await #expect(throws: StoreError.self) { try await store.endStoryDecisions() }
        #expect(try server.sql(advisoryLocks, database: database) == "0")
        // The next round reconnects and takes the lock again.
        _ = try #require(try await store.beginStoryDecisions(after: nil, window: .distantPast, latest: 100))
        #expect(try await store.endStoryDecisions() != nil)
        #expect(try server.sql(advisoryLocks, database: database) == "0")
    }

    @Test func eachPendingAlertDeliveryAndDigestIsClaimedByOneInstance() async throws {
        guard let server = PostgresServer.orSkip() else { return }
        let url = try server.createDatabase()
        let one = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("one"))
        let two = try await PostgresStore.open(url: url, password: nil, instance: Self.instance("two"))
        let alerts = (0..<50).map { PostgresStateStore.judgement("a\($0)", kind: .alert, story: "s\($0)") }
        try await one.commit(feed: FeedState(name: "wire", url: "https://wire.example/rss"), items: alerts, alerts: alerts)
        let now = Date()
        async let a = one.claimPendingAlerts(at: now)
        async let b = two.claimPendingAlerts(at: now)
        let (first, second) = try await (a.alerts.map(\.id), b.alerts.map(\.id))
        #expect(Set(first).isDisjoint(with: second) && first.count + second.count == 50)
        #expect(first == first.sorted())  // oldest first (one time here, then by id)
        try await one.markWritten(alerts.map(\.id), at: now, deliverTo: [.webhook, .email])
        try await two.markWritten(alerts.map(\.id), at: now, deliverTo: [.webhook, .email])
        async let c = one.dueDeliveries(at: now, limit: 1000)
        async let d = two.dueDeliveries(at: now, limit: 1000)
        let (mine, theirs) = try await (c, d)
        #expect(mine.count + theirs.count == 100)
        #expect(Set(mine.map { "\($0.alert.id)/\($0.channel)" }).isDisjoint(with: theirs.map { "\($0.alert.id)/\($0.channel)" }))
        // Given back unattempted: due again for anyone.
        try await one.release(mine)
        #expect(try await two.dueDeliveries(at: now, limit: 1000).count == mine.count)

        async let e = one.claimDigest(day: "2031-06-02", at: now)
        async let f = two.claimDigest(day: "2031-06-02", at: now)
        #expect(try await [e, f].filter { $0 }.count == 1)
    }
}
