import Foundation
import Model
import SafeText

/// One day's digest: new stories grouped by exercise, "possibly related" items, and the
/// health of every feed, so a quiet day says so and a broken fetcher is visible.
public struct Digest: Sendable, Codable, Equatable {
    /// 2: keys in snake_case, as the alert files have them (1 had camelCase); stories carry
    /// `published`, `lede` and `alert_file`.
    public static let schemaVersion = 2

    public struct Source: Sendable, Codable, Equatable {
        public var feed: String
        public var title: String
        public var link: String?
        public var published: Date?
        public var firstSeen: Date
        public var score: Double
        /// An analyst's judgement of this source's alert (`drillwatch feedback`), if any.
        public var judgement: AnalystMark?

        public init(feed: String, title: String, link: String?, published: Date?, firstSeen: Date, score: Double,
                    judgement: AnalystMark? = nil) {
            self.feed = feed
            self.title = title
            self.link = link
            self.published = published
            self.firstSeen = firstSeen
            self.score = score
            self.judgement = judgement
        }
    }

    /// An analyst's judgement as the digest shows it: `right` or `wrong`, and the note.
    public struct AnalystMark: Sendable, Codable, Equatable {
        public var verdict: AnalystVerdict
        public var note: String?

        public init(verdict: AnalystVerdict, note: String?) {
            self.verdict = verdict
            self.note = note
        }

        public var isWrong: Bool { verdict == .wrong }

        /// "judged wrong by an analyst: NOTE", unescaped: each renderer escapes it.
        public var text: String {
            "judged \(verdict.rawValue) by an analyst" + (note.map { ": \($0)" } ?? "")
        }
    }

    public struct Story: Sendable, Codable, Equatable {
        public var id: String
        public var title: String
        public var exercise: String?
        public var places: String?
        public var score: Double
        public var firstSeen: Date
        public var lastSeen: Date
        public var sources: [Source]
        /// The earliest publication date its sources give.
        public var published: Date?
        /// The first sentences of its first report.
        public var lede: String?
        /// Its alert's Markdown file, relative to the digests folder.
        public var alertFile: String?
        /// What set its alert apart (the strongest rules, the closest reference article).
        public var reasons: [String] = []

        public init(id: String, title: String, exercise: String?, places: String?, score: Double, firstSeen: Date, lastSeen: Date, sources: [Source]) {
            self.id = id
            self.title = title
            self.exercise = exercise
            self.places = places
            self.score = score
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.sources = sources
        }
    }

    public struct ExerciseGroup: Sendable, Codable, Equatable {
        public var exercise: String
        public var stories: [Story]
    }

    public struct FeedHealth: Sendable, Codable, Equatable {
        public var name: String
        public var healthy: Bool
        public var lastSuccess: Date?
        public var consecutiveErrors: Int
        public var lastError: String?
        public var newItems: Int

        public init(name: String, healthy: Bool, lastSuccess: Date?, consecutiveErrors: Int, lastError: String?, newItems: Int) {
            self.name = name
            self.healthy = healthy
            self.lastSuccess = lastSuccess
            self.consecutiveErrors = consecutiveErrors
            self.lastError = lastError
            self.newItems = newItems
        }
    }

    public var schema = Digest.schemaVersion
    /// The local day covered, `YYYY-MM-DD`.
    public var date: String
    public var timeZone: String
    public var generated: Date
    public var groups: [ExerciseGroup]
    public var possiblyRelated: [Source]
    public var feeds: [FeedHealth]
    /// Sources an analyst judged wrong: reported, so a reader discounts them.
    public var judgedWrong: Int
    /// Hook, webhook and e-mail deliveries not made yet, and the last error: one line under
    /// the feeds' health when there are any (nil: none waiting, none given up).
    public var deliveries: String?

    public init(date: String, timeZone: String, generated: Date, stories: [Story], possiblyRelated: [Source], feeds: [FeedHealth]) {
        self.date = date
        self.timeZone = timeZone
        self.generated = generated
        // Named exercises first (alphabetically), then stories without a name.
        let named = Dictionary(grouping: stories.filter { $0.exercise != nil }, by: { $0.exercise! })
        groups = named.keys.sorted().map { ExerciseGroup(exercise: $0, stories: named[$0]!.sorted { $0.firstSeen < $1.firstSeen }) }
        let unnamed = stories.filter { $0.exercise == nil }.sorted { $0.firstSeen < $1.firstSeen }
        if !unnamed.isEmpty { groups.append(ExerciseGroup(exercise: "Other joint activity", stories: unnamed)) }
        self.possiblyRelated = possiblyRelated
        self.feeds = feeds
        judgedWrong = (stories.flatMap(\.sources) + possiblyRelated).filter { $0.judgement?.isWrong == true }.count
    }

    public var storyCount: Int { groups.reduce(0) { $0 + $1.stories.count } }

    /// "3 new stories, 2 of 23 feeds failing" or "no new reports, all 23 feeds healthy", and
    /// "; 1 alert judged wrong by an analyst" when an analyst said so.
    public var headline: String {
        let failing = feeds.filter { !$0.healthy }.count
        let stories = storyCount == 0 ? "no new reports" : counted(storyCount, "new story", "new stories")
        let health = failing == 0 ? (feeds.count == 1 ? "the feed healthy" : "all \(feeds.count) feeds healthy")
            : "\(failing) of \(counted(feeds.count, "feed")) failing"
        let judged = judgedWrong == 0 ? "" : "; \(judgedWrong) alert\(judgedWrong == 1 ? "" : "s") judged wrong by an analyst"
        return "\(stories), \(health)\(judged)"
    }
}

/// The first sentences of a report, up to about 300 characters, cut at a sentence's end when
/// one comes after 80 (Latin, Cyrillic and Chinese full stops).
public enum Lede {
    public static func of(_ text: String) -> String? {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        guard !flat.isEmpty else { return nil }
        guard flat.count > 300 else { return flat }
        let window = flat.prefix(300)
        if let end = window.lastIndex(where: { ".!?。！？".contains($0) }), window.distance(from: window.startIndex, to: end) >= 80 {
            return String(window[...end])
        }
        return String(window).trimmingCharacters(in: .whitespaces) + "…"
    }
}

/// Renders a digest as Markdown, a self-contained HTML page, and JSON.
public enum DigestRenderer {
    public static func json(_ digest: Digest) -> Data {
        let encoder = JSONCoding.encoder(pretty: true)
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return ((try? encoder.encode(digest)) ?? Data("{}".utf8)) + Data("\n".utf8)
    }

    public static func markdown(_ digest: Digest) -> String {
        let clock = Clock(digest.timeZone)
        var lines = ["# China–Russia joint drills: \(digest.date)", "", "_\(Markup.markdown(digest.headline))_", ""]
        for group in digest.groups {
            lines.append("## \(Markup.markdown(group.exercise))")
            lines.append("")
            for story in group.stories {
                lines.append("### \(Markup.markdown(story.title))")
                var facts = ["score \(String(format: "%.2f", story.score))", "first seen \(clock.time(story.firstSeen))"]
                if clock.time(story.lastSeen) != clock.time(story.firstSeen) { facts.append("last seen \(clock.time(story.lastSeen))") }
                if let places = story.places { facts.insert(Markup.markdown(places), at: 0) }
                if let published = story.published { facts.append("published \(clock.day(published))") }
                lines.append(facts.joined(separator: " · "))
                lines.append("")
                if let lede = story.lede { lines += ["> \(Markup.markdown(lede))", ""] }
                if !story.reasons.isEmpty { lines += ["Why: " + story.reasons.map(Markup.markdown).joined(separator: "; "), ""] }
                if let file = story.alertFile {
                    lines += ["Alert file: [\(Markup.markdown((file as NSString).lastPathComponent))](\(Markup.markdownDestination(file)))", ""]
                }
                for source in story.sources {
                    lines.append("- \(Markup.markdown(source.feed)): \(link(source))\(mark(source))")
                }
                lines.append("")
            }
        }
        if digest.groups.isEmpty { lines += ["No new reports of joint drills.", ""] }
        if !digest.possiblyRelated.isEmpty {
            lines.append("## Possibly related")
            lines.append("")
            for source in digest.possiblyRelated {
                lines.append("- \(Markup.markdown(source.feed)) (\(String(format: "%.2f", source.score))): \(link(source))\(mark(source))")
            }
            lines.append("")
        }
        lines.append("## Feed health")
        lines.append("")
        lines.append("| feed | state | new items | last success |")
        lines.append("|---|---|--:|---|")
        for feed in digest.feeds {
            let state = feed.healthy ? "ok" : "failing (\(feed.consecutiveErrors)): \(Markup.markdown(feed.lastError ?? ""))"
            lines.append("| \(Markup.markdown(feed.name)) | \(state) | \(feed.newItems) | \(feed.lastSuccess.map { clock.time($0) } ?? "never") |")
        }
        if let deliveries = digest.deliveries { lines += ["", "Deliveries: \(Markup.markdown(deliveries))"] }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func html(_ digest: Digest) -> String {
        let clock = Clock(digest.timeZone)
        var body = "<h1>China–Russia joint drills <span>\(Markup.html(digest.date))</span></h1>\n"
        body += "<p class=\"headline\">\(Markup.html(digest.headline))</p>\n"
        for group in digest.groups {
            body += "<section><h2>\(Markup.html(group.exercise))</h2>\n"
            for story in group.stories {
                body += "<article><h3>\(Markup.html(story.title))</h3>\n<p class=\"facts\">"
                var facts = ["score \(String(format: "%.2f", story.score))", "first seen \(clock.time(story.firstSeen))"]
                if clock.time(story.lastSeen) != clock.time(story.firstSeen) { facts.append("last seen \(clock.time(story.lastSeen))") }
                if let places = story.places { facts.insert(places, at: 0) }
                if let published = story.published { facts.append("published \(clock.day(published))") }
                // Each fact kept on one line: a date does not break at its hyphens.
                body += facts.map { "<span class=\"fact\">\(Markup.html($0))</span>" }.joined(separator: " · ") + "</p>\n"
                if let lede = story.lede { body += "<p class=\"lede\">\(Markup.html(lede))</p>\n" }
                if !story.reasons.isEmpty { body += "<p class=\"why\">why: \(story.reasons.map(Markup.html).joined(separator: "; "))</p>\n" }
                if let file = story.alertFile { body += "<p class=\"alert-file\"><a href=\"\(Markup.html(file))\">alert file</a></p>\n" }
                body += "<ul>"
                for source in story.sources { body += "<li><b>\(Markup.html(source.feed))</b>: \(htmlLink(source))\(htmlMark(source))</li>" }
                body += "</ul></article>\n"
            }
            body += "</section>\n"
        }
        if digest.groups.isEmpty { body += "<p>No new reports of joint drills.</p>\n" }
        if !digest.possiblyRelated.isEmpty {
            body += "<section><h2>Possibly related</h2><ul>"
            for source in digest.possiblyRelated {
                body += "<li><b>\(Markup.html(source.feed))</b> (\(String(format: "%.2f", source.score))): \(htmlLink(source))\(htmlMark(source))</li>"
            }
            body += "</ul></section>\n"
        }
        body += "<section><h2>Feed health</h2><table><tr><th>feed</th><th>state</th><th>new items</th><th>last success</th></tr>"
        for feed in digest.feeds {
            let state = feed.healthy ? "ok" : "failing (\(feed.consecutiveErrors)): \(feed.lastError ?? "")"
            body += "<tr class=\"\(feed.healthy ? "ok" : "failing")\"><td>\(Markup.html(feed.name))</td><td>\(Markup.html(state))</td>"
                + "<td>\(feed.newItems)</td><td>\(Markup.html(feed.lastSuccess.map { clock.time($0) } ?? "never"))</td></tr>"
        }
        body += "</table>"
        if let deliveries = digest.deliveries { body += "<p class=\"failing\">Deliveries: \(Markup.html(deliveries))</p>" }
        body += "</section>\n"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>drillwatch digest \(Markup.html(digest.date))</title>
            <style>
            body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1d2330;background:#fafbfc}
            h1{font-size:1.6rem;margin-bottom:.2rem}h1 span{color:#6b7280;font-weight:400}
            .headline{color:#374151;font-style:italic}h2{border-bottom:2px solid #c7d2fe;padding-bottom:.2rem;margin-top:2rem}
            article{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:.6rem 1rem;margin:.8rem 0}
            h3{margin:.2rem 0;font-size:1.1rem}.facts{color:#6b7280;margin:.2rem 0}.fact{white-space:nowrap}.why{color:#4b5563;font-size:.9rem;margin:.2rem 0}.lede{margin:.3rem 0;color:#1f2937}.alert-file{margin:.2rem 0;font-size:.9rem}ul{margin:.3rem 0;padding-left:1.2rem}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e7eb}
            tr.failing td,p.failing{color:#b91c1c}a{color:#1d4ed8}.judged-wrong{color:#b91c1c;font-weight:600}.judged-right{color:#15803d}
            </style></head><body>
            \(body)<footer><p style="color:#9ca3af">Generated by drillwatch at \(Markup.html(clock.time(digest.generated))).</p></footer>
            </body></html>

            """
    }

    private static func link(_ source: Digest.Source) -> String {
        let title = Markup.markdown(source.title)
        guard let url = Markup.safeLink(source.link) else { return title }
        return "[\(title)](\(Markup.markdownDestination(url)))"
    }

    /// " — ✗ judged wrong by an analyst: NOTE" (or ✓ right), the note escaped like feed text.
    private static func mark(_ source: Digest.Source) -> String {
        guard let judgement = source.judgement else { return "" }
        return " — \(judgement.isWrong ? "✗" : "✓") **\(Markup.markdown(judgement.text))**"
    }

    private static func htmlMark(_ source: Digest.Source) -> String {
        guard let judgement = source.judgement else { return "" }
        let kind = judgement.isWrong ? "wrong" : "right"
        return " <span class=\"judged-\(kind)\">\(judgement.isWrong ? "✗" : "✓") \(Markup.html(judgement.text))</span>"
    }

    private static func htmlLink(_ source: Digest.Source) -> String {
        guard let url = Markup.safeLink(source.link) else { return Markup.html(source.title) }
        return "<a href=\"\(Markup.html(url))\" rel=\"noopener noreferrer\">\(Markup.html(source.title))</a>"
    }

    /// Times in the digest's own time zone, for a person ("2025-06-02 09:40 CEST"; the day
    /// "2025-06-02"), with one formatter: made for every time in the digest (ICU opening
    /// its patterns and symbols each time), it was three fifths of writing the digest of
    /// 10,000 feeds. Local to one rendering: a `DateFormatter` is not to be shared.
    struct Clock {
        private let formatter = DateFormatter()

        init(_ zone: String) {
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")!
            formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        }

        func time(_ date: Date) -> String {
            formatter.string(from: date)
        }

        func day(_ date: Date) -> String {
            String(time(date).prefix(10))
        }
    }
}
